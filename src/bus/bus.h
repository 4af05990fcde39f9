/* bus.h — what nodes share that can be rebuilt: the job queue now (leases, cache and pub/sub
 * come with Redis). The database stays the source of truth: a queue lost with a node is rebuilt
 * from the runs waiting in the database (runs/ does that at start).
 * In-process implementation now; bus_redis.c implements the same interface next.
 * Thread safety: every function may be called from any thread. */
#ifndef STRATA_BUS_H
#define STRATA_BUS_H

#include <stddef.h>

struct bus;

/* The in-process bus. The caller frees it with bus_free. */
struct bus *bus_new_local(void);
void bus_free(struct bus *b);

/* Appends a job (a short text, < 256 bytes) to the named queue. 0 or ERR_*. */
int bus_enqueue(struct bus *b, const char *queue, const char *job);
/* Takes the oldest job of the queue into job (cap bytes), waiting up to timeout_ms.
 * ERR_NOT_FOUND when none came in time, ERR_UNAVAILABLE once the bus is shut down. */
int bus_claim(struct bus *b, const char *queue, int timeout_ms, char *job, size_t cap);
/* Wakes every waiter with ERR_UNAVAILABLE; later claims fail at once. */
void bus_shutdown(struct bus *b);

#endif
