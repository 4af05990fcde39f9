/* store.c — every database call goes through here: a pool of connections, whichever backend is
 * behind. A call takes a free connection for its statement; a transaction (or store_with_conn)
 * pins one to the calling thread, so the statements inside it run on it. */
#include "store/store_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { POOL_MAX = 32 };

struct store {
    const struct store_backend *backend;
    char *target;
    pthread_mutex_t mu;
    pthread_cond_t freed;
    size_t size, open;
    void *conns[POOL_MAX];
    bool busy[POOL_MAX];
};

/* The connection this thread has pinned (one store per thread at a time). */
static _Thread_local struct {
    struct store *s;
    size_t idx;
    int depth;
    int tx; /* open transactions: the outermost, then savepoints */
} pin;

/* What this thread's transaction runs once it ends (store_after_commit). */
struct after_commit {
    void (*fn)(void *arg, const char *key);
    void *arg;
    char *key; /* owned; NULL: everything */
};
static _Thread_local struct {
    struct after_commit *calls;
    size_t n, cap;
} later;

bool store_in_transaction(const struct store *s)
{
    return pin.s == s && pin.tx > 0;
}

static char *dup_or_null(const char *s)
{
    if (!s) return 0;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

void store_after_commit(struct store *s, void (*fn)(void *arg, const char *key), void *arg,
                        const char *key)
{
    if (!store_in_transaction(s)) {
        fn(arg, key);
        return;
    }
    if (later.n == later.cap) {
        later.cap = later.cap ? 2 * later.cap : 8;
        later.calls = realloc(later.calls, later.cap * sizeof *later.calls);
        if (!later.calls) abort();
    }
    later.calls[later.n++] = (struct after_commit){fn, arg, dup_or_null(key)};
}

/* Runs (or only drops) what waited for the outermost transaction to end. */
static void run_later(bool run)
{
    for (size_t i = 0; i < later.n; i++) {
        if (run) later.calls[i].fn(later.calls[i].arg, later.calls[i].key);
        free(later.calls[i].key);
    }
    free(later.calls);
    later.calls = 0;
    later.n = later.cap = 0;
}

int store_pool_open(const struct store_backend *backend, const char *target, size_t size,
                    struct store **out)
{
    void *first = 0;
    int rc = backend->connect(target, &first);
    if (rc) return rc;
    struct store *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->backend = backend;
    s->target = strdup(target);
    if (!s->target) abort();
    s->size = size < 1 ? 1 : size > POOL_MAX ? POOL_MAX : size;
    s->conns[0] = first;
    s->open = 1;
    pthread_mutex_init(&s->mu, 0);
    pthread_cond_init(&s->freed, 0);
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->open; i++)
        if (s->conns[i]) s->backend->close(s->conns[i]);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->mu);
    free(s->target);
    free(s);
}

const char *store_backend_name(const struct store *s)
{
    return s->backend->name;
}

const struct store_backend *store_backend(const struct store *s)
{
    return s->backend;
}

static void release(struct store *s, size_t idx)
{
    pthread_mutex_lock(&s->mu);
    s->busy[idx] = false;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->mu);
}

/* Takes a free slot (a new one while the pool is below its size), or waits; a slot without a
 * connection (new, or whose connection could not be made) is connected by its taker. */
static int acquire(struct store *s, size_t *idx)
{
    pthread_mutex_lock(&s->mu);
    size_t i = SIZE_MAX;
    while (i == SIZE_MAX) {
        for (size_t j = 0; j < s->open && i == SIZE_MAX; j++)
            if (!s->busy[j]) i = j;
        if (i == SIZE_MAX && s->open < s->size) i = s->open++;
        if (i == SIZE_MAX) pthread_cond_wait(&s->freed, &s->mu);
    }
    s->busy[i] = true;
    pthread_mutex_unlock(&s->mu);
    if (!s->conns[i]) {
        int rc = s->backend->connect(s->target, &s->conns[i]);
        if (rc) {
            s->conns[i] = 0;
            release(s, i);
            return rc;
        }
    }
    *idx = i;
    return 0;
}

/* Pins a connection to this thread (nesting counts). */
static int pin_take(struct store *s)
{
    if (pin.s == s) {
        pin.depth++;
        return 0;
    }
    if (pin.s) abort(); /* two stores pinned by one thread: a programming error */
    size_t idx;
    int rc = acquire(s, &idx);
    if (rc) return rc;
    rc = s->backend->check(s->conns[idx]);
    if (rc) {
        release(s, idx);
        return rc;
    }
    pin.s = s;
    pin.idx = idx;
    pin.depth = 1;
    return 0;
}

static void pin_drop(struct store *s)
{
    if (--pin.depth > 0) return;
    pin.s = 0;
    release(s, pin.idx);
}

int store_with_conn(struct store *s, int (*fn)(struct store *s, void *arg), void *arg)
{
    int rc = pin_take(s);
    if (rc) return rc;
    rc = fn(s, arg);
    pin_drop(s);
    return rc;
}

static int run(struct store *s, struct arena *a, const char *sql, const struct store_arg *args,
               size_t nargs, struct store_result *res, int64_t *changes)
{
    double t0 = metrics_now(); /* a free connection's wait included: requests wait for it too */
    if (fault_hit(FAULT_STORE)) return ERR_IO;
    int rc = pin_take(s);
    if (rc) return rc;
    rc = s->backend->exec(s->conns[pin.idx], a, sql, args, nargs, res, changes);
    pin_drop(s);
    metrics_time(METRIC_DB, metrics_now() - t0);
    return rc;
}

