/* meta_api.c — /.well-known/terraform.json (terraform's service discovery), /api/v2/ping and
 * and the health endpoints: /_health_check (for balancers), readiness and liveness. */
#include "meta/meta.h"
#include "app/api.h"
#include "app/pagination.h"
#include "base/err.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <stdlib.h>
#include <string.h>

static void discovery(struct http_request *r, void *app)
{
    (void)app;
    /* state.v2: the remote backend with TF_FORCE_LOCAL_BACKEND (a run's terraform_remote_state)
     * asks for it instead of tfe.v2.1 */
    static const char body[] =
        "{\"state.v2\":\"/api/v2/\",\"tfe.v2\":\"/api/v2/\",\"tfe.v2.1\":\"/api/v2/\","
        "\"tfe.v2.2\":\"/api/v2/\",\"modules.v1\":\"/api/registry/v1/modules/\","
        "\"providers.v1\":\"/api/registry/v1/providers/\"}";
    http_respond(r, 200, "application/json", body, sizeof body - 1);
}

static void ping(struct http_request *r, void *app)
{
    (void)app;
    http_respond(r, 204, 0, 0, 0);
}

/* GET /_health_check: 200 when the node's dependencies answer, 503 naming what failed; with
 * ?full=1 also the keyring, the workers (draining or not), the node and each check's time.
 * Answered from the health monitor's latest round (health.c): never blocks the loop. */
static void health(struct http_request *r, void *appv)
{
    struct app *app = appv;
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *full_q = http_req_query(r, "full");
    bool full = full_q && strcmp(full_q, "0") != 0 && strcmp(full_q, "false") != 0;
    struct health_probe probes[HEALTH_COMPONENTS];
    health_monitor_read(app->health, probes);
    /* the keyring (the last component) is answered with full=1 only, as before */
    int n = full ? HEALTH_COMPONENTS : HEALTH_COMPONENTS - 1;
    bool failing = false;
    for (int i = 0; i < n; i++) failing |= probes[i].rc != 0;
    bool stopping = atomic_load(&app->stopping);
    json_t *components = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(components, probes[i].name,
                            full ? json_pack("{s:s, s:f}", "status",
                                             probes[i].rc ? err_name(probes[i].rc) : "ok",
                                             "milliseconds", probes[i].ms)
                                 : json_string(probes[i].rc ? err_name(probes[i].rc) : "ok"));
    if (full)
        json_object_set_new(
            components, "workers",
            json_pack("{s:s}", "status", atomic_load(&app->draining) ? "draining" : "ok"));
    json_t *doc = json_pack("{s:s, s:o}", "status",
                            stopping  ? "stopping"
                            : failing ? "failing"
                                      : "ok",
                            "components", components);
    if (full) json_object_set_new(doc, "node", json_string(app->node_name));
    json_respond(r, failing || stopping ? 503 : 200, doc);
}

/* GET /api/v1/health/readiness (TFE's path): whether this node should be sent work — its
 * dependencies answer and it is not draining. timeout (1-30 s) is accepted as TFE documents it;
 * the answer is the health monitor's latest round, so it never waits. */
static void readiness(struct http_request *r, void *appv)
{
    struct app *app = appv;
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *t = http_req_query(r, "timeout");
    int64_t timeout;
    int rc = query_int(&c, "timeout", 1, 30, 1, &timeout);
    if (!rc && t && !*t) rc = ctx_fail(&c, ERR_INVALID, "timeout must be an integer from 1 to 30");
    if (rc) return api_fail(&c, ERR_BAD_REQUEST); /* 400 as before, with query_int's detail */
    struct health_probe probes[HEALTH_COMPONENTS];
    int n = HEALTH_COMPONENTS;
    bool failing = health_monitor_read(app->health, probes) > 0;
    bool draining = atomic_load(&app->draining);
    json_t *checks = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(checks, probes[i].name,
                            json_string(probes[i].rc ? err_name(probes[i].rc) : "ok"));
    json_object_set_new(checks, "task-worker", json_string(draining ? "draining" : "ok"));
    bool ready = !failing && !draining && !atomic_load(&app->stopping);
    json_t *doc =
        json_pack("{s:s, s:o}", "status", ready ? "ready" : "not_ready", "checks", checks);
    json_respond(r, ready ? 200 : 503, doc);
}

/* Liveness: the process serves requests; its dependencies are readiness's concern (a node whose
 * database is away must not be restarted for it: it comes back by itself). */
static void liveness(struct http_request *r, void *app)
{
    (void)app;
    static const char body[] = "{\"status\":\"ok\"}";
    http_respond(r, 200, "application/json", body, sizeof body - 1);
}

const struct http_route meta_routes[] = {
    {HTTP_M_GET, "/.well-known/terraform.json", discovery, 0, 0},
    {HTTP_M_GET, "/api/v2/ping", ping, 0, 0},
    {HTTP_M_GET, "/_health_check", health, 0, 0},
    {HTTP_M_GET, "/api/v1/health/readiness", readiness, 0, 0},
    {HTTP_M_GET, "/api/v1/health/liveness", liveness, 0, 0},
    {0, 0, 0, 0, 0},
};
