/* bus_int.h — the implementations behind bus.h, one struct of function pointers each. */
#ifndef STRATA_BUS_INT_H
#define STRATA_BUS_INT_H

#include "bus/bus.h"

struct bus_ops {
    const char *name;
    int (*enqueue)(void *impl, const char *queue, const char *job);
    int (*claim)(void *impl, const char *queue, int timeout_ms, char *job, size_t cap);
    int (*queued)(void *impl, const char *queue, const char *job, bool *queued);
    void (*shutdown)(void *impl);
    int (*log_append)(void *impl, const char *id, const void *p, size_t n, int64_t *total);
    int (*log_read)(void *impl, const char *id, int64_t offset, void *buf, size_t cap, size_t *n);
    int (*log_drop)(void *impl, const char *id);
    /* NULL for in-process delivery (bus.c calls the subscribers at once) */
    int (*publish)(void *impl, const char *channel, const char *msg);
    /* a subscription was added (NULL when nothing needs doing) */
    void (*subscribed)(void *impl, struct bus *b);
    int (*check)(void *impl);
    /* NULL when delivery is synchronous (always caught up) */
    bool (*caught_up)(void *impl);
    void (*free)(void *impl);
};

struct bus *bus_wrap(const struct bus_ops *ops, void *impl);

/* Subscriptions, kept by bus.c for every implementation. */
enum { BUS_MAX_SUBSCRIPTIONS = 8 };
struct bus_subscription {
    char channel[64];
    bus_message_fn fn;
    void *arg;
};
/* Delivers msg (NULL: "you may have missed some") to the subscribers of channel (NULL: all). */
void bus_deliver(struct bus *b, const char *channel, const char *msg);
/* The subscriptions so far (a Redis subscriber reads them when it (re)connects). */
size_t bus_subscriptions(struct bus *b, struct bus_subscription *out, size_t cap);

#endif
