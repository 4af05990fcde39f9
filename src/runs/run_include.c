/* run_include.c — the related resources of runs in "included", and runs as the related
 * resources of workspaces, state versions and configuration versions (their include hooks). */
#include "runs/run_int.h"
#include "app/include.h"
#include "configversions/configversion.h"
#include "users/user.h"
#include "workspaces/workspace.h"

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
    if (wants(c, inc, prefix, "created_by") && r->created_by && user_get(c, r->created_by, &u) == 0)
        include_add(inc, user_encode(c, &u));
    struct configversion cv;
    if (wants(c, inc, prefix, "configuration_version") && r->configuration_version_id &&
        configversion_get(c, r->configuration_version_id, &cv) == 0)
        include_add(inc, configversion_encode(c, &cv));
    struct workspace w;
    if (wants(c, inc, prefix, "workspace") && workspace_get(c, r->workspace_id, &w) == 0)
        include_add(inc, workspace_encode(c, &w));
    return 0;
}

/* A run the caller may see, or none (a run deleted with its workspace meanwhile). */
static bool load(struct ctx *c, const char *id, struct run *r)
{
    return id && run_db_get(c, "id = $1", S_ARGS(S_TEXT(id)), r) == 0;
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
