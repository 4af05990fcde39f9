/* slug.c — reads a tar.gz (a configuration, a registry module, the provider mirror) through
 * libarchive straight from the sealed blob, refusing what could escape the unpack folder
 * (tree_check.c) or exceed the caps of its kind, and unpacks it with libarchive's own secure
 * extraction flags as a second line of defence, or hands each file to a visitor instead. */
#include "configversions/configversion.h"
#include "app/app.h"
#include "base/err.h"
#include "blob/blob.h"
#include "configversions/tree_check.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source {
    struct blob_reader *r;
    char buf[64 * 1024];
    int64_t total;
    int err;
};

static la_ssize_t read_cb(struct archive *a, void *arg, const void **out)
{
    (void)a;
    struct source *s = arg;
    size_t n = 0;
    s->err = blob_reader_read(s->r, s->buf, sizeof s->buf, &n);
    if (s->err) return -1;
    s->total += (int64_t)n;
    if (s->total > SLUG_MAX_BYTES) {
        s->err = ERR_TOO_LARGE;
        return -1;
    }
    *out = s->buf;
    return (la_ssize_t)n;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *what)
{
    snprintf(err, errlen, fmt, what);
    return ERR_INVALID;
}

static int limit(char *err, size_t errlen, const char *fmt, const char *what, int64_t n)
{
    snprintf(err, errlen, fmt, what, (long long)n);
    return ERR_INVALID;
}

static int open_archive(struct blob_store *bs, const char *key, struct source *s,
                        struct archive **out)
{
    int rc = blob_reader_open(bs, key, &s->r);
    if (rc) return rc;
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    if (archive_read_open(a, s, 0, read_cb, 0) != ARCHIVE_OK) {
        archive_read_free(a);
        blob_reader_close(s->r);
        return ERR_INVALID;
    }
    *out = a;
    return 0;
}

/* Writes the current entry under dest with libarchive's secure flags. */
static int extract(struct archive *a, struct archive *disk, struct archive_entry *e,
                   const char *dest, char *err, size_t errlen)
{
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", dest, archive_entry_pathname(e));
    archive_entry_set_pathname(e, full);
    const char *hard = archive_entry_hardlink(e);
    if (hard) {
        char target[8192];
        snprintf(target, sizeof target, "%s/%s", dest, hard);
        archive_entry_set_hardlink(e, target);
    }
    archive_entry_set_perm(
        e, archive_entry_filetype(e) == AE_IFDIR ? 0755 : (archive_entry_perm(e) & 0755) | 0600);
    if (archive_write_header(disk, e) != ARCHIVE_OK)
        return fail(err, errlen, "cannot unpack: %s", archive_error_string(disk));
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(disk, buf, n, off) != ARCHIVE_OK)
            return fail(err, errlen, "cannot unpack: %s", archive_error_string(disk));
    if (r != ARCHIVE_EOF) return fail(err, errlen, "damaged archive: %s", archive_error_string(a));
    archive_write_finish_entry(disk);
    return 0;
}

int slug_upload_write(void *arg, const void *p, size_t n)
{
    struct slug_upload *u = arg;
    return blob_writer_write(u->w, p, n);
}

void slug_upload_abort(void *arg)
{
    struct slug_upload *u = arg;
    if (u->w) blob_writer_abort(u->w);
    u->w = 0;
}

const struct slug_kind slug_configuration = {"configuration", SLUG_MAX_ENTRIES, SLUG_MAX_UNPACKED,
                                             true};
/* registry archives need no links (docs/registry.md); modules are small, a mirror holds zips */
const struct slug_kind slug_module = {"module", 10000, 256LL * 1024 * 1024, false};
const struct slug_kind slug_mirror = {"mirror", 10000, SLUG_MAX_UNPACKED, false};

int slug_upload_commit(struct slug_upload *u, const char *dest, int64_t *size, char *why,
                       size_t whylen)
{
    *size = blob_writer_size(u->w);
    int rc = blob_writer_commit(u->w);
    u->w = 0;
    if (!rc) rc = slug_unpack(u->app->blobs, u->key, u->kind, dest, u->visit, why, whylen);
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) blob_delete(u->app->blobs, u->key);
    return rc;
}

int configversion_unpack(struct blob_store *bs, const char *cv_id, const char *dest, char *err,
                         size_t errlen)
{
    char key[128];
    snprintf(key, sizeof key, "configuration-versions/%s/slug", cv_id);
    return slug_unpack(bs, key, &slug_configuration, dest, 0, err, errlen);
}

int slug_unpack(struct blob_store *bs, const char *key, const struct slug_kind *kind,
                const char *dest, const struct slug_visit *visit, char *err, size_t errlen)
{
    struct source *s = calloc(1, sizeof *s);
    if (!s) abort();
    struct archive *a, *disk = 0;
    int rc = open_archive(bs, key, s, &a);
    if (rc) {
        if (rc == ERR_INVALID) snprintf(err, errlen, "not a tar.gz archive");
        free(s);
        return rc;
    }
    if (dest) {
        disk = archive_write_disk_new();
        /* entries are written as dest/<name>, an absolute path, so NOABSOLUTEPATHS cannot be
         * set; tree_check_entry has refused absolute names before the prefix is added */
        archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                 ARCHIVE_EXTRACT_PERM);
    }
    struct archive_entry *e;
    struct tree_check *tc = tree_check_new(kind->links);
    int64_t unpacked = 0, entries = 0;
    int r = ARCHIVE_OK;
    while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        int64_t size = archive_entry_size(e);
        unpacked += size > 0 ? size : 0;
        if (++entries > kind->max_entries)
            rc = limit(err, errlen, "a %s archive may hold at most %lld entries", kind->what,
                       kind->max_entries);
        else if (unpacked > kind->max_unpacked)
            rc = limit(err, errlen, "a %s archive may unpack to at most %lld bytes", kind->what,
                       kind->max_unpacked);
        else
            rc = tree_check_entry(tc, e, err, errlen);
        if (!rc && disk) rc = extract(a, disk, e, dest, err, errlen);
        if (!rc && visit && archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
            rc = visit->fn(visit->arg, archive_entry_pathname(e), a, size);
    }
    tree_check_free(tc);
    if (!rc && r != ARCHIVE_EOF) {
        rc = s->err ? s->err : ERR_INVALID;
        if (rc == ERR_TOO_LARGE)
            snprintf(err, errlen, "the archive is larger than %lld bytes", SLUG_MAX_BYTES);
        else if (rc == ERR_INVALID)
            snprintf(err, errlen, "not a valid tar.gz archive: %s", archive_error_string(a));
    }
    if (disk) archive_write_free(disk);
    archive_read_free(a);
    blob_reader_close(s->r);
    free(s);
    return rc;
}
