/* loops.h — the HTTP work spread over the cores: one event loop per core, each in its own
 * thread, all accepting from the node's one listening socket (the first loop is the caller's). */
#ifndef STRATA_LOOPS_H
#define STRATA_LOOPS_H

#include <stdbool.h>

struct http_server;
struct loops;

/* Starts count - 1 more loops serving clones of first. The caller frees *out with loops_stop
 * (after its own loop has returned), which ends them and waits. */
int loops_start(const struct http_server *first, int count, struct loops **out);
void loops_stop(struct loops *l);

/* How many loops this machine gets: one per online core, four when the database is across the
 * network (handlers wait on it); at least 1, at most 16. */
int loops_per_machine(bool remote_database);

#endif
