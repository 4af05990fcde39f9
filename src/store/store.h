/* store.h — the SQL database behind one small interface. Domains write portable SQL ($1 params,
 * TEXT/BIGINT/BOOLEAN) in their *_db.c files; a backend only drives the connection. Results are
 * materialised into the caller's arena, so no cursor outlives a call.
 * Thread safety: a pool of connections; each call takes a free one, a transaction pins one to
 * the calling thread until it commits or rolls back. */
#ifndef STRATA_STORE_H
#define STRATA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum store_arg_type { STORE_TEXT, STORE_INT, STORE_NULL, STORE_BOOL };

struct store_arg {
    enum store_arg_type type;
    const char *text;
    int64_t i;
};

#define S_TEXT(s) ((struct store_arg){.type = (s) ? STORE_TEXT : STORE_NULL, .text = (s)})
#define S_INT(n) ((struct store_arg){.type = STORE_INT, .i = (n)})
#define S_BOOL(b) ((struct store_arg){.type = STORE_BOOL, .i = (b) ? 1 : 0})
#define S_NULL ((struct store_arg){.type = STORE_NULL})
#define S_ARGS(...)                                                                                \
    ((const struct store_arg[]){__VA_ARGS__}),                                                     \
        (sizeof((const struct store_arg[]){__VA_ARGS__}) / sizeof(struct store_arg))

/* Rows of a query; cells are NUL-terminated text (NULL for SQL NULL), owned by the arena. */
struct store_result {
    size_t nrows, ncols;
    char **cells; /* row-major */
};

struct store;

/* Opens the embedded SQLite database at path (created when missing, WAL mode). */
int store_open_sqlite(const char *path, struct store **out);
/* Opens a pool of up to pool_size connections to PostgreSQL (libpq conninfo text); the first
 * connection is made now. */
int store_open_postgres(const char *conninfo, size_t pool_size, struct store **out);
void store_close(struct store *s);
const char *store_backend_name(const struct store *s);

/* Statement helpers; all return 0 or a negative ERR_*: a failed constraint is typed
 * (ERR_CONFLICT unique, ERR_NOT_FOUND foreign key, ERR_INVALID not null or check) and logged;
 * any other failure is ERR_IO (ERR_UNAVAILABLE: connection lost), its cause in the log only. */
int store_exec(struct store *s, const char *sql, const struct store_arg *args, size_t nargs,
               int64_t *changes);
int store_query(struct store *s, struct arena *a, const char *sql, const struct store_arg *args,
                size_t nargs, struct store_result *res);

/* Runs a query of one column and returns its values (arena memory, NULL-terminated array). */
int store_query_column(struct store *s, struct arena *a, const char *sql,
                       const struct store_arg *args, size_t nargs, const char ***values, size_t *n);

/* Whether a table exists (tells a new database from an existing one before migrating). */
int store_table_exists(struct store *s, const char *name, bool *exists);
/* The schema, for backups: tables in creation order (a table after those it references), and a
 * table's columns in order with whether each is BOOLEAN (arena memory). */
int store_tables(struct store *s, struct arena *a, const char ***names, size_t *n);
int store_columns(struct store *s, struct arena *a, const char *table, const char ***names,
                  bool **is_bool, size_t *n);
/* Runs a multi-statement script with no parameters (migrations). */
int store_script(struct store *s, const char *sql);

/* Transactions: begin pins the connection to the calling thread until commit/rollback. A begin
 * inside a transaction opens a savepoint: its commit keeps its changes for the outer commit,
 * its rollback undoes only them. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Calls fn(arg, key) once the calling thread's transaction commits (key is copied), or now when
 * it has none; a rolled back transaction drops the call. For what must not happen before the
 * change is visible to others, such as telling caches to forget it. */
void store_after_commit(struct store *s, void (*fn)(void *arg, const char *key), void *arg,
                        const char *key);
/* Whether the calling thread has a transaction open on s (its reads see its own changes). */
bool store_in_transaction(const struct store *s);

/* A LIKE pattern matching text that contains s, for `LIKE $n ESCAPE '!'`: the user's own %, _
 * and ! are escaped, not wildcards. Arena memory. */
char *store_like_contains(struct arena *a, const char *s);

/* Accessors over a result. */
const char *store_cell(const struct store_result *r, size_t row, size_t col);
int64_t store_cell_int(const struct store_result *r, size_t row, size_t col);
bool store_cell_bool(const struct store_result *r, size_t row, size_t col);

/* Applies the embedded migrations not yet recorded in schema_migrations, each in its own
 * transaction, under the database's migration lock so that of several nodes starting at once
 * one migrates and the others wait. A schema newer than this binary is refused: ERR_CONFIG with
 * the reason in err. Returns 0, ERR_CONFIG or ERR_IO. */
int store_migrate(struct store *s, char *err, size_t errlen);

#endif
