/* store.c — every database call goes through here: the one place for locking, logging and
 * transaction pinning, whichever backend is behind. */
#include "store/store_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct store {
    const struct store_backend *backend;
    void *conn;
    pthread_mutex_t mu; /* recursive: a transaction holds it across its statements */
};

struct store *store_wrap(const struct store_backend *backend, void *conn)
{
    struct store *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->backend = backend;
    s->conn = conn;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    return s;
}

void store_close(struct store *s)
{
    if (!s) return;
    s->backend->close(s->conn);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *store_backend_name(const struct store *s)
{
    return s->backend->name;
}

int store_exec(struct store *s, const char *sql, const struct store_arg *args, size_t nargs,
               int64_t *changes)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->backend->exec(s->conn, 0, sql, args, nargs, 0, changes);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_query(struct store *s, struct arena *a, const char *sql, const struct store_arg *args,
                size_t nargs, struct store_result *res)
{
    memset(res, 0, sizeof *res);
    pthread_mutex_lock(&s->mu);
    int rc = s->backend->exec(s->conn, a, sql, args, nargs, res, 0);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_table_exists(struct store *s, const char *name, bool *exists)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->backend->table_exists(s->conn, name, exists);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_script(struct store *s, const char *sql)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->backend->script(s->conn, sql);
    pthread_mutex_unlock(&s->mu);
    return rc;
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

int store_begin(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->backend->exec(s->conn, 0, "BEGIN", 0, 0, 0, 0);
    if (rc) pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_commit(struct store *s)
{
    int rc = s->backend->exec(s->conn, 0, "COMMIT", 0, 0, 0, 0);
    if (rc) s->backend->exec(s->conn, 0, "ROLLBACK", 0, 0, 0, 0);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void store_rollback(struct store *s)
{
    s->backend->exec(s->conn, 0, "ROLLBACK", 0, 0, 0, 0);
    pthread_mutex_unlock(&s->mu);
}

const char *store_cell(const struct store_result *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols) return 0;
    return r->cells[row * r->ncols + col];
}

int64_t store_cell_int(const struct store_result *r, size_t row, size_t col)
{
    const char *v = store_cell(r, row, col);
    return v ? strtoll(v, 0, 10) : 0;
}

bool store_cell_bool(const struct store_result *r, size_t row, size_t col)
{
    const char *v = store_cell(r, row, col);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
}
