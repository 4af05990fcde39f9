/* variable.c — TFE API: Workspace Variables
 * (developer.hashicorp.com/terraform/enterprise/api-docs/workspace-variables). */
#include "variables/variable.h"
#include "app/api.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "workspaces/workspace.h"

#include <string.h>

/* where a value is sealed (keyring.h) */
#define VARIABLE_AT(id) KEYRING_AT("variables", "sealed_value", (id))

static const char *COLS = "SELECT id, workspace_id, key, category, hcl, sensitive, description, "
                          "sealed_value FROM variables ";

/* Fills v; the value is opened only when open_value is set. */
static int fill(struct ctx *c, const struct store_result *r, size_t i, struct variable *v,
                bool open_value)
{
    v->id = store_cell(r, i, 0);
    v->workspace_id = store_cell(r, i, 1);
    v->key = store_cell(r, i, 2);
    v->category = store_cell(r, i, 3);
    v->hcl = store_cell_bool(r, i, 4);
    v->sensitive = store_cell_bool(r, i, 5);
    v->description = store_cell(r, i, 6);
    v->value = 0;
    if (!open_value) return 0;
    unsigned char *plain;
    size_t n;
    int rc = keyring_unseal_at(c->app->keyring, c->a, VARIABLE_AT(v->id), store_cell(r, i, 7),
                               &plain, &n);
    v->value = rc ? 0 : (const char *)plain;
    return rc;
}

static int query(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
                 bool open_values, struct variable **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE %s", COLS, where), args,
                         nargs, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; !rc && i < r.nrows; i++)
        rc = fill(c, &r, i, &(*out)[i], open_values);
    *n = r.nrows;
    return rc;
}

int variable_values_for_run(struct ctx *c, const char *workspace_id, struct variable **out,
                            size_t *n)
{
    return query(c, "workspace_id = $1 ORDER BY key", S_ARGS(S_TEXT(workspace_id)), true, out, n);
}

static json_t *encode(struct ctx *c, const struct variable *v)
{
    json_t *attrs = json_pack("{s:s, s:o, s:s, s:s, s:b, s:b}", "key", v->key, "value",
                              v->sensitive || !v->value ? json_null() : json_string(v->value),
                              "description", v->description ? v->description : "", "category",
                              v->category, "hcl", v->hcl, "sensitive", v->sensitive);
    json_t *rels =
        json_pack("{s:o}", "configurable", jsonapi_rel_new("workspaces", v->workspace_id));
    return jsonapi_resource_new(
        "vars", v->id, attrs, rels,
        arena_printf(c->a, "/api/v2/workspaces/%s/vars/%s", v->workspace_id, v->id));
}

/* TFE accepts any non-empty key of up to 128 characters in both categories; a key terraform
 * cannot use fails at plan time with terraform's own message. The runner (workdir.c) skips a key
 * that would change the shape of the tfvars file or of the environment ("=", control characters).
 */
static bool valid_key(const char *k)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        chars += (*p & 0xC0) != 0x80; /* UTF-8: count lead bytes only */
    return chars > 0 && chars <= 128;
}

/* Applies the request document to v (defaults or the stored variable). */
static int read_attrs(struct ctx *c, struct variable *v, bool creating)
{
    struct jsonapi_body b;
    bool was_sensitive = v->sensitive, value_given = false;
    int rc = jsonapi_parse(c->req, "vars", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "key", &v->key, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "value", &v->value, &value_given);
    if (!rc) rc = jsonapi_attr_string(&b, "description", &v->description, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "category", &v->category, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "hcl", &v->hcl, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "sensitive", &v->sensitive, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    if (creating && !value_given) v->value = "";
    if (!v->category || (strcmp(v->category, "terraform") && strcmp(v->category, "env")))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/category",
                           "category must be \"terraform\" or \"env\"");
    if (!v->key || !valid_key(v->key))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/key",
                           "key must be between 1 and 128 characters");
    if (was_sensitive && !v->sensitive)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/sensitive",
                           "a sensitive variable cannot be made non-sensitive");
    if (v->value && strlen(v->value) > 256 * 1024)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/value", "value is too long");
    return 0;
}

