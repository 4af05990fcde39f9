/* meta.h — what a client asks before anything else: service discovery, ping, health. */
#ifndef STRATA_META_H
#define STRATA_META_H

#include "http/http.h"

struct app;

extern const struct http_route meta_routes[];

/* The node's dependencies (database, blob storage, queue, encryption) probed once a second by a
 * thread of the monitor's own (health.c), so that health checks answer from memory. */
enum { HEALTH_COMPONENTS = 4 };
struct health_probe {
    const char *name; /* static */
    int rc;           /* 0 or the ERR_* of the last probe; ERR_UNAVAILABLE while one hangs */
    double ms;        /* how long it took (or has taken so far) */
};
struct health_monitor;

/* Probes once before returning (the first answer is known before the node serves), then goes on
 * in its own thread; ERR_INTERNAL when the thread cannot start. Freed by health_monitor_stop. */
int health_monitor_start(struct app *app, struct health_monitor **out);
void health_monitor_stop(struct health_monitor *m);
/* The latest answers; returns how many components fail. */
int health_monitor_read(struct health_monitor *m, struct health_probe out[HEALTH_COMPONENTS]);

#endif
