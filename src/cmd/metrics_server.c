/* metrics_server.c — GET /metrics in Prometheus' text format: what base/metrics recorded
 * (requests, database, Redis and blob latencies, run phases) and what is read at scrape time
 * (runs by status, the queue, each node's jobs and drain, this process's memory). */
#include "cmd/metrics_server.h"
#include "app/app.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cluster/cluster.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct metrics_server {
    struct app *app;
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
};

/* Resident and virtual memory from /proc/self/statm (pages). */
static void memory(struct buf *out, const char *node)
{
    long pages_virt = 0, pages_res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages_virt, &pages_res) != 2) pages_virt = pages_res = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    buf_printf(out, "# TYPE strata_process_resident_memory_bytes gauge\n");
    buf_printf(out, "strata_process_resident_memory_bytes{node=\"%s\"} %ld\n", node,
               pages_res * page);
    buf_printf(out, "# TYPE strata_process_virtual_memory_bytes gauge\n");
    buf_printf(out, "strata_process_virtual_memory_bytes{node=\"%s\"} %ld\n", node,
               pages_virt * page);
}

/* What the database knows: runs by status, the queue, and every node's jobs and drain. */
static void cluster_state(struct app *app, struct buf *out, const char *node)
{
    struct arena *a = arena_new();
    struct store_result r;
    int rc =
        store_query(app->store, a, "SELECT status, COUNT(*) FROM runs GROUP BY status", 0, 0, &r);
    buf_printf(out, "# TYPE strata_scrape_database_ok gauge\n");
    buf_printf(out, "strata_scrape_database_ok{node=\"%s\"} %d\n", node, rc == 0);
    if (!rc) {
        int64_t queued = 0;
        buf_printf(out, "# HELP strata_runs Runs in the deployment by status.\n");
        buf_printf(out, "# TYPE strata_runs gauge\n");
        for (size_t i = 0; i < r.nrows; i++) {
            const char *status = store_cell(&r, i, 0);
            int64_t n = store_cell_int(&r, i, 1);
            buf_printf(out, "strata_runs{node=\"%s\",status=\"%s\"} %lld\n", node, status,
                       (long long)n);
            if (!strcmp(status, "plan_queued") || !strcmp(status, "apply_queued")) queued += n;
        }
        buf_printf(out, "# HELP strata_run_queue_depth Run phases waiting for a worker.\n");
        buf_printf(out, "# TYPE strata_run_queue_depth gauge\n");
        buf_printf(out, "strata_run_queue_depth{node=\"%s\"} %lld\n", node, (long long)queued);
    }
    struct cluster_node *nodes;
    size_t n;
    if (!cluster_nodes(app->store, a, &nodes, &n)) {
        buf_printf(out,
                   "# HELP strata_node_jobs Run phases executing on each node of the cluster.\n");
        buf_printf(out, "# TYPE strata_node_jobs gauge\n");
        for (size_t i = 0; i < n; i++)
            if (!strcmp(nodes[i].state, "active"))
                buf_printf(out, "strata_node_jobs{node=\"%s\"} %lld\n", nodes[i].name,
                           (long long)nodes[i].active_jobs);
        buf_printf(out, "# TYPE strata_node_draining gauge\n");
        for (size_t i = 0; i < n; i++)
            if (!strcmp(nodes[i].state, "active"))
                buf_printf(out, "strata_node_draining{node=\"%s\"} %d\n", nodes[i].name,
                           nodes[i].drain);
    }
    arena_free(a);
}

static void serve(struct evhttp_request *req, void *arg)
{
    struct metrics_server *m = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !path || strcmp(path, "/metrics")) {
        evhttp_send_error(req, 404, "GET /metrics");
        return;
    }
    const char *node = m->app->node_name;
    struct buf out;
    buf_init(&out, 0);
    buf_printf(&out, "# TYPE strata_build_info gauge\n");
    buf_printf(&out, "strata_build_info{node=\"%s\",version=\"%s\"} 1\n", node, STRATA_VERSION);
    metrics_render(&out, node);
    cluster_state(m->app, &out, node);
    memory(&out, node);
    struct evbuffer *body = evhttp_request_get_output_buffer(req);
    evbuffer_add(body, out.data ? out.data : "", out.len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", 0);
    buf_release(&out);
}

static void *run(void *arg)
{
    struct metrics_server *m = arg;
    event_base_dispatch(m->base);
    return 0;
}

int metrics_server_start(struct app *app, const char *port, struct metrics_server **out, char *err,
                         size_t errlen)
{
    struct metrics_server *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->app = app;
    m->base = event_base_new();
    m->http = m->base ? evhttp_new(m->base) : 0;
    if (!m->http || evhttp_bind_socket(m->http, "0.0.0.0", (ev_uint16_t)atoi(port)) != 0) {
        snprintf(err, errlen,
                 "setting \"metrics_endpoint_port_http\": cannot listen on port %s (in use?)",
                 port);
        if (m->http) evhttp_free(m->http);
        if (m->base) event_base_free(m->base);
        free(m);
        return ERR_CONFIG;
    }
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
    evhttp_set_gencb(m->http, serve, m);
    if (pthread_create(&m->thread, 0, run, m) != 0) abort();
    log_info("metrics: http://0.0.0.0:%s/metrics", port);
    *out = m;
    return 0;
}

void metrics_server_stop(struct metrics_server *m)
{
    if (!m) return;
    event_base_loopbreak(m->base);
    pthread_join(m->thread, 0);
    evhttp_free(m->http);
    event_base_free(m->base);
    free(m);
}
