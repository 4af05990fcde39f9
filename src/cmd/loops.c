/* loops.c — extra event-loop threads. libevent is made thread-aware in cmd_server
 * (evthread_use_pthreads) so that loopbreak from another thread is safe. */
#include "cmd/loops.h"
#include "base/err.h"
#include "http/http.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum { MAX_LOOPS = 16 };

struct loop {
    struct event_base *base;
    struct http_server *http;
    pthread_t thread;
};

struct loops {
    struct loop loop[MAX_LOOPS];
    int count;
};

static void *run(void *arg)
{
    struct loop *l = arg;
    /* a loop with only a listener would return at once without this flag */
    event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return 0;
}

int loops_per_machine(bool remote_database)
{
    /* a handler waits for the database: a remote one long enough that other loops should run
     * meanwhile, an embedded one not at all */
    long n = (remote_database ? 4 : 1) * sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_LOOPS ? MAX_LOOPS : (int)n;
}

int loops_start(const struct http_server *first, int count, struct loops **out)
{
    struct loops *ls = calloc(1, sizeof *ls);
    if (!ls) abort();
    int rc = 0;
    for (int i = 0; i < count - 1 && i < MAX_LOOPS && !rc; i++) {
        struct loop *l = &ls->loop[i];
        l->base = event_base_new();
        if (!l->base) abort();
        rc = http_server_clone(l->base, first, &l->http);
        if (rc) {
            event_base_free(l->base);
            break;
        }
        if (pthread_create(&l->thread, 0, run, l) != 0) abort();
        ls->count++;
    }
    if (rc) {
        loops_stop(ls);
        ls = 0;
    }
    *out = ls;
    return rc;
}

void loops_stop(struct loops *ls)
{
    if (!ls) return;
    for (int i = 0; i < ls->count; i++)
        event_base_loopbreak(ls->loop[i].base);
    /* the listeners are closed first: connections are refused, not left unanswered */
    for (int i = 0; i < ls->count; i++) {
        pthread_join(ls->loop[i].thread, 0);
        http_server_close_listener(ls->loop[i].http);
    }
    for (int i = 0; i < ls->count; i++) {
        http_server_free(ls->loop[i].http);
        /* freed bufferevents finish on their loop (deferred finalizers): let it run once */
        event_base_loop(ls->loop[i].base, EVLOOP_NONBLOCK);
        event_base_free(ls->loop[i].base);
    }
    free(ls);
}
