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

struct configversion {
    const char *id, *workspace_id, *status, *error_message, *source, *created_at;
    bool auto_queue_runs, speculative, provisional;
    int64_t size;
};

/* Caps on a configuration's tar.gz, compressed and unpacked. */
#define SLUG_MAX_BYTES (256LL * 1024 * 1024)
#define SLUG_MAX_UNPACKED (1024LL * 1024 * 1024)
#define SLUG_MAX_ENTRIES 100000

/* Reads a configuration version whose workspace the caller may see; ERR_NOT_FOUND otherwise. */
int configversion_get(struct ctx *c, const char *id, struct configversion *out);

/* The configuration version as a JSON:API resource (a new reference), for includes too. */
json_t *configversion_encode(struct ctx *c, const struct configversion *cv);
/* The newest configuration version of a workspace the caller was authorized for (not checked
 * here); ERR_NOT_FOUND when it has none. */
int configversion_latest(struct ctx *c, const char *workspace_id, struct configversion *out);

/* Checks a stored configuration and, when dest is non-NULL, unpacks it under dest (an existing
 * folder). Returns 0, or ERR_INVALID with the reason in err (a path that escapes, a link out of
 * the tree, a device, too big, not a tar.gz), or the blob's own error. */
int configversion_unpack(struct blob_store *bs, const char *cv_id, const char *dest, char *err,
                         size_t errlen);
/* The same checks (and unpacking) for any stored tar.gz blob: registry modules' archives. */
int slug_unpack(struct blob_store *bs, const char *key, const char *dest, char *err, size_t errlen);

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
