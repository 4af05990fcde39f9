/* configversion.h — configuration versions: the tar.gz of a working folder, uploaded to a
 * signed URL, checked entry by entry (no absolute paths, no "..", no links out of the tree, no
 * devices, size and count caps) and stored sealed. Status: pending → uploaded | errored. */
#ifndef STRATA_CONFIGVERSION_H
#define STRATA_CONFIGVERSION_H

#include "http/http.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
struct blob_store;
struct blob_writer;
struct app;

struct configversion {
    const char *id, *workspace_id, *status, *error_message, *source, *created_at;
    bool auto_queue_runs, speculative, provisional;
    int64_t size;
    /* the caller's rights on its workspace (WS_* of app/authz.h), set by configversion_get: the
     * upload URL is answered only to those who may queue plans there */
    int64_t perms;
};

/* Caps on a configuration's tar.gz, compressed and unpacked (slug_configuration). */
#define SLUG_MAX_BYTES (256LL * 1024 * 1024)
#define SLUG_MAX_UNPACKED (1024LL * 1024 * 1024)
#define SLUG_MAX_ENTRIES 100000

/* Reads a configuration version whose workspace the caller may see; ERR_NOT_FOUND otherwise. */
int configversion_get(struct ctx *c, const char *id, struct configversion *out);

/* The configuration version as a JSON:API resource (a new reference), for includes too;
 * upload-url is null unless cv->perms holds WS_QUEUE_PLAN. */
json_t *configversion_encode(struct ctx *c, const struct configversion *cv);
/* The newest configuration version of a workspace the caller was authorized for (not checked
 * here); ERR_NOT_FOUND when it has none. */
int configversion_latest(struct ctx *c, const char *workspace_id, struct configversion *out);

/* Checks a stored configuration and, when dest is non-NULL, unpacks it under dest (an existing
 * folder). Returns 0, or ERR_INVALID with the reason in err (a path that escapes, a link out of
 * the tree, a device, too big, not a tar.gz), or the blob's own error. */
int configversion_unpack(struct blob_store *bs, const char *cv_id, const char *dest, char *err,
                         size_t errlen);
/* What one kind of archive may hold: every kind has caps on its entries and unpacked bytes;
 * links (that stay inside, tree_check.h) only where links is true. */
struct slug_kind {
    const char *what; /* "configuration", for the reasons given */
    long long max_entries, max_unpacked;
    bool links;
};
extern const struct slug_kind slug_configuration, slug_module, slug_mirror;
/* Called, in archive order, for each regular file of an archive that passed the checks so far;
 * fn may read the file's bytes with archive_read_data(a, ...). Returns 0 or an ERR_* that stops
 * the unpacking with that error. */
struct archive;
struct slug_visit {
    int (*fn)(void *arg, const char *path, struct archive *a, int64_t size);
    void *arg;
};
/* A tar.gz uploaded into a sealed blob (a configuration, a registry module's archive): the
 * HTTP sink's write and abort take a struct slug_upload; the caller's finish commits it with
 * slug_upload_commit, which checks the archive (slug_unpack) and deletes a refused one. */
struct slug_upload {
    struct app *app;
    const char *id, *key; /* the caller's object and the blob */
    struct blob_writer *w;
    const struct slug_kind *kind;
    const struct slug_visit *visit; /* NULL, or called for each file (see slug_unpack) */
};
int slug_upload_write(void *arg, const void *p, size_t n);
void slug_upload_abort(void *arg);
/* 0, or ERR_INVALID / ERR_TOO_LARGE with the reason in why (nothing kept), or the blob's error.
 * When dest is non-NULL the archive is also unpacked under dest (an existing folder) in the same
 * pass as its check. *size gets the archive's size; u->w is consumed either way. */
int slug_upload_commit(struct slug_upload *u, const char *dest, int64_t *size, char *why,
                       size_t whylen);
/* The same checks, with kind's caps, for any stored tar.gz blob: unpacked under dest when it is
 * non-NULL, and each file handed to visit when it is non-NULL (the registry reads a module's
 * README and .tf files this way, without unpacking it). */
int slug_unpack(struct blob_store *bs, const char *key, const struct slug_kind *kind,
                const char *dest, const struct slug_visit *visit, char *err, size_t errlen);

/* Runs after a configuration version is uploaded with auto-queue-runs set (runs/ queues a run).
 * Set once at start. */
void configversion_on_uploaded(int (*fn)(struct ctx *c, const struct configversion *cv));

/* The workspaces delete hook: removes the workspace's configuration archives. */
int configversion_on_workspace_delete(struct ctx *c, const char *workspace_id);

/* The workspaces include hook: "current_configuration_version" (the newest), also named in w's
 * relationships when included. */
struct workspace;
struct include;
int configversion_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                                        struct include *inc);
/* Adds the run of a configuration version (include=run); runs/ provides it. Set at start. */
void configversion_on_include_run(int (*fn)(struct ctx *c, const char *cv_id, struct include *inc));

extern const struct http_route configversion_routes[];
extern const struct http_route configversion_upload_routes[];

#endif
