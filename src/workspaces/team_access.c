/* team_access.c — TFE API: Team Access to workspaces ("team-workspaces",
 * developer.hashicorp.com/terraform/enterprise/api-docs/team-access). A fixed level (read, plan,
 * write, admin) stores the per-permission values it stands for, so both forms answer the same
 * attributes; app/authz.c turns a row into rights. Managed by the workspace's admins. */
#include "workspaces/workspace_int.h"
#include "app/audit.h"
#include "app/principal_cache.h"
#include "base/codec.h"
#include "jsonapi/jsonapi.h"
#include "teams/team.h"

struct access {
    const char *id, *team_id, *workspace_id, *access, *runs, *variables, *state_versions;
    const char *sentinel_mocks, *created_at;
    bool workspace_locking, run_tasks;
};

/* What each fixed level stands for, in custom access's terms. */
static const struct access levels[] = {
    {.access = "read",
     .runs = "read",
     .variables = "read",
     .state_versions = "read",
     .sentinel_mocks = "none"},
    {.access = "plan",
     .runs = "plan",
     .variables = "read",
     .state_versions = "read",
     .sentinel_mocks = "none"},
    {.access = "write",
     .runs = "apply",
     .variables = "write",
     .state_versions = "write",
     .sentinel_mocks = "read",
     .workspace_locking = true},
    {.access = "admin",
     .runs = "apply",
     .variables = "write",
     .state_versions = "write",
     .sentinel_mocks = "read",
     .workspace_locking = true,
     .run_tasks = true},
};

#define COLS                                                                                       \
    "SELECT id, team_id, workspace_id, access, runs, variables, state_versions, sentinel_mocks, "  \
    "created_at, workspace_locking, run_tasks FROM team_access "

static void fill(const struct store_result *r, size_t i, struct access *a)
{
    const char **f[] = {&a->id,        &a->team_id,   &a->workspace_id,   &a->access,
                        &a->runs,      &a->variables, &a->state_versions, &a->sentinel_mocks,
                        &a->created_at};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++)
        *f[k] = store_cell(r, i, k);
    a->workspace_locking = store_cell_bool(r, i, 9);
    a->run_tasks = store_cell_bool(r, i, 10);
}

static json_t *encode(struct ctx *c, const struct access *a)
{
    json_t *attrs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "access", a->access, "runs",
                              a->runs, "variables", a->variables, "state-versions",
                              a->state_versions, "sentinel-mocks", a->sentinel_mocks,
                              "workspace-locking", a->workspace_locking, "run-tasks", a->run_tasks);
    json_t *rels = json_pack("{s:o, s:o}", "team", jsonapi_rel_new("teams", a->team_id),
                             "workspace", jsonapi_rel_new("workspaces", a->workspace_id));
    return jsonapi_resource_new("team-workspaces", a->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/team-workspaces/%s", a->id));
}

/* A row by id, on a workspace whose access the caller manages. */
static int load(struct ctx *c, const char *id, struct access *a, struct workspace *w)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, COLS "WHERE id = $1", S_ARGS(S_TEXT(id)), &r);
    if (!rc && !r.nrows) rc = ERR_NOT_FOUND;
    if (!rc) fill(&r, 0, a);
    if (!rc) rc = workspace_get(c, a->workspace_id, WS_MANAGE_ACCESS, w);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "team access not found") : rc;
}

/* A fixed level sets every custom value: one given beside it (not null) is refused with TFE's
 * message, so a client learns its value was not taken. */
static int refuse_custom_values(struct ctx *c, const struct jsonapi_body *b, const char *level)
{
    static const char *const attrs[][2] = {
        {"runs", "Runs"},
        {"variables", "Variables"},
        {"state-versions", "State versions"},
        {"sentinel-mocks", "Sentinel mocks"},
        {"workspace-locking", "Workspace locking"},
        {"run-tasks", "Run tasks"},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        json_t *v = json_object_get(b->attrs, attrs[i][0]);
        if (v && !json_is_null(v))
            return ctx_fail_at(c, ERR_INVALID,
                               arena_printf(c->a, "/data/attributes/%s", attrs[i][0]),
                               "%s is read-only when access level is '%s'; use the 'custom' "
                               "access level to set this attribute.",
                               attrs[i][1], level);
    }
    return 0;
}

/* Applies the request's attributes to a: a fixed level sets every value; custom keeps the
 * values it had and changes those given. */
static int read_attrs(struct ctx *c, struct access *a)
{
    struct jsonapi_body b;
    int rc = jsonapi_parse(c->req, "team-workspaces", false, &b);
    const char *level = a->access;
    if (!rc) rc = jsonapi_attr_string(&b, "access", &level, 0);
    for (size_t i = 0; !rc && i < sizeof levels / sizeof *levels; i++)
        if (level && strcmp(level, levels[i].access) == 0) {
            if ((rc = refuse_custom_values(c, &b, level))) return rc;
            const char *id = a->id, *team = a->team_id, *ws = a->workspace_id, *at = a->created_at;
            *a = levels[i];
            a->id = id, a->team_id = team, a->workspace_id = ws, a->created_at = at;
            return 0;
        }
    if (!rc && (!level || strcmp(level, "custom") != 0))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/access",
                           "access must be read, plan, write, admin or custom");
    a->access = "custom";
    if (!rc) rc = jsonapi_attr_string(&b, "runs", &a->runs, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "variables", &a->variables, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "state-versions", &a->state_versions, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "sentinel-mocks", &a->sentinel_mocks, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "workspace-locking", &a->workspace_locking, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "run-tasks", &a->run_tasks, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    const char *bad;
    if (authz_custom_bits(a->runs, a->variables, a->state_versions, a->sentinel_mocks,
                          a->workspace_locking, a->run_tasks, &bad) < 0)
        return ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/attributes/%s", bad),
                           "%s is not one of the values TFE allows for it", bad);
    return 0;
}

