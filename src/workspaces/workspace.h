/* workspace.h — workspaces: where state lives and runs happen. Lock rules: a workspace is
 * locked by one holder (a user, or an organization/team token) at a time; only that holder
 * unlocks it; force-unlock clears any lock. Writing state needs the caller to hold the lock. */
#ifndef STRATA_WORKSPACE_H
#define STRATA_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
#include "http/http.h"

#include <jansson.h>

/* A field added here is added to workspace_cache.c's lists too (a static assertion there says
 * so): reads come from there. */
struct workspace {
    const char *id, *organization, *name, *description, *execution_mode, *terraform_version;
    const char *working_directory, *created_at, *updated_at;
    bool auto_apply, allow_destroy_plan, file_triggers_enabled, queue_all_runs;
    bool speculative_enabled, global_remote_state, structured_run_output_enabled;
    const char *trigger_prefixes;                            /* a JSON array of strings */
    const char *source_name, *source_url;                    /* NULL when not given */
    const char *locked_by_kind, *locked_by_id, *lock_reason; /* NULL when unlocked */
    const char *current_state_version_id;                    /* NULL before any state */
    const char *current_run_id;                              /* the latest run to start */
    const char *ssh_key_id; /* the SSH key its runs fetch modules with; NULL: none */
    const char **tags;
    size_t ntags;
    int64_t perms; /* the caller's rights on it (app/authz.h WS_*), set by the reads below */
};

/* app->workspace_cache is made at start as node_cache_new(bus, WORKSPACE_CACHE_CHANNEL,
 * WORKSPACE_CACHE_MS, ...): a row is served from memory until some node changes it, or for this
 * long (workspace_cache.c). */
#define WORKSPACE_CACHE_CHANNEL "workspaces"
enum { WORKSPACE_CACHE_MS = 10 * 1000 };

/* Reads a workspace on which the caller holds need (WS_* of app/authz.h), by id or by
 * organization and name: ERR_NOT_FOUND when it may not see it (also another organization's),
 * ERR_FORBIDDEN when it may see it but lacks need. out->perms holds the caller's rights. */
int workspace_get(struct ctx *c, const char *id, int64_t need, struct workspace *out);
int workspace_get_by_name(struct ctx *c, const char *org, const char *name, int64_t need,
                          struct workspace *out);

/* The private key (PEM, arena memory) of the SSH key assigned to the workspace, for the runner;
 * *pem NULL when none is. No authorization. */
int workspace_ssh_key_for_run(struct ctx *c, const char *workspace_id, const char **pem);
/* SSH keys of organizations and their assignment to workspaces (ssh_key.c). */
extern const struct http_route ssh_key_routes[];

/* Reads a workspace with no authorization: for the runner acting for one of its runs. */
int workspace_get_unchecked(struct ctx *c, const char *id, struct workspace *out);

/* True when the caller holds the workspace's lock. */
bool workspace_locked_by_caller(const struct ctx *c, const struct workspace *w);
/* Points the workspace at a new current state version (state/ calls this on finalize). */
int workspace_set_current_state(struct ctx *c, const char *workspace_id, const char *sv_id);

/* Run locks (runs/): a run takes the workspace's lock when it starts and releases it when it
 * ends. lock sets *taken false when someone else holds it. */
int workspace_lock_for_run(struct ctx *c, const char *workspace_id, const char *run_id,
                           bool *taken);
int workspace_unlock_for_run(struct ctx *c, const char *workspace_id, const char *run_id);
int workspace_set_current_run(struct ctx *c, const char *workspace_id, const char *run_id);
/* Runs after a user or token unlocks a workspace (runs/ starts what waited). Set at start. */
void workspace_on_unlocked(int (*fn)(struct ctx *c, const char *workspace_id));
/* The workspace as a JSON:API resource (for other domains' includes); a new reference. */
json_t *workspace_encode(struct ctx *c, const struct workspace *w);

/* ?include= of workspaces: what TFE documents (go-tfe's WSIncludeOpt). */
extern const char *const workspace_includes[];
/* Adds what inc asks for about w to inc (organization, locked_by users here; higher domains
 * through the hooks: runs, configuration versions, state). res is w's resource, for
 * relationships to what is included. */
struct include;
int workspace_include(struct ctx *c, const struct workspace *w, json_t *res, struct include *inc);
/* An include hook: adds the names it knows (e.g. "current_run") for w. At most 4. */
void workspace_on_include(int (*fn)(struct ctx *c, const struct workspace *w, json_t *res,
                                    struct include *inc));

/* How many workspaces are pinned to a terraform version (admin's "usage"); no authorization. */
int workspace_count_by_version(struct ctx *c, const char *version, int64_t *n);

/* Runs before a workspace row is deleted (state/ removes its blobs). At most 4, set at start. */
void workspace_on_delete(int (*fn)(struct ctx *c, const char *workspace_id));

/* The organizations/ delete hook: deletes the organization's workspaces (running their hooks). */
int workspace_on_org_delete(struct ctx *c, const char *org);

/* The organizations rename hook: this domain's rows follow the new name. */
int workspace_on_org_renamed(struct ctx *c, const char *from, const char *to);
extern const struct http_route workspace_routes[];
/* Remote state sharing (remote_state.c): the remote-state-consumers routes, and the check
 * app/authz.c asks for a run's token (authz_on_state_sharing): *shared when workspace_id and
 * consumer_id are of one organization and workspace_id has global-remote-state or lists
 * consumer_id. No authorization of the caller. */
extern const struct http_route remote_state_routes[];
int workspace_state_shared(struct ctx *c, const char *workspace_id, const char *consumer_id,
                           bool *shared);
/* Team access to workspaces (team_access.c). */
extern const struct http_route team_access_routes[];

#endif
