/* restore.c — reads the archive in the order backup.c wrote it. The target must be empty (no
 * user, no organization): a restore adds to nothing. Rows go in inside one transaction, table
 * by table in the archive's order (referenced tables first); blobs are stored as they were
 * sealed; the data key replaces the target's, wrapped by the target's enc_password. */
#include "backup/backup.h"
#include "app/app.h"
#include "app/settings.h"
#include "backup/sealed_file.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "blob/blob.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE_MAX_BYTES = 64 * 1024 * 1024, COPY = 256 * 1024 };

/* Tables that describe the deployment rather than its data: the target keeps its own. */
static const char *const skipped[] = {
    "schema_migrations", "schema_contracts", "keyring", "nodes", "cluster_leases", 0};

struct reader {
    struct sealed_in *in;
    int err;
};

static la_ssize_t on_read(struct archive *ar, void *arg, const void **p)
{
    (void)ar;
    struct reader *r = arg;
    size_t n = 0;
    r->err = sealed_in_next(r->in, p, &n);
    return r->err ? -1 : (la_ssize_t)n;
}

/* A whole small member (manifest, key) as JSON. */
static json_t *read_json(struct archive *ar, struct archive_entry *e)
{
    int64_t size = archive_entry_size(e);
    if (size <= 0 || size > 1024 * 1024) return 0;
    char *text = malloc((size_t)size + 1);
    if (!text) abort();
    la_ssize_t n = archive_read_data(ar, text, (size_t)size);
    json_t *doc = n == size ? json_loadb(text, (size_t)size, 0, 0) : 0;
    free(text);
    return doc;
}

/* Reads the member's next line into *line (grown as needed; NUL-terminated); 0 at the end. */
struct lines {
    struct archive *ar;
    char buf[COPY];
    size_t len, pos;
    char *line;
    size_t cap;
};

static int next_line(struct lines *l, size_t *n)
{
    *n = 0;
    for (;;) {
        if (l->pos == l->len) {
            la_ssize_t got = archive_read_data(l->ar, l->buf, sizeof l->buf);
            if (got < 0) return ERR_IO;
            if (got == 0) return *n ? ERR_INVALID : 0; /* every line ends with a newline */
            l->len = (size_t)got;
            l->pos = 0;
        }
        char *nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
        size_t take = (nl ? (size_t)(nl - l->buf) : l->len) - l->pos;
        if (*n + take + 1 > LINE_MAX_BYTES) return ERR_TOO_LARGE;
        if (*n + take + 1 > l->cap) {
            l->cap = (*n + take + 1) * 2;
            if (!(l->line = realloc(l->line, l->cap))) abort();
        }
        memcpy(l->line + *n, l->buf + l->pos, take);
        *n += take;
        l->line[*n] = 0;
        l->pos += take + (nl ? 1 : 0);
        if (nl) return 0;
    }
}

/* db/<table>.jsonl: the column names, then rows, inserted with the target's column types
 * (booleans written as 1/0, which both backends read). */
