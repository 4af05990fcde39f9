/* store_pg.c — the PostgreSQL backend (libpq). Parameters go as text and PostgreSQL types them
 * from the statement; a parameter the statement does not use is declared text so that callers
 * may share one argument list between statements, as with SQLite. A lost connection answers
 * ERR_UNAVAILABLE and is reset the next time the pool hands it out. */
#include "store/store_int.h"
#include "store/stmt_cache.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 64, TEXTOID = 25 };

/* Statements are prepared once per connection (stmt_cache.h), named after their slot ("s<n>"):
 * PostgreSQL then neither parses nor plans them again. */
struct pgconn {
    PGconn *pg;
    struct stmt_cache stmts;
};

/* Parameter types for sql: 0 (PostgreSQL infers it) for each $n the statement mentions outside
 * string literals, text for the others. */
static void param_types(const char *sql, int nargs, Oid types[MAX_ARGS])
{
    bool used[MAX_ARGS + 1] = {0};
    bool quoted = false;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'') quoted = !quoted;
        if (quoted || *p != '$') continue;
        char *end;
        long n = strtol(p + 1, &end, 10);
        if (end != p + 1 && n >= 1 && n <= MAX_ARGS) used[n] = true;
    }
    for (int i = 0; i < nargs; i++)
        types[i] = used[i + 1] ? 0 : TEXTOID;
}

static int map_error(PGconn *conn, const PGresult *r, const char *sql)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : 0;
    /* constraint failures (class 23) as typed errors; the cause goes to the log only */
    static const struct {
        const char *state;
        int err;
    } constraints[] = {
        {"23505", ERR_CONFLICT},  /* unique */
        {"23503", ERR_NOT_FOUND}, /* foreign key: what the row refers to is not there */
        {"23502", ERR_INVALID},   /* not null */
        {"23514", ERR_INVALID},   /* check */
    };
    for (size_t i = 0; state && i < sizeof constraints / sizeof *constraints; i++) {
        if (strcmp(state, constraints[i].state) != 0) continue;
        if (constraints[i].err != ERR_CONFLICT)
            log_warn("postgres: %s in: %.160s", PQresultErrorMessage(r), sql);
        return constraints[i].err;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
        log_error("postgres: connection lost: %s", PQerrorMessage(conn));
        return ERR_UNAVAILABLE;
    }
    log_error("postgres: %s in: %.160s", r ? PQresultErrorMessage(r) : PQerrorMessage(conn), sql);
    return ERR_IO;
}

static void copy_rows(struct arena *a, const PGresult *r, struct store_result *res)
{
    res->nrows = (size_t)PQntuples(r);
    res->ncols = (size_t)PQnfields(r);
    res->cells = arena_alloc(a, res->nrows * res->ncols * sizeof(char *) + 1);
    for (size_t i = 0; i < res->nrows; i++)
        for (size_t c = 0; c < res->ncols; c++)
            res->cells[i * res->ncols + c] =
                PQgetisnull(r, (int)i, (int)c)
                    ? 0
                    : arena_strndup(a, PQgetvalue(r, (int)i, (int)c),
                                    (size_t)PQgetlength(r, (int)i, (int)c));
}

/* The name of sql's prepared statement on c, preparing it now when it is new (the parameter
 * types are worked out then only); NULL on failure (the caller then runs it unprepared and the
 * error shows there). */
static const char *prepared(struct pgconn *c, const char *sql, int nargs, char name[16])
{
    int slot = stmt_cache_find(&c->stmts, sql, nargs);
    if (slot >= 0) {
        snprintf(name, 16, "s%d", slot);
        return name;
    }
    void *unused;
    bool taken;
    slot = stmt_cache_slot(&c->stmts, &unused, &taken);
    snprintf(name, 16, "s%d", slot);
    if (taken) { /* the name is reused: the statement it had goes */
        char dealloc[32];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
        PQclear(PQexec(c->pg, dealloc));
    }
    Oid types[MAX_ARGS];
    param_types(sql, nargs, types);
    PGresult *r = PQprepare(c->pg, name, sql, nargs, types);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return 0;
    stmt_cache_put(&c->stmts, slot, sql, nargs, 0);
    return name;
}

