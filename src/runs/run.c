/* run.c — run rules: creation, the actions a user takes (apply, discard, cancel) and the
 * scheduling that keeps one active run per workspace. */
#include "runs/run_int.h"
#include "base/codec.h"
#include "base/log.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "configversions/configversion.h"
#include "keyring/keyring.h"
#include "tokens/token.h"
#include "workspaces/workspace.h"

#include <stdio.h>
#include <stdlib.h>

bool run_status_final(const char *s)
{
    static const char *final[] = {
        "applied",  "planned_and_finished", "planned_and_saved", "discarded",
        "canceled", "force_canceled",       "errored",           0};
    for (int i = 0; final[i]; i++)
        if (strcmp(s, final[i]) == 0) return true;
    return false;
}

static int (*status_hooks[2])(struct ctx *, const struct run_event *);
static int nstatus_hooks;

void run_on_status(int (*fn)(struct ctx *c, const struct run_event *e))
{
    if (nstatus_hooks < 2) status_hooks[nstatus_hooks++] = fn;
}

void run_status_changed(struct ctx *c, const char *id, const char *status)
{
    bool applied = strcmp(status, "applied") == 0;
    if (!nstatus_hooks && !applied) return;
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT r.message, r.created_at, u.username, r.updated_at, w.id, w.name, "
                         "w.organization, r.auto_apply, r.speculative FROM runs r JOIN "
                         "workspaces w ON w.id = r.workspace_id LEFT JOIN users u ON "
                         "u.id = r.created_by WHERE r.id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    if (rc || !r.nrows) return;
    struct run_event e = {id,
                          status,
                          store_cell(&r, 0, 0),
                          store_cell(&r, 0, 1),
                          store_cell(&r, 0, 2),
                          store_cell(&r, 0, 3),
                          store_cell(&r, 0, 4),
                          store_cell(&r, 0, 5),
                          store_cell(&r, 0, 6),
                          store_cell_bool(&r, 0, 7),
                          store_cell_bool(&r, 0, 8)};
    for (int i = 0; i < nstatus_hooks; i++)
        if ((rc = status_hooks[i](c, &e)))
            log_warn("run %s: a %s hook failed: %s", id, status, err_name(rc));
    if (applied && (rc = run_triggers_fire(c, &e)))
        log_warn("run %s: its run triggers failed: %s", id, err_name(rc));
}

int run_get(struct ctx *c, const char *id, int64_t need, struct run *out)
{
    struct workspace w;
    int rc = run_db_get(c, "id = $1", S_ARGS(S_TEXT(id)), out);
    if (!rc) rc = workspace_get(c, out->workspace_id, need, &w);
    if (!rc) out->perms = w.perms, out->organization = w.organization;
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "run not found");
    return rc;
}

void run_job_name(const char *run_id, enum run_phase phase, char job[128])
{
    snprintf(job, 128, "%s:%s", run_id, phase == RUN_PLAN ? "plan" : "apply");
}

static void enqueue_now(void *bus, const char *job)
{
    int rc = bus_enqueue(bus, RUN_QUEUE, job);
    /* the run is queued in the database, the truth: the janitor puts it on the bus later */
    if (rc)
        log_warn("job %s: not on the bus (%s); queued again when it answers", job, err_name(rc));
}

/* Once the caller's outermost transaction has committed (at once outside one): a worker that
 * claimed the job earlier would not see the run queued yet. */
int run_enqueue(struct ctx *c, const char *run_id, enum run_phase phase)
{
    char job[128];
    run_job_name(run_id, phase, job);
    store_after_commit(c->app->store, enqueue_now, c->app->bus, job);
    return 0;
}

/* Starts a run: plan_queued (a non-speculative run takes the lock first). The caller puts it on
 * the bus once its transaction has committed: a worker may claim it at once. */
