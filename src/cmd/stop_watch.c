/* stop_watch.c — a thread that waits for the stop to end, or ends the process at the bound. */
#include "cmd/stop_watch.h"
#include "base/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct stop_watch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct timespec until; /* CLOCK_MONOTONIC */
    const char *stage;     /* under mu */
    bool ended;            /* under mu */
};

static void *watch(void *arg)
{
    struct stop_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (!w->ended && rc == 0)
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &w->until);
    if (!w->ended) {
        /* the stuck stage holds what the exit handlers would free or flush: _exit, not exit */
        log_error("stopping: %s did not end within the stop's bound: exiting without it", w->stage);
        _exit(1);
    }
    pthread_mutex_unlock(&w->mu);
    return 0;
}

struct stop_watch *stop_watch_start(int64_t max_ms)
{
    struct stop_watch *w = calloc(1, sizeof *w);
    if (!w) abort();
    pthread_condattr_t ca;
    /* CLOCK_MONOTONIC: a step of the wall clock neither hastens nor delays the bound */
    if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&w->cv, &ca) != 0 || pthread_mutex_init(&w->mu, 0) != 0)
        abort();
    pthread_condattr_destroy(&ca);
    w->stage = "the stop";
    clock_gettime(CLOCK_MONOTONIC, &w->until);
    w->until.tv_sec += max_ms / 1000;
    w->until.tv_nsec += (max_ms % 1000) * 1000000;
    if (w->until.tv_nsec >= 1000000000) {
        w->until.tv_sec++;
        w->until.tv_nsec -= 1000000000;
    }
    if (pthread_create(&w->thread, 0, watch, w) != 0) abort();
    return w;
}

void stop_watch_stage(struct stop_watch *w, const char *stage)
{
    pthread_mutex_lock(&w->mu);
    w->stage = stage;
    pthread_mutex_unlock(&w->mu);
    log_debug("stopping: %s", stage);
}

void stop_watch_end(struct stop_watch *w)
{
    pthread_mutex_lock(&w->mu);
    w->ended = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, 0);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
