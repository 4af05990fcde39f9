/* user_api.c — TFE API: Account and Users
 * (developer.hashicorp.com/terraform/enterprise/api-docs/account, .../users). */
#include "users/user_int.h"
#include "base/codec.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <string.h>

/* TFE's avatar: Gravatar's URL for the MD5 of the trimmed, lower-cased e-mail. Only a URL for the
 * browser: the node never fetches it. */
static const char *avatar_url(struct ctx *c, const char *email)
{
    const char *e = email ? email : "";
    while (*e == ' ' || *e == '\t')
        e++;
    size_t n = strlen(e);
    while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
        n--;
    char *lower = arena_strndup(c->a, e, n), hex[33];
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    struct codec_md5 *m = codec_md5_new();
    codec_md5_update(m, lower, n);
    codec_md5_final(m, hex);
    return arena_printf(c->a, "https://www.gravatar.com/avatar/%s?s=100&d=mm", hex);
}

static json_t *encode(struct ctx *c, const struct user *u, bool self)
{
    /* two-factor authentication does not exist in this installation: never enabled */
    json_t *attrs = json_pack(
        "{s:s, s:b, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:{s:b, s:b}}", "username", u->username,
        "is-service-account", 0, "auth-method", "tfe", "avatar-url", avatar_url(c, u->email),
        "v2-only", 1, "two-factor-enabled", 0, "is-admin", u->is_admin, "is-site-admin",
        u->is_admin, "is-sso-login", 0, "two-factor", "enabled", 0, "verified", 0);
    if (u->invited_only) /* invited by e-mail, no account yet: no name to show */
        json_object_set_new(attrs, "username", json_null());
    if (self) {
        json_object_set_new(attrs, "email", json_string(u->email));
        json_object_set_new(attrs, "unconfirmed-email", json_null());
        json_object_set_new(attrs, "permissions",
                            json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "can-create-organizations",
                                      u->is_admin, "can-change-email", 1, "can-change-username", 1,
                                      "can-manage-user-tokens", 1, "can-view-2fa-settings", 0,
                                      "can-manage-hcp-account", 0));
    }
    json_t *rels = json_pack("{s:{s:{s:s}}}", "authentication-tokens", "links", "related",
                             arena_printf(c->a, "/api/v2/users/%s/authentication-tokens", u->id));
    return jsonapi_resource_new("users", u->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/users/%s", u->id));
}

json_t *user_encode(struct ctx *c, const struct user *u)
{
    bool self = c->who.user_id && strcmp(c->who.user_id, u->id) == 0;
    return encode(c, u, self || authz_site_admin(c));
}

/* The calling user; organization and team tokens have no account, as in TFE. */
static int caller(struct ctx *c, struct user *u)
{
    if (c->who.kind != PRINCIPAL_USER)
        return ctx_fail(c, ERR_NOT_FOUND, "this token does not belong to a user");
    return user_get(c, c->who.user_id, u);
}

static void account_update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct user u;
    struct jsonapi_body b;
    const char *username = 0, *email = 0;
    int rc = caller(&c, &u);
    if (!rc) {
        rc = jsonapi_parse(r, "users", false, &b);
        if (!rc) rc = jsonapi_attr_string(&b, "username", &username, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "email", &email, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc) rc = user_update(&c, &u, username, email);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &u, true)));
}

static void account_password(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct user u;
    struct jsonapi_body b;
    const char *current = 0, *password = 0, *confirmation = 0;
    int rc = caller(&c, &u);
    if (!rc) {
        rc = jsonapi_parse(r, "users", false, &b);
        if (!rc) rc = jsonapi_attr_string(&b, "current_password", &current, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "password", &password, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "password_confirmation", &confirmation, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc) rc = user_change_password(&c, &u, current, password, confirmation);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &u, true)));
}

static void account_details(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct user u;
    int rc = caller(&c, &u);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &u, true)));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct user u;
    int rc = user_get(&c, http_req_param(r, "id"), &u);
    if (rc) return api_fail(&c, rc);
    bool self = c.who.user_id && strcmp(c.who.user_id, u.id) == 0;
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &u, self || authz_site_admin(&c))));
}

const struct http_route user_routes[] = {
    {HTTP_M_GET, "/api/v2/account/details", account_details, 0, 0},
    {HTTP_M_PATCH, "/api/v2/account/update", account_update, 0, 0},
    {HTTP_M_PATCH, "/api/v2/account/password", account_password, 0, 0, .offload = true},
    {HTTP_M_GET, "/api/v2/users/:id", show, 0, 0},
    {0, 0, 0, 0, 0},
};