static int start(struct ctx *c, const struct run *r, bool *started)
{
    *started = false;
    int rc = 0;
    if (!r->speculative) {
        bool taken = false;
        rc = workspace_lock_for_run(c, r->workspace_id, r->id, &taken);
        if (rc || !taken) return rc; /* a user holds the workspace: the run waits */
        rc = workspace_set_current_run(c, r->workspace_id, r->id);
    }
    bool changed = false;
    if (!rc) rc = run_db_transition(c, r->id, "pending", "plan_queued", &changed);
    if (!rc) rc = run_db_set_phase(c, r->id, RUN_PLAN, "queued", 0);
    *started = changed;
    return rc;
}

/* Non-speculative runs of the workspace between plan_queued and their end: those hold it. */
static int active_runs(struct ctx *c, const char *workspace_id, int64_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT COUNT(*) FROM runs WHERE workspace_id = $1 AND speculative = $2 "
                         "AND status IN (" RUN_ACTIVE_SQL ")",
                         S_ARGS(S_TEXT(workspace_id), S_BOOL(false)), &r);
    if (!rc) *n = store_cell_int(&r, 0, 0);
    return rc;
}

int run_schedule(struct ctx *c, const char *workspace_id)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    int64_t active = 0;
    rc = active_runs(c, workspace_id, &active);
    struct run next;
    bool started = false;
    if (!rc && active == 0) {
        rc = run_db_get(c,
                        "workspace_id = $1 AND status = 'pending' AND speculative = $2 "
                        "ORDER BY created_at, id LIMIT 1",
                        S_ARGS(S_TEXT(workspace_id), S_BOOL(false)), &next);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
        else if (!rc)
            rc = start(c, &next, &started);
    }
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    rc = store_commit(c->app->store);
    if (!rc && started) rc = run_enqueue(c, next.id, RUN_PLAN);
    return rc;
}

int run_end(struct ctx *c, const struct run *r, const char *status)
{
    bool changed;
    int rc = run_db_transition(c, r->id, 0, status, &changed);
    if (!rc && strcmp(status, "planned_and_saved") != 0) /* a spent plan file */
        blob_delete(c->app->blobs, arena_printf(c->a, "runs/%s/plan", r->id));
    if (!rc && !r->speculative) rc = workspace_unlock_for_run(c, r->workspace_id, r->id);
    if (!rc) token_revoke_run(c, r->id);
    if (!rc && !r->speculative) rc = run_schedule(c, r->workspace_id);
    return rc;
}

/* Reads a JSON list of strings into compact JSON text (target-addrs, replace-addrs). */
static int addr_list(struct ctx *c, json_t *v, const char *name, const char **out)
{
    *out = "[]";
    if (!v || json_is_null(v)) return 0;
    size_t i;
    json_t *e;
    if (!json_is_array(v)) goto bad;
    json_array_foreach(v, i, e) if (!json_is_string(e)) goto bad;
    char *text = json_dumps(v, JSON_COMPACT);
    *out = arena_strdup(c->a, text);
    free(text);
    return 0;
bad:
    return ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/attributes/%s", name),
                       "%s must be a list of resource addresses", name);
}

/* Run variables: [{"key","value"}], values HCL-encoded; sealed, as they may be secrets. */
static int seal_variables(struct ctx *c, const char *run_id, json_t *v, const char **out)
{
    size_t i;
    json_t *e;
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) goto bad;
        json_array_foreach(v, i, e)
        {
            const char *k = json_string_value(json_object_get(e, "key"));
            if (!k || !*k || !json_is_string(json_object_get(e, "value"))) goto bad;
        }
    }
    char *text = v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT) : strdup("[]");
    *out = keyring_seal_at(c->app->keyring, c->a, RUN_VARIABLES_AT(run_id), text, strlen(text));
    free(text);
    return 0;
bad:
    return ctx_fail_at(c, ERR_INVALID, "/data/attributes/variables",
                       "variables must be a list of {\"key\", \"value\"} strings");
}

