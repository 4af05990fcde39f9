/* nodes.c — the cluster as an operator sees it: the nodes table with each node's drain status,
 * and the drain request. Both take the store alone, so the admin CLI uses them without a node. */
#include "cluster/cluster.h"
#include "base/arena.h"
#include "store/store.h"

#include <string.h>

int cluster_nodes(struct store *s, struct arena *a, struct cluster_node **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(s, a,
                         "SELECT name, address, version, state, started_at, heartbeat_at, drain, "
                         "(SELECT COUNT(*) FROM runs WHERE runs.node = nodes.name AND "
                         "runs.status IN ('planning', 'applying')) FROM nodes ORDER BY name",
                         0, 0, &r);
    if (rc) return rc;
    struct cluster_node *nodes = arena_alloc(a, (r.nrows ? r.nrows : 1) * sizeof *nodes);
    for (size_t i = 0; i < r.nrows; i++) {
        struct cluster_node *nd = &nodes[i];
        nd->name = store_cell(&r, i, 0);
        nd->address = store_cell(&r, i, 1);
        nd->version = store_cell(&r, i, 2);
        nd->state = store_cell(&r, i, 3);
        nd->started_at = store_cell(&r, i, 4);
        nd->heartbeat_at = store_cell_int(&r, i, 5);
        nd->drain = store_cell_bool(&r, i, 6);
        nd->active_jobs = store_cell_int(&r, i, 7);
        /* TFE's node drain statuses: standby is safe to terminate */
        nd->drain_status = !nd->drain ? "ok" : nd->active_jobs ? "draining" : "standby";
    }
    *out = nodes;
    *n = r.nrows;
    return 0;
}

int cluster_drain(struct store *s, const char *name, bool drain, int64_t *found)
{
    return name ? store_exec(s, "UPDATE nodes SET drain = $2 WHERE name = $1",
                             S_ARGS(S_TEXT(name), S_BOOL(drain)), found)
                : store_exec(s, "UPDATE nodes SET drain = $1 WHERE state = 'active'",
                             S_ARGS(S_BOOL(drain)), found);
}
