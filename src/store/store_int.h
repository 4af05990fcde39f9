/* store_int.h — what a backend shares with the pool in store.c. */
#ifndef STRATA_STORE_INT_H
#define STRATA_STORE_INT_H

#include "store/store.h"

/* A backend: one struct of function pointers, chosen once at start. conn is one connection. */
struct store_backend {
    const char *name;
    /* Opens one more connection to target (backend-specific text: a path, a conninfo). */
    int (*connect)(const char *target, void **conn);
    /* Runs sql with args. When res is non-NULL, rows are copied into res (arena memory).
     * *changes gets the affected row count when non-NULL. Errors: ERR_CONFLICT on a unique
     * violation, ERR_NOT_FOUND on a foreign key's (the row refers to one that is not there),
     * ERR_INVALID on a not-null or check constraint's, ERR_UNAVAILABLE when the connection is
     * lost, ERR_IO otherwise (the backend's own text goes to the log only). */
    int (*exec)(void *conn, struct arena *a, const char *sql, const struct store_arg *args,
                size_t nargs, struct store_result *res, int64_t *changes);
    /* Sets *exists for a table name in the current schema. */
    int (*table_exists)(void *conn, const char *name, bool *exists);
    /* Runs a multi-statement script (migrations) without parameters. */
    int (*script)(void *conn, const char *sql);
    /* Whether the connection still works; reconnects when it does not (0 when usable). */
    int (*check)(void *conn);
    void (*close)(void *conn);
    const char *begin_sql;       /* how a write transaction starts */
    const char *lock_migrations; /* statement holding the cluster-wide migration lock, or NULL */
    const char *unlock_migrations;
    /* The schema as a backup sees it: tables in creation order (so that a table comes after
     * those it references), and a table's ($1) columns in order, each with its type. */
    const char *tables_sql, *columns_sql;
};

/* Makes a pool of up to size connections to target, opening the first one now (so a bad
 * target fails at start). Takes a copy of target. */
int store_pool_open(const struct store_backend *backend, const char *target, size_t size,
                    struct store **out);

/* Runs fn on one connection of the pool, pinned for the call (migrations hold one connection
 * across statements and a lock). */
int store_with_conn(struct store *s, int (*fn)(struct store *s, void *arg), void *arg);

const struct store_backend *store_backend(const struct store *s);

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

#endif
