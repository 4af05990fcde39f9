/* node.c — registration, heartbeat and the thread that drives the janitor. */
#include "cluster/cluster.h"
#include "app/app.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "cluster/cluster_int.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { HEARTBEAT_MS = 1000 };

struct cluster {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

void cluster_node_name(const char *port, char *buf, size_t cap)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(buf, cap, "%s:%s", host, port);
}

/* Records the node alive and learns whether it was asked to drain (the runner reads the flag). */
static int heartbeat(struct app *app, const char *state)
{
    struct arena *a = arena_new();
    struct store_result r;
    int rc = store_query(app->store, a,
                         "UPDATE nodes SET heartbeat_at = $2, state = $3 WHERE name = $1 "
                         "RETURNING drain",
                         S_ARGS(S_TEXT(app->node_name), S_INT(codec_now_ms()), S_TEXT(state)), &r);
    if (!rc && r.nrows == 1) atomic_store(&app->draining, store_cell_bool(&r, 0, 0));
    arena_free(a);
    return rc;
}

static int register_node(struct app *app)
{
    struct arena *a = arena_new();
    const char *now = codec_now_iso(a), *version = STRATA_VERSION;
    int rc = store_exec(app->store,
                        "INSERT INTO nodes (name, address, version, state, started_at, "
                        "heartbeat_at, drain) VALUES ($1, $2, $3, 'active', $4, $5, FALSE) ON "
                        "CONFLICT (name) DO UPDATE SET address = $2, version = $3, state = "
                        "'active', started_at = $4, heartbeat_at = $5, drain = FALSE",
                        S_ARGS(S_TEXT(app->node_name), S_TEXT(app->hostname), S_TEXT(version),
                               S_TEXT(now), S_INT(codec_now_ms())),
                        0);
    arena_free(a);
    return rc;
}

static void *loop(void *arg)
{
    struct cluster *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        if (heartbeat(c->app, "active")) log_warn("cluster: heartbeat not recorded");
        janitor_pass(c->app);
        pthread_mutex_lock(&c->mu);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += HEARTBEAT_MS / 1000;
        while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int cluster_start(struct app *app, struct cluster **out)
{
    int rc = register_node(app);
    if (rc) return rc;
    struct cluster *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->app = app;
    pthread_mutex_init(&c->mu, 0);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&c->thread, 0, loop, c) != 0) abort();
    log_info("cluster: node %s registered", app->node_name);
    *out = c;
    return 0;
}

void cluster_stop(struct cluster *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, 0);
    janitor_resign(c->app);
    heartbeat(c->app, "stopped");
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
