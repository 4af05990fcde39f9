/* token_db.c — the only SQL of tokens/. */
#include "tokens/token_int.h"
#include "app/principal_cache.h"
#include "base/codec.h"

static const char *COLS = "SELECT id, kind, description, created_at, last_used_at, user_id, "
                          "organization, team_id, created_by, expires_at FROM tokens ";

static void fill(const struct store_result *r, size_t i, struct token *t)
{
    t->id = store_cell(r, i, 0);
    t->kind = store_cell(r, i, 1);
    t->description = store_cell(r, i, 2);
    t->created_at = store_cell(r, i, 3);
    t->last_used_at = store_cell(r, i, 4);
    t->user_id = store_cell(r, i, 5);
    t->organization = store_cell(r, i, 6);
    t->team_id = store_cell(r, i, 7);
    t->created_by = store_cell(r, i, 8);
    t->expires_at = store_cell_int(r, i, 9);
    t->plaintext = 0; /* shown only when made */
}

int token_db_principal(struct app *app, struct arena *a, const char *hash, struct principal *p,
                       int64_t *expires_at)
{
    struct store_result r;
    int rc = store_query(app->store, a,
                         "SELECT t.id, t.kind, t.user_id, u.username, u.is_admin, "
                         "COALESCE(t.organization, tm.organization), t.team_id, t.run_id, "
                         "t.workspace_id, t.expires_at "
                         "FROM tokens t LEFT JOIN users u ON u.id = t.user_id "
                         "LEFT JOIN teams tm ON tm.id = t.team_id WHERE t.hash = $1",
                         S_ARGS(S_TEXT(hash)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_UNAUTHORIZED;
    const char *kind = store_cell(&r, 0, 1);
    p->token_id = store_cell(&r, 0, 0);
    p->kind = strcmp(kind, "user") == 0           ? PRINCIPAL_USER
              : strcmp(kind, "organization") == 0 ? PRINCIPAL_ORG
              : strcmp(kind, "run") == 0          ? PRINCIPAL_RUN
                                                  : PRINCIPAL_TEAM;
    *expires_at = store_cell(&r, 0, 9) ? store_cell_int(&r, 0, 9) : 0;
    p->user_id = store_cell(&r, 0, 2);
    p->username = store_cell(&r, 0, 3);
    p->site_admin = store_cell_bool(&r, 0, 4);
    p->org = store_cell(&r, 0, 5);
    p->team_id = store_cell(&r, 0, 6);
    p->run_id = store_cell(&r, 0, 7);
    p->workspace_id = store_cell(&r, 0, 8);
    return 0;
}

int token_db_insert(struct ctx *c, const struct token *t, const char *hash)
{
    return store_exec(c->app->store,
                      "INSERT INTO tokens (id, kind, hash, user_id, organization, team_id, "
                      "description, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, "
                      "$5, $6, $7, $8, $9, $10)",
                      S_ARGS(S_TEXT(t->id), S_TEXT(t->kind), S_TEXT(hash), S_TEXT(t->user_id),
                             S_TEXT(t->organization), S_TEXT(t->team_id), S_TEXT(t->description),
                             S_TEXT(t->created_by), S_TEXT(t->created_at),
                             t->expires_at ? S_INT(t->expires_at) : S_TEXT(0)),
                      0);
}

#define OWNED_BY                                                                                   \
    "kind = $1 AND (($1 = 'organization' AND organization = $2) OR ($1 = 'team' AND team_id = "    \
    "$3))"

int token_db_delete_owned(struct ctx *c, const char *kind, const char *org, const char *team_id,
                          bool *found)
{
    int64_t n = 0;
    int rc = store_exec(
        c->app->store, "DELETE FROM tokens WHERE " OWNED_BY,
        S_ARGS(S_TEXT(kind), S_TEXT(org ? org : ""), S_TEXT(team_id ? team_id : "")), &n);
    if (found) *found = n > 0;
    if (!rc && n) principal_cache_invalidate(c->app);
    return rc;
}

int token_db_get_owned(struct ctx *c, const char *kind, const char *org, const char *team_id,
                       struct token *out)
{
    struct store_result r;
    int rc = store_query(
        c->app->store, c->a, arena_printf(c->a, "%s WHERE " OWNED_BY, COLS),
        S_ARGS(S_TEXT(kind), S_TEXT(org ? org : ""), S_TEXT(team_id ? team_id : "")), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int token_db_get(struct ctx *c, const char *id, struct token *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", COLS),
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int token_db_delete(struct ctx *c, const char *id)
{
    int rc = store_exec(c->app->store, "DELETE FROM tokens WHERE id = $1", S_ARGS(S_TEXT(id)), 0);
    if (!rc) principal_cache_invalidate(c->app);
    return rc;
}

int token_db_list_user(struct ctx *c, const char *user_id, struct token **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "%s WHERE kind = 'user' AND user_id = $1 "
                                      "ORDER BY created_at",
                                      COLS),
                         S_ARGS(S_TEXT(user_id)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int token_on_org_renamed(struct ctx *c, const char *from, const char *to)
{
    return store_exec(c->app->store, "UPDATE tokens SET organization = $2 WHERE organization = $1",
                      S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
}
