/* run_encode.c — runs, plans and applies as JSON:API resources; the related resources of runs
 * in "included", and runs as the related resources of workspaces, state versions and
 * configuration versions (their include hooks). */
#include "runs/run_int.h"
#include "app/include.h"
#include "base/codec.h"
#include "configversions/configversion.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"
#include "users/user.h"
#include "workspaces/workspace.h"

static json_t *json_text(const char *text, const char *fallback)
{
    json_error_t je;
    json_t *v = json_loads(text ? text : fallback, JSON_DECODE_ANY, &je);
    return v ? v : json_loads(fallback, JSON_DECODE_ANY, &je);
}

/* The run variables it was created with ([{"key", "value"}], kept sealed). */
static json_t *run_variables(struct ctx *c, const struct run *r)
{
    unsigned char *plain;
    size_t len;
    json_t *v = 0;
    if (r->sealed_variables && keyring_unseal_at(c->app->keyring, c->a, RUN_VARIABLES_AT(r->id),
                                                 r->sealed_variables, &plain, &len) == 0)
        v = json_loadb((const char *)plain, len, 0, 0);
    if (json_is_array(v)) return v;
    json_decref(v);
    return json_array();
}

/* A pending run's place in its workspace's queue: the runs created before it that hold the
 * workspace or wait for it. 0 once it runs. */
static int64_t queue_position(struct ctx *c, const struct run *r)
{
    if (strcmp(r->status, "pending") != 0) return 0;
    struct store_result res;
    int rc =
        store_query(c->app->store, c->a,
                    "SELECT COUNT(*) FROM runs WHERE workspace_id = $1 AND created_at < $2 "
                    "AND speculative = $3 AND status IN ('pending', " RUN_ACTIVE_SQL ")",
                    S_ARGS(S_TEXT(r->workspace_id), S_TEXT(r->created_at), S_BOOL(false)), &res);
    return rc ? 0 : store_cell_int(&res, 0, 0);
}

json_t *run_encode(struct ctx *c, const struct run *r)
{
    bool final = run_status_final(r->status);
    bool planned = strcmp(r->status, "planned") == 0 || strcmp(r->status, "planned_and_saved") == 0;
    /* a cancel asks terraform to stop; after the cool-off a force-cancel may end the run */
    bool canceling = !final && r->cancel_requested > 0;
    json_t *actions = json_pack(
        "{s:b, s:b, s:b, s:b}", "is-cancelable", !final && !planned && !canceling, "is-confirmable",
        planned, "is-discardable", planned, "is-force-cancelable",
        canceling && r->cancel_requested == 1 && codec_now_unix() >= r->force_cancel_available_at);
    bool act = (r->perms & WS_QUEUE_APPLY) != 0;
    json_t *perms = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "can-apply", act, "can-cancel", act,
                              "can-discard", act, "can-force-execute", act, "can-force-cancel", act,
                              "can-override-policy-check", 0);
    json_t *attrs = json_pack(
        "{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:o, s:I, s:o, s:o, s:o, "
        "s:o, s:s, s:o}",
        "status", r->status, "message", r->message, "source", r->source, "is-destroy",
        r->is_destroy, "refresh", r->refresh, "refresh-only", r->refresh_only, "plan-only",
        r->plan_only, "auto-apply", r->auto_apply, "allow-empty-apply", r->allow_empty_apply,
        "save-plan", r->save_plan, "has-changes", r->has_changes, "created-at", r->created_at,
        "status-timestamps", json_text(r->status_timestamps, "{}"), "position-in-queue",
        (json_int_t)queue_position(c, r), "target-addrs", json_text(r->target_addrs, "[]"),
        "replace-addrs", json_text(r->replace_addrs, "[]"), "actions", actions, "permissions",
        perms, "trigger-reason", "manual", "variables", run_variables(c, r));
    json_object_set_new(attrs, "force-cancel-available-at",
                        r->force_cancel_available_at
                            ? json_string(codec_iso_of_unix(c->a, r->force_cancel_available_at))
                            : json_null());
    json_t *rels = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:[]}, s:{s:[]}, s:{s:[]}}", "workspace",
        jsonapi_rel_new("workspaces", r->workspace_id), "configuration-version",
        jsonapi_rel_new("configuration-versions", r->configuration_version_id), "plan",
        jsonapi_rel_new("plans", r->plan_id), "apply", jsonapi_rel_new("applies", r->apply_id),
        "created-by", jsonapi_rel_new("users", r->created_by), "cost-estimate",
        jsonapi_rel_new("cost-estimates", 0), "policy-checks", "data", "task-stages", "data",
        "run-events", "data");
    return jsonapi_resource_new("runs", r->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/runs/%s", r->id));
}

/* A phase's status-timestamps (queued-at, started-at, finished-at, errored-at, canceled-at),
 * taken from the run's: each phase's moments are the run's moments of entering its states. */