static int table(struct app *app, struct archive *ar, const char *name, struct backup_counts *c)
{
    for (const char *const *s = skipped; *s; s++)
        if (!strcmp(*s, name)) return 0;
    struct arena *a = arena_new();
    const char **cols;
    bool *is_bool;
    size_t ncols = 0;
    int rc = store_columns(app->store, a, name, &cols, &is_bool, &ncols);
    if (!rc && ncols == 0) rc = ERR_INVALID; /* a table this release does not have */
    struct lines l = {.ar = ar};
    size_t n;
    if (!rc) rc = next_line(&l, &n);
    json_t *head = rc ? 0 : json_loadb(l.line, n, 0, 0);
    size_t nhead = json_array_size(head);
    /* the archive's columns, each mapped onto the target's (same names: same schema version) */
    bool *col_bool = arena_alloc(a, (nhead + 1) * sizeof *col_bool);
    char *sql = 0;
    if (!rc && (!json_is_array(head) || nhead == 0)) rc = ERR_INVALID;
    if (!rc) {
        size_t cap = 256 + nhead * 80;
        sql = arena_alloc(a, cap);
        size_t at = (size_t)snprintf(sql, cap, "INSERT INTO %s (", name);
        for (size_t i = 0; !rc && i < nhead; i++) {
            const char *col = json_string_value(json_array_get(head, i));
            size_t j = 0;
            while (j < ncols && (!col || strcmp(cols[j], col)))
                j++;
            if (j == ncols) {
                rc = ERR_INVALID;
                break;
            }
            col_bool[i] = is_bool[j];
            at += (size_t)snprintf(sql + at, cap - at, "%s%s", i ? ", " : "", col);
        }
        at += (size_t)snprintf(sql + at, cap - at, ") VALUES (");
        for (size_t i = 0; i < nhead; i++)
            at += (size_t)snprintf(sql + at, cap - at, "%s$%zu", i ? ", " : "", i + 1);
        snprintf(sql + at, cap - at, ")");
    }
    struct store_arg *args = arena_alloc(a, (nhead + 1) * sizeof *args);
    while (!rc) {
        if ((rc = next_line(&l, &n)) || n == 0) break;
        json_t *row = json_loadb(l.line, n, 0, 0);
        if (json_array_size(row) != nhead) rc = ERR_INVALID;
        for (size_t i = 0; !rc && i < nhead; i++) {
            json_t *v = json_array_get(row, i);
            const char *t = json_string_value(v);
            if (json_is_null(v))
                args[i] = S_NULL;
            else if (!t)
                rc = ERR_INVALID;
            else if (col_bool[i])
                args[i] =
                    S_TEXT(!strcmp(t, "1") || !strcmp(t, "t") || !strcmp(t, "true") ? "1" : "0");
            else
                args[i] = S_TEXT(t);
        }
        if (!rc) rc = store_exec(app->store, sql, args, nhead, 0);
        if (!rc) c->rows++;
        json_decref(row);
    }
    if (rc) log_error("restore: table %s: %s", name, err_name(rc));
    json_decref(head);
    free(l.line);
    arena_free(a);
    return rc;
}

static int blob(struct app *app, struct archive *ar, const char *key, struct backup_counts *c)
{
    void *impl, *h;
    const struct blob_backend *b = blob_raw(app->blobs, &impl);
    int rc = b->put_open(impl, key, &h);
    if (rc) return rc;
    unsigned char *buf = malloc(COPY);
    if (!buf) abort();
    int64_t total = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(ar, buf, COPY);
        if (n < 0) rc = ERR_IO;
        if (n <= 0) break;
        if ((rc = b->put_write(h, buf, (size_t)n))) break;
        total += n;
    }
    free(buf);
    if (rc) {
        b->put_abort(h);
        return rc;
    }
    rc = b->put_commit(h);
    if (!rc) {
        c->blobs++;
        c->blob_bytes += total;
    }
    return rc;
}

/* The target holds nothing yet: no user, no organization. */
static int empty(struct app *app, struct arena *a, bool *is_empty)
{
    struct store_result r;
    int rc = store_query(
        app->store, a, "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM organizations)",
        0, 0, &r);
    *is_empty = !rc && store_cell_int(&r, 0, 0) == 0;
    return rc;
}

static const char *text_of(json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : "";
}

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return rc;
}

