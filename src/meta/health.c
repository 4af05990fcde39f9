/* health.c — the node's dependencies probed by a thread of their own, once a second, so that a
 * health check answers from memory: a probe writes and reads a blob (an fsync on disk, a round
 * trip to S3), queries the database and pings Redis, which on an event loop stalled every other
 * connection of that loop each time a balancer asked. A probe that hangs is seen while it hangs:
 * the component it is in is answered as timed out once it has taken longer than HUNG_MS. */
#include "meta/meta.h"
#include "app/app.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/fault.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* PROBE_MAX_MS: past it a blob probe has failed (it is reported as timed out from HUNG_MS) */
enum { INTERVAL_MS = 1000, HUNG_MS = 2000, PROBE_MAX_MS = 5000 };

/* a place no stored value has: the probe is never stored */
#define PROBE_AT KEYRING_AT("", "", "readiness probe")

static const char *const names[HEALTH_COMPONENTS] = {"database", "blob-storage", "queue",
                                                     "encryption"};

struct health_monitor {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
    struct health_probe last[HEALTH_COMPONENTS]; /* under mu */
    int running;        /* the component being probed, -1 between rounds (under mu) */
    int64_t running_at; /* when it started (under mu) */
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int probe(struct app *app, struct arena *a, int i)
{
    struct store_result res;
    switch (i) {
    case 0:
        return store_query(app->store, a, "SELECT 1", 0, 0, &res);
    case 1:
        return blob_check(app->blobs, app->node_name);
    case 2:
        return bus_check(app->bus);
    default: {
        char *sealed = keyring_seal_at(app->keyring, a, PROBE_AT, "probe", 5);
        unsigned char *back = 0;
        size_t len = 0;
        int rc = keyring_unseal_at(app->keyring, a, PROBE_AT, sealed, &back, &len);
        return rc ? rc : len != 5 ? ERR_CRYPTO : 0;
    }
    }
}

/* One round: each component in turn, its answer published as soon as it is known. */
static void round_once(struct health_monitor *m)
{
    for (int i = 0; i < HEALTH_COMPONENTS; i++) {
        pthread_mutex_lock(&m->mu);
        m->running = i;
        m->running_at = now_ms();
        pthread_mutex_unlock(&m->mu);
        struct arena *a = arena_new();
        int64_t t0 = now_ms();
        int rc = probe(m->app, a, i);
        arena_free(a);
        pthread_mutex_lock(&m->mu);
        m->last[i] = (struct health_probe){names[i], rc, (double)(now_ms() - t0)};
        m->running = -1;
        pthread_mutex_unlock(&m->mu);
    }
}

static void *loop(void *arg)
{
    struct health_monitor *m = arg;
    fault_exempt_thread();           /* a test's injected fault is meant for the flow it walks */
    blob_bound_thread(PROBE_MAX_MS); /* the stop joins this thread */
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        pthread_mutex_unlock(&m->mu);
        round_once(m);
        pthread_mutex_lock(&m->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += INTERVAL_MS / 1000;
        while (!m->stop && pthread_cond_timedwait(&m->wake, &m->mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

int health_monitor_start(struct app *app, struct health_monitor **out)
{
    struct health_monitor *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->app = app;
    m->running = -1;
    pthread_mutex_init(&m->mu, 0);
    pthread_cond_init(&m->wake, 0);
    round_once(m); /* the first answer is known before the node takes requests */
    if (pthread_create(&m->thread, 0, loop, m) != 0) {
        pthread_cond_destroy(&m->wake);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return ERR_INTERNAL;
    }
    *out = m;
    return 0;
}

void health_monitor_stop(struct health_monitor *m)
{
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stop = true;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, 0);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int health_monitor_read(struct health_monitor *m, struct health_probe out[HEALTH_COMPONENTS])
{
    int failed = 0;
    pthread_mutex_lock(&m->mu);
    memcpy(out, m->last, sizeof m->last);
    if (m->running >= 0) {
        int64_t took = now_ms() - m->running_at;
        if (took > HUNG_MS)
            out[m->running] =
                (struct health_probe){names[m->running], ERR_UNAVAILABLE, (double)took};
    }
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; i < HEALTH_COMPONENTS; i++)
        failed += out[i].rc != 0;
    return failed;
}
