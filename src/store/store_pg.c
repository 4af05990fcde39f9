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

enum { MAX_ARGS = 64, TEXTOID = 25 };

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

static int pg_exec(void *conn, struct arena *a, const char *sql, const struct store_arg *args,
                   size_t nargs, struct store_result *res, int64_t *changes)
{
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
    /* no arguments and no rows wanted: the simple protocol, which runs several statements */
    PGresult *r = nargs || res ? PQexecParams(conn, sql, (int)nargs, types, values, 0, 0, 0)
                               : PQexec(conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = map_error(conn, r, sql);
    else {
        if (res && st == PGRES_TUPLES_OK) copy_rows(a, r, res);
        if (changes) *changes = strtoll(PQcmdTuples(r), 0, 10);
    }
    PQclear(r);
    return rc;
}

static int pg_table_exists(void *conn, const char *name, bool *exists)
{
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

static int pg_script(void *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : map_error(conn, r, sql);
    PQclear(r);
    return rc;
}

static int pg_check(void *conn)
{
    if (PQstatus(conn) == CONNECTION_OK) return 0;
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
    *out = conn;
    return 0;
}

static void pg_close(void *conn)
{
    PQfinish(conn);
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
