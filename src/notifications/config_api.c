/* config_api.c — TFE API: Notification Configurations of a workspace
 * (developer.hashicorp.com/terraform/enterprise/api-docs/notification-configurations).
 * Managed by the workspace's admins; the token is write-only (sealed; answered as null). */
#include "notifications/notification_int.h"
#include "app/pagination.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"
#include "runs/run.h"
#include "workspaces/workspace.h"

#include <stdlib.h>

static const char *const TRIGGERS[] = {"run:created",
                                       "run:planning",
                                       "run:needs_attention",
                                       "run:applying",
                                       "run:completed",
                                       "run:errored",
                                       0};

#define COLS                                                                                       \
    "SELECT id, workspace_id, name, destination_type, url, sealed_token, triggers, "               \
    "email_addresses, email_user_ids, created_at, updated_at, enabled FROM "                       \
    "notification_configurations "

static void fill(const struct store_result *r, size_t i, struct notification_config *n)
{
    const char **f[] = {&n->id,
                        &n->workspace_id,
                        &n->name,
                        &n->destination_type,
                        &n->url,
                        &n->sealed_token,
                        &n->triggers,
                        &n->email_addresses,
                        &n->email_user_ids,
                        &n->created_at,
                        &n->updated_at};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++)
        *f[k] = store_cell(r, i, k);
    n->enabled = store_cell_bool(r, i, 11);
}

