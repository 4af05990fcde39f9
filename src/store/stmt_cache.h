/* stmt_cache.h — a connection's prepared statements, kept by SQL text: both backends prepare a
 * statement once per connection (parsing costs more than running most of ours). 128 slots,
 * the oldest replaced in turn when full. Owned by one connection, so not locked. */
#ifndef STRATA_STMT_CACHE_H
#define STRATA_STMT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

enum { STMT_CACHE_SIZE = 128 };

struct stmt_cache {
    char *sql[STMT_CACHE_SIZE]; /* malloc'd; NULL: an empty slot */
    int nargs[STMT_CACHE_SIZE];
    void *stmt[STMT_CACHE_SIZE]; /* the backend's handle */
    size_t next;                 /* the slot replaced next when all are taken */
};

/* The slot holding sql prepared for nargs arguments, or -1. */
int stmt_cache_find(const struct stmt_cache *c, const char *sql, int nargs);
/* A slot for a new statement: an empty one, else the next in turn, whose statement is handed to
 * *evicted (the caller releases it; NULL when the slot was empty). */
int stmt_cache_slot(struct stmt_cache *c, void **evicted, bool *was_taken);
void stmt_cache_put(struct stmt_cache *c, int slot, const char *sql, int nargs, void *stmt);
/* Empties the cache, handing each statement to release (may be NULL). */
void stmt_cache_clear(struct stmt_cache *c, void (*release)(void *stmt));

#endif
