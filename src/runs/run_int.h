/* run_int.h — private to runs/. */
#ifndef STRATA_RUN_INT_H
#define STRATA_RUN_INT_H

#include "app/api.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/err.h"
#include "runs/run.h"
#include "store/store.h"

#include <jansson.h>
#include <string.h>

/* where a run's variables are sealed (keyring.h) */
#define RUN_VARIABLES_AT(id) KEYRING_AT("runs", "sealed_variables", (id))

struct run {
    const char *id, *workspace_id, *configuration_version_id, *plan_id, *apply_id, *status;
    const char *message, *source, *target_addrs, *replace_addrs, *sealed_variables;
    const char *status_timestamps, *plan_status, *apply_status, *created_by, *created_at;
    bool is_destroy, refresh, refresh_only, plan_only, speculative, auto_apply;
    bool allow_empty_apply, save_plan, has_changes;
    bool structured_output; /* logs are terraform's JSON lines, rendered by the client */
    int64_t cancel_requested, plan_add, plan_change, plan_destroy;
    int64_t apply_add, apply_change, apply_destroy;
    int64_t force_cancel_available_at; /* unix seconds; 0 until a cancel */
    int64_t perms; /* the caller's rights on the run's workspace (WS_*), set by run_get */
    const char *organization; /* its workspace's, set by run_get (for the audit trail) */
};

/* Seconds after a cancel before a force-cancel is accepted (the runner's own SIGINT grace). */
enum { RUN_FORCE_CANCEL_COOLOFF = 10 };

int run_db_get(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
               struct run *out);
int run_db_insert(struct ctx *c, const struct run *r);
/* Moves the run from one status to another (with a timestamp); *changed is false when the run
 * was not in from (a concurrent change won). from may be NULL for any. */
int run_db_transition(struct ctx *c, const char *id, const char *from, const char *to,
                      bool *changed);
/* The same from the queued status to the running one, recording the node that runs it. */
int run_db_claim(struct ctx *c, const char *id, const char *from, const char *to, const char *node,
                 bool *changed);
/* Copies what the bus holds of a phase's log into its blob, with note at the end, framed as a
 * finished log (a node died while it ran). */
void run_log_salvage(struct app *app, const char *phase_id, const char *note);
int run_db_set_phase(struct ctx *c, const char *id, enum run_phase phase, const char *status,
                     const struct run_result *res);
/* Records a cancel (level 1) or force-cancel (2); force_at > 0 sets when force-cancel opens. */
int run_db_set_cancel(struct ctx *c, const char *id, int64_t level, int64_t force_at);
int run_db_list(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
                const struct page *p, struct run **out, size_t *n, int64_t *total);

/* JSON:API resources of a run and of one of its phases (new references). */
json_t *run_encode(struct ctx *c, const struct run *r);
json_t *run_phase_encode(struct ctx *c, const struct run *r, enum run_phase phase);

/* ?include= of runs: what TFE documents (go-tfe's RunIncludeOpt). */
extern const char *const run_includes[];
/* Adds what inc asks for about r, the names taken under prefix ("" for a run itself,
 * "current_run." from a workspace, "run." from a state version). */
struct include;
int run_include(struct ctx *c, const struct run *r, const char *prefix, struct include *inc);

/* Status sets. RUN_ACTIVE_SQL: the statuses of a run that holds its workspace, as an SQL list. */
#define RUN_ACTIVE_SQL                                                                             \
    "'plan_queued', 'planning', 'planned', 'confirmed', 'apply_queued', 'applying'"
bool run_status_final(const char *status);
/* Starts the oldest pending run of the workspace when nothing else holds it. */
int run_schedule(struct ctx *c, const char *workspace_id);
/* The bus job of a phase: "<run-id>:plan" or "<run-id>:apply" (RUN_QUEUE in run.h). */
void run_job_name(const char *run_id, enum run_phase phase, char job[128]);
/* Queues a phase of a run on the bus. */
int run_enqueue(struct ctx *c, const char *run_id, enum run_phase phase);
/* Ends a run that will not go on: final status, lock released, next run started. */
int run_end(struct ctx *c, const struct run *r, const char *status);

/* Signed URL of a phase's log. */
const char *run_log_url(struct ctx *c, const char *phase_id);

/* The client creating a run (run_origin.c): TFE's source and default message for it, and whether
 * it renders terraform's JSON log lines (else its runs keep the plain log). Static strings. */
struct run_origin {
    const char *source, *message;
    bool renders_json;
};
/* The origin of c's request: the web UI (a browser session), terraform's cloud integration or
 * remote backend, or an API caller (also outside HTTP). */
void run_origin_of(struct ctx *c, struct run_origin *o);

/* Actions. r->source, when set, names an origin that is not a request (tfe-run-trigger,
 * tfe-configuration-version); otherwise the request's origin is recorded. */
int run_create(struct ctx *c, struct run *r, json_t *variables);
int run_apply(struct ctx *c, struct run *r);
int run_discard(struct ctx *c, struct run *r);
int run_cancel(struct ctx *c, struct run *r, bool force);
/* A run the caller may see. */
int run_get(struct ctx *c, const char *id, int64_t need, struct run *out);
/* Queues runs in the workspaces that name e's workspace as a run trigger source (e applied). */
int run_triggers_fire(struct ctx *c, const struct run_event *e);
/* Tells the run_on_status hooks that run id is now status (run_db.c calls it). */
void run_status_changed(struct ctx *c, const char *id, const char *status);

#endif