static int pg_exec(void *conn, struct arena *a, const char *sql, const struct store_arg *args,
                   size_t nargs, struct store_result *res, int64_t *changes)
{
    struct pgconn *c = conn;
    if (nargs > MAX_ARGS) return ERR_INTERNAL;
    const char *values[MAX_ARGS];
    char ints[MAX_ARGS][24];
    for (size_t i = 0; i < nargs; i++) {
        switch (args[i].type) {
        case STORE_TEXT:
            values[i] = args[i].text;
            break;
        case STORE_INT:
        case STORE_BOOL: /* "1"/"0" read as both a boolean and a number */
            snprintf(ints[i], sizeof ints[i], "%" PRId64, args[i].i);
            values[i] = ints[i];
            break;
        default:
            values[i] = 0;
            break;
        }
    }
    /* no arguments and no rows wanted: the simple protocol, which runs several statements
     * (BEGIN and its lock); a transaction's failed statement cannot be prepared either */
    char name[16];
    const char *stmt = 0;
    if ((nargs || res) && PQtransactionStatus(c->pg) != PQTRANS_INERROR)
        stmt = prepared(c, sql, (int)nargs, name);
    PGresult *r;
    if (stmt) {
        r = PQexecPrepared(c->pg, stmt, (int)nargs, values, 0, 0, 0);
    } else if (nargs || res) {
        Oid types[MAX_ARGS];
        param_types(sql, (int)nargs, types);
        r = PQexecParams(c->pg, sql, (int)nargs, types, values, 0, 0, 0);
    } else {
        r = PQexec(c->pg, sql);
    }
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = map_error(c->pg, r, sql);
    else {
        if (res && st == PGRES_TUPLES_OK) copy_rows(a, r, res);
        if (changes) *changes = strtoll(PQcmdTuples(r), 0, 10);
    }
    PQclear(r);
    return rc;
}

static int pg_table_exists(void *conn_, const char *name, bool *exists)
{
    PGconn *conn = ((struct pgconn *)conn_)->pg;
    const char *v[1] = {name};
    PGresult *r = PQexecParams(conn,
                               "SELECT 1 FROM information_schema.tables WHERE "
                               "table_schema = current_schema() AND table_name = $1",
                               1, 0, v, 0, 0, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : map_error(conn, r, "table_exists");
    if (!rc) *exists = PQntuples(r) > 0;
    PQclear(r);
    return rc;
}

static int pg_script(void *conn_, const char *sql)
{
    PGconn *conn = ((struct pgconn *)conn_)->pg;
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : map_error(conn, r, sql);
    PQclear(r);
    return rc;
}

static int pg_check(void *conn_)
{
    struct pgconn *c = conn_;
    PGconn *conn = c->pg;
    if (PQstatus(conn) == CONNECTION_OK) return 0;
    stmt_cache_clear(&c->stmts, 0); /* a new session has no prepared statements */
    PQreset(conn);
    if (PQstatus(conn) == CONNECTION_OK) {
        log_info("postgres: reconnected");
        return 0;
    }
    log_error("postgres: cannot reconnect: %s", PQerrorMessage(conn));
    return ERR_UNAVAILABLE;
}

static void quiet(void *arg, const PGresult *r)
{
    (void)arg;
    (void)r; /* NOTICEs ("relation already exists, skipping") are not the operator's business */
}

static int pg_connect(const char *conninfo, void **out)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (!conn) abort();
    if (PQstatus(conn) != CONNECTION_OK) {
        log_error("postgres: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return ERR_UNAVAILABLE;
    }
    PQsetNoticeReceiver(conn, quiet, 0);
    struct pgconn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->pg = conn;
    *out = c;
    return 0;
}

static void pg_close(void *conn)
{
    struct pgconn *c = conn;
    stmt_cache_clear(&c->stmts, 0);
    PQfinish(c->pg);
    free(c);
}

const struct store_backend store_pg_backend = {
    .name = "postgres",
    .connect = pg_connect,
    .exec = pg_exec,
    .table_exists = pg_table_exists,
    .tables_sql = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid",
    .columns_sql = "SELECT column_name, data_type FROM information_schema.columns WHERE "
                   "table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    .script = pg_script,
    .check = pg_check,
    .close = pg_close,
    /* write transactions take turns, cluster-wide, as SQLite's BEGIN IMMEDIATE makes them do:
     * the domains' check-then-write transactions rely on it */
    .begin_sql = "BEGIN; SELECT pg_advisory_xact_lock(5377726174610002)",
    /* a session lock: held by the migrating node's connection, released by it or by its death */
    .lock_migrations = "SELECT pg_advisory_lock(5377726174610001)",
    .unlock_migrations = "SELECT pg_advisory_unlock(5377726174610001)",
};

int store_open_postgres(const char *conninfo, size_t pool_size, struct store **out)
{
    return store_pool_open(&store_pg_backend, conninfo, pool_size, out);
}
