/* node_cache.h — database rows that nearly every request reads, remembered by a node so that a
 * request need not ask the database. A change calls node_cache_forget: this node forgets when
 * the writer's transaction commits, every other node through the bus before the writer answers
 * (Redis pub/sub). A read trusts the cache only while the bus is caught up (bus_caught_up), so
 * a client that got an answer from one node and asks another reads what the first one wrote.
 * An entry lives ttl_ms at most: the bound on the one case no message tells, a node losing its
 * way to Redis between its commit and its message. Values are opaque bytes under short keys.
 * Thread safety: every function may be called from any thread. */
#ifndef STRATA_NODE_CACHE_H
#define STRATA_NODE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct bus;
struct store;
struct node_cache;

/* Subscribes to channel on bus; the caller frees the cache with node_cache_free after the bus
 * stopped delivering (bus_free). 0 or ERR_*. */
int node_cache_new(struct bus *bus, const char *channel, int ttl_ms, struct node_cache **out);
void node_cache_free(struct node_cache *nc);

/* The value of key, copied into arena memory: 0 with *val and *len, or ERR_NOT_FOUND. *ticket
 * is set either way: a value read from the database after a miss is handed to node_cache_put
 * with it, which keeps the value only when nothing was forgotten since (the value may predate
 * that change). A NULL cache always misses. */
int node_cache_get(struct node_cache *nc, struct arena *a, const char *key, const void **val,
                   size_t *len, uint64_t *ticket);
void node_cache_put(struct node_cache *nc, uint64_t ticket, const char *key, const void *val,
                    size_t len);

/* Forgets key (NULL: everything) on every node, once the calling thread's transaction on store
 * commits (now when it has none). */
void node_cache_forget(struct node_cache *nc, struct store *store, const char *key);

#endif
