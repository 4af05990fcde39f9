/* token_api.c — TFE API: User Tokens, Organization Tokens, Team Tokens
 * (developer.hashicorp.com/terraform/enterprise/api-docs/user-tokens, .../organization-tokens,
 * .../team-tokens). */
#include "tokens/token_int.h"
#include "app/pagination.h"
#include "base/codec.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "app/audit.h"
#include "teams/team.h"
#include "users/user.h"

static json_t *encode(struct ctx *c, const struct token *t)
{
    json_t *attrs = json_pack("{s:s, s:o, s:s, s:o}", "created-at", t->created_at, "last-used-at",
                              t->last_used_at ? json_string(t->last_used_at) : json_null(),
                              "description", t->description ? t->description : "", "expired-at",
                              t->expires_at ? json_string(codec_iso_of_unix(c->a, t->expires_at))
                                            : json_null());
    if (t->plaintext) json_object_set_new(attrs, "token", json_string(t->plaintext));
    json_t *rels = json_pack("{s:o}", "created-by", jsonapi_rel_new("users", t->created_by));
    return jsonapi_resource_new("authentication-tokens", t->id, attrs, rels, 0);
}

static void respond_issued(struct ctx *c, int rc, const struct token *t)
{
    if (rc) return api_fail(c, rc);
    jsonapi_respond(c->req, 201, jsonapi_doc_new(encode(c, t)));
}

/* A new token's description and expired-at (an ISO 8601 time in the future, or none). */
static const char *read_options(struct ctx *c, int *rc, int64_t *expires_at)
{
    struct jsonapi_body b;
    const char *d = 0, *exp = 0;
    *expires_at = 0;
    *rc = jsonapi_parse(c->req, "authentication-tokens", true, &b);
    if (!*rc) *rc = jsonapi_attr_string(&b, "description", &d, 0);
    if (!*rc) *rc = jsonapi_attr_string(&b, "expired-at", &exp, 0);
    if (*rc) {
        *rc = ctx_fail_body(c, *rc, &b);
        return 0;
    }
    if (exp && (!codec_parse_iso(exp, expires_at) || *expires_at <= codec_now_unix()))
        *rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/expired-at",
                          "expired-at must be a time in the future, e.g. 2030-01-31T00:00:00.000Z");
    return d;
}

/* User tokens belong to the calling user; another user's list answers 404. */
static int own_user(struct ctx *c, const char *user_id)
{
    /* a site admin issues a new account's first token (its owner signs in later); the account
     * must exist before anything is written for it */
    if (authz_site_admin(c) && http_req_method(c->req) == HTTP_M_POST) {
        struct user u;
        int rc = user_get(c, user_id, &u);
        return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "user not found") : rc;
    }
    if (c->who.kind != PRINCIPAL_USER || strcmp(c->who.user_id, user_id) != 0)
        return ctx_fail(c, ERR_NOT_FOUND, "user not found");
    return 0;
}

static void user_token_create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *uid = http_req_param(r, "user_id");
    struct token t;
    int rc = own_user(&c, uid);
    int64_t exp = 0;
    const char *d = rc ? 0 : read_options(&c, &rc, &exp);
    if (!rc) rc = token_issue(&c, TOKEN_USER, uid, 0, d, exp, &t);
    respond_issued(&c, rc, &t);
}

static void user_list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *uid = http_req_param(r, "user_id");
    struct token *ts;
    size_t n = 0;
    int rc = own_user(&c, uid);
    if (!rc) rc = token_db_list_user(&c, uid, &ts, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode(&c, &ts[i]));
    rc = page_respond_all(&c, data,
                          arena_printf(c.a, "/api/v2/users/%s/authentication-tokens", uid));
    if (rc) api_fail(&c, rc);
}

/* A user token by id: visible to its owner only. */
static int own_token(struct ctx *c, const char *id, struct token *t)
{
    int rc = token_db_get(c, id, t);
    if (!rc && (strcmp(t->kind, "user") != 0 || own_user(c, t->user_id))) rc = ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "token not found");
    return rc;
}

static void token_show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct token t;
    int rc = own_token(&c, http_req_param(r, "id"), &t);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &t)));
}

