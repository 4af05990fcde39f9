/* run_trigger.c — TFE API: Run Triggers
 * (developer.hashicorp.com/terraform/enterprise/api-docs/run-triggers). A destination
 * workspace names up to 20 source workspaces of its organization; when a run of a source
 * applies, each destination queues a run of its latest uploaded configuration (source
 * "tfe-run-trigger"), applied by itself when the destination auto-applies. Made by the
 * destination's admins, who must be able to read the source. */
#include "runs/run_int.h"
#include "base/codec.h"
#include "base/log.h"
#include "jsonapi/jsonapi.h"
#include "workspaces/workspace.h"

enum { MAX_SOURCES = 20 };

struct trigger {
    const char *id, *workspace_id, *sourceable_id, *created_at, *workspace_name, *source_name;
};

#define COLS                                                                                       \
    "SELECT t.id, t.workspace_id, t.sourceable_id, t.created_at, w.name, s.name FROM "             \
    "run_triggers t JOIN workspaces w ON w.id = t.workspace_id JOIN workspaces s ON "              \
    "s.id = t.sourceable_id "

static void fill(const struct store_result *r, size_t i, struct trigger *t)
{
    const char **f[] = {&t->id,         &t->workspace_id,   &t->sourceable_id,
                        &t->created_at, &t->workspace_name, &t->source_name};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++)
        *f[k] = store_cell(r, i, k);
}

static json_t *encode(struct ctx *c, const struct trigger *t)
{
    json_t *attrs = json_pack("{s:s, s:s, s:s}", "workspace-name", t->workspace_name,
                              "sourceable-name", t->source_name, "created-at", t->created_at);
    json_t *rels = json_pack("{s:o, s:o, s:{s:o}}", "workspace",
                             jsonapi_rel_new("workspaces", t->workspace_id), "sourceable",
                             jsonapi_rel_new("workspaces", t->sourceable_id), "sourceable-choice",
                             "workspace", jsonapi_rel_new("workspaces", t->sourceable_id));
    return jsonapi_resource_new("run-triggers", t->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/run-triggers/%s", t->id));
}

static int get(struct ctx *c, const char *id, struct trigger *t)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, COLS "WHERE t.id = $1", S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, t);
    return 0;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace dst = {0}, src = {0};
    struct jsonapi_body b;
    struct store_result cnt;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_UPDATE, &dst);
    if (!rc && (rc = jsonapi_parse(r, "run-triggers", true, &b))) rc = ctx_fail_body(&c, rc, &b);
    const char *src_id = rc ? 0 : jsonapi_rel_id(&b, "sourceable");
    if (!rc && !src_id)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/sourceable",
                         "the sourceable relationship (a workspace) is required");
    if (!rc) {
        rc = workspace_get(&c, src_id, WS_READ, &src);
        if (!rc && strcmp(src.organization, dst.organization) != 0) rc = ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND || rc == ERR_FORBIDDEN)
            rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/sourceable",
                             "source workspace not found in this organization");
    }
    if (!rc && strcmp(src.id, dst.id) == 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/sourceable",
                         "a workspace cannot trigger its own runs");
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT COUNT(*) FROM run_triggers WHERE workspace_id = $1",
                         S_ARGS(S_TEXT(dst.id)), &cnt);
    if (!rc && store_cell_int(&cnt, 0, 0) >= MAX_SOURCES)
        rc = ctx_fail(&c, ERR_INVALID, "a workspace has at most %d run trigger sources",
                      MAX_SOURCES);
    struct trigger t = {.id = codec_new_id(c.a, "rt"),
                        .workspace_id = dst.id,
                        .sourceable_id = src_id,
                        .created_at = codec_now_iso(c.a),
                        .workspace_name = dst.name,
                        .source_name = rc ? 0 : src.name};
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = store_exec(c.app->store,
                        "INSERT INTO run_triggers (id, workspace_id, sourceable_id, created_at) "
                        "VALUES ($1, $2, $3, $4)",
                        S_ARGS(S_TEXT(t.id), S_TEXT(t.workspace_id), S_TEXT(t.sourceable_id),
                               S_TEXT(t.created_at)),
                        0);
        if (rc == ERR_CONFLICT)
            rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/sourceable",
                             "this workspace already triggers runs here");
        rc = audit_end(&c, rc, dst.organization, "run-trigger", t.id, "create");
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &t)));
}

