/* server.c — `strata server --config FILE`: validate settings, open the keyring before any
 * data is touched, migrate, serve until SIGINT/SIGTERM. */
#include "admin/iact.h"
#include "app/app.h"
#include "app/settings.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "runner/runner.h"
#include "runs/run.h"
#include "cluster/cluster.h"
#include "notifications/notification.h"
#include "cmd/commands.h"
#include "cmd/loops.h"
#include "cmd/metrics_server.h"
#include "cmd/services.h"
#include "cmd/status.h"
#include "cmd/stop_watch.h"
#include "cmd/wiring.h"
#include "http/http.h"
#include "http/tls.h"
#include "jsonapi/jsonapi.h"
#include "meta/meta.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const default_headers[] = {
    "TFP-API-Version: 2.6",
    "X-TFE-Version: " STRATA_VERSION,
    "TFP-AppName: Strata",
    "Cache-Control: no-store",
    0,
};

static void respond_error(struct http_request *r, int err, const char *detail)
{
    jsonapi_error(r, err, detail, 0);
}

/* A balancer listed in trusted_proxies names each client in a PROXY protocol header */
static bool peer_trusted(void *app, const char *addr)
{
    const struct settings *s = ((struct app *)app)->settings;
    return settings_cidr_match(settings_str(s, SETTING_TRUSTED_PROXIES), addr);
}

/* A graceful stop: health answers 503 and answers close their connections, so the balancer
 * takes the node out of rotation; once no request but probes has come for QUIET_MS (or after
 * GRACE_MAX_MS) the node stops listening. A node no balancer probes (none in the last
 * WATCHED_MS) stops at once. A second signal stops at once too. */
enum { QUIET_MS = 2000, GRACE_MAX_MS = 30000, GRACE_TICK_MS = 200, WATCHED_MS = 5000 };

struct stopper {
    struct event_base *base;
    struct app *app;
    struct event *tick;
    int64_t since;
};

static void on_grace_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct stopper *st = arg;
    int64_t now = codec_mono_ms(), last = http_last_request_ms();
    if (now - (last > st->since ? last : st->since) >= QUIET_MS || now - st->since >= GRACE_MAX_MS)
        event_base_loopbreak(st->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct stopper *st = arg;
    if (atomic_load(&st->app->stopping)) {
        log_info("signal %d again: stopping now", (int)sig);
        event_base_loopbreak(st->base);
        return;
    }
    log_info("signal %d: leaving the balancer's rotation, then shutting down", (int)sig);
    atomic_store(&st->app->stopping, true);
    http_set_stopping();
    st->since = codec_mono_ms();
    int64_t probe = http_last_probe_ms();
    if (!probe || st->since - probe > WATCHED_MS) {
        event_base_loopbreak(st->base);
        return;
    }
    struct timeval every = {0, GRACE_TICK_MS * 1000};
    event_add(st->tick, &every);
}

/* The offload pool (docs/ARCHITECTURE.md, request path): a few threads beside the loops, since
 * what runs there is CPU work (archives, hashing) on two to a few cores; a request waiting longer
 * than the budget is answered 503 (its client has likely given up). */
enum { POOL_THREADS = 4, POOL_QUEUE = 64, POOL_BUDGET_MS = 30000 };

/* The bound on the stop once the node has left its loop (stop_watch.h): the runner's longest
 * wait is terraform's CANCEL_GRACE (10 s) after a SIGINT; a service manager's or a harness's
 * patience (systemd's TimeoutStopSec, 90 s by default; the tests' 30 s) is longer. */
enum { STOP_MAX_MS = 20000 };

