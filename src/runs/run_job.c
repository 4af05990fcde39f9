/* run_job.c — the runner's side of a run: begin a phase, finish it, keep the saved plan
 * between the phases, and recover queued work after a restart. */
#include "runs/run_int.h"
#include "base/codec.h"
#include "base/log.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "keyring/keyring.h"
#include "tokens/token.h"
#include "workspaces/workspace.h"

#include <stdio.h>
#include <stdlib.h>

enum { RUN_TOKEN_TTL = 6 * 3600 };

/* A JSON list of strings (stored text) into an arena array. */
static const char **string_list(struct ctx *c, const char *text, size_t *n)
{
    json_error_t je;
    json_t *a = json_loads(text ? text : "[]", 0, &je);
    *n = json_is_array(a) ? json_array_size(a) : 0;
    const char **out = arena_alloc(c->a, (*n + 1) * sizeof *out);
    for (size_t i = 0; i < *n; i++)
        out[i] = arena_strdup(c->a, json_string_value(json_array_get(a, i)));
    json_decref(a);
    return out;
}

static int open_variables(struct ctx *c, const struct run *r, struct run_job *job)
{
    unsigned char *plain;
    size_t len;
    int rc = keyring_unseal_at(c->app->keyring, c->a, RUN_VARIABLES_AT(r->id), r->sealed_variables,
                               &plain, &len);
    if (rc) return rc;
    json_error_t je;
    json_t *a = json_loadb((const char *)plain, len, 0, &je);
    job->nvars = json_is_array(a) ? json_array_size(a) : 0;
    job->var_keys = arena_alloc(c->a, (job->nvars + 1) * sizeof *job->var_keys);
    job->var_values = arena_alloc(c->a, (job->nvars + 1) * sizeof *job->var_values);
    for (size_t i = 0; i < job->nvars; i++) {
        json_t *e = json_array_get(a, i);
        job->var_keys[i] = arena_strdup(c->a, json_string_value(json_object_get(e, "key")));
        job->var_values[i] = arena_strdup(c->a, json_string_value(json_object_get(e, "value")));
    }
    json_decref(a);
    return 0;
}

static int job_begin(struct ctx *c, const char *run_id, enum run_phase phase, struct run_job *job)
{
    struct run r;
    struct workspace w;
    bool changed = false;
    const char *from = phase == RUN_PLAN ? "plan_queued" : "apply_queued";
    const char *to = phase == RUN_PLAN ? "planning" : "applying";
    int rc = run_db_claim(c, run_id, from, to, c->app->node_name, &changed);
    if (!rc && !changed) return ERR_CONFLICT;
    if (!rc) rc = run_db_set_phase(c, run_id, phase, "running", 0);
    if (!rc) rc = run_db_get(c, "id = $1", S_ARGS(S_TEXT(run_id)), &r);
    if (!rc) rc = workspace_get_unchecked(c, r.workspace_id, &w);
    if (rc) return rc;
    memset(job, 0, sizeof *job);
    job->run_id = r.id;
    job->phase_id = phase == RUN_PLAN ? r.plan_id : r.apply_id;
    job->workspace_id = w.id;
    job->organization = w.organization;
    job->workspace_name = w.name;
    job->working_directory = w.working_directory;
    job->terraform_version = w.terraform_version;
    job->configuration_version_id = r.configuration_version_id;
    job->is_destroy = r.is_destroy;
    job->refresh = r.refresh;
    job->refresh_only = r.refresh_only;
    job->speculative = r.speculative;
    job->structured = r.structured_output;
    json_t *ts = json_loads(r.status_timestamps ? r.status_timestamps : "{}", 0, 0);
    const char *queued = json_string_value(
        json_object_get(ts, phase == RUN_PLAN ? "plan-queued-at" : "apply-queued-at"));
    int64_t at;
    if (queued && codec_parse_iso_ms(queued, &at)) job->queued_ms = codec_now_ms() - at;
    json_decref(ts);
    job->target_addrs = string_list(c, r.target_addrs, &job->ntargets);
    job->replace_addrs = string_list(c, r.replace_addrs, &job->nreplaces);
    if ((rc = open_variables(c, &r, job))) return rc;
    return token_issue_run(c, r.id, w.organization, w.id, RUN_TOKEN_TTL, &job->run_token);
}

/* One transaction: a failure after the claim puts the run back in its queued status, which the
 * janitor puts on the bus again (run_requeue_lost); otherwise the run stayed planning with no
 * worker, holding its workspace until the node restarted (found by test_fault_injection). */