/* filter[run-trigger][type] is required: inbound (sources of this workspace) or outbound (the
 * workspaces it triggers). */
static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *type = http_req_query(r, "filter[run-trigger][type]");
    struct workspace w;
    struct page p;
    struct store_result cnt, rows;
    if (!type || (strcmp(type, "inbound") && strcmp(type, "outbound")))
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST,
                                     "filter[run-trigger][type] must be inbound or outbound"));
    const char *col = strcmp(type, "inbound") == 0 ? "t.workspace_id" : "t.sourceable_id";
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_READ, &w);
    if (!rc) rc = page_parse(&c, &p);
    if (!rc)
        rc =
            store_query(c.app->store, c.a,
                        arena_printf(c.a, "SELECT COUNT(*) FROM run_triggers t WHERE %s = $1", col),
                        S_ARGS(S_TEXT(w.id)), &cnt);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         arena_printf(c.a,
                                      COLS "WHERE %s = $1 ORDER BY t.created_at, t.id "
                                           "LIMIT $2 OFFSET $3",
                                      col),
                         S_ARGS(S_TEXT(w.id), S_INT(p.size), S_INT(p.offset)), &rows);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < rows.nrows; i++) {
        struct trigger t;
        fill(&rows, i, &t);
        json_array_append_new(data, encode(&c, &t));
    }
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(&c, doc, arena_printf(c.a, "/api/v2/workspaces/%s/run-triggers", w.id), &p,
                  store_cell_int(&cnt, 0, 0));
    jsonapi_respond(r, 200, doc);
}

/* A trigger whose destination the caller may read (need on it). */
static int load(struct ctx *c, int64_t need, struct trigger *t, struct workspace *w)
{
    int rc = get(c, http_req_param(c->req, "id"), t);
    if (!rc) rc = workspace_get(c, t->workspace_id, need, w);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "run trigger not found") : rc;
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct trigger t;
    struct workspace w;
    int rc = load(&c, WS_READ, &t, &w);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &t)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct trigger t;
    struct workspace w;
    int rc = load(&c, WS_UPDATE, &t, &w);
    if (!rc)
        rc = audit_exec(&c, "DELETE FROM run_triggers WHERE id = $1", S_ARGS(S_TEXT(t.id)),
                        w.organization, "run-trigger", t.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

int run_triggers_fire(struct ctx *c, const struct run_event *e)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT t.workspace_id FROM run_triggers t JOIN workspaces w ON "
                         "w.id = t.workspace_id WHERE t.sourceable_id = $1 AND "
                         "w.execution_mode = 'remote' ORDER BY t.created_at",
                         S_ARGS(S_TEXT(e->workspace_id)), &r);
    struct principal saved = c->who;
    /* on the source's behalf: whoever applied it could not reach the destination anyway */
    c->who = (struct principal){.kind = PRINCIPAL_SYSTEM, .org = e->organization};
    for (size_t i = 0; !rc && i < r.nrows; i++) {
        struct workspace w;
        struct run run = {.workspace_id = store_cell(&r, i, 0),
                          .refresh = true,
                          .source = "tfe-run-trigger",
                          .message = arena_printf(c->a, "Triggered by run %s in workspace %s",
                                                  e->run_id, e->workspace_name)};
        if (workspace_get_unchecked(c, run.workspace_id, &w)) continue;
        run.auto_apply = w.auto_apply;
        json_t *none = json_object();
        int one = run_create(c, &run, none);
        json_decref(none);
        c->detail[0] = 0;
        if (one)
            log_info("run trigger %s -> %s: no run queued (%s)", e->workspace_name, w.name,
                     err_name(one));
        else
            log_info("run trigger %s -> %s: run %s queued", e->workspace_name, w.name, run.id);
    }
    c->who = saved;
    return rc;
}

const struct http_route run_trigger_routes[] = {
    {HTTP_M_POST, "/api/v2/workspaces/:id/run-triggers", create, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/run-triggers", list, 0, 0},
    {HTTP_M_GET, "/api/v2/run-triggers/:id", show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/run-triggers/:id", destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