static int save(struct ctx *c, const struct access *a, const struct workspace *w, bool created)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    if (created)
        rc = store_exec(c->app->store,
                        "INSERT INTO team_access (id, team_id, workspace_id, access, runs, "
                        "variables, state_versions, sentinel_mocks, workspace_locking, run_tasks, "
                        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        S_ARGS(S_TEXT(a->id), S_TEXT(a->team_id), S_TEXT(a->workspace_id),
                               S_TEXT(a->access), S_TEXT(a->runs), S_TEXT(a->variables),
                               S_TEXT(a->state_versions), S_TEXT(a->sentinel_mocks),
                               S_BOOL(a->workspace_locking), S_BOOL(a->run_tasks),
                               S_TEXT(a->created_at)),
                        0);
    else
        rc = store_exec(c->app->store,
                        "UPDATE team_access SET access = $2, runs = $3, variables = $4, "
                        "state_versions = $5, sentinel_mocks = $6, workspace_locking = $7, "
                        "run_tasks = $8 WHERE id = $1",
                        S_ARGS(S_TEXT(a->id), S_TEXT(a->access), S_TEXT(a->runs),
                               S_TEXT(a->variables), S_TEXT(a->state_versions),
                               S_TEXT(a->sentinel_mocks), S_BOOL(a->workspace_locking),
                               S_BOOL(a->run_tasks)),
                        0);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/relationships/team",
                         "this team already has access to this workspace");
    if (!rc)
        rc = audit_record(c, w->organization, "team-workspace", a->id,
                          created ? "create" : "update");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct jsonapi_body b;
    struct workspace w;
    struct team t;
    struct access a = {
        .runs = "read", .variables = "none", .state_versions = "none", .sentinel_mocks = "none"};
    int rc = jsonapi_parse(r, "team-workspaces", false, &b);
    if (rc) return api_fail(&c, ctx_fail_body(&c, rc, &b));
    a.workspace_id = jsonapi_rel_id(&b, "workspace");
    a.team_id = jsonapi_rel_id(&b, "team");
    if (!a.workspace_id || !a.team_id)
        return api_fail(&c, ctx_fail_at(&c, ERR_INVALID, "/data/relationships",
                                        "the workspace and team relationships are required"));
    rc = workspace_get(&c, a.workspace_id, WS_MANAGE_ACCESS, &w);
    if (!rc) {
        rc = team_get(&c, a.team_id, &t);
        if (!rc && strcmp(t.organization, w.organization) != 0) rc = ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND)
            rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/team",
                             "team not found in the workspace's organization");
    }
    if (!rc && strcmp(t.name, "owners") == 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/team",
                         "the owners team has admin access to every workspace already");
    if (!rc) rc = read_attrs(&c, &a);
    if (!rc) {
        a.id = codec_new_id(c.a, "tws");
        a.created_at = codec_now_iso(c.a);
        rc = save(&c, &a, &w, true);
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &a)));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct access a;
    struct workspace w;
    int rc = load(&c, http_req_param(r, "id"), &a, &w);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &a)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct access a;
    struct workspace w;
    int rc = load(&c, http_req_param(r, "id"), &a, &w);
    if (!rc) rc = read_attrs(&c, &a);
    if (!rc) rc = save(&c, &a, &w, false);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &a)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct access a;
    struct workspace w;
    int rc = load(&c, http_req_param(r, "id"), &a, &w);
    if (!rc)
        rc = audit_exec(&c, "DELETE FROM team_access WHERE id = $1", S_ARGS(S_TEXT(a.id)),
                        w.organization, "team-workspace", a.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* filter[workspace][id] is required, as TFE documents. */
static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *ws_id = http_req_query(r, "filter[workspace][id]");
    struct workspace w;
    struct page p;
    struct store_result cnt, rows;
    if (!ws_id || !*ws_id)
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST, "filter[workspace][id] is required"));
    int rc = workspace_get(&c, ws_id, WS_MANAGE_ACCESS, &w);
    if (!rc) rc = page_parse(&c, &p);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT COUNT(*) FROM team_access WHERE workspace_id = $1",
                         S_ARGS(S_TEXT(w.id)), &cnt);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         COLS "WHERE workspace_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
                         S_ARGS(S_TEXT(w.id), S_INT(p.size), S_INT(p.offset)), &rows);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < rows.nrows; i++) {
        struct access a;
        fill(&rows, i, &a);
        json_array_append_new(data, encode(&c, &a));
    }
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(&c, doc, "/api/v2/team-workspaces", &p, store_cell_int(&cnt, 0, 0));
    jsonapi_respond(r, 200, doc);
}

const struct http_route team_access_routes[] = {
    {HTTP_M_GET, "/api/v2/team-workspaces", list, 0, 0},
    {HTTP_M_POST, "/api/v2/team-workspaces", create, 0, 0},
    {HTTP_M_GET, "/api/v2/team-workspaces/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/team-workspaces/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/team-workspaces/:id", destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
