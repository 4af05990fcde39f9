/* backup.c — the archive, in this order: manifest.json, key.json, db/<table>.jsonl for every
 * table in creation order (the first line the column names, then one JSON array of text or
 * null per row), blobs/<key> for every stored blob. Everything streams: rows a page at a time,
 * blobs a chunk at a time, the tar through the sealed file. */
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
#include <time.h>

enum { PAGE = 500, COPY = 256 * 1024 };

struct writer {
    struct archive *ar;
    struct sealed_out *out;
    int err; /* the sealed file's error, which libarchive only sees as a failed write */
};

static la_ssize_t on_write(struct archive *ar, void *arg, const void *p, size_t n)
{
    (void)ar;
    struct writer *w = arg;
    w->err = sealed_out_write(w->out, p, n);
    return w->err ? -1 : (la_ssize_t)n;
}

static int entry(struct writer *w, const char *name, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, time(0), 0);
    int rc = archive_write_header(w->ar, e) == ARCHIVE_OK ? 0 : ERR_IO;
    archive_entry_free(e);
    return rc;
}

static int data(struct writer *w, const void *p, size_t n)
{
    return n == 0 || archive_write_data(w->ar, p, n) == (la_ssize_t)n ? 0 : ERR_IO;
}

/* A small member whose whole text is at hand. */
static int member(struct writer *w, const char *name, const char *text)
{
    int rc = entry(w, name, (int64_t)strlen(text));
    return rc ? rc : data(w, text, strlen(text));
}

static int json_member(struct writer *w, const char *name, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    int rc = member(w, name, text);
    free(text);
    return rc;
}

/* The rows of a page as JSON lines appended to out. */
static void rows_text(const struct store_result *r, char **out, size_t *len, size_t *cap)
{
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *row = json_array();
        for (size_t j = 0; j < r->ncols; j++) {
            const char *v = store_cell(r, i, j);
            json_array_append_new(row, v ? json_stringn(v, strlen(v)) : json_null());
        }
        char *line = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(row);
        size_t n = strlen(line);
        if (*len + n + 2 > *cap) {
            *cap = (*len + n + 2) * 2;
            if (!(*out = realloc(*out, *cap))) abort();
        }
        memcpy(*out + *len, line, n);
        (*out)[*len + n] = '\n';
        *len += n + 1;
        free(line);
    }
}

/* A pass over a table's pages: measuring (the tar entry needs its size first), or writing. */
struct pass {
    struct writer *w; /* NULL: measure only */
    int64_t bytes, limit, rows;
};

static int pages(struct store *st, const char *sql, struct pass *p)
{
    int rc = 0;
    for (int64_t off = 0;; off += PAGE) {
        struct arena *pa = arena_new();
        struct store_result r;
        char *text = 0;
        size_t len = 0, cap = 0;
        rc = store_query(st, pa, sql, S_ARGS(S_INT(off)), &r);
        if (!rc) rows_text(&r, &text, &len, &cap);
        if (!rc && p->w && p->bytes + (int64_t)len > p->limit) rc = ERR_CONFLICT; /* changed */
        if (!rc && p->w) rc = data(p->w, text, len);
        p->bytes += (int64_t)len;
        p->rows += (int64_t)r.nrows;
        bool last = rc || r.nrows < PAGE;
        free(text);
        arena_free(pa);
        if (last) return rc;
    }
}

/* One table: rows ordered by every column (a stable order for paging), a page at a time,
 * measured in a first pass and written in a second (one transaction: both see the same rows);
 * pages are small, the table is never held whole. */
static int table(struct writer *w, struct store *st, const char *name, struct backup_counts *c)
{
    struct arena *a = arena_new();
    const char **cols;
    bool *is_bool;
    size_t ncols;
    int rc = store_columns(st, a, name, &cols, &is_bool, &ncols);
    char order[512] = "";
    for (size_t i = 0; i < ncols && strlen(order) < sizeof order - 8; i++)
        snprintf(order + strlen(order), sizeof order - strlen(order), "%s%zu", i ? ", " : "",
                 i + 1);
    json_t *head = json_array();
    for (size_t i = 0; i < ncols; i++)
        json_array_append_new(head, json_string(cols[i]));
    char *head_text = json_dumps(head, JSON_COMPACT);
    json_decref(head);
    int64_t head_len = (int64_t)strlen(head_text) + 1;
    const char *sql =
        arena_printf(a, "SELECT * FROM %s ORDER BY %s LIMIT %d OFFSET $1", name, order, PAGE);
    struct pass measure = {0}, write = {w, 0, 0, 0};
    if (!rc) rc = pages(st, sql, &measure);
    write.limit = measure.bytes;
    if (!rc) rc = entry(w, arena_printf(a, "db/%s.jsonl", name), head_len + measure.bytes);
    if (!rc) rc = data(w, head_text, strlen(head_text));
    if (!rc) rc = data(w, "\n", 1);
    if (!rc) rc = pages(st, sql, &write);
    if (!rc && write.bytes != measure.bytes) rc = ERR_CONFLICT;
    if (!rc) c->rows += write.rows;
    free(head_text);
    arena_free(a);
    return rc;
}

