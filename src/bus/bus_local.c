/* bus_local.c — the in-process bus: one mutex, one condition variable, a linked list of jobs. */
#include "bus/bus_int.h"
#include "base/err.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct item {
    struct item *next;
    char queue[64], job[256];
};

struct local {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, *tail;
    bool down;
};

static struct local *local_new(void)
{
    struct local *b = calloc(1, sizeof *b);
    if (!b) abort();
    pthread_mutex_init(&b->mu, 0);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &attr);
    pthread_condattr_destroy(&attr);
    return b;
}

static void local_free(void *impl)
{
    struct local *b = impl;
    while (b->head) {
        struct item *i = b->head;
        b->head = i->next;
        free(i);
    }
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static int local_enqueue(void *impl, const char *queue, const char *job)
{
    struct local *b = impl;
    struct item *i = calloc(1, sizeof *i);
    if (!i) abort();
    snprintf(i->queue, sizeof i->queue, "%s", queue);
    snprintf(i->job, sizeof i->job, "%s", job);
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = i;
    else
        b->head = i;
    b->tail = i;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* Unlinks and returns the first job of queue, or NULL. Called with the mutex held. */
static struct item *take(struct local *b, const char *queue)
{
    struct item *prev = 0;
    for (struct item *i = b->head; i; prev = i, i = i->next) {
        if (strcmp(i->queue, queue) != 0) continue;
        if (prev)
            prev->next = i->next;
        else
            b->head = i->next;
        if (b->tail == i) b->tail = prev;
        return i;
    }
    return 0;
}

static int local_claim(void *impl, const char *queue, int timeout_ms, char *job, size_t cap)
{
    struct local *b = impl;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->mu);
    struct item *i = 0;
    int rc = 0;
    while (!b->down && !(i = take(b, queue)))
        if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != 0) {
            i = take(b, queue);
            break;
        }
    if (b->down && !i) rc = ERR_UNAVAILABLE;
    pthread_mutex_unlock(&b->mu);
    if (rc) return rc;
    if (!i) return ERR_NOT_FOUND;
    snprintf(job, cap, "%s", i->job);
    free(i);
    return 0;
}

static void local_shutdown(void *impl)
{
    struct local *b = impl;
    pthread_mutex_lock(&b->mu);
    b->down = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static int local_queued(void *impl, const char *queue, const char *job, bool *queued)
{
    struct local *b = impl;
    pthread_mutex_lock(&b->mu);
    *queued = false;
    for (struct item *i = b->head; i && !*queued; i = i->next)
        *queued = strcmp(i->queue, queue) == 0 && strcmp(i->job, job) == 0;
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* One node: the running phase's log file is the only copy anyone needs. */
static int local_log_append(void *impl, const char *id, const void *p, size_t n, int64_t *total)
{
    (void)impl, (void)id, (void)p, (void)n;
    *total = -1;
    return 0;
}

static int local_log_drop(void *impl, const char *id)
{
    (void)impl, (void)id;
    return 0;
}

static int local_log_read(void *impl, const char *id, int64_t offset, void *buf, size_t cap,
                          size_t *n)
{
    (void)impl, (void)id, (void)offset, (void)buf, (void)cap, (void)n;
    return ERR_NOT_FOUND;
}

static int local_check(void *impl)
{
    (void)impl;
    return 0;
}

static const struct bus_ops local_ops = {
    .name = "local",
    .enqueue = local_enqueue,
    .claim = local_claim,
    .queued = local_queued,
    .shutdown = local_shutdown,
    .log_append = local_log_append,
    .log_read = local_log_read,
    .log_drop = local_log_drop,
    .check = local_check,
    .free = local_free,
};

struct bus *bus_new_local(void)
{
    return bus_wrap(&local_ops, local_new());
}
