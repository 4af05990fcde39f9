/* store_pg.c — the PostgreSQL backend (libpq). Parameters go as text and PostgreSQL types them
 * from the statement; a parameter the statement does not use is declared text so that callers
 * may share one argument list between statements, as with SQLite. A lost connection answers
 * ERR_UNAVAILABLE and is reset the next time the pool hands it out. */
#include "store/store_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 64, TEXTOID = 25, CACHE_SIZE = 128 };

/* Statements are prepared once per connection and kept by SQL text, as on SQLite: PostgreSQL
 * then neither parses nor plans them again. */
struct cached {
    char *sql; /* malloc'd */
    int nargs;
};

struct pgconn {
    PGconn *pg;
    struct cached cache[CACHE_SIZE];
    size_t next; /* slot replaced when the cache is full (round robin) */
};

static void cache_clear(struct pgconn *c)
{
    for (size_t i = 0; i < CACHE_SIZE; i++) {
        free(c->cache[i].sql);
        c->cache[i].sql = 0;
    }
    c->next = 0;
}

/* Marks in used[] the $n (1-based) that sql mentions outside string literals. */
static void scan_params(const char *sql, bool used[MAX_ARGS + 1])
{
    bool quoted = false;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'') quoted = !quoted;
        if (quoted || *p != '$') continue;
        char *end;
        long n = strtol(p + 1, &end, 10);
        if (end != p + 1 && n >= 1 && n <= MAX_ARGS) used[n] = true;
    }
}

static int map_error(PGconn *conn, const PGresult *r, const char *sql)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : 0;
    if (state && strcmp(state, "23505") == 0) return ERR_CONFLICT;
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

/* The name of sql's prepared statement on c, preparing it now when it is new; NULL on failure
 * (the caller then runs it unprepared and the error shows there). */
static const char *prepared(struct pgconn *c, const char *sql, int nargs, const Oid *types,
                            char name[16])
{
    size_t slot = CACHE_SIZE;
    for (size_t i = 0; i < CACHE_SIZE; i++) {
        if (!c->cache[i].sql) {
            if (slot == CACHE_SIZE) slot = i;
            continue;
        }
        if (c->cache[i].nargs == nargs && strcmp(c->cache[i].sql, sql) == 0) {
            snprintf(name, 16, "s%zu", i);
            return name;
        }
    }
    if (slot == CACHE_SIZE) { /* full: forget one */
        slot = c->next;
        c->next = (c->next + 1) % CACHE_SIZE;
        snprintf(name, 16, "s%zu", slot);
        char dealloc[32];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
        PQclear(PQexec(c->pg, dealloc));
        free(c->cache[slot].sql);
        c->cache[slot].sql = 0;
    }
    snprintf(name, 16, "s%zu", slot);
    PGresult *r = PQprepare(c->pg, name, sql, nargs, types);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return 0;
    c->cache[slot].sql = strdup(sql);
    if (!c->cache[slot].sql) abort();
    c->cache[slot].nargs = nargs;
    return name;
}

static int pg_exec(void *conn, struct arena *a, const char *sql, const struct store_arg *args,
                   size_t nargs, struct store_result *res, int64_t *changes)
{
    struct pgconn *c = conn;
    if (nargs > MAX_ARGS) return ERR_INTERNAL;
    bool used[MAX_ARGS + 1] = {0};
    if (nargs) scan_params(sql, used);
    const char *values[MAX_ARGS];
    Oid types[MAX_ARGS];
    char ints[MAX_ARGS][24];
    for (size_t i = 0; i < nargs; i++) {
        types[i] = used[i + 1] ? 0 : TEXTOID;
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
        stmt = prepared(c, sql, (int)nargs, types, name);
    PGresult *r = stmt           ? PQexecPrepared(c->pg, stmt, (int)nargs, values, 0, 0, 0)
                  : nargs || res ? PQexecParams(c->pg, sql, (int)nargs, types, values, 0, 0, 0)
                                 : PQexec(c->pg, sql);
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
    cache_clear(c); /* a new session has no prepared statements */
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
    cache_clear(c);
    PQfinish(c->pg);
    free(c);
}

const struct store_backend store_pg_backend = {
    .name = "postgres",
    .connect = pg_connect,
    .exec = pg_exec,
    .table_exists = pg_table_exists,
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
