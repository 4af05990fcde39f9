/* bus.h — what nodes share that can be rebuilt: the job queue and the logs of phases still
 * running. The database stays the source of truth: a queue lost with a node or with Redis is
 * rebuilt from the runs waiting in the database (the janitor in cluster/ has runs/ do that).
 * Two implementations: in-process (one node) and Redis (a cluster).
 * Thread safety: every function may be called from any thread. */
#ifndef STRATA_BUS_H
#define STRATA_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;
struct redis_config;

/* The in-process bus. The caller frees it with bus_free. */
struct bus *bus_new_local(void);
/* The Redis bus; connects now so that a wrong setting stops the node at start (ERR_CONFIG or
 * ERR_UNAVAILABLE with the reason in err). The config's strings are copied. */
int bus_open_redis(const struct redis_config *cfg, struct bus **out, char *err, size_t errlen);
void bus_free(struct bus *b);
/* "local" or "redis". */
const char *bus_name(const struct bus *b);

/* Appends a job (a short text, < 256 bytes) to the named queue. 0 or ERR_*. */
int bus_enqueue(struct bus *b, const char *queue, const char *job);
/* Takes the oldest job of the queue into job (cap bytes), waiting up to timeout_ms.
 * ERR_NOT_FOUND when none came in time, ERR_UNAVAILABLE once the bus is shut down, ERR_IO
 * while Redis cannot be reached (try again a little later). */
int bus_claim(struct bus *b, const char *queue, int timeout_ms, char *job, size_t cap);
/* Sets *queued when job waits in the queue. */
int bus_queued(struct bus *b, const char *queue, const char *job, bool *queued);
/* Wakes every waiter with ERR_UNAVAILABLE; later claims fail at once. */
void bus_shutdown(struct bus *b);

/* Live logs, for nodes that do not run the phase: the running node appends, any node reads
 * ranges. *total is the log's length after the append: when it is not what the writer has
 * written, the bus lost the log (Redis restarted) and the writer drops it and puts it back
 * whole. The local bus keeps nothing (its one node has the file): append is a no-op that
 * answers *total = -1, read answers ERR_NOT_FOUND. */
int bus_log_append(struct bus *b, const char *id, const void *p, size_t n, int64_t *total);
int bus_log_read(struct bus *b, const char *id, int64_t offset, void *buf, size_t cap, size_t *n);
int bus_log_drop(struct bus *b, const char *id);

/* Messages between nodes. A message published on a channel reaches every subscriber of every
 * node, this one included, at most once. A subscriber is also called with msg == NULL when
 * messages may have been missed (Redis was away): it drops whatever it derived from them.
 * fn runs on a thread of the bus; subscribe before the node serves. */
typedef void (*bus_message_fn)(void *arg, const char *msg);
int bus_publish(struct bus *b, const char *channel, const char *msg);
int bus_subscribe(struct bus *b, const char *channel, bus_message_fn fn, void *arg);

/* True when this node has delivered every message that reached it and its subscription is live:
 * what a subscriber remembers on the strength of invalidation messages may be trusted now.
 * False while Redis is away. The in-process bus is always caught up. */
bool bus_caught_up(struct bus *b);

/* Health probe: 0 when the bus answers. */
int bus_check(struct bus *b);

#endif
