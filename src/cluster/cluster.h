/* cluster.h — the nodes of a deployment, which talk only through the database and the bus:
 * each node registers and heart-beats in the nodes table; one node at a time (elected by a
 * lease in the database) does the periodic work: it finds nodes that stopped heart-beating,
 * takes their runs back (runs/ decides how), and queues again runs the bus lost.
 * An embedded node is a cluster of one: the same code runs. */
#ifndef STRATA_CLUSTER_H
#define STRATA_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct cluster;

/* A node silent for this long is dead; its runs are taken back. */
enum { CLUSTER_DEAD_AFTER_MS = 6000 };

/* Registers this node (app->node_name) and starts its heartbeat and janitor thread. The caller
 * stops it with cluster_stop, which marks the node stopped. */
int cluster_start(struct app *app, struct cluster **out);
void cluster_stop(struct cluster *c);

/* Takes or renews the named lease for holder for ttl_ms; *held says whether holder has it. */
int cluster_lease(struct app *app, const char *name, const char *holder, int64_t ttl_ms,
                  bool *held);

/* Makes "<host name>:<port>" into buf: the node's name, stable across restarts. */
void cluster_node_name(const char *port, char *buf, size_t cap);

#endif
