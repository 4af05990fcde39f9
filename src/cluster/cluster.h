/* cluster.h — the nodes of a deployment, which talk only through the database and the bus:
 * each node registers and heart-beats in the nodes table; one node at a time (elected by a
 * lease in the database) does the periodic work: it finds nodes that stopped heart-beating,
 * takes their runs back (runs/ decides how), and queues again runs the bus lost.
 * An embedded node is a cluster of one: the same code runs. */
#ifndef STRATA_CLUSTER_H
#define STRATA_CLUSTER_H

#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct cluster;

/* GET /api/v1/nodes, GET /api/v1/nodes/drain-status, POST /api/v1/nodes/drain|resume. */
extern const struct http_route cluster_routes[];

/* A node silent for this long is dead; its runs are taken back. */
enum { CLUSTER_DEAD_AFTER_MS = 6000 };

/* Registers this node (app->node_name) and starts its heartbeat and janitor thread. The caller
 * stops it with cluster_stop, which marks the node stopped. */
int cluster_start(struct app *app, struct cluster **out);
void cluster_stop(struct cluster *c);

/* Takes or renews the named lease for holder for ttl_ms; *held says whether holder has it. */
int cluster_lease(struct app *app, const char *name, const char *holder, int64_t ttl_ms,
                  bool *held);

/* A node as the nodes table has it, with what it runs. */
struct cluster_node {
    const char *name, *address, *version, *state, *started_at; /* state: active, stopped, dead */
    int64_t heartbeat_at;                                      /* unix milliseconds */
    bool drain;                                                /* asked to drain */
    int64_t active_jobs;                                       /* runs planning or applying on it */
    const char *drain_status; /* TFE's words: "ok", "draining" (jobs left), "standby" (none) */
};

struct store;
struct arena;

/* Every node the cluster knows of, by name (arena memory). */
int cluster_nodes(struct store *s, struct arena *a, struct cluster_node **out, size_t *n);
/* Asks the node name (every active node when name is NULL) to drain, or to take jobs again when
 * drain is false; *found says how many nodes matched. A node that restarts takes jobs again. */
int cluster_drain(struct store *s, const char *name, bool drain, int64_t *found);

/* Makes "<host name>:<port>" into buf: the node's name, stable across restarts. */
void cluster_node_name(const char *port, char *buf, size_t cap);

#endif
