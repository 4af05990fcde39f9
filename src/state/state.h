/* state.h — state versions: every write of a workspace's state is a new version, stored as a
 * sealed blob with its serial, lineage and MD5, and its outputs extracted for
 * `terraform output`. Rules: the writer holds the workspace lock; serials never go back and
 * the lineage never changes unless `force` is set (terraform state push -force); the uploaded
 * bytes must match the announced MD5. A rejected write changes nothing already stored. */
#ifndef STRATA_STATE_H
#define STRATA_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
#include "http/http.h"

struct state_version {
    const char *id, *workspace_id, *lineage, *md5, *status, *created_at, *created_by;
    const char *run_id;                    /* the run that wrote it, or NULL */
    int64_t serial, state_size, json_size; /* sizes are -1 until uploaded (JSON: -2 while it is) */
    int64_t perms; /* the caller's rights on its workspace (WS_*), set where it was checked */
};

/* Largest state file accepted, in bytes. */
#define STATE_MAX_BYTES (512LL * 1024 * 1024)

/* The workspaces/ delete hook: removes the workspace's state blobs. */
int state_on_workspace_delete(struct ctx *c, const char *workspace_id);

/* The workspaces include hook: "current-state-version" and "outputs" (of the current one). */
struct workspace;
struct include;
int state_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                                struct include *inc);
/* Adds the run (and "run.created_by", "run.configuration_version" when asked) a state version
 * names; runs/ provides it. Set once at start. */
void state_on_include_run(int (*fn)(struct ctx *c, const char *run_id, struct include *inc));

extern const struct http_route state_routes[];
/* The hosted upload/download URLs (no token: the signed URL is the credential). */
extern const struct http_route state_upload_routes[];

#endif
