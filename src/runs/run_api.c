/* run_api.c — TFE API: Runs, Plans, Applies, and the run queue the CLI reads
 * (developer.hashicorp.com/terraform/enterprise/api-docs/run, .../plans, .../applies). */
#include "runs/run_int.h"
#include "http/http.h"
#include "app/include.h"
#include "blob/blob.h"
#include "jsonapi/jsonapi.h"
#include "workspaces/workspace.h"

#include <stdlib.h>

static void respond(struct ctx *c, int status, const struct run *r)
{
    struct include *inc;
    int rc = include_parse(c, run_includes, &inc);
    if (!rc) rc = run_include(c, r, "", inc);
    if (rc) return api_fail(c, rc);
    json_t *doc = jsonapi_doc_new(run_encode(c, r));
    include_finish(inc, doc);
    jsonapi_respond(c->req, status, doc);
}

static void create(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct jsonapi_body b;
    struct run r = {.refresh = true}; /* source: the request's origin (run_create) */
    bool auto_apply_given = false;
    int rc = jsonapi_parse(req, "runs", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "message", &r.message, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "is-destroy", &r.is_destroy, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "refresh", &r.refresh, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "refresh-only", &r.refresh_only, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "plan-only", &r.plan_only, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "auto-apply", &r.auto_apply, &auto_apply_given);
    if (!rc) rc = jsonapi_attr_bool(&b, "allow-empty-apply", &r.allow_empty_apply, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "save-plan", &r.save_plan, 0);
    if (rc) return api_fail(&c, ctx_fail_body(&c, rc, &b));
    r.workspace_id = jsonapi_rel_id(&b, "workspace");
    r.configuration_version_id = jsonapi_rel_id(&b, "configuration-version");
    if (!r.workspace_id)
        return api_fail(&c, ctx_fail_at(&c, ERR_INVALID, "/data/relationships/workspace",
                                        "the workspace relationship is required"));
    struct workspace w;
    if ((rc = workspace_get(&c, r.workspace_id, WS_QUEUE_PLAN, &w))) return api_fail(&c, rc);
    /* TFE: a plan queued by one who may only queue plans waits for someone who may apply, so
     * asking to apply without that right is refused, and the workspace's auto-apply does not
     * apply it either */
    if (!(w.perms & WS_QUEUE_APPLY) && ((auto_apply_given && r.auto_apply) || r.allow_empty_apply))
        return api_fail(&c, ctx_fail_at(&c, ERR_FORBIDDEN,
                                        auto_apply_given && r.auto_apply
                                            ? "/data/attributes/auto-apply"
                                            : "/data/attributes/allow-empty-apply",
                                        "applying needs the permission to apply runs in this "
                                        "workspace; queue the plan without it"));
    if (!auto_apply_given) r.auto_apply = w.auto_apply && (w.perms & WS_QUEUE_APPLY);
    if (r.save_plan) r.auto_apply = false; /* a saved plan waits for `terraform apply FILE` */
    rc = run_create(&c, &r, b.attrs);
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &r);
}

static void show(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct run r;
    int rc = run_get(&c, http_req_param(req, "id"), WS_READ_RUNS, &r);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &r);
}

/* Lists runs; w is their one workspace (its rights are theirs), or NULL when they may be of
 * several (each run's rights are then read). */
static void list_where(struct ctx *c, const struct workspace *w, const char *where,
                       const struct store_arg *args, size_t n, const char *path)
{
    struct page p;
    struct run *runs;
    size_t count;
    int64_t total;
    struct include *inc;
    int rc = page_parse(c, &p);
    if (!rc) rc = include_parse(c, run_includes, &inc);
    if (!rc) rc = run_db_list(c, where, args, n, &p, &runs, &count, &total);
    for (size_t i = 0; !rc && i < count; i++) {
        struct workspace rw;
        if (w)
            runs[i].perms = w->perms;
        else if (!(rc = workspace_get(c, runs[i].workspace_id, WS_READ_RUNS, &rw)))
            runs[i].perms = rw.perms;
        if (!rc) rc = run_include(c, &runs[i], "", inc);
    }
    if (rc) return api_fail(c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(data, run_encode(c, &runs[i]));
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(c, doc, path, &p, total);
    jsonapi_respond(c->req, 200, doc);
}

static void list(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct workspace w;
    int rc = workspace_get(&c, http_req_param(req, "id"), WS_READ_RUNS, &w);
    if (rc) return api_fail(&c, rc);
    list_where(&c, &w, "workspace_id = $1", S_ARGS(S_TEXT(w.id)),
               arena_printf(c.a, "/api/v2/workspaces/%s/runs", w.id));
}

static const char *QUEUED = "status IN ('plan_queued', 'planning', 'apply_queued', 'applying')";

static void org_queue(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    const char *org = http_req_param(req, "org");
    struct rights caller;
    int rc = authz_rights(&c, org, 0, &caller);
    if (!rc && !caller.member) rc = ctx_fail(&c, ERR_NOT_FOUND, "organization not found");
    if (rc) return api_fail(&c, rc);
    const char *arg, *visible = authz_ws_filter(&c, &caller, "workspace_id", 2, &arg);
    const char *where = arena_printf(c.a,
                                     "%s AND workspace_id IN (SELECT id FROM workspaces WHERE "
                                     "organization = $1) AND %s",
                                     QUEUED, visible ? visible : "1 = 1");
    const char *path = arena_printf(c.a, "/api/v2/organizations/%s/runs/queue", org);
    if (arg)
        list_where(&c, 0, where, S_ARGS(S_TEXT(org), S_TEXT(arg)), path);
    else
        list_where(&c, 0, where, S_ARGS(S_TEXT(org)), path);
}

static void org_capacity(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    const char *org = http_req_param(req, "org");
    struct store_result res;
    int rc = authz_org(&c, org);
    if (rc) return api_fail(&c, ctx_fail(&c, rc, "organization not found"));
    rc = store_query(c.app->store, c.a,
                     "SELECT COALESCE(SUM(CASE WHEN status IN ('plan_queued', 'apply_queued') "
                     "THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status IN ('planning', "
                     "'applying') THEN 1 ELSE 0 END), 0) FROM runs WHERE workspace_id IN "
                     "(SELECT id FROM workspaces WHERE organization = $1)",
                     S_ARGS(S_TEXT(org)), &res);
    if (rc) return api_fail(&c, rc);
    json_t *attrs = json_pack("{s:I, s:I}", "pending", (json_int_t)store_cell_int(&res, 0, 0),
                              "running", (json_int_t)store_cell_int(&res, 0, 1));
    jsonapi_respond(
        req, 200, jsonapi_doc_new(jsonapi_resource_new("organization-capacity", org, attrs, 0, 0)));
}

static void action(struct http_request *req, void *app, int (*fn)(struct ctx *, struct run *))
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct run r;
    int rc = run_get(&c, http_req_param(req, "id"), WS_QUEUE_APPLY, &r);
    if (!rc) rc = fn(&c, &r);
    if (rc) return api_fail(&c, rc);
    http_respond(req, 202, 0, 0, 0);
}