int run_create(struct ctx *c, struct run *r, json_t *attrs)
{
    struct workspace w;
    struct configversion cv;
    int rc =
        workspace_get(c, r->workspace_id, WS_QUEUE_PLAN | (r->is_destroy ? WS_QUEUE_APPLY : 0), &w);
    if (rc) return rc;
    /* a run no client made (a run trigger, an upload) is read in the UI and the API */
    struct run_origin origin = {r->source, "Triggered via API", true};
    if (!r->source) run_origin_of(c, &origin);
    r->source = origin.source;
    if (!r->message) r->message = origin.message;
    r->structured_output = w.structured_run_output_enabled && origin.renders_json;
    if (strcmp(w.execution_mode, "remote") != 0)
        return ctx_fail(c, ERR_INVALID,
                        "workspace \"%s\" uses %s execution: its runs happen "
                        "where terraform is invoked",
                        w.name, w.execution_mode);
    if (!r->configuration_version_id) {
        struct store_result latest;
        rc = store_query(c->app->store, c->a,
                         "SELECT id FROM configuration_versions WHERE workspace_id = $1 AND "
                         "status = 'uploaded' ORDER BY created_at DESC LIMIT 1",
                         S_ARGS(S_TEXT(w.id)), &latest);
        if (rc) return rc;
        if (!latest.nrows)
            return ctx_fail(c, ERR_INVALID, "the workspace has no uploaded configuration");
        r->configuration_version_id = store_cell(&latest, 0, 0);
    }
    rc = configversion_get(c, r->configuration_version_id, &cv);
    if (rc || strcmp(cv.workspace_id, w.id) != 0)
        return ctx_fail_at(c, rc == ERR_NOT_FOUND || !rc ? ERR_INVALID : rc,
                           "/data/relationships/configuration-version/data/id",
                           "configuration version not found in this workspace");
    if (strcmp(cv.status, "uploaded") != 0)
        return ctx_fail(c, ERR_INVALID, "configuration version %s is %s, not uploaded", cv.id,
                        cv.status);
    r->id = codec_new_id(c->a, "run"); /* its variables are sealed for it */
    if ((rc = addr_list(c, json_object_get(attrs, "target-addrs"), "target-addrs",
                        &r->target_addrs)) ||
        (rc = addr_list(c, json_object_get(attrs, "replace-addrs"), "replace-addrs",
                        &r->replace_addrs)) ||
        (rc = seal_variables(c, r->id, json_object_get(attrs, "variables"), &r->sealed_variables)))
        return rc;
    if (r->refresh_only && r->is_destroy)
        return ctx_fail(c, ERR_INVALID, "refresh-only and is-destroy cannot both be set");
    r->speculative = r->plan_only || cv.speculative;
    r->plan_id = codec_new_id(c->a, "plan");
    r->apply_id = codec_new_id(c->a, "apply");
    r->status = "pending";
    r->plan_status = r->apply_status = "pending";
    r->created_at = codec_now_iso(c->a);
    r->created_by = c->who.user_id;
    /* one transaction: a run whose start failed was left pending, with nothing to start it
     * while its workspace stayed idle, and its creator told it failed (test_fault_injection) */
    if ((rc = store_begin(c->app->store))) return rc;
    rc = run_db_insert(c, r);
    if (!rc) rc = audit_record(c, w.organization, "run", r->id, "create");
    if (!rc) run_status_changed(c, r->id, "pending");
    bool started;
    if (!rc && r->speculative) {
        /* speculative plans neither wait for nor lock the workspace */
        rc = start(c, r, &started);
        if (!rc && started) rc = run_enqueue(c, r->id, RUN_PLAN);
    } else if (!rc) {
        rc = run_schedule(c, w.id);
    }
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    /* committed: a failure to read it back still answers the run as made */
    struct run made = *r; /* fields that are not columns stay as they are */
    if (!run_db_get(c, "id = $1", S_ARGS(S_TEXT(r->id)), &made)) *r = made;
    return 0;
}

