/* principal_cache.h — who a token is, remembered for a minute so that a request does not ask
 * the database (a join over tokens, users and teams) every time: a node cache
 * (app/node_cache.h) keyed by the token's hash. Any change that could alter what a token resolves
 * to calls principal_cache_invalidate, which empties every node's cache once the change commits.
 * Entries never outlive their token's expiry. */
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
 * is known and current; ERR_NOT_FOUND otherwise, with the *ticket that principal_cache_put
 * takes after the database was asked. Expiry is the caller's to check. */
int principal_cache_get(struct principal_cache *pc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at, uint64_t *ticket);
/* Remembers what the database said; expires_at is the token's (unix seconds, 0 = never). */
void principal_cache_put(struct principal_cache *pc, struct arena *a, uint64_t ticket,
                         const char *hash, const struct principal *p, int64_t expires_at);
/* Tokens, users, teams or organizations changed: forget everything, on every node, when the
 * caller's transaction commits. */
void principal_cache_invalidate(struct app *app);

#endif