int backup_restore(struct app *app, const char *enc_password, const char *path,
                   const char *password, struct backup_counts *counts, char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    struct arena *a = arena_new();
    bool is_empty = false;
    int rc = empty(app, a, &is_empty);
    if (!rc && !is_empty)
        rc = fail(err, errlen, ERR_CONFLICT,
                  "the target deployment already holds data (users or organizations); a "
                  "restore needs an empty one: new database, bucket or disk_path");
    struct reader rd = {0};
    if (!rc) {
        rc = sealed_in_open(path, password, &rd.in);
        if (rc == ERR_FORBIDDEN)
            fail(err, errlen, rc, "the password does not open this archive");
        else if (rc == ERR_CRYPTO)
            fail(err, errlen, rc, "not a Strata backup archive");
        else if (rc)
            snprintf(err, errlen, "cannot read %s", path);
    }
    struct archive *ar = archive_read_new();
    archive_read_support_format_tar(ar);
    if (!rc && archive_read_open(ar, &rd, 0, on_read, 0) != ARCHIVE_OK)
        rc = fail(err, errlen, rd.err ? rd.err : ERR_INVALID,
                  rd.err == ERR_CRYPTO ? "the archive was altered or cut short"
                                       : "not a Strata backup archive");
    struct archive_entry *e;
    bool manifest = false, keyed = false, in_tx = false;
    while (!rc) {
        int ar_rc = archive_read_next_header(ar, &e);
        if (ar_rc == ARCHIVE_EOF) break;
        if (ar_rc != ARCHIVE_OK) {
            rc = fail(err, errlen, rd.err ? rd.err : ERR_INVALID,
                      rd.err == ERR_CRYPTO ? "the archive was altered or cut short"
                                           : "the archive is damaged");
            break;
        }
        const char *name = archive_entry_pathname(e);
        if (!manifest) {
            json_t *m = strcmp(name, "manifest.json") ? 0 : read_json(ar, e);
            struct store_result r;
            if (!m || strcmp(text_of(m, "format"), "strata-backup")) {
                rc = fail(err, errlen, ERR_INVALID, "not a Strata backup archive");
            } else if (!(rc = store_query(app->store, a,
                                          "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                                          0, 0, &r)) &&
                       json_integer_value(json_object_get(m, "schema_version")) !=
                           store_cell_int(&r, 0, 0)) {
                snprintf(err, errlen,
                         "the backup was made by Strata %s (schema %lld) and this is %s (schema "
                         "%lld): restore with the release that made it, then upgrade",
                         text_of(m, "strata_version"),
                         (long long)json_integer_value(json_object_get(m, "schema_version")),
                         STRATA_VERSION, (long long)store_cell_int(&r, 0, 0));
                rc = ERR_CONFLICT;
            }
            json_decref(m);
            manifest = true;
            continue;
        }
        if (!keyed) {
            json_t *k = strcmp(name, "key.json") ? 0 : read_json(ar, e);
            unsigned char *key = 0;
            size_t len = 0;
            if (!k || codec_base64_decode(a, text_of(k, "data_key"), false, &key, &len) ||
                len != 32) {
                rc = fail(err, errlen, ERR_INVALID, "the archive has no data key");
            } else {
                struct keyring *kr = 0;
                rc = keyring_replace(app->store, enc_password, key, &kr);
                if (!rc) {
                    keyring_free(app->keyring);
                    app->keyring = kr;
                }
                sodium_memzero(key, len);
            }
            json_decref(k);
            keyed = true;
            if (!rc && !(rc = store_begin(app->store))) in_tx = true;
            continue;
        }
        if (!strncmp(name, "db/", 3) && strlen(name) > 9 &&
            !strcmp(name + strlen(name) - 6, ".jsonl")) {
            char *t = arena_printf(a, "%.*s", (int)(strlen(name) - 9), name + 3);
            if ((rc = table(app, ar, t, counts)))
                snprintf(err, errlen, "table %s could not be restored; nothing was restored", t);
            else
                counts->tables++;
        } else if (!strncmp(name, "blobs/", 6)) {
            if (in_tx) { /* the rows are in: blobs follow them in the archive */
                rc = store_commit(app->store);
                in_tx = false;
                if (rc) snprintf(err, errlen, "the rows could not be committed");
            }
            if (!rc && (rc = blob(app, ar, name + 6, counts)))
                snprintf(err, errlen, "blob %s could not be stored", name + 6);
        }
    }
    if (in_tx) rc ? store_rollback(app->store) : (void)(rc = store_commit(app->store));
    if (!rc && !keyed) rc = fail(err, errlen, ERR_INVALID, "the archive is incomplete");
    archive_read_free(ar);
    sealed_in_close(rd.in);
    arena_free(a);
    return rc;
}
