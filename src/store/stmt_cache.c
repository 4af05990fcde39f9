/* stmt_cache.c — a linear scan: 128 short comparisons cost less than parsing one statement. */
#include "store/stmt_cache.h"

#include <stdlib.h>
#include <string.h>

int stmt_cache_find(const struct stmt_cache *c, const char *sql, int nargs)
{
    for (int i = 0; i < STMT_CACHE_SIZE; i++)
        if (c->sql[i] && c->nargs[i] == nargs && strcmp(c->sql[i], sql) == 0) return i;
    return -1;
}

int stmt_cache_slot(struct stmt_cache *c, void **evicted, bool *was_taken)
{
    for (int i = 0; i < STMT_CACHE_SIZE; i++)
        if (!c->sql[i]) {
            *evicted = 0;
            *was_taken = false;
            return i;
        }
    int slot = (int)c->next;
    c->next = (c->next + 1) % STMT_CACHE_SIZE;
    *evicted = c->stmt[slot];
    *was_taken = true;
    free(c->sql[slot]);
    c->sql[slot] = 0;
    c->stmt[slot] = 0;
    return slot;
}

void stmt_cache_put(struct stmt_cache *c, int slot, const char *sql, int nargs, void *stmt)
{
    c->sql[slot] = strdup(sql);
    if (!c->sql[slot]) abort();
    c->nargs[slot] = nargs;
    c->stmt[slot] = stmt;
}

void stmt_cache_clear(struct stmt_cache *c, void (*release)(void *stmt))
{
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        if (c->sql[i] && release) release(c->stmt[i]);
        free(c->sql[i]);
        c->sql[i] = 0;
        c->stmt[i] = 0;
    }
    c->next = 0;
}