static int serve(struct settings *s)
{
    struct app app = {.settings = s,
                      .hostname = settings_str(s, SETTING_HOSTNAME),
                      .started_at = codec_now_unix()};
    struct event_base *base = 0;
    struct http_server *http = 0;
    struct event *sigint = 0, *sigterm = 0;
    struct stopper stopper = {.app = &app};
    struct runner *runner = 0;
    struct loops *loops = 0;
    struct metrics_server *metrics = 0;
    struct http_pool *pool = 0;
    int nloops = 1;
    char err[1024] = "", cert[4200], key[4200], node_name[300];
    cluster_node_name(settings_str(s, SETTING_HTTPS_PORT), node_name, sizeof node_name);
    app.node_name = node_name;
    log_set_node(node_name);
    log_set_json(strcmp(settings_str(s, SETTING_LOG_FORMAT), "json") == 0);
    status_write(s, "starting", "started", "");
    int rc = services_open(s, &app, err, sizeof err);
    if (!rc && !*settings_str(s, SETTING_TLS_CERT_FILE)) {
        snprintf(cert, sizeof cert, "%s/tls-cert.pem", settings_str(s, SETTING_DISK_PATH));
        snprintf(key, sizeof key, "%s/tls-key.pem", settings_str(s, SETTING_DISK_PATH));
        rc = tls_ensure_self_signed(cert, key, app.hostname, err, sizeof err);
    } else {
        snprintf(cert, sizeof cert, "%s", settings_str(s, SETTING_TLS_CERT_FILE));
        snprintf(key, sizeof key, "%s", settings_str(s, SETTING_TLS_KEY_FILE));
    }
    wiring_hooks(&app);
    if (!rc) rc = iact_ensure(&app);
    struct cluster *cluster = 0;
    if (!rc) rc = run_recover(&app);
    if (!rc) rc = cluster_start(&app, &cluster);
    if (!rc) rc = runner_start(&app, app.bus, &runner, err, sizeof err);
    struct notifier *notifier = 0;
    if (!rc) rc = notifier_start(&app, &notifier);
    if (!rc) rc = health_monitor_start(&app, &app.health);
    if (!rc) rc = http_pool_new(POOL_THREADS, POOL_QUEUE, POOL_BUDGET_MS, &pool);
    if (!rc) {
        base = event_base_new();
        struct http_server_config cfg = {
            .bind_port = settings_str(s, SETTING_HTTPS_PORT),
            .cert_file = cert,
            .key_file = key,
            .app = &app,
            .respond_error = respond_error,
            .default_headers = default_headers,
            .default_max_body = 16 * 1024 * 1024,
            .pool = pool,
            .peer_trusted = peer_trusted,
        };
        rc = http_server_new(base, &cfg, &http, err, sizeof err);
    }
    if (!rc) {
        wiring_routes(http);
        nloops = loops_per_machine(settings_external(s));
        rc = loops_start(http, nloops, &loops);
    }
    if (!rc && settings_flag(s, SETTING_METRICS_ENDPOINT_ENABLED))
        rc = metrics_server_start(&app, settings_str(s, SETTING_METRICS_ENDPOINT_PORT_HTTP),
                                  &metrics, err, sizeof err);
    if (rc) {
        if (err[0]) fprintf(stderr, "strata: %s\n", err);
        status_write(s, "stopped", "started", err[0] ? err : "the node failed to start");
    } else {
        status_write(s, "started", "started", "");
        stopper.base = base;
        stopper.tick = event_new(base, -1, EV_PERSIST, on_grace_tick, &stopper);
        sigint = evsignal_new(base, SIGINT, on_signal, &stopper);
        sigterm = evsignal_new(base, SIGTERM, on_signal, &stopper);
        event_add(sigint, 0);
        event_add(sigterm, 0);
        log_info("node %s: database %s, blobs %s, bus %s, %d event loops, tls %s", node_name,
                 store_backend_name(app.store), blob_backend_name(app.blobs), bus_name(app.bus),
                 nloops, cert);
        printf("Strata %s is running at https://%s\n", STRATA_VERSION, app.hostname);
        printf("  first admin: curl --cacert %s https://%s/admin/retrieve-iact\n", cert,
               app.hostname);
        fflush(stdout);
        event_base_dispatch(base);
        status_write(s, "stopping", "stopped", "");
    }
    struct stop_watch *watch = stop_watch_start(STOP_MAX_MS);
    http_server_close_listener(http); /* new connections are refused from now on */
    stop_watch_stage(watch, "the offload pool");
    http_pool_stop(pool); /* before the servers: its workers hand connections back to them */
    stop_watch_stage(watch, "the event loops");
    loops_stop(loops);
    stop_watch_stage(watch, "the metrics server");
    metrics_server_stop(metrics);
    stop_watch_stage(watch, "the health monitor");
    health_monitor_stop(app.health);
    stop_watch_stage(watch, "the notifier");
    notifier_stop(notifier);
    stop_watch_stage(watch, "the runner");
    runner_stop(runner);
    /* what this node was running goes back now: plans to the queue, applies errored */
    stop_watch_stage(watch, "the recovery of this node's runs");
    if (runner) run_recover_node(&app, node_name);
    stop_watch_stage(watch, "the cluster membership");
    cluster_stop(cluster);
    if (stopper.tick) event_free(stopper.tick);
    if (sigint) event_free(sigint);
    if (sigterm) event_free(sigterm);
    http_server_free(http);
    http_pool_free(pool);
    if (base) event_base_loop(base, EVLOOP_NONBLOCK); /* deferred finalizers of connections */
    if (base) event_base_free(base);
    stop_watch_stage(watch, "closing the services");
    services_close(&app);
    stop_watch_end(watch);
    if (!rc) status_write(s, "stopped", "stopped", "");
    return rc ? 1 : 0;
}

int cmd_server(int argc, char **argv)
{
    /* without a file, TFE's environment variables alone (as TFE's containers are configured) */
    bool env_only = argc == 0 && settings_env_present();
    if (!env_only && (argc != 2 || strcmp(argv[0], "--config") != 0)) {
        fprintf(stderr, "usage: strata server --config FILE\n"
                        "       strata server            (settings from TFE_* variables)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    evthread_use_pthreads(); /* several event loops, and loopbreak across threads */
    if (sodium_init() < 0) {
        fprintf(stderr, "strata: libsodium failed to initialise\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    umask(077); /* the database, blobs, logs and keys are the node's alone */
    /* developer tracing; operators' settings stay in the settings file */
    const char *lv = getenv("STRATA_LOG");
    if (lv && strcmp(lv, "debug") == 0) log_set_level(LOG_DEBUG);
    struct settings s;
    char err[1024];
    if (env_only ? settings_load_env(&s, err, sizeof err)
                 : settings_load(argv[1], &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 2;
    }
    int rc = serve(&s);
    settings_free(&s);
    curl_global_cleanup();
    return rc;
}
