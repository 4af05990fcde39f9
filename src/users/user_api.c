/* user_api.c — TFE API: Account and Users
 * (developer.hashicorp.com/terraform/enterprise/api-docs/account, .../users). */
#include "users/user_int.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <string.h>

static json_t *encode(struct ctx *c, const struct user *u, bool self)
{
    json_t *attrs = json_pack("{s:s, s:b, s:s, s:b, s:b, s:b}", "username", u->username,
                              "is-service-account", 0, "avatar-url", "", "two-factor-enabled", 0,
                              "is-admin", u->is_admin, "is-site-admin", u->is_admin);
    if (self) {
        json_object_set_new(attrs, "email", json_string(u->email));
        json_object_set_new(attrs, "unconfirmed-email", json_null());
        json_object_set_new(attrs, "permissions",
                            json_pack("{s:b, s:b}", "can-create-organizations", u->is_admin,
                                      "can-change-email", 1));
    }
    return jsonapi_resource_new("users", u->id, attrs, 0,
                                arena_printf(c->a, "/api/v2/users/%s", u->id));
}

static void account_details(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    if (c.who.kind != PRINCIPAL_USER) {
        /* organization and team tokens have no account, as in TFE */
        return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "this token does not belong to a user"));
    }
    struct user u;
    int rc = user_get(&c, c.who.user_id, &u);
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
    {HTTP_M_GET, "/api/v2/users/:id", show, 0, 0},
    {0, 0, 0, 0, 0},
};