/* Writes v of workspace w, and its audit record, in one transaction. */
static int save(struct ctx *c, const struct variable *v, const struct workspace *w, bool creating)
{
    const char *sealed =
        keyring_seal_at(c->app->keyring, c->a, VARIABLE_AT(v->id), v->value, strlen(v->value));
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = creating ? store_exec(c->app->store,
                               "INSERT INTO variables (id, workspace_id, key, category, hcl, "
                               "sensitive, description, sealed_value, created_at) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                               S_ARGS(S_TEXT(v->id), S_TEXT(v->workspace_id), S_TEXT(v->key),
                                      S_TEXT(v->category), S_BOOL(v->hcl), S_BOOL(v->sensitive),
                                      S_TEXT(v->description ? v->description : ""), S_TEXT(sealed),
                                      S_TEXT(codec_now_iso(c->a))),
                               0)
                  : store_exec(c->app->store,
                               "UPDATE variables SET key = $2, category = $3, hcl = $4, "
                               "sensitive = $5, description = $6, sealed_value = $7 WHERE id = $1",
                               S_ARGS(S_TEXT(v->id), S_TEXT(v->key), S_TEXT(v->category),
                                      S_BOOL(v->hcl), S_BOOL(v->sensitive),
                                      S_TEXT(v->description ? v->description : ""), S_TEXT(sealed)),
                               0);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/key",
                         "a %s variable \"%s\" already exists in this workspace", v->category,
                         v->key);
    return audit_end(c, rc, w->organization, "var", v->id, creating ? "create" : "update");
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct variable v = {0};
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_WRITE_VARS, &w);
    if (!rc) rc = read_attrs(&c, &v, true);
    if (!rc) {
        v.id = codec_new_id(c.a, "var");
        v.workspace_id = w.id;
        rc = save(&c, &v, &w, true);
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &v)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct variable *vs;
    size_t n = 0;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_READ_VARS, &w);
    if (!rc) rc = query(&c, "workspace_id = $1 ORDER BY key", S_ARGS(S_TEXT(w.id)), true, &vs, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode(&c, &vs[i]));
    rc = page_respond_all(&c, data, arena_printf(c.a, "/api/v2/workspaces/%s/vars", w.id));
    if (rc) api_fail(&c, rc);
}

/* The variable named by the route, in a workspace where the caller holds need. */
static int load(struct ctx *c, int64_t need, struct variable *v, bool open_value,
                struct workspace *w)
{
    struct variable *vs;
    size_t n = 0;
    int rc = workspace_get(c, http_req_param(c->req, "id"), need, w);
    if (!rc)
        rc = query(c, "workspace_id = $1 AND id = $2",
                   S_ARGS(S_TEXT(w->id), S_TEXT(http_req_param(c->req, "var_id"))), open_value, &vs,
                   &n);
    if (!rc && n == 0) rc = ctx_fail(c, ERR_NOT_FOUND, "variable not found");
    if (!rc) *v = vs[0];
    return rc;
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct variable v;
    struct workspace w;
    int rc = load(&c, WS_READ_VARS, &v, true, &w);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &v)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct variable v;
    struct workspace w;
    int rc = load(&c, WS_WRITE_VARS, &v, true, &w);
    if (!rc) rc = read_attrs(&c, &v, false);
    if (!rc) rc = save(&c, &v, &w, false);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &v)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct variable v;
    struct workspace w;
    int rc = load(&c, WS_WRITE_VARS, &v, false, &w);
    if (!rc)
        rc = audit_exec(&c, "DELETE FROM variables WHERE id = $1", S_ARGS(S_TEXT(v.id)),
                        w.organization, "var", v.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

const struct http_route variable_routes[] = {
    {HTTP_M_POST, "/api/v2/workspaces/:id/vars", create, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/vars", list, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/vars/:var_id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/workspaces/:id/vars/:var_id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/workspaces/:id/vars/:var_id", destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
