/* team.c — teams: the owners team, reads and listing (SQL inline here is small; it moves to
 * team_db.c when teams gain writes of their own). */
#include "teams/team.h"
#include "app/api.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"

static const char *COLS = "SELECT id, organization, name, created_at FROM teams ";

static void fill(const struct store_result *r, size_t i, struct team *t)
{
    t->id = store_cell(r, i, 0);
    t->organization = store_cell(r, i, 1);
    t->name = store_cell(r, i, 2);
    t->created_at = store_cell(r, i, 3);
}

int team_get(struct ctx *c, const char *id, struct team *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", COLS),
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows || authz_org(c, store_cell(&r, 0, 1)))
        return ctx_fail(c, ERR_NOT_FOUND, "team not found");
    fill(&r, 0, out);
    return 0;
}

int team_on_org_created(struct ctx *c, const char *org)
{
    const char *id = codec_new_id(c->a, "team");
    int rc = store_exec(c->app->store,
                        "INSERT INTO teams (id, organization, name, created_at) "
                        "VALUES ($1, $2, 'owners', $3)",
                        S_ARGS(S_TEXT(id), S_TEXT(org), S_TEXT(codec_now_iso(c->a))), 0);
    if (rc || c->who.kind != PRINCIPAL_USER) return rc;
    return store_exec(c->app->store, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)",
                      S_ARGS(S_TEXT(id), S_TEXT(c->who.user_id)), 0);
}

static json_t *encode(struct ctx *c, const struct team *t)
{
    json_t *attrs = json_pack("{s:s, s:s, s:s, s:{s:b, s:b}, s:{s:b, s:b}}", "name", t->name,
                              "visibility", "secret", "created-at", t->created_at,
                              "organization-access", "manage-workspaces", 1, "manage-policies", 1,
                              "permissions", "can-update-membership", 1, "can-destroy", 0);
    json_t *rels =
        json_pack("{s:o}", "organization", jsonapi_rel_new("organizations", t->organization));
    return jsonapi_resource_new("teams", t->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/teams/%s", t->id));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team t;
    int rc = team_get(&c, http_req_param(r, "id"), &t);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &t)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct page p;
    struct store_result cnt, rows;
    int rc = authz_org(&c, org);
    if (rc) rc = ctx_fail(&c, rc, "organization \"%s\" not found", org);
    if (!rc) rc = page_parse(&c, &p);
    if (!rc)
        rc = store_query(c.app->store, c.a, "SELECT COUNT(*) FROM teams WHERE organization = $1",
                         S_ARGS(S_TEXT(org)), &cnt);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         arena_printf(c.a,
                                      "%s WHERE organization = $1 ORDER BY name "
                                      "LIMIT $2 OFFSET $3",
                                      COLS),
                         S_ARGS(S_TEXT(org), S_INT(p.size), S_INT(p.offset)), &rows);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < rows.nrows; i++) {
        struct team t;
        fill(&rows, i, &t);
        json_array_append_new(data, encode(&c, &t));
    }
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(&c, doc, arena_printf(c.a, "/api/v2/organizations/%s/teams", org), &p,
                  store_cell_int(&cnt, 0, 0));
    jsonapi_respond(r, 200, doc);
}

const struct http_route team_routes[] = {
    {HTTP_M_GET, "/api/v2/organizations/:org/teams", list, 0, 0},
    {HTTP_M_GET, "/api/v2/teams/:id", show, 0, 0},
    {0, 0, 0, 0, 0},
};

int team_on_org_renamed(struct ctx *c, const char *from, const char *to)
{
    return store_exec(c->app->store, "UPDATE teams SET organization = $2 WHERE organization = $1",
                      S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
}