static void token_destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct token t;
    int rc = own_token(&c, http_req_param(r, "id"), &t);
    if (!rc && !(rc = store_begin(c.app->store)))
        rc = audit_end(&c, token_db_delete(&c, t.id), 0, "authentication-token", t.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* Organization and team tokens are managed by users: the organization's token by its owners,
 * a team's by those who manage membership and, when the team allows it, by its members. */
static int manage_in(struct ctx *c, const char *org, const struct team *team)
{
    bool member = false;
    int rc = authz_org(c, org);
    if (rc) return ctx_fail(c, rc, "not found");
    if (c->who.kind != PRINCIPAL_USER)
        return ctx_fail(c, ERR_FORBIDDEN, "only users can manage organization and team tokens");
    /* the owners team's token holds everything: its owners' alone */
    if (!team || strcmp(team->name, "owners") == 0) return authz_org_need(c, org, ORG_OWNER);
    if (team->allow_member_token_management && (rc = team_caller_is_member(c, team->id, &member)))
        return rc;
    return member ? 0 : authz_org_need(c, org, ORG_MANAGE_MEMBERSHIP);
}

static void org_create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct token t;
    int rc = manage_in(&c, org, 0);
    int64_t exp = 0;
    const char *d = rc ? 0 : read_options(&c, &rc, &exp);
    if (!rc) rc = token_issue(&c, TOKEN_ORG, org, org, d, exp, &t);
    respond_issued(&c, rc, &t);
}

static void org_destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    bool found = false;
    int rc = manage_in(&c, org, 0);
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = token_db_delete_owned(&c, "organization", org, 0, &found);
        if (!rc && !found) rc = ctx_fail(&c, ERR_NOT_FOUND, "the organization has no token");
        rc = audit_end(&c, rc, org, "authentication-token", org, "destroy");
    }
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void org_show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct token t;
    int rc = manage_in(&c, org, 0);
    if (!rc) rc = token_db_get_owned(&c, "organization", org, 0, &t);
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "the organization has no token");
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &t)));
}

static void team_create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team tm;
    struct token t;
    int rc = team_get(&c, http_req_param(r, "team_id"), &tm);
    if (!rc) rc = manage_in(&c, tm.organization, &tm);
    int64_t exp = 0;
    const char *d = rc ? 0 : read_options(&c, &rc, &exp);
    if (!rc) rc = token_issue(&c, TOKEN_TEAM, tm.id, tm.organization, d, exp, &t);
    respond_issued(&c, rc, &t);
}

static void team_show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team tm;
    struct token t;
    int rc = team_get(&c, http_req_param(r, "team_id"), &tm);
    if (!rc) rc = manage_in(&c, tm.organization, &tm);
    if (!rc) rc = token_db_get_owned(&c, "team", 0, tm.id, &t);
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "the team has no token");
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &t)));
}

static void team_destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team tm;
    int rc = team_get(&c, http_req_param(r, "team_id"), &tm);
    if (!rc) rc = manage_in(&c, tm.organization, &tm);
    bool found = false;
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = token_db_delete_owned(&c, "team", 0, tm.id, &found);
        if (!rc && !found) rc = ctx_fail(&c, ERR_NOT_FOUND, "the team has no token");
        rc = audit_end(&c, rc, tm.organization, "authentication-token", tm.id, "destroy");
    }
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

const struct http_route token_routes[] = {
    {HTTP_M_POST, "/api/v2/users/:user_id/authentication-tokens", user_token_create, 0, 0},
    {HTTP_M_GET, "/api/v2/users/:user_id/authentication-tokens", user_list, 0, 0},
    {HTTP_M_GET, "/api/v2/authentication-tokens/:id", token_show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/authentication-tokens/:id", token_destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/organizations/:org/authentication-token", org_create, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/authentication-token", org_show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/organizations/:org/authentication-token", org_destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/teams/:team_id/authentication-token", team_create, 0, 0},
    {HTTP_M_GET, "/api/v2/teams/:team_id/authentication-token", team_show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/teams/:team_id/authentication-token", team_destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
