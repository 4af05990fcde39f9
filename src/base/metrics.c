/* metrics.c — fixed tables of series. A request series is found by open addressing on (route
 * pointer, method, status) and inserted once under a mutex; its counts are atomics, so the hot
 * path takes no lock. Histograms are cumulative at render time, as Prometheus wants them. */
#include "base/metrics.h"
#include "base/buf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { NB = 12, SLOTS = 1024 }; /* buckets per histogram; request series */

static const double fast[NB] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,   0.25,   0.5,   1,    5};
static const double slow[NB] = {0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 900, 3600};

struct hist {
    atomic_uint_fast64_t bucket[NB + 1]; /* the last: above every bound */
    atomic_uint_fast64_t count, micros;  /* sum kept in microseconds */
};

struct series {
    _Atomic(const char *) route; /* NULL: free slot; "" for unmatched requests */
    const char *method;
    int status;
    struct hist h;
};

static struct series requests[SLOTS];
static pthread_mutex_t insert_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hist timers[METRIC_TIMER_COUNT_];
static const char *const timer_names[METRIC_TIMER_COUNT_][2] = {
    {"strata_database_statement_seconds", ""}, {"strata_redis_command_seconds", ""},
    {"strata_blob_seconds", "commit"},         {"strata_blob_seconds", "open"},
    {"strata_run_phase_seconds", "plan"},      {"strata_run_phase_seconds", "apply"},
    {"strata_run_queue_wait_seconds", "plan"}, {"strata_run_queue_wait_seconds", "apply"},
};

double metrics_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void observe(struct hist *h, const double *bounds, double seconds)
{
    int i = 0;
    while (i < NB && seconds > bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->micros, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

static size_t slot_of(const char *route, const char *method, int status)
{
    uintptr_t k = (uintptr_t)route * 31u + (uintptr_t)method * 7u + (uintptr_t)status;
    return (size_t)((k ^ (k >> 17)) % SLOTS);
}

/* The series of (route, method, status); with insert, a free slot becomes it (callers hold
 * insert_mu then). Readers see a slot's method and status before its route (release/acquire). */
static struct series *lookup(const char *route, const char *method, int status, bool insert)
{
    size_t i = slot_of(route, method, status);
    for (size_t n = 0; n < SLOTS; n++, i = (i + 1) % SLOTS) {
        struct series *s = &requests[i];
        const char *r = atomic_load_explicit(&s->route, memory_order_acquire);
        if (!r) {
            if (!insert) return 0;
            s->method = method;
            s->status = status;
            atomic_store_explicit(&s->route, route, memory_order_release);
            return s;
        }
        if (r == route && s->method == method && s->status == status) return s;
    }
    return 0; /* the table is full: the request goes uncounted */
}

static struct series *find(const char *route, const char *method, int status)
{
    struct series *s = lookup(route, method, status, false);
    if (s) return s;
    pthread_mutex_lock(&insert_mu);
    s = lookup(route, method, status, true);
    pthread_mutex_unlock(&insert_mu);
    return s;
}

void metrics_request(const char *route, const char *method, int status, double seconds)
{
    struct series *s = find(route ? route : "", method, status);
    if (s) observe(&s->h, fast, seconds);
}

void metrics_time(enum metric_timer t, double seconds)
{
    if (t >= 0 && t < METRIC_TIMER_COUNT_)
        observe(&timers[t], t >= METRIC_RUN_PLAN ? slow : fast, seconds);
}

/* name{labels,le="..."} lines of one histogram; labels already formatted (may be empty). */
static void render_hist(struct buf *out, const char *name, const char *labels, struct hist *h,
                        const double *bounds)
{
    uint64_t total = 0;
    for (int i = 0; i <= NB; i++) {
        total += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < NB)
            buf_printf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, bounds[i],
                       (unsigned long long)total);
        else
            buf_printf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels,
                       (unsigned long long)total);
    }
    buf_printf(out, "%s_sum{%s} %.6f\n", name, labels,
               (double)atomic_load_explicit(&h->micros, memory_order_relaxed) / 1e6);
    buf_printf(out, "%s_count{%s} %llu\n", name, labels, (unsigned long long)total);
}

void metrics_render(struct buf *out, const char *node)
{
    char labels[1024];
    buf_printf(out, "# HELP strata_http_request_seconds Requests answered, by route, method and "
                    "status, and how long until the answer started.\n"
                    "# TYPE strata_http_request_seconds histogram\n");
    for (size_t i = 0; i < SLOTS; i++) {
        struct series *s = &requests[i];
        const char *route = atomic_load_explicit(&s->route, memory_order_acquire);
        if (!route) continue;
        snprintf(labels, sizeof labels, "node=\"%s\",route=\"%s\",method=\"%s\",status=\"%d\"",
                 node, *route ? route : "unmatched", s->method, s->status);
        render_hist(out, "strata_http_request_seconds", labels, &s->h, fast);
    }
    const char *last = "";
    for (int t = 0; t < METRIC_TIMER_COUNT_; t++) {
        const char *name = timer_names[t][0], *kind = timer_names[t][1];
        if (strcmp(name, last) != 0) buf_printf(out, "# TYPE %s histogram\n", name);
        last = name;
        if (*kind)
            snprintf(labels, sizeof labels, "node=\"%s\",%s=\"%s\"", node,
                     t >= METRIC_RUN_PLAN ? "phase" : "operation", kind);
        else
            snprintf(labels, sizeof labels, "node=\"%s\"", node);
        render_hist(out, name, labels, &timers[t], t >= METRIC_RUN_PLAN ? slow : fast);
    }
}