int run_on_configversion_uploaded(struct ctx *c, const struct configversion *cv)
{
    struct run r = {.workspace_id = cv->workspace_id,
                    .configuration_version_id = cv->id,
                    .refresh = true,
                    .source = "tfe-configuration-version",
                    .message = "Queued automatically by a configuration upload"};
    struct workspace w;
    /* an upload URL is its own credential (made for a caller that could queue plans): the run
     * is made on the workspace's behalf */
    struct principal saved = c->who;
    int rc = workspace_get_unchecked(c, cv->workspace_id, &w);
    if (!rc) c->who = (struct principal){.kind = PRINCIPAL_SYSTEM, .org = w.organization};
    /* applied by itself only where the uploader could have applied it (see configversion.h) */
    r.auto_apply = !rc && w.auto_apply && (cv->perms & WS_QUEUE_APPLY);
    json_t *none = json_object();
    if (!rc) rc = run_create(c, &r, none);
    json_decref(none);
    c->who = saved;
    if (rc == ERR_INVALID) return 0; /* a local-execution workspace: nothing to queue */
    return rc;
}

int run_on_workspace_delete(struct ctx *c, const char *workspace_id)
{
    struct store_result res;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id, plan_id, apply_id FROM runs WHERE workspace_id = $1",
                         S_ARGS(S_TEXT(workspace_id)), &res);
    for (size_t i = 0; !rc && i < res.nrows; i++) {
        rc = blob_delete(c->app->blobs, arena_printf(c->a, "runs/%s/plan", store_cell(&res, i, 0)));
        if (!rc)
            rc = blob_delete(c->app->blobs,
                             arena_printf(c->a, "runs/%s/plan-redacted", store_cell(&res, i, 0)));
        for (int k = 1; !rc && k <= 2; k++)
            rc = blob_delete(c->app->blobs, arena_printf(c->a, "logs/%s", store_cell(&res, i, k)));
    }
    return rc;
}

int run_on_workspace_unlocked(struct ctx *c, const char *workspace_id)
{
    return run_schedule(c, workspace_id);
}

/* A saved plan is applied once the workspace is free again: the run takes the lock back. */
static int apply_saved(struct ctx *c, struct run *r)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    int64_t active = 0;
    bool taken = false, changed = false;
    rc = active_runs(c, r->workspace_id, &active);
    if (!rc && active > 0)
        rc = ctx_fail(c, ERR_CONFLICT,
                      "another run is active in the workspace; apply the saved "
                      "plan when it has finished");
    if (!rc) rc = workspace_lock_for_run(c, r->workspace_id, r->id, &taken);
    if (!rc && !taken) rc = ctx_fail(c, ERR_CONFLICT, "the workspace is locked");
    if (!rc) rc = workspace_set_current_run(c, r->workspace_id, r->id);
    if (!rc) rc = run_db_transition(c, r->id, "planned_and_saved", "apply_queued", &changed);
    if (!rc && !changed) rc = ctx_fail(c, ERR_CONFLICT, "the run changed meanwhile");
    if (!rc) rc = run_db_set_phase(c, r->id, RUN_APPLY, "queued", 0);
    if (!rc) rc = audit_record(c, r->organization, "run", r->id, "apply");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    return run_enqueue(c, r->id, RUN_APPLY);
}