struct blob_walk {
    struct writer *w;
    const struct blob_backend *b;
    void *impl;
    struct backup_counts *c;
    unsigned char *buf;
};

static int one_blob(void *arg, const char *key, int64_t size)
{
    struct blob_walk *bw = arg;
    void *h;
    int rc = bw->b->get_open(bw->impl, key, &h);
    if (rc == ERR_NOT_FOUND) return 0; /* deleted since it was listed */
    if (rc) return rc;
    char name[1200];
    snprintf(name, sizeof name, "blobs/%s", key);
    rc = entry(bw->w, name, size);
    int64_t left = size;
    while (!rc && left > 0) {
        size_t n = 0;
        rc = bw->b->get_read(h, bw->buf, (size_t)(left < COPY ? left : COPY), &n);
        if (!rc && n == 0) rc = ERR_CONFLICT; /* shorter than listed */
        if (!rc) rc = data(bw->w, bw->buf, n);
        left -= (int64_t)n;
    }
    bw->b->get_close(h);
    if (!rc) {
        bw->c->blobs++;
        bw->c->blob_bytes += size;
    }
    return rc;
}

int backup_write(struct app *app, const char *path, const char *password,
                 struct backup_counts *counts, char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    struct writer w = {0};
    int rc = sealed_out_open(path, password, &w.out);
    if (rc) {
        snprintf(err, errlen, "cannot create %s%s", path,
                 rc == ERR_CONFLICT ? ": it exists (a backup never overwrites a file)" : "");
        return rc;
    }
    w.ar = archive_write_new();
    archive_write_set_format_pax_restricted(w.ar);
    archive_write_open(w.ar, &w, 0, on_write, 0);
    struct arena *a = arena_new();
    struct store_result r;
    rc = store_query(app->store, a, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0, 0,
                     &r);
    if (!rc)
        rc = json_member(&w, "manifest.json",
                         json_pack("{s:s, s:i, s:s, s:i, s:I, s:s, s:s, s:s}", "format",
                                   "strata-backup", "format_version", 1, "strata_version",
                                   STRATA_VERSION, "release_sequence", STRATA_RELEASE_SEQUENCE,
                                   "schema_version", (json_int_t)store_cell_int(&r, 0, 0),
                                   "created_at", codec_now_iso(a), "database",
                                   store_backend_name(app->store), "blobs",
                                   blob_backend_name(app->blobs)));
    unsigned char key[32];
    keyring_export(app->keyring, key);
    if (!rc)
        rc = json_member(&w, "key.json", json_pack("{s:s}", "data_key", codec_base64(a, key, 32)));
    sodium_memzero(key, sizeof key);
    const char **tables;
    size_t ntables = 0;
    /* one transaction: every table as of one moment (SQLite: writers wait meanwhile) */
    if (!rc) rc = store_begin(app->store);
    bool in_tx = !rc;
    if (!rc) rc = store_tables(app->store, a, &tables, &ntables);
    for (size_t i = 0; !rc && i < ntables; i++) {
        rc = table(&w, app->store, tables[i], counts);
        counts->tables++;
    }
    if (in_tx) store_rollback(app->store); /* read only */
    if (!rc) {
        void *impl;
        const struct blob_backend *b = blob_raw(app->blobs, &impl);
        struct blob_walk bw = {&w, b, impl, counts, malloc(COPY)};
        if (!bw.buf) abort();
        rc = b->list(impl, one_blob, &bw);
        free(bw.buf);
    }
    if (!rc && archive_write_close(w.ar) != ARCHIVE_OK) rc = w.err ? w.err : ERR_IO;
    archive_write_free(w.ar);
    if (rc && w.err) rc = w.err;
    if (!rc) {
        rc = sealed_out_close(w.out);
        if (rc) snprintf(err, errlen, "cannot write %s", path);
    } else {
        sealed_out_abort(w.out);
        snprintf(err, errlen, "%s (nothing was written to %s)",
                 rc == ERR_CONFLICT ? "the data changed while it was read; run the backup again"
                                    : "the backup failed; the log says where",
                 path);
    }
    arena_free(a);
    return rc;
}