int run_job_begin(struct ctx *c, const char *run_id, enum run_phase phase, struct run_job *job)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    if ((rc = job_begin(c, run_id, phase, job))) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int run_job_finish(struct ctx *c, const struct run_job *job, enum run_phase phase,
                   const struct run_result *res)
{
    struct run r = {0};
    int rc = run_db_get(c, "id = $1", S_ARGS(S_TEXT(job->run_id)), &r);
    if (rc) return rc;
    /* not a column of runs: run_apply's audit event names it (it read an uninitialised pointer,
     * seen as invalid UTF-8 in PostgreSQL when test_fault_injection retried an auto-apply) */
    r.organization = job->organization;
    const char *phase_status = res->ok ? "finished" : res->canceled ? "canceled" : "errored";
    if ((rc = run_db_set_phase(c, r.id, phase, phase_status, res))) return rc;
    token_revoke_run(c, r.id);
    if (!res->ok) {
        if (phase == RUN_PLAN) run_db_set_phase(c, r.id, RUN_APPLY, "unreachable", 0);
        return run_end(c, &r,
                       !res->canceled            ? "errored"
                       : r.cancel_requested == 2 ? "force_canceled"
                                                 : "canceled");
    }
    if (phase == RUN_APPLY) return run_end(c, &r, "applied");
    bool changed;
    if (r.speculative || (!res->has_changes && !r.allow_empty_apply)) {
        run_db_set_phase(c, r.id, RUN_APPLY, "unreachable", 0);
        return run_end(c, &r, "planned_and_finished");
    }
    if (r.save_plan) {
        /* kept with its plan file; the workspace is free until the plan is applied */
        return run_end(c, &r, "planned_and_saved");
    }
    /* the runner calls again after a storage error: resume where the last call stopped */
    if (strcmp(r.status, "planning") == 0) {
        if ((rc = run_db_transition(c, r.id, "planning", "planned", &changed))) return rc;
        if (!changed) return 0; /* canceled at the last moment: run_cancel ended it */
        r.status = "planned";
    }
    if (!r.auto_apply) return 0; /* waits for confirmation */
    if (strcmp(r.status, "planned") != 0 && strcmp(r.status, "confirmed") != 0) return 0;
    return run_apply(c, &r);
}

/* A phase that was running on a node that stopped: a plan runs again elsewhere; an apply may
 * have changed real infrastructure, so it is never run again: it errors, keeping the state
 * terraform saved meanwhile, and its log so far. */
static int recover_run(struct ctx *c, const char *id, const char *status, const char *node)
{
    bool changed;
    if (strcmp(status, "planning") == 0) {
        log_warn("run %s: node %s stopped while planning; the plan runs again", id, node);
        int rc = run_db_transition(c, id, "planning", "plan_queued", &changed);
        if (!rc && changed) rc = run_db_set_phase(c, id, RUN_PLAN, "queued", 0);
        return !rc && changed ? run_enqueue(c, id, RUN_PLAN) : rc;
    }
    struct run r;
    log_warn("run %s: node %s stopped while applying; the run is errored", id, node);
    int rc = run_db_get(c, "id = $1", S_ARGS(S_TEXT(id)), &r);
    if (!rc)
        run_log_salvage(c->app, r.apply_id,
                        arena_printf(c->a,
                                     "\nError: the node executing this apply (%s) stopped. "
                                     "Resources it changed are in the state it saved; "
                                     "plan again to see where things stand.\n",
                                     node));
    if (!rc) rc = run_db_set_phase(c, id, RUN_APPLY, "errored", 0);
    if (!rc) rc = run_end(c, &r, "errored");
    return rc;
}

int run_recover_node(struct app *app, const char *node)
{
    struct ctx c = {.a = arena_new(), .app = app};
    struct store_result res;
    int rc = store_query(app->store, c.a,
                         "SELECT id, status FROM runs WHERE status IN ('planning', 'applying') "
                         "AND (node = $1 OR node IS NULL) ORDER BY created_at",
                         S_ARGS(S_TEXT(node)), &res);
    for (size_t i = 0; !rc && i < res.nrows; i++)
        rc = recover_run(&c, store_cell(&res, i, 0), store_cell(&res, i, 1), node);
    arena_free(c.a);
    return rc;
}

int run_requeue_lost(struct app *app, int64_t older_than_ms)
{
    struct ctx c = {.a = arena_new(), .app = app};
    struct store_result res;
    int rc = store_query(app->store, c.a,
                         "SELECT id, status FROM runs WHERE status IN ('plan_queued', "
                         "'apply_queued') AND updated_at < $1 ORDER BY created_at",
                         S_ARGS(S_TEXT(codec_iso_ms_ago(c.a, older_than_ms))), &res);
    for (size_t i = 0; !rc && i < res.nrows; i++) {
        const char *id = store_cell(&res, i, 0);
        enum run_phase phase =
            strcmp(store_cell(&res, i, 1), "plan_queued") == 0 ? RUN_PLAN : RUN_APPLY;
        char job[128];
        run_job_name(id, phase, job);
        bool queued = true;
        rc = bus_queued(app->bus, RUN_QUEUE, job, &queued);
        if (!rc && !queued) {
            log_warn("run %s: its job was not on the bus (Redis restarted?); queued again", id);
            rc = run_enqueue(&c, id, phase);
        }
    }
    arena_free(c.a);
    return rc;
}

int run_recover(struct app *app)
{
    int rc = run_recover_node(app, app->node_name);
    /* queued runs: the local bus starts empty; on Redis a duplicate is dropped at claim */
    return rc ? rc : run_requeue_lost(app, 0);
}

static const char *plan_key(struct ctx *c, const char *run_id)
{
    return arena_printf(c->a, "runs/%s/plan", run_id);
}

int run_plan_file_put(struct ctx *c, const char *run_id, int fd)
{
    return blob_put_fd(c->app->blobs, plan_key(c, run_id), fd);
}

int run_plan_redacted_put(struct ctx *c, const char *run_id, int fd)
{
    return blob_put_fd(c->app->blobs, arena_printf(c->a, "runs/%s/plan-redacted", run_id), fd);
}

int run_plan_file_get(struct ctx *c, const char *run_id, int fd)
{
    return blob_get_fd(c->app->blobs, plan_key(c, run_id), fd);
}