int run_apply(struct ctx *c, struct run *r)
{
    if (strcmp(r->status, "planned_and_saved") == 0) return apply_saved(c, r);
    /* confirmed: a confirmation whose queueing failed (a storage error) is finished now */
    bool resume = strcmp(r->status, "confirmed") == 0, changed = true;
    if (strcmp(r->status, "planned") != 0 && !resume)
        return ctx_fail(c, ERR_CONFLICT, "the run is %s; only a planned run can be applied",
                        r->status);
    int rc = resume ? 0 : store_begin(c->app->store);
    if (rc) return rc;
    if (!resume) {
        rc = run_db_transition(c, r->id, "planned", "confirmed", &changed);
        if (!rc && changed) rc = audit_record(c, r->organization, "run", r->id, "apply");
        if (rc) {
            store_rollback(c->app->store);
            return rc;
        }
        if ((rc = store_commit(c->app->store))) return rc;
    }
    if (changed) rc = run_db_transition(c, r->id, "confirmed", "apply_queued", &changed);
    if (!rc && changed) rc = run_db_set_phase(c, r->id, RUN_APPLY, "queued", 0);
    if (!rc && changed) rc = run_enqueue(c, r->id, RUN_APPLY);
    if (!rc && !changed) rc = ctx_fail(c, ERR_CONFLICT, "the run changed meanwhile");
    return rc;
}

int run_discard(struct ctx *c, struct run *r)
{
    if (strcmp(r->status, "planned_and_saved") == 0) {
        int rc = store_begin(c->app->store);
        if (rc) return rc;
        rc = run_db_set_phase(c, r->id, RUN_APPLY, "unreachable", 0);
        bool changed;
        if (!rc) rc = run_db_transition(c, r->id, "planned_and_saved", "discarded", &changed);
        if (!rc) rc = audit_record(c, r->organization, "run", r->id, "discard");
        if (rc) {
            store_rollback(c->app->store);
            return rc;
        }
        if ((rc = store_commit(c->app->store))) return rc;
        if (!rc) blob_delete(c->app->blobs, arena_printf(c->a, "runs/%s/plan", r->id));
        return rc;
    }
    if (strcmp(r->status, "planned") != 0)
        return ctx_fail(c, ERR_CONFLICT, "the run is %s; only a planned run can be discarded",
                        r->status);
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = run_db_set_phase(c, r->id, RUN_APPLY, "unreachable", 0);
    if (!rc) rc = audit_record(c, r->organization, "run", r->id, "discard");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    return run_end(c, r, "discarded");
}

int run_cancel(struct ctx *c, struct run *r, bool force)
{
    if (run_status_final(r->status))
        return ctx_fail(c, ERR_CONFLICT, "the run is %s and cannot be canceled", r->status);
    if (force && r->cancel_requested == 0)
        return ctx_fail(c, ERR_CONFLICT, "force-cancel follows a cancel that did not finish");
    if (force && codec_now_unix() < r->force_cancel_available_at)
        return ctx_fail(c, ERR_CONFLICT, "force-cancel is available at %s",
                        codec_iso_of_unix(c->a, r->force_cancel_available_at));
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = run_db_set_cancel(
        c, r->id, force ? 2 : 1,
        force || r->cancel_requested ? 0 : codec_now_unix() + RUN_FORCE_CANCEL_COOLOFF);
    if (!rc) rc = audit_record(c, r->organization, "run", r->id, force ? "force-cancel" : "cancel");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    /* not started yet: it ends here; running: the runner signals terraform and ends it */
    if (strcmp(r->status, "pending") == 0 || strcmp(r->status, "plan_queued") == 0 ||
        strcmp(r->status, "apply_queued") == 0 || strcmp(r->status, "planned") == 0) {
        rc = run_db_set_phase(c, r->id, strcmp(r->status, "apply_queued") ? RUN_PLAN : RUN_APPLY,
                              "canceled", 0);
        if (!rc) rc = run_end(c, r, force ? "force_canceled" : "canceled");
    } else if (force) {
        log_info("run %s: force-cancel asked", r->id);
    }
    return rc;
}

int run_cancel_requested(struct ctx *c, const char *run_id)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, "SELECT cancel_requested FROM runs WHERE id = $1",
                         S_ARGS(S_TEXT(run_id)), &r);
    return rc || !r.nrows ? 0 : (int)store_cell_int(&r, 0, 0);
}
