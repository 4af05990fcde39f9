/* janitor.c — periodic work done by one node at a time: the holder of the "janitor" lease.
 * A lease is a row with a holder and an expiry; taking it is one conditional upsert, so two
 * nodes can never both believe they hold it (their clocks may differ by less than the ttl). */
#include "app/app.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/log.h"
#include "cluster/cluster.h"
#include "cluster/cluster_int.h"
#include "runs/run.h"
#include "store/store.h"

enum { LEASE_MS = 5000, LOST_JOB_MS = 5000 };
#define NODE_FORGOTTEN_MS (24LL * 3600 * 1000)

/* The janitor runs on the node's cluster thread only. */
static int64_t next_clean_up;

int cluster_lease(struct app *app, const char *name, const char *holder, int64_t ttl_ms, bool *held)
{
    int64_t now = codec_now_ms(), changes = 0;
    int rc =
        store_exec(app->store,
                   "INSERT INTO cluster_leases (name, holder, expires_at) VALUES ($1, $2, $3) "
                   "ON CONFLICT (name) DO UPDATE SET holder = $2, expires_at = $3 "
                   "WHERE cluster_leases.holder = $2 OR cluster_leases.expires_at < $4",
                   S_ARGS(S_TEXT(name), S_TEXT(holder), S_INT(now + ttl_ms), S_INT(now)), &changes);
    *held = !rc && changes == 1;
    return rc;
}

/* Runs held by nodes that stopped heart-beating (killed, or stopped and gone for good) are
 * taken back; silent nodes that did not say they stopped are marked dead. */
static void recover_dead(struct app *app, struct arena *a)
{
    int64_t stale = codec_now_ms() - CLUSTER_DEAD_AFTER_MS;
    store_exec(app->store,
               "UPDATE nodes SET state = 'dead' WHERE state = 'active' AND heartbeat_at < $1 "
               "AND name <> $2",
               S_ARGS(S_INT(stale), S_TEXT(app->node_name)), 0);
    const char **names;
    size_t n;
    if (store_query_column(app->store, a,
                           "SELECT DISTINCT runs.node FROM runs JOIN nodes ON nodes.name = "
                           "runs.node WHERE runs.status IN ('planning', 'applying') AND "
                           "nodes.heartbeat_at < $1 AND nodes.name <> $2",
                           S_ARGS(S_INT(stale), S_TEXT(app->node_name)), &names, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        log_warn("cluster: node %s is silent; taking its runs back", names[i]);
        run_recover_node(app, names[i]);
    }
}

/* Rows nobody needs any more: runs' tokens past their expiry (a run that never ended cleanly;
 * users' expired tokens stay listed, as TFE lists them), and nodes gone for a day (an auto
 * scaling group's nodes come and go). */
static void clean_up(struct app *app)
{
    store_exec(app->store, "DELETE FROM tokens WHERE kind = 'run' AND expires_at < $1",
               S_ARGS(S_INT(codec_now_unix())), 0);
    store_exec(app->store,
               "DELETE FROM nodes WHERE state IN ('stopped', 'dead') AND heartbeat_at < $1",
               S_ARGS(S_INT(codec_now_ms() - NODE_FORGOTTEN_MS)), 0);
}

void janitor_pass(struct app *app)
{
    bool held = false;
    if (cluster_lease(app, "janitor", app->node_name, LEASE_MS, &held) || !held) return;
    struct arena *a = arena_new();
    recover_dead(app, a);
    run_requeue_lost(app, LOST_JOB_MS);
    if (codec_now_ms() >= next_clean_up) { /* once a minute is plenty */
        clean_up(app);
        next_clean_up = codec_now_ms() + 60 * 1000;
    }
    arena_free(a);
}

void janitor_resign(struct app *app)
{
    store_exec(app->store, "DELETE FROM cluster_leases WHERE name = 'janitor' AND holder = $1",
               S_ARGS(S_TEXT(app->node_name)), 0);
}
