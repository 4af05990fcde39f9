/* state_db.c — the only SQL of state/. */
#include "state/state_int.h"

static const char *COLS = "SELECT id, workspace_id, serial, lineage, md5, status, state_size, "
                          "json_size, created_by, created_at, run_id FROM state_versions ";

static void fill(const struct store_result *r, size_t i, struct state_version *s)
{
    s->id = store_cell(r, i, 0);
    s->workspace_id = store_cell(r, i, 1);
    s->serial = store_cell_int(r, i, 2);
    s->lineage = store_cell(r, i, 3);
    s->md5 = store_cell(r, i, 4);
    s->status = store_cell(r, i, 5);
    s->state_size = store_cell_int(r, i, 6);
    s->json_size = store_cell_int(r, i, 7);
    s->created_by = store_cell(r, i, 8);
    s->created_at = store_cell(r, i, 9);
    s->run_id = store_cell(r, i, 10);
    s->perms = 0;
}

int state_db_get(struct ctx *c, const char *id, struct state_version *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", COLS),
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int state_db_insert(struct ctx *c, const struct state_version *sv)
{
    return store_exec(c->app->store,
                      "INSERT INTO state_versions (id, workspace_id, serial, lineage, md5, status, "
                      "state_size, json_size, created_by, created_at, run_id) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                      S_ARGS(S_TEXT(sv->id), S_TEXT(sv->workspace_id), S_INT(sv->serial),
                             S_TEXT(sv->lineage), S_TEXT(sv->md5), S_TEXT(sv->status),
                             S_INT(sv->state_size), S_INT(sv->json_size), S_TEXT(sv->created_by),
                             S_TEXT(sv->created_at), S_TEXT(sv->run_id)),
                      0);
}

int state_db_finalize(struct ctx *c, const char *id, int64_t size)
{
    return store_exec(c->app->store,
                      "UPDATE state_versions SET status = 'finalized', state_size = $2 "
                      "WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_INT(size)), 0);
}

int state_db_claim_json(struct ctx *c, const char *id)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE state_versions SET json_size = -2 WHERE id = $1 AND json_size = -1",
                        S_ARGS(S_TEXT(id)), &n);
    return rc ? rc : n == 1 ? 0 : ERR_CONFLICT;
}

int state_db_release_json(struct ctx *c, const char *id)
{
    return store_exec(c->app->store,
                      "UPDATE state_versions SET json_size = -1 WHERE id = $1 AND json_size = -2",
                      S_ARGS(S_TEXT(id)), 0);
}

int state_db_set_json_size(struct ctx *c, const char *id, int64_t size)
{
    return store_exec(c->app->store, "UPDATE state_versions SET json_size = $2 WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_INT(size)), 0);
}

int state_db_list(struct ctx *c, const char *workspace_id, const struct page *p,
                  struct state_version **out, size_t *n, int64_t *total)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT COUNT(*) FROM state_versions WHERE workspace_id = $1 AND "
                         "status = 'finalized'",
                         S_ARGS(S_TEXT(workspace_id)), &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a,
                                  "%s WHERE workspace_id = $1 AND status = 'finalized' "
                                  "ORDER BY created_at DESC, serial DESC LIMIT $2 OFFSET $3",
                                  COLS),
                     S_ARGS(S_TEXT(workspace_id), S_INT(p->size), S_INT(p->offset)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int state_db_ids_of_workspace(struct ctx *c, const char *workspace_id, const char ***ids, size_t *n)
{
    return store_query_column(c->app->store, c->a,
                              "SELECT id FROM state_versions WHERE workspace_id = $1",
                              S_ARGS(S_TEXT(workspace_id)), ids, n);
}

int state_db_insert_output(struct ctx *c, const char *sv_id, int64_t position,
                           const struct state_output *o)
{
    return store_exec(c->app->store,
                      "INSERT INTO state_version_outputs (id, state_version_id, position, name, "
                      "sensitive, type_json, sealed_value) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      S_ARGS(S_TEXT(o->id), S_TEXT(sv_id), S_INT(position), S_TEXT(o->name),
                             S_BOOL(o->sensitive), S_TEXT(o->type_json), S_TEXT(o->sealed_value)),
                      0);
}

int state_db_has_outputs(struct ctx *c, const char *sv_id, bool *has)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT COUNT(*) FROM state_version_outputs WHERE state_version_id = $1",
                         S_ARGS(S_TEXT(sv_id)), &r);
    if (!rc) *has = store_cell_int(&r, 0, 0) > 0;
    return rc;
}

static void fill_output(const struct store_result *r, size_t i, struct state_output *o)
{
    o->id = store_cell(r, i, 0);
    o->name = store_cell(r, i, 1);
    o->sensitive = store_cell_bool(r, i, 2);
    o->type_json = store_cell(r, i, 3);
    o->sealed_value = store_cell(r, i, 4);
}

int state_db_outputs(struct ctx *c, const char *sv_id, struct state_output **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id, name, sensitive, type_json, sealed_value FROM "
                         "state_version_outputs WHERE state_version_id = $1 ORDER BY position",
                         S_ARGS(S_TEXT(sv_id)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_output(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int state_db_output(struct ctx *c, const char *id, struct state_output *out, const char **sv_id)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id, name, sensitive, type_json, sealed_value, state_version_id "
                         "FROM state_version_outputs WHERE id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill_output(&r, 0, out);
    *sv_id = store_cell(&r, 0, 5);
    return 0;
}
