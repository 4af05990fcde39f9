/* remote_state.c — remote state sharing: which workspaces' runs may read a workspace's state.
 * TFE API: global-remote-state (a workspace attribute) and the remote-state-consumers
 * relationship (developer.hashicorp.com/terraform/enterprise/api-docs/workspaces, "Remote State
 * Consumers"). Only runs are concerned: a user's or team's access to state is its team access.
 * The one table here, remote_state_consumers, belongs to this file. */
#include "workspaces/workspace_int.h"
#include "jsonapi/jsonapi.h"

#include <jansson.h>

int workspace_state_shared(struct ctx *c, const char *workspace_id, const char *consumer_id,
                           bool *shared)
{
    *shared = false;
    struct workspace w, consumer;
    int rc = workspace_read(c, workspace_id, &w);
    if (!rc) rc = workspace_read(c, consumer_id, &consumer);
    if (rc == ERR_NOT_FOUND) return 0;
    if (rc || strcmp(w.organization, consumer.organization) != 0) return rc;
    if (w.global_remote_state) {
        *shared = true;
        return 0;
    }
    struct store_result r;
    rc = store_query(c->app->store, c->a,
                     "SELECT 1 FROM remote_state_consumers WHERE workspace_id = $1 AND "
                     "consumer_id = $2",
                     S_ARGS(S_TEXT(workspace_id), S_TEXT(consumer_id)), &r);
    *shared = !rc && r.nrows > 0;
    return rc;
}

/* Entries in one request: each costs a lookup, and a body may be large. */
enum { MAX_IDS = 1000 };

/* The workspace ids of a request's {"data": [{"type": "workspaces", "id": ...}]}, each an
 * existing workspace of w's organization other than w (arena memory). */
static int read_ids(struct ctx *c, const struct workspace *w, const char ***ids, size_t *n)
{
    size_t len;
    const char *body = http_req_body(c->req, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    json_t *data = json_object_get(doc, "data");
    int rc = 0;
    if (!json_is_array(data))
        rc = ctx_fail_at(c, ERR_INVALID, "/data", "data must be a list of workspaces");
    else if (json_array_size(data) > MAX_IDS)
        rc = ctx_fail_at(c, ERR_INVALID, "/data", "at most %d workspaces in one request", MAX_IDS);
    *n = 0;
    *ids = arena_alloc(c->a, (json_array_size(data) + 1) * sizeof **ids);
    size_t i;
    json_t *v;
    json_array_foreach(data, i, v)
    {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *id = json_string_value(json_object_get(v, "id"));
        struct workspace other;
        if (rc) break;
        if (!type || strcmp(type, "workspaces") != 0 || !id)
            rc = ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/%zu", i),
                             "each entry needs type \"workspaces\" and an id");
        else if (strcmp(id, w->id) == 0)
            rc = ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/%zu", i),
                             "a workspace reads its own state: it is not its own consumer");
        else if ((rc = workspace_read(c, id, &other)) == ERR_NOT_FOUND ||
                 (!rc && strcmp(other.organization, w->organization) != 0))
            rc = ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/%zu/id", i),
                             "workspace %s not found in organization %s", id, w->organization);
        else if (!rc)
            (*ids)[(*n)++] = arena_strdup(c->a, id);
    }
    json_decref(doc);
    return rc;
}

enum change { ADD, REPLACE, REMOVE };

/* POST adds, PATCH replaces, DELETE removes the listed consumers; 204 as TFE answers. Managing
 * them is changing the workspace's settings (its admins). */
static void change(struct http_request *r, void *app, enum change how)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    const char **ids;
    size_t n = 0;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_UPDATE, &w);
    if (!rc) rc = read_ids(&c, &w, &ids, &n);
    if (!rc) rc = store_begin(c.app->store);
    if (rc) return api_fail(&c, rc);
    if (how == REPLACE)
        rc = store_exec(c.app->store, "DELETE FROM remote_state_consumers WHERE workspace_id = $1",
                        S_ARGS(S_TEXT(w.id)), 0);
    for (size_t i = 0; !rc && i < n; i++)
        rc = store_exec(c.app->store,
                        how == REMOVE
                            ? "DELETE FROM remote_state_consumers WHERE workspace_id = $1 AND "
                              "consumer_id = $2"
                            : "INSERT INTO remote_state_consumers (workspace_id, consumer_id) "
                              "VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        S_ARGS(S_TEXT(w.id), S_TEXT(ids[i])), 0);
    rc = audit_end(&c, rc, w.organization, "workspace", w.id, "update");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void add(struct http_request *r, void *app)
{
    change(r, app, ADD);
}

static void replace(struct http_request *r, void *app)
{
    change(r, app, REPLACE);
}

static void remove_(struct http_request *r, void *app)
{
    change(r, app, REMOVE);
}

/* The consumers as workspaces, those the caller may see (a consumer's name is not shown to
 * whoever may not read that workspace). */
static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    const char **ids;
    size_t n = 0;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_READ, &w);
    if (!rc)
        rc = store_query_column(c.app->store, c.a,
                                "SELECT consumer_id FROM remote_state_consumers WHERE "
                                "workspace_id = $1 ORDER BY consumer_id",
                                S_ARGS(S_TEXT(w.id)), &ids, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; !rc && i < n; i++) {
        struct workspace consumer;
        rc = workspace_get(&c, ids[i], WS_READ, &consumer);
        if (!rc) json_array_append_new(data, workspace_encode(&c, &consumer));
        if (rc == ERR_NOT_FOUND) { /* one the caller may not see is left out */
            rc = 0;
            c.detail[0] = 0;
        }
    }
    if (!rc)
        rc = page_respond_all(
            &c, data,
            arena_printf(c.a, "/api/v2/workspaces/%s/relationships/remote-state-consumers", w.id));
    else
        json_decref(data);
    if (rc) api_fail(&c, rc);
}

const struct http_route remote_state_routes[] = {
    {HTTP_M_GET, "/api/v2/workspaces/:id/relationships/remote-state-consumers", list, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/relationships/remote-state-consumers", add, 0, 0},
    {HTTP_M_PATCH, "/api/v2/workspaces/:id/relationships/remote-state-consumers", replace, 0, 0},
    {HTTP_M_DELETE, "/api/v2/workspaces/:id/relationships/remote-state-consumers", remove_, 0, 0},
    {0, 0, 0, 0, 0},
};
