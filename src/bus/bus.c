/* bus.c — the dispatch to the implementation chosen at start, and the checks both share. */
#include "bus/bus_int.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

struct bus {
    const struct bus_ops *ops;
    void *impl;
};

struct bus *bus_wrap(const struct bus_ops *ops, void *impl)
{
    struct bus *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->ops = ops;
    b->impl = impl;
    return b;
}

void bus_free(struct bus *b)
{
    if (!b) return;
    b->ops->free(b->impl);
    free(b);
}

const char *bus_name(const struct bus *b)
{
    return b->ops->name;
}

int bus_enqueue(struct bus *b, const char *queue, const char *job)
{
    if (strlen(queue) >= 64 || strlen(job) >= 256) return ERR_BAD_REQUEST;
    return b->ops->enqueue(b->impl, queue, job);
}

int bus_claim(struct bus *b, const char *queue, int timeout_ms, char *job, size_t cap)
{
    return b->ops->claim(b->impl, queue, timeout_ms, job, cap);
}

int bus_queued(struct bus *b, const char *queue, const char *job, bool *queued)
{
    return b->ops->queued(b->impl, queue, job, queued);
}

void bus_shutdown(struct bus *b)
{
    b->ops->shutdown(b->impl);
}

int bus_log_append(struct bus *b, const char *id, const void *p, size_t n, int64_t *total)
{
    return b->ops->log_append(b->impl, id, p, n, total);
}

int bus_log_reset(struct bus *b, const char *id)
{
    return b->ops->log_reset(b->impl, id);
}

int bus_log_read(struct bus *b, const char *id, int64_t offset, void *buf, size_t cap, size_t *n)
{
    return b->ops->log_read(b->impl, id, offset, buf, cap, n);
}

int bus_log_drop(struct bus *b, const char *id)
{
    return b->ops->log_drop(b->impl, id);
}

int bus_check(struct bus *b)
{
    return b->ops->check(b->impl);
}
