/* run.h — runs: a plan, and maybe an apply, of a configuration version in a workspace.
 * TFE's state machine (docs/ALGORITHMS.md): pending → plan_queued → planning → planned
 * (waits for confirmation) | planned_and_finished (no changes, or speculative) → confirmed →
 * apply_queued → applying → applied; any live state → canceled | force_canceled | errored;
 * planned → discarded. One non-speculative run per workspace is active at a time and holds
 * the workspace lock; later runs wait as pending. Speculative runs neither wait nor lock.
 * The runner drives a run through run_job_begin / run_job_finish. */
#ifndef STRATA_RUN_H
#define STRATA_RUN_H

#include "http/http.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
struct app;
struct bus;
struct configversion;

/* The queue the runner claims jobs from; a job is "<run-id>:plan" or "<run-id>:apply". */
#define RUN_QUEUE "runs"

enum run_phase { RUN_PLAN, RUN_APPLY };

/* What the runner needs to execute one phase of a run. Arena memory. */
struct run_job {
    const char *run_id, *phase_id, *workspace_id, *organization, *workspace_name;
    const char *working_directory, *terraform_version, *configuration_version_id;
    const char *run_token; /* short-lived API token acting for the run */
    bool is_destroy, refresh, refresh_only, speculative;
    bool structured;   /* -json: the log is terraform's JSON lines, and a redacted plan is kept */
    int64_t queued_ms; /* how long the phase waited in the queue before this claim */
    const char **target_addrs, **replace_addrs;
    size_t ntargets, nreplaces;
    const char **var_keys, **var_values; /* run variables (-var), HCL-encoded values */
    size_t nvars;
};

struct run_result {
    bool ok, canceled, has_changes;
    int64_t add, change, destroy;
};

/* Marks the phase started (planning/applying) and fills job; ERR_CONFLICT when the run is no
 * longer queued for it (canceled meanwhile): the runner drops the job. */
int run_job_begin(struct ctx *c, const char *run_id, enum run_phase phase, struct run_job *job);
/* Records the outcome, moves the run on (queues the apply, releases the workspace, starts the
 * next pending run) and revokes the run token. */
int run_job_finish(struct ctx *c, const struct run_job *job, enum run_phase phase,
                   const struct run_result *res);
/* Whether cancellation was asked for the run: 0 no, 1 cancel, 2 force-cancel. */
int run_cancel_requested(struct ctx *c, const char *run_id);

/* At start: re-plans what was planning and errors what was applying on this node (by name)
 * when it stopped, and queues again queued runs the bus lost. */
int run_recover(struct app *app);
/* The same for the runs of another node, found dead (the janitor calls it). */
int run_recover_node(struct app *app, const char *node);
/* Queues again the runs queued for longer than older_than_ms whose job the bus does not hold
 * (a Redis that restarted empty); a run queued twice is claimed once. */
int run_requeue_lost(struct app *app, int64_t older_than_ms);

/* The saved plan of a run, kept between its plan and apply phases (a sealed blob): stored from
 * what is left to read of fd, or written out to fd (the caller's descriptors, opened through
 * beneath.h in the run's folder). */
int run_plan_file_put(struct ctx *c, const char *run_id, int fd);
int run_plan_file_get(struct ctx *c, const char *run_id, int fd);
/* The plan's redacted JSON (structured run output), served at json-output-redacted. */
int run_plan_redacted_put(struct ctx *c, const char *run_id, int fd);

/* A run at a change of its status (notifications). Arena memory; created_by is a username or
 * NULL. */
struct run_event {
    const char *run_id, *status, *message, *created_at, *created_by, *updated_at;
    const char *workspace_id, *workspace_name, *organization;
    bool auto_apply, speculative;
};
/* Runs after a run is created (status "pending") and after each change of its status, inside
 * the change's transaction when there is one. Its errors are logged, never the run's. At most
 * 2, set at start. */
void run_on_status(int (*fn)(struct ctx *c, const struct run_event *e));

/* The configuration-versions hook: queues a run for a configuration uploaded with
 * auto-queue-runs. */
int run_on_configversion_uploaded(struct ctx *c, const struct configversion *cv);
/* The workspaces delete hook: removes the logs and saved plans of the workspace's runs. */
int run_on_workspace_delete(struct ctx *c, const char *workspace_id);
/* The workspaces unlock hook: a workspace unlocked by a user lets its pending runs start. */
int run_on_workspace_unlocked(struct ctx *c, const char *workspace_id);

/* Log of a plan or apply: the runner appends while the phase runs; readers (the log-read URL)
 * see it grow; at the end it is framed, sealed into the blob store and the local file removed. */
struct run_log;
int run_log_open(struct app *app, const char *phase_id, struct run_log **out);
int run_log_write(struct run_log *l, const void *p, size_t n);
/* Appends a formatted message (at most 2 KiB). */
void run_log_printf(struct run_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends ETX, stores the log as a blob and frees l. */
int run_log_close(struct run_log *l);

/* Include hooks: the workspace's current_run (and current_run.plan, .configuration_version)
 * and a run holding its lock; a state version's run (and run.created_by,
 * run.configuration_version); the run of a configuration version. */
struct workspace;
struct include;
int run_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                              struct include *inc);
int run_include_for_state_version(struct ctx *c, const char *run_id, struct include *inc);
int run_include_for_configversion(struct ctx *c, const char *cv_id, struct include *inc);

extern const struct http_route run_routes[];
/* Run triggers (run_trigger.c). */
extern const struct http_route run_trigger_routes[];
extern const struct http_route run_log_routes[];

#endif