int notification_db_get(struct ctx *c, const char *id, struct notification_config *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, COLS "WHERE id = $1", S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int notification_db_of_workspace(struct ctx *c, const char *workspace_id, bool enabled_only,
                                 struct notification_config **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         COLS "WHERE workspace_id = $1 AND ($2 = 0 OR enabled = $3) "
                              "ORDER BY created_at, id",
                         S_ARGS(S_TEXT(workspace_id), S_INT(enabled_only), S_BOOL(true)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

/* The last 10 attempts, newest first, as TFE's delivery-responses. */
static json_t *responses(struct ctx *c, const char *id)
{
    struct store_result r;
    json_t *a = json_array();
    if (store_query(c->app->store, c->a,
                    "SELECT url, code, body, successful, sent_at FROM notification_attempts "
                    "WHERE configuration_id = $1 ORDER BY sent_at DESC, id LIMIT 10",
                    S_ARGS(S_TEXT(id)), &r))
        return a;
    for (size_t i = 0; i < r.nrows; i++) {
        json_t *body = json_string(store_cell(&r, i, 2));
        const char *url = store_cell(&r, i, 0);
        json_array_append_new(
            a,
            json_pack("{s:o, s:o, s:s, s:o, s:s, s:b}", "url", url ? json_string(url) : json_null(),
                      "body", body ? body : json_string("(not UTF-8)"), "code",
                      arena_printf(c->a, "%s", store_cell(&r, i, 1)), "headers", json_object(),
                      "sent-at", store_cell(&r, i, 4), "successful", store_cell_bool(&r, i, 3)));
    }
    return a;
}

static json_t *encode(struct ctx *c, const struct notification_config *n)
{
    json_t *users = json_array(), *ids = json_loads(n->email_user_ids, 0, 0);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
        json_array_append_new(users, json_pack("{s:s, s:O}", "type", "users", "id", v));
    json_decref(ids);
    json_t *attrs =
        json_pack("{s:s, s:s, s:b, s:o, s:n, s:o, s:o, s:o, s:s, s:s}", "name", n->name,
                  "destination-type", n->destination_type, "enabled", n->enabled, "url",
                  n->url ? json_string(n->url) : json_null(), "token", "triggers",
                  json_loads(n->triggers, 0, 0), "email-addresses",
                  json_loads(n->email_addresses, 0, 0), "delivery-responses", responses(c, n->id),
                  "created-at", n->created_at, "updated-at", n->updated_at);
    json_t *rels =
        json_pack("{s:o, s:{s:o}}", "subscribable", jsonapi_rel_new("workspaces", n->workspace_id),
                  "users", "data", users);
    return jsonapi_resource_new(
        "notification-configurations", n->id, attrs, rels,
        arena_printf(c->a, "/api/v2/notification-configurations/%s", n->id));
}

/* A JSON list of strings from attribute name, each checked by ok (NULL: any); compact text. */
static int string_list(struct ctx *c, json_t *attrs, const char *name, bool (*ok)(const char *),
                       const char **out)
{
    json_t *v = json_object_get(attrs, name);
    if (!v || json_is_null(v)) return 0;
    size_t i;
    json_t *e;
    const char *at = arena_printf(c->a, "/data/attributes/%s", name);
    if (!json_is_array(v)) return ctx_fail_at(c, ERR_INVALID, at, "%s must be a list", name);
    json_array_foreach(
        v, i, e) if (!json_is_string(e) ||
                     (ok && !ok(json_string_value(
                                e)))) return ctx_fail_at(c, ERR_INVALID, at,
                                                         "%s holds a value it cannot: %s", name,
                                                         json_is_string(e) ? json_string_value(e)
                                                                           : "(not a string)");
    char *text = json_dumps(v, JSON_COMPACT);
    *out = arena_strdup(c->a, text);
    free(text);
    return 0;
}

static bool known_trigger(const char *t)
{
    for (int i = 0; TRIGGERS[i]; i++)
        if (strcmp(TRIGGERS[i], t) == 0) return true;
    return false;
}

static bool an_address(const char *a)
{
    return strchr(a, '@') && strlen(a) <= 254 && !strpbrk(a, " \r\n<>");
}

/* Reads what the request sets into n (a new one or a copy of the stored one). */
static int read_attrs(struct ctx *c, struct notification_config *n, bool creating)
{
    struct jsonapi_body b;
    const char *token = 0;
    bool token_given = false;
    int rc = jsonapi_parse(c->req, "notification-configurations", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "name", &n->name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "destination-type", &n->destination_type, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "url", &n->url, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "token", &token, &token_given);
    if (!rc) rc = jsonapi_attr_bool(&b, "enabled", &n->enabled, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    if ((rc = string_list(c, b.attrs, "triggers", known_trigger, &n->triggers)) ||
        (rc = string_list(c, b.attrs, "email-addresses", an_address, &n->email_addresses)))
        return rc;
    json_t *users = json_object_get(json_object_get(b.rels, "users"), "data");
    if (json_is_array(users)) {
        json_t *ids = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(users, i, v) json_array_append(ids, json_object_get(v, "id"));
        char *text = json_dumps(ids, JSON_COMPACT);
        n->email_user_ids = arena_strdup(c->a, text);
        free(text);
        json_decref(ids);
    }
    if (token_given)
        n->sealed_token = token && *token
                              ? keyring_seal_at(c->app->keyring, c->a, NOTIFICATION_TOKEN_AT(n->id),
                                                token, strlen(token))
                              : 0;
    if (!n->name || !*n->name || strlen(n->name) > 255)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "name is required");
    const char *d = n->destination_type ? n->destination_type : "";
    if (strcmp(d, "generic") && strcmp(d, "slack") && strcmp(d, "email") &&
        strcmp(d, "microsoft-teams"))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/destination-type",
                           "destination-type must be generic, slack, microsoft-teams or email");
    bool http = strcmp(d, "email") != 0;
    if (http && (!n->url || (strncmp(n->url, "http://", 7) && strncmp(n->url, "https://", 8))))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/url",
                           "url must be an http:// or https:// address");
    if (!http) n->url = 0;
    (void)creating;
    return 0;
}

static int save(struct ctx *c, const struct notification_config *n, const struct workspace *w,
                bool creating)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    if (creating)
        rc = store_exec(c->app->store,
                        "INSERT INTO notification_configurations (id, workspace_id, name, "
                        "destination_type, url, sealed_token, enabled, triggers, email_addresses, "
                        "email_user_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                        "$7, $8, $9, $10, $11, $12)",
                        S_ARGS(S_TEXT(n->id), S_TEXT(n->workspace_id), S_TEXT(n->name),
                               S_TEXT(n->destination_type), S_TEXT(n->url), S_TEXT(n->sealed_token),
                               S_BOOL(n->enabled), S_TEXT(n->triggers), S_TEXT(n->email_addresses),
                               S_TEXT(n->email_user_ids), S_TEXT(n->created_at),
                               S_TEXT(n->updated_at)),
                        0);
    else
        rc = store_exec(c->app->store,
                        "UPDATE notification_configurations SET name = $2, destination_type = $3, "
                        "url = $4, sealed_token = $5, enabled = $6, triggers = $7, "
                        "email_addresses = $8, email_user_ids = $9, updated_at = $10 WHERE id = $1",
                        S_ARGS(S_TEXT(n->id), S_TEXT(n->name), S_TEXT(n->destination_type),
                               S_TEXT(n->url), S_TEXT(n->sealed_token), S_BOOL(n->enabled),
                               S_TEXT(n->triggers), S_TEXT(n->email_addresses),
                               S_TEXT(n->email_user_ids), S_TEXT(n->updated_at)),
                        0);
    if (!rc)
        rc = audit_record(c, w->organization, "notification-configuration", n->id,
                          creating ? "create" : "update");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

