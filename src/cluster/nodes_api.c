/* nodes_api.c — the nodes over HTTP for site admins, as TFE serves them on its admin port:
 * GET /api/v1/nodes (node ids), and Strata's drain status and drain request beside it, the
 * same operations as `strata node list|drain|resume`. */
#include "cluster/cluster.h"
#include "app/api.h"
#include "app/app.h"
#include "base/err.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

static void respond(struct ctx *c, json_t *data, const char *self)
{
    jsonapi_respond(c->req, 200, json_pack("{s:o, s:{s:s}}", "data", data, "links", "self", self));
}

static void ids(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct cluster_node *nodes;
    size_t n;
    int rc = cluster_nodes(c.app->store, c.a, &nodes, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        if (strcmp(nodes[i].state, "active") == 0)
            json_array_append_new(data, json_string(nodes[i].name));
    respond(&c, data, "/api/v1/nodes");
}

static void answer_status(struct ctx *c)
{
    struct cluster_node *nodes;
    size_t n;
    int rc = cluster_nodes(c->app->store, c->a, &nodes, &n);
    if (rc) return api_fail(c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data,
                              json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "node_id", nodes[i].name,
                                        "status", nodes[i].drain_status, "state", nodes[i].state,
                                        "active_tasks_count", (json_int_t)nodes[i].active_jobs,
                                        "address", nodes[i].address, "version", nodes[i].version));
    respond(c, data, "/api/v1/nodes/drain-status");
}

static void drain_status(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    answer_status(&c);
}

/* Body {"node": "NAME"} or {"all": true}. */
static void change(struct http_request *r, void *app, bool drain)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    size_t len;
    const char *body = http_req_body(r, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    json_t *node = doc ? json_object_get(doc, "node") : 0;
    json_t *all = doc ? json_object_get(doc, "all") : 0;
    bool everyone = json_is_true(all);
    int rc = 0;
    if (!json_is_object(doc) || (node && !json_is_string(node)) || (all && !json_is_boolean(all)) ||
        (json_is_string(node) == everyone))
        rc = ctx_fail(&c, ERR_INVALID,
                      "the body must be {\"node\": \"<node id>\"} or {\"all\": true}");
    int64_t found = 0;
    if (!rc)
        rc = cluster_drain(c.app->store, everyone ? 0 : json_string_value(node), drain, &found);
    if (!rc && !found)
        rc = ctx_fail(&c, ERR_NOT_FOUND, "no such node (GET /api/v1/nodes lists them)");
    json_decref(doc);
    if (rc) return api_fail(&c, rc);
    answer_status(&c);
}

static void drain(struct http_request *r, void *app)
{
    change(r, app, true);
}

static void resume(struct http_request *r, void *app)
{
    change(r, app, false);
}

const struct http_route cluster_routes[] = {
    {HTTP_M_GET, "/api/v1/nodes", ids, 0, 0},
    {HTTP_M_GET, "/api/v1/nodes/drain-status", drain_status, 0, 0},
    {HTTP_M_POST, "/api/v1/nodes/drain", drain, 0, 0},
    {HTTP_M_POST, "/api/v1/nodes/resume", resume, 0, 0},
    {0, 0, 0, 0, 0},
};