static json_t *phase_timestamps(const struct run *r, bool plan)
{
    json_t *run = json_text(r->status_timestamps, "{}"), *out = json_object();
    const char *status = plan ? r->plan_status : r->apply_status;
    const char *map[][2] = {
        {"queued-at", plan ? "plan-queued-at" : "apply-queued-at"},
        {"started-at", plan ? "planning-at" : "applying-at"},
        {"finished-at", plan ? "planned-at" : "applied-at"},
        {"finished-at", plan ? "planned-and-finished-at" : ""},
        {"finished-at", plan ? "planned-and-saved-at" : ""},
        {"errored-at", strcmp(status, "errored") == 0 ? "errored-at" : ""},
        {"canceled-at", strcmp(status, "canceled") == 0 ? "canceled-at" : ""},
        {"canceled-at", strcmp(status, "canceled") == 0 ? "force-canceled-at" : ""},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        json_t *v = *map[i][1] ? json_object_get(run, map[i][1]) : 0;
        if (json_is_string(v)) json_object_set(out, map[i][0], v);
    }
    json_decref(run);
    return out;
}

/* A plan or an apply: the run's phase as its own resource. */
json_t *run_phase_encode(struct ctx *c, const struct run *r, enum run_phase phase)
{
    bool plan = phase == RUN_PLAN;
    const char *id = plan ? r->plan_id : r->apply_id;
    const char *status = plan ? r->plan_status : r->apply_status;
    json_t *attrs = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:i, s:b, s:o, s:{s:s}}", "status", status, "log-read-url",
        run_log_url(c, id), "resource-additions", (json_int_t)(plan ? r->plan_add : r->apply_add),
        "resource-changes", (json_int_t)(plan ? r->plan_change : r->apply_change),
        "resource-destructions", (json_int_t)(plan ? r->plan_destroy : r->apply_destroy),
        "resource-imports", 0, "has-changes", r->has_changes, "status-timestamps",
        phase_timestamps(r, plan), "execution-details", "mode", "remote");
    json_t *rels = json_pack("{s:o}", "run", jsonapi_rel_new("runs", r->id));
    const char *type = plan ? "plans" : "applies";
    return jsonapi_resource_new(type, id, attrs, rels,
                                arena_printf(c->a, "/api/v2/%s/%s", type, id));
}

/* cost_estimate, task_stages, tf_policy_evaluations and ingress attributes do not exist in
 * this installation: asking for them includes nothing. */
const char *const run_includes[] = {"plan",
                                    "apply",
                                    "created_by",
                                    "cost_estimate",
                                    "configuration_version",
                                    "configuration_version.ingress_attributes",
                                    "workspace",
                                    "task_stages",
                                    "tf_policy_evaluations",
                                    0};

static bool wants(struct ctx *c, const struct include *inc, const char *prefix, const char *name)
{
    return include_wants(inc, arena_printf(c->a, "%s%s", prefix, name));
}

int run_include(struct ctx *c, const struct run *r, const char *prefix, struct include *inc)
{
    if (!inc->n) return 0;
    if (wants(c, inc, prefix, "plan")) include_add(inc, run_phase_encode(c, r, RUN_PLAN));
    if (wants(c, inc, prefix, "apply")) include_add(inc, run_phase_encode(c, r, RUN_APPLY));
    struct user u;
    if (wants(c, inc, prefix, "created_by") && r->created_by &&
        !include_has(inc, "users", r->created_by) && user_get(c, r->created_by, &u) == 0)
        include_add(inc, user_encode(c, &u));
    struct configversion cv;
    if (wants(c, inc, prefix, "configuration_version") && r->configuration_version_id &&
        !include_has(inc, "configuration-versions", r->configuration_version_id) &&
        configversion_get(c, r->configuration_version_id, &cv) == 0)
        include_add(inc, configversion_encode(c, &cv));
    struct workspace w;
    if (wants(c, inc, prefix, "workspace") && !include_has(inc, "workspaces", r->workspace_id) &&
        workspace_get(c, r->workspace_id, WS_READ, &w) == 0)
        include_add(inc, workspace_encode(c, &w));
    return 0;
}

/* A run the caller may see, or none (a run deleted with its workspace meanwhile). */
static bool load(struct ctx *c, const char *id, struct run *r)
{
    return id && run_get(c, id, WS_READ_RUNS, r) == 0;
}

int run_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                              struct include *inc)
{
    (void)res;
    struct run r;
    if (include_wants_under(inc, "current_run") && load(c, w->current_run_id, &r)) {
        if (include_wants(inc, "current_run")) include_add(inc, run_encode(c, &r));
        run_include(c, &r, "current_run.", inc);
    }
    if (include_wants(inc, "locked_by") && w->locked_by_kind &&
        strcmp(w->locked_by_kind, "runs") == 0 && load(c, w->locked_by_id, &r))
        include_add(inc, run_encode(c, &r));
    return 0;
}

int run_include_for_state_version(struct ctx *c, const char *run_id, struct include *inc)
{
    struct run r;
    if (!load(c, run_id, &r)) return 0;
    if (include_wants(inc, "run")) include_add(inc, run_encode(c, &r));
    return run_include(c, &r, "run.", inc);
}

int run_include_for_configversion(struct ctx *c, const char *cv_id, struct include *inc)
{
    struct run r;
    int rc = run_db_get(c, "configuration_version_id = $1 ORDER BY created_at DESC LIMIT 1",
                        S_ARGS(S_TEXT(cv_id)), &r);
    if (rc == ERR_NOT_FOUND) return 0;
    if (!rc) include_add(inc, run_encode(c, &r));
    return rc;
}
