/* bus.c — the dispatch to the implementation chosen at start, and the checks both share. */
#include "bus/bus_int.h"
#include "base/err.h"
#include "base/fault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bus {
    const struct bus_ops *ops;
    void *impl;
    pthread_mutex_t mu; /* guards subs */
    struct bus_subscription subs[BUS_MAX_SUBSCRIPTIONS];
    size_t nsubs;
};

struct bus *bus_wrap(const struct bus_ops *ops, void *impl)
{
    struct bus *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->ops = ops;
    b->impl = impl;
    pthread_mutex_init(&b->mu, 0);
    return b;
}

void bus_free(struct bus *b)
{
    if (!b) return;
    b->ops->free(b->impl);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

const char *bus_name(const struct bus *b)
{
    return b->ops->name;
}

int bus_enqueue(struct bus *b, const char *queue, const char *job)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    if (strlen(queue) >= 64 || strlen(job) >= 256) return ERR_BAD_REQUEST;
    return b->ops->enqueue(b->impl, queue, job);
}

int bus_claim(struct bus *b, const char *queue, int timeout_ms, char *job, size_t cap)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    return b->ops->claim(b->impl, queue, timeout_ms, job, cap);
}

int bus_queued(struct bus *b, const char *queue, const char *job, bool *queued)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    return b->ops->queued(b->impl, queue, job, queued);
}

void bus_shutdown(struct bus *b)
{
    b->ops->shutdown(b->impl);
}

int bus_log_append(struct bus *b, const char *id, const void *p, size_t n, int64_t *total)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    return b->ops->log_append(b->impl, id, p, n, total);
}

int bus_log_read(struct bus *b, const char *id, int64_t offset, void *buf, size_t cap, size_t *n)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    return b->ops->log_read(b->impl, id, offset, buf, cap, n);
}

int bus_log_drop(struct bus *b, const char *id)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    return b->ops->log_drop(b->impl, id);
}

int bus_publish(struct bus *b, const char *channel, const char *msg)
{
    if (fault_hit(FAULT_BUS)) return ERR_IO;
    if (!b->ops->publish) {
        bus_deliver(b, channel, msg);
        return 0;
    }
    return b->ops->publish(b->impl, channel, msg);
}

int bus_subscribe(struct bus *b, const char *channel, bus_message_fn fn, void *arg)
{
    pthread_mutex_lock(&b->mu);
    if (b->nsubs == BUS_MAX_SUBSCRIPTIONS || strlen(channel) >= sizeof b->subs[0].channel) {
        pthread_mutex_unlock(&b->mu);
        return ERR_BAD_REQUEST;
    }
    struct bus_subscription *s = &b->subs[b->nsubs++];
    snprintf(s->channel, sizeof s->channel, "%s", channel);
    s->fn = fn;
    s->arg = arg;
    pthread_mutex_unlock(&b->mu);
    if (b->ops->subscribed) b->ops->subscribed(b->impl, b);
    return 0;
}

void bus_deliver(struct bus *b, const char *channel, const char *msg)
{
    struct bus_subscription subs[BUS_MAX_SUBSCRIPTIONS];
    size_t n = bus_subscriptions(b, subs, BUS_MAX_SUBSCRIPTIONS);
    for (size_t i = 0; i < n; i++)
        if (!channel || strcmp(subs[i].channel, channel) == 0) subs[i].fn(subs[i].arg, msg);
}

size_t bus_subscriptions(struct bus *b, struct bus_subscription *out, size_t cap)
{
    pthread_mutex_lock(&b->mu);
    size_t n = b->nsubs < cap ? b->nsubs : cap;
    memcpy(out, b->subs, n * sizeof *out);
    pthread_mutex_unlock(&b->mu);
    return n;
}

int bus_check(struct bus *b)
{
    return b->ops->check(b->impl);
}

bool bus_caught_up(struct bus *b)
{
    return !b->ops->caught_up || b->ops->caught_up(b->impl);
}