int store_exec(struct store *s, const char *sql, const struct store_arg *args, size_t nargs,
               int64_t *changes)
{
    return run(s, 0, sql, args, nargs, 0, changes);
}

int store_query(struct store *s, struct arena *a, const char *sql, const struct store_arg *args,
                size_t nargs, struct store_result *res)
{
    memset(res, 0, sizeof *res);
    return run(s, a, sql, args, nargs, res, 0);
}

int store_table_exists(struct store *s, const char *name, bool *exists)
{
    int rc = pin_take(s);
    if (rc) return rc;
    rc = s->backend->table_exists(s->conns[pin.idx], name, exists);
    pin_drop(s);
    return rc;
}

int store_script(struct store *s, const char *sql)
{
    int rc = pin_take(s);
    if (rc) return rc;
    rc = s->backend->script(s->conns[pin.idx], sql);
    pin_drop(s);
    return rc;
}

int store_tables(struct store *s, struct arena *a, const char ***names, size_t *n)
{
    return store_query_column(s, a, s->backend->tables_sql, 0, 0, names, n);
}

int store_columns(struct store *s, struct arena *a, const char *table, const char ***names,
                  bool **is_bool, size_t *n)
{
    struct store_result r;
    int rc = store_query(s, a, s->backend->columns_sql, S_ARGS(S_TEXT(table)), &r);
    if (rc) return rc;
    *names = arena_alloc(a, (r.nrows + 1) * sizeof **names);
    *is_bool = arena_alloc(a, (r.nrows + 1) * sizeof **is_bool);
    for (size_t i = 0; i < r.nrows; i++) {
        (*names)[i] = store_cell(&r, i, 0);
        const char *type = store_cell(&r, i, 1) ? store_cell(&r, i, 1) : "";
        (*is_bool)[i] = strstr(type, "bool") || strstr(type, "BOOL"); /* PG, SQLite */
    }
    *n = r.nrows;
    return 0;
}

int store_query_column(struct store *s, struct arena *a, const char *sql,
                       const struct store_arg *args, size_t nargs, const char ***values, size_t *n)
{
    struct store_result r;
    int rc = store_query(s, a, sql, args, nargs, &r);
    if (rc) return rc;
    *values = arena_alloc(a, (r.nrows + 1) * sizeof **values);
    for (size_t i = 0; i < r.nrows; i++)
        (*values)[i] = store_cell(&r, i, 0);
    *n = r.nrows;
    return 0;
}

/* A transaction begun inside another is a savepoint of it, so that a domain's transaction
 * composes with its caller's (the caller's commit decides). */
static const char *savepoint_sql(const char *verb)
{
    static _Thread_local char sql[64];
    snprintf(sql, sizeof sql, "%s sp%d", verb, pin.tx);
    return sql;
}

int store_begin(struct store *s)
{
    if (fault_hit(FAULT_STORE)) return ERR_IO;
    bool nested = store_in_transaction(s);
    int rc = pin_take(s);
    if (rc) return rc;
    const char *sql = s->backend->begin_sql;
    if (nested) {
        pin.tx++;
        sql = savepoint_sql("SAVEPOINT");
    }
    rc = s->backend->exec(s->conns[pin.idx], 0, sql, 0, 0, 0, 0);
    if (rc) {
        if (nested) pin.tx--;
        pin_drop(s);
        return rc;
    }
    if (!nested) pin.tx = 1;
    return 0;
}

int store_commit(struct store *s)
{
    void *conn = s->conns[pin.idx];
    int rc;
    if (pin.tx > 1) {
        rc = s->backend->exec(conn, 0, savepoint_sql("RELEASE SAVEPOINT"), 0, 0, 0, 0);
        pin.tx--;
    } else {
        /* an injected fault fails the COMMIT itself: the same path as a lost connection */
        rc = fault_hit(FAULT_STORE) ? ERR_IO : s->backend->exec(conn, 0, "COMMIT", 0, 0, 0, 0);
        if (rc) s->backend->exec(conn, 0, "ROLLBACK", 0, 0, 0, 0);
        pin.tx = 0;
    }
    pin_drop(s);
    /* also after a failed COMMIT: a connection lost during it may still have committed */
    if (!pin.tx) run_later(true);
    return rc;
}

void store_rollback(struct store *s)
{
    void *conn = s->conns[pin.idx];
    if (pin.tx > 1) {
        s->backend->exec(conn, 0, savepoint_sql("ROLLBACK TO SAVEPOINT"), 0, 0, 0, 0);
        s->backend->exec(conn, 0, savepoint_sql("RELEASE SAVEPOINT"), 0, 0, 0, 0);
        pin.tx--;
    } else {
        s->backend->exec(conn, 0, "ROLLBACK", 0, 0, 0, 0);
        pin.tx = 0;
    }
    pin_drop(s);
    if (!pin.tx) run_later(false);
}

const char *store_cell(const struct store_result *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols) return 0;
    return r->cells[row * r->ncols + col];
}

int64_t store_cell_int(const struct store_result *r, size_t row, size_t col)
{
    const char *v = store_cell(r, row, col);
    if (v && (strcmp(v, "t") == 0)) return 1; /* a PostgreSQL boolean */
    return v ? strtoll(v, 0, 10) : 0;
}

bool store_cell_bool(const struct store_result *r, size_t row, size_t col)
{
    const char *v = store_cell(r, row, col);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
}

char *store_like_contains(struct arena *a, const char *s)
{
    char *pat = arena_alloc(a, strlen(s) * 2 + 3), *q = pat;
    *q++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '!') *q++ = '!';
        *q++ = *s;
    }
    *q++ = '%';
    *q = 0;
    return pat;
}
