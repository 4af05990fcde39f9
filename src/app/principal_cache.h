/* principal_cache.h — who a token is, remembered for a minute so that a request does not ask
 * the database (a join over tokens, users and teams) every time. Any change that could alter
 * what a token resolves to calls principal_cache_invalidate, which empties this node's cache at
 * once and every other node's through the bus (Redis pub/sub); a node that may have missed such
 * a message (Redis away) empties its own. Entries never outlive their token's expiry. */
#ifndef STRATA_PRINCIPAL_CACHE_H
#define STRATA_PRINCIPAL_CACHE_H

#include <stdint.h>

struct app;
struct arena;
struct principal;
struct principal_cache;

/* Made at start, after the bus; subscribes to the invalidations. The caller frees it with
 * principal_cache_free after the bus stopped delivering (bus_free). */
int principal_cache_new(struct app *app, struct principal_cache **out);
void principal_cache_free(struct principal_cache *pc);

/* 0, *p filled (arena memory) and the token's *expires_at when hash (the token's SHA-256, hex)
 * is known and current; ERR_NOT_FOUND otherwise. Expiry is the caller's to check. */
int principal_cache_get(struct principal_cache *pc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at);
/* Remembers what the database said; expires_at is the token's (unix seconds, 0 = never). */
void principal_cache_put(struct principal_cache *pc, const char *hash, const struct principal *p,
                         int64_t expires_at);
/* Tokens, users, teams or organizations changed: forget everything, on every node. */
void principal_cache_invalidate(struct app *app);

#endif
