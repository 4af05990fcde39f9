/* users.c — TFE API: Admin Users (list, show), and account creation by a site admin: TFE makes
 * accounts through sign-up from an invitation email; Strata's site admin makes them here (the
 * web UI's sign-in then uses the password). Site admins only; anyone else gets 404. */
#include "admin/admin.h"
#include "app/api.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/err.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"
#include "users/user.h"

#include <string.h>

static json_t *encode(struct ctx *c, const struct user *u)
{
    json_t *attrs = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s}", "username", u->username, "email",
                              u->email, "is-admin", u->is_admin, "is-suspended", 0,
                              "is-service-account", 0, "created-at", u->created_at);
    return jsonapi_resource_new("users", u->id, attrs, 0,
                                arena_printf(c->a, "/api/v2/admin/users/%s", u->id));
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct jsonapi_body b;
    const char *username = 0, *email = 0, *password = 0;
    bool is_admin = false;
    struct user u;
    int rc = jsonapi_parse(r, "users", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "username", &username, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "email", &email, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "password", &password, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "is-admin", &is_admin, 0);
    if (rc) return api_fail(&c, ctx_fail_body(&c, rc, &b));
    if (!(rc = store_begin(c.app->store))) {
        rc = user_create(&c, username, email, password, is_admin, &u);
        rc = audit_end(&c, rc, 0, "user", u.id, "create");
    }
    if (rc == ERR_INVALID && c.pointer) /* user_create points at the bare attribute */
        c.pointer = arena_printf(c.a, "/data/attributes%s", c.pointer);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &u)));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct user u;
    int rc = user_get(&c, http_req_param(r, "id"), &u);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &u)));
}

/* q matches usernames and emails. */
static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    const char *q = http_req_query(r, "q");
    const char *pat = store_like_contains(c.a, q ? q : "");
    struct page p;
    struct store_result cnt, ids;
    int rc = page_parse(&c, &p);
    const char *where = "lower(username) LIKE lower($1) ESCAPE '!' OR lower(email) LIKE "
                        "lower($1) ESCAPE '!'";
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         arena_printf(c.a, "SELECT COUNT(*) FROM users WHERE %s", where),
                         S_ARGS(S_TEXT(pat)), &cnt);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         arena_printf(c.a,
                                      "SELECT id FROM users WHERE %s ORDER BY username LIMIT $2 "
                                      "OFFSET $3",
                                      where),
                         S_ARGS(S_TEXT(pat), S_INT(p.size), S_INT(p.offset)), &ids);
    json_t *data = json_array();
    for (size_t i = 0; !rc && i < ids.nrows; i++) {
        struct user u;
        if (!(rc = user_get(&c, store_cell(&ids, i, 0), &u)))
            json_array_append_new(data, encode(&c, &u));
    }
    if (rc) {
        json_decref(data);
        return api_fail(&c, rc);
    }
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(&c, doc, "/api/v2/admin/users", &p, store_cell_int(&cnt, 0, 0));
    jsonapi_respond(r, 200, doc);
}

const struct http_route admin_user_routes[] = {
    {HTTP_M_GET, "/api/v2/admin/users", list, 0, 0},
    {HTTP_M_POST, "/api/v2/admin/users", create, 0, 0, .offload = true}, /* hashes a password */
    {HTTP_M_GET, "/api/v2/admin/users/:id", show, 0, 0},
    {0, 0, 0, 0, 0},
};
