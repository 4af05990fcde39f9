/* store_sqlite.c — the embedded backend. $1..$n placeholders are SQLite named parameters, bound
 * by looking up "$<n>", so the same SQL text runs on PostgreSQL. Each connection keeps its
 * prepared statements (stmt_cache.h). */
#include "store/store_int.h"
#include "store/stmt_cache.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conn {
    sqlite3 *db;
    struct stmt_cache stmts;
};

static void finalize(void *st)
{
    sqlite3_finalize(st);
}

/* A prepared statement for sql, from the cache or made and cached now; the caller resets it. */
static int prepare(struct conn *c, const char *sql, sqlite3_stmt **st)
{
    int slot = stmt_cache_find(&c->stmts, sql, 0);
    if (slot >= 0) {
        *st = c->stmts.stmt[slot];
        return SQLITE_OK;
    }
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, 0);
    if (rc != SQLITE_OK) return rc;
    void *evicted;
    bool taken;
    slot = stmt_cache_slot(&c->stmts, &evicted, &taken);
    if (taken) finalize(evicted);
    stmt_cache_put(&c->stmts, slot, sql, 0, *st);
    return SQLITE_OK;
}

static int bind_args(sqlite3_stmt *st, const struct store_arg *args, size_t nargs)
{
    for (size_t i = 0; i < nargs; i++) {
        char name[32];
        snprintf(name, sizeof name, "$%zu", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0) continue; /* a parameter the statement does not use */
        int rc;
        switch (args[i].type) {
        case STORE_TEXT:
            rc = sqlite3_bind_text(st, idx, args[i].text, -1, SQLITE_STATIC);
            break;
        case STORE_INT:
        case STORE_BOOL:
            rc = sqlite3_bind_int64(st, idx, args[i].i);
            break;
        default:
            rc = sqlite3_bind_null(st, idx);
            break;
        }
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

static int map_error(sqlite3 *db, int rc, const char *sql)
{
    int ext = sqlite3_extended_errcode(db);
    /* constraint failures as typed errors, as store_pg.c maps them; the cause goes to the log */
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) return ERR_CONFLICT;
    int typed = ext == SQLITE_CONSTRAINT_FOREIGNKEY                                  ? ERR_NOT_FOUND
                : ext == SQLITE_CONSTRAINT_NOTNULL || ext == SQLITE_CONSTRAINT_CHECK ? ERR_INVALID
                                                                                     : 0;
    if (typed) {
        log_warn("sqlite: %s in: %.120s", sqlite3_errmsg(db), sql);
        return typed;
    }
    log_error("sqlite: %s (%d) in: %.120s", sqlite3_errmsg(db), rc, sql);
    return ERR_IO;
}

/* Appends one row to res, growing the cell array inside the arena. */
static void add_row(struct arena *a, sqlite3_stmt *st, struct store_result *res, size_t *cap)
{
    size_t nc = res->ncols;
    if (res->nrows == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **cells = arena_alloc(a, ncap * nc * sizeof(char *) + 1);
        if (res->cells) memcpy(cells, res->cells, res->nrows * nc * sizeof(char *));
        res->cells = cells;
        *cap = ncap;
    }
    for (size_t c = 0; c < nc; c++) {
        const unsigned char *t = sqlite3_column_text(st, (int)c);
        res->cells[res->nrows * nc + c] =
            t ? arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, (int)c)) : 0;
    }
    res->nrows++;
}

static int sqlite_exec(void *conn, struct arena *a, const char *sql, const struct store_arg *args,
                       size_t nargs, struct store_result *res, int64_t *changes)
{
    struct conn *c = conn;
    sqlite3 *db = c->db;
    sqlite3_stmt *st = 0;
    int rc = prepare(c, sql, &st);
    if (rc != SQLITE_OK) return map_error(db, rc, sql);
    rc = bind_args(st, args, nargs);
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return map_error(db, rc, sql);
    }
    size_t cap = 0;
    if (res) res->ncols = (size_t)sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (res) add_row(a, st, res, &cap);
    int out = 0;
    if (rc != SQLITE_DONE) out = map_error(db, rc, sql);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!out && changes) *changes = sqlite3_changes64(db);
    return out;
}

static int sqlite_table_exists(void *conn_, const char *name, bool *exists)
{
    sqlite3 *conn = ((struct conn *)conn_)->db;
    sqlite3_stmt *st = 0;
    int rc = sqlite3_prepare_v2(conn,
                                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?1",
                                -1, &st, 0);
    if (rc != SQLITE_OK) return map_error(conn, rc, "table_exists");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_IO;
}

static int sqlite_script(void *conn, const char *sql)
{
    char *msg = 0;
    if (sqlite3_exec(((struct conn *)conn)->db, sql, 0, 0, &msg) != SQLITE_OK) {
        log_error("sqlite: %s", msg ? msg : "script failed");
        sqlite3_free(msg);
        return ERR_IO;
    }
    return 0;
}

static void sqlite_close(void *conn)
{
    struct conn *c = conn;
    stmt_cache_clear(&c->stmts, finalize);
    sqlite3_close_v2(c->db);
    free(c);
}

static int sqlite_check(void *conn)
{
    (void)conn;
    return 0;
}

static int sqlite_connect(const char *path, void **out)
{
    sqlite3 *db = 0;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, 0);
    if (rc != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return ERR_IO;
    }
    sqlite3_busy_timeout(db, 10000);
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                          "PRAGMA foreign_keys=ON;";
    char *msg = 0;
    if (sqlite3_exec(db, pragmas, 0, 0, &msg) != SQLITE_OK) {
        log_error("sqlite: %s", msg ? msg : "pragma failed");
        sqlite3_free(msg);
        sqlite3_close_v2(db);
        return ERR_IO;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->db = db;
    *out = c;
    return 0;
}

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .connect = sqlite_connect,
    .exec = sqlite_exec,
    .table_exists = sqlite_table_exists,
    .tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                  "'sqlite_%' ORDER BY rowid",
    .columns_sql = "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
    .script = sqlite_script,
    .check = sqlite_check,
    .close = sqlite_close,
    /* take the write lock at BEGIN: a deferred transaction that later writes can fail with
     * SQLITE_BUSY at once instead of waiting */
    .begin_sql = "BEGIN IMMEDIATE",
};

int store_open_sqlite(const char *path, struct store **out)
{
    /* each connection to ":memory:" would be its own database */
    size_t size = strcmp(path, ":memory:") == 0 ? 1 : 4;
    return store_pool_open(&store_sqlite_backend, path, size, out);
}