/* The configuration named by the route, on a workspace the caller administers. */
static int load(struct ctx *c, struct notification_config *n, struct workspace *w)
{
    int rc = notification_db_get(c, http_req_param(c->req, "id"), n);
    if (!rc) rc = workspace_get(c, n->workspace_id, WS_UPDATE, w);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "notification configuration not found") : rc;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct notification_config n = {
        .triggers = "[]", .email_addresses = "[]", .email_user_ids = "[]"};
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_UPDATE, &w);
    n.id = codec_new_id(c.a, "nc"); /* its token is sealed for it */
    if (!rc) rc = read_attrs(&c, &n, true);
    if (!rc) {
        n.workspace_id = w.id;
        n.created_at = n.updated_at = codec_now_iso(c.a);
        rc = save(&c, &n, &w, true);
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &n)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct notification_config *ns;
    size_t n = 0;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_UPDATE, &w);
    if (!rc) rc = notification_db_of_workspace(&c, w.id, false, &ns, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode(&c, &ns[i]));
    rc = page_respond_all(
        &c, data, arena_printf(c.a, "/api/v2/workspaces/%s/notification-configurations", w.id));
    if (rc) api_fail(&c, rc);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct notification_config n;
    struct workspace w;
    int rc = load(&c, &n, &w);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &n)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct notification_config n;
    struct workspace w;
    int rc = load(&c, &n, &w);
    if (!rc) rc = read_attrs(&c, &n, false);
    if (!rc) {
        n.updated_at = codec_now_iso(c.a);
        rc = save(&c, &n, &w, false);
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &n)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct notification_config n;
    struct workspace w;
    int rc = load(&c, &n, &w);
    if (!rc)
        rc = audit_exec(&c, "DELETE FROM notification_configurations WHERE id = $1",
                        S_ARGS(S_TEXT(n.id)), w.organization, "notification-configuration", n.id,
                        "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* Sends a test message now and answers the configuration with the attempt's response. */
static void verify(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct notification_config n;
    struct workspace w;
    int rc = load(&c, &n, &w);
    if (rc) return api_fail(&c, rc);
    json_t *p = notification_payload(&c, &n, 0, "verification");
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    struct delivery d = {.id = codec_new_id(c.a, "nd"),
                         .configuration_id = n.id,
                         .trigger = "verification",
                         .payload = arena_strdup(c.a, text)};
    free(text);
    bool ok = false;
    const char *refusal = 0;
    rc = delivery_attempt(&c, &n, &d, &ok, &refusal);
    if (!rc && refusal) rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/url", "%s", refusal);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &n)));
}

const struct http_route notification_routes[] = {
    {HTTP_M_GET, "/api/v2/workspaces/:id/notification-configurations", list, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/notification-configurations", create, 0, 0},
    {HTTP_M_GET, "/api/v2/notification-configurations/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/notification-configurations/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/notification-configurations/:id", destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/notification-configurations/:id/actions/verify", verify, 0, 0},
    {0, 0, 0, 0, 0},
};
