/* meta_api.c — /.well-known/terraform.json (terraform's service discovery), /api/v2/ping and
 * and the health endpoints: /_health_check (for balancers), readiness and liveness. */
#include "meta/meta.h"
#include "app/api.h"
#include "app/pagination.h"
#include "base/err.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* a place no stored value has: the probe is never stored */
#define PROBE_AT KEYRING_AT("", "", "readiness probe")

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

/* One dependency's answer and how long it took. */
struct probe {
    const char *name;
    int rc;
    double ms;
};

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The database, the blob store and the bus; with all, the keyring too (a value sealed and
 * opened again). Returns how many failed. */
static int check_all(struct app *app, struct arena *a, bool all, struct probe out[4], int *n)
{
    int failed = 0;
    *n = 0;
    for (int i = 0; i < (all ? 4 : 3); i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct probe *p = &out[(*n)++];
        if (i == 0) {
            struct store_result res;
            *p = (struct probe){"database", store_query(app->store, a, "SELECT 1", 0, 0, &res)};
        } else if (i == 1) {
            *p = (struct probe){"blob-storage", blob_check(app->blobs, app->node_name)};
        } else if (i == 2) {
            *p = (struct probe){"queue", bus_check(app->bus)};
        } else {
            char *sealed = keyring_seal_at(app->keyring, a, PROBE_AT, "probe", 5);
            unsigned char *back = 0;
            size_t len = 0;
            int rc = keyring_unseal_at(app->keyring, a, PROBE_AT, sealed, &back, &len);
            *p = (struct probe){"encryption", rc ? rc : len != 5 ? ERR_CRYPTO : 0};
        }
        p->ms = elapsed_ms(&t0);
        failed += p->rc != 0;
    }
    return failed;
}

/* GET /_health_check: 200 when the node's dependencies answer, 503 naming what failed; with
 * ?full=1 also the keyring, the workers (draining or not), the node and each check's time. */
static void health(struct http_request *r, void *appv)
{
    struct app *app = appv;
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *full_q = http_req_query(r, "full");
    bool full = full_q && strcmp(full_q, "0") != 0 && strcmp(full_q, "false") != 0;
    struct probe probes[4];
    int n;
    bool failing = check_all(app, c.a, full, probes, &n) > 0;
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
 * each check here is bounded by its own client's timeout. */
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
    struct probe probes[4];
    int n;
    bool failing = check_all(app, c.a, true, probes, &n) > 0;
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
