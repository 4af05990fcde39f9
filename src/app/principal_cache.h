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
struct node_cache;
struct principal;

/* app->principals is made at start as node_cache_new(bus, PRINCIPAL_CACHE_CHANNEL,
 * PRINCIPAL_CACHE_MS, ...); NULL (no cache) always misses. */
#define PRINCIPAL_CACHE_CHANNEL "principals"
enum { PRINCIPAL_CACHE_MS = 60 * 1000 };

/* 0, *p filled (arena memory) and the token's *expires_at when hash (the token's SHA-256, hex)
 * is known and current; ERR_NOT_FOUND otherwise, with the *ticket that principal_cache_put
 * takes after the database was asked. Expiry is the caller's to check. */
int principal_cache_get(struct node_cache *nc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at, uint64_t *ticket);
/* Remembers what the database said; expires_at is the token's (unix seconds, 0 = never). */
void principal_cache_put(struct node_cache *nc, struct arena *a, uint64_t ticket, const char *hash,
                         const struct principal *p, int64_t expires_at);
/* Tokens, users, teams or organizations changed: forget everything, on every node, when the
 * caller's transaction commits. */
void principal_cache_invalidate(struct app *app);

#endif
