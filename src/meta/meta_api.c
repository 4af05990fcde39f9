/* meta_api.c — /.well-known/terraform.json (terraform's service discovery), /api/v2/ping and
 * /_health_check (200 when the database and blob store answer, 503 naming what failed). */
#include "meta/meta.h"
#include "app/api.h"
#include "base/err.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static void discovery(struct http_request *r, void *app)
{
    (void)app;
    static const char body[] =
        "{\"tfe.v2\":\"/api/v2/\",\"tfe.v2.1\":\"/api/v2/\",\"tfe.v2.2\":\"/api/v2/\"}";
    http_respond(r, 200, "application/json", body, sizeof body - 1);
}

static void ping(struct http_request *r, void *app)
{
    (void)app;
    http_respond(r, 204, 0, 0, 0);
}

static void health(struct http_request *r, void *appv)
{
    struct app *app = appv;
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    struct store_result res;
    int db = store_query(app->store, c.a, "SELECT 1", 0, 0, &res);
    int blobs = blob_check(app->blobs, app->node_name);
    int bus = bus_check(app->bus);
    bool failing = db || blobs || bus;
    json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:s}}", "status", failing ? "failing" : "ok",
                            "components", "database", db ? err_name(db) : "ok", "blob-storage",
                            blobs ? err_name(blobs) : "ok", "queue", bus ? err_name(bus) : "ok");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    http_respond(r, failing ? 503 : 200, "application/json", text, strlen(text));
    free(text);
}

const struct http_route meta_routes[] = {
    {HTTP_M_GET, "/.well-known/terraform.json", discovery, 0, 0},
    {HTTP_M_GET, "/api/v2/ping", ping, 0, 0},
    {HTTP_M_GET, "/_health_check", health, 0, 0},
    {0, 0, 0, 0, 0},
};