static int do_cancel(struct ctx *c, struct run *r)
{
    return run_cancel(c, r, false);
}

static int do_force_cancel(struct ctx *c, struct run *r)
{
    return run_cancel(c, r, true);
}

static void apply(struct http_request *req, void *app)
{
    action(req, app, run_apply);
}

static void discard(struct http_request *req, void *app)
{
    action(req, app, run_discard);
}

static void cancel(struct http_request *req, void *app)
{
    action(req, app, do_cancel);
}

static void force_cancel(struct http_request *req, void *app)
{
    action(req, app, do_force_cancel);
}

/* Run events, task stages and policy checks: none exist in this installation. */
static void empty_list(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct run r;
    int rc = run_get(&c, http_req_param(req, "id"), WS_READ_RUNS, &r);
    if (!rc) rc = page_respond_all(&c, json_array(), http_req_path(req));
    if (rc) return api_fail(&c, rc);
}

static void phase(struct http_request *req, void *app, enum run_phase ph)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct run r;
    struct workspace w;
    const char *id = http_req_param(req, "id");
    int rc =
        run_db_get(&c, ph == RUN_PLAN ? "plan_id = $1" : "apply_id = $1", S_ARGS(S_TEXT(id)), &r);
    if (!rc) rc = workspace_get(&c, r.workspace_id, WS_READ_RUNS, &w);
    if (!rc) r.perms = w.perms;
    if (rc == ERR_NOT_FOUND)
        rc = ctx_fail(&c, rc, "%s not found", ph == RUN_PLAN ? "plan" : "apply");
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(req, 200, jsonapi_doc_new(run_phase_encode(&c, &r, ph)));
}

/* GET /plans/:id/json-output-redacted: the plan the CLI renders for structured run output. */
static void plan_json_redacted(struct http_request *req, void *app)
{
    struct ctx c;
    if (api_begin(&c, req, app)) return;
    struct run r;
    struct workspace w;
    int rc = run_db_get(&c, "plan_id = $1", S_ARGS(S_TEXT(http_req_param(req, "id"))), &r);
    if (!rc) rc = workspace_get(&c, r.workspace_id, WS_READ_RUNS, &w);
    if (!rc)
        rc = blob_respond(c.app->blobs, req, arena_printf(c.a, "runs/%s/plan-redacted", r.id),
                          "application/json", -1);
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "this plan has no JSON output");
    if (rc) api_fail(&c, rc);
}

static void plan_show(struct http_request *req, void *app)
{
    phase(req, app, RUN_PLAN);
}

static void apply_show(struct http_request *req, void *app)
{
    phase(req, app, RUN_APPLY);
}

const struct http_route run_routes[] = {
    {HTTP_M_POST, "/api/v2/runs", create, 0, 0},
    {HTTP_M_GET, "/api/v2/runs/:id", show, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/runs", list, 0, 0},
    {HTTP_M_POST, "/api/v2/runs/:id/actions/apply", apply, 0, 0},
    {HTTP_M_POST, "/api/v2/runs/:id/actions/discard", discard, 0, 0},
    {HTTP_M_POST, "/api/v2/runs/:id/actions/cancel", cancel, 0, 0},
    {HTTP_M_POST, "/api/v2/runs/:id/actions/force-cancel", force_cancel, 0, 0},
    {HTTP_M_GET, "/api/v2/runs/:id/run-events", empty_list, 0, 0},
    {HTTP_M_GET, "/api/v2/runs/:id/task-stages", empty_list, 0, 0},
    {HTTP_M_GET, "/api/v2/runs/:id/policy-checks", empty_list, 0, 0},
    {HTTP_M_GET, "/api/v2/plans/:id", plan_show, 0, 0},
    {HTTP_M_GET, "/api/v2/plans/:id/json-output-redacted", plan_json_redacted, 0, 0},
    {HTTP_M_GET, "/api/v2/applies/:id", apply_show, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/runs/queue", org_queue, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/capacity", org_capacity, 0, 0},
    {0, 0, 0, 0, 0},
};
