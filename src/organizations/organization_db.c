/* organization_db.c — the only SQL of organizations/. */
#include "organizations/organization_int.h"
#include "store/store.h"

static const char *COLS = "SELECT name, external_id, email, default_execution_mode, created_at, "
                          "session_timeout, session_remember FROM organizations ";

/* 0 (never set) is stored as NULL */
static struct store_arg minutes(int64_t m)
{
    return m > 0 ? S_INT(m) : S_NULL;
}

static void fill(const struct store_result *r, size_t i, struct organization *o)
{
    o->name = store_cell(r, i, 0);
    o->external_id = store_cell(r, i, 1);
    o->email = store_cell(r, i, 2);
    o->default_execution_mode = store_cell(r, i, 3);
    o->created_at = store_cell(r, i, 4);
    o->session_timeout = store_cell(r, i, 5) ? store_cell_int(r, i, 5) : 0;
    o->session_remember = store_cell(r, i, 6) ? store_cell_int(r, i, 6) : 0;
}

int organization_db_get(struct ctx *c, const char *name, struct organization *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE name = $1", COLS),
                         S_ARGS(S_TEXT(name)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int organization_db_insert(struct ctx *c, const struct organization *o)
{
    return store_exec(
        c->app->store,
        "INSERT INTO organizations (name, external_id, email, default_execution_mode, "
        "created_at, session_timeout, session_remember) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        S_ARGS(S_TEXT(o->name), S_TEXT(o->external_id), S_TEXT(o->email),
               S_TEXT(o->default_execution_mode), S_TEXT(o->created_at),
               minutes(o->session_timeout), minutes(o->session_remember)),
        0);
}

int organization_db_update(struct ctx *c, const struct organization *o)
{
    return store_exec(c->app->store,
                      "UPDATE organizations SET email = $2, default_execution_mode = $3, "
                      "session_timeout = $4, session_remember = $5 WHERE name = $1",
                      S_ARGS(S_TEXT(o->name), S_TEXT(o->email), S_TEXT(o->default_execution_mode),
                             minutes(o->session_timeout), minutes(o->session_remember)),
                      0);
}

int organization_db_delete(struct ctx *c, const char *name)
{
    return store_exec(c->app->store, "DELETE FROM organizations WHERE name = $1",
                      S_ARGS(S_TEXT(name)), 0);
}

int organization_db_list(struct ctx *c, const struct page *p, struct organization **out, size_t *n,
                         int64_t *total)
{
    /* a site admin sees all; others see the organizations they belong to or hold a token for */
    const char *visible = "WHERE $1 = 1 OR name = $2 OR name IN (SELECT organization FROM "
                          "organization_memberships WHERE user_id = $3 AND status = 'active')";
    bool admin = c->who.kind == PRINCIPAL_USER && c->who.site_admin;
    struct store_arg args[] = {S_INT(admin ? 1 : 0), S_TEXT(c->who.org ? c->who.org : ""),
                               S_TEXT(c->who.user_id ? c->who.user_id : ""), S_INT(p->size),
                               S_INT(p->offset)};
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a, "SELECT COUNT(*) FROM organizations %s", visible), args,
                         3, &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a, "%s %s ORDER BY name LIMIT $4 OFFSET $5", COLS, visible),
                     args, 5, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int organization_db_rename(struct ctx *c, const struct organization *o, const char *to)
{
    /* the external id is unique: the old row gives it up first */
    int rc = store_exec(c->app->store,
                        "UPDATE organizations SET external_id = external_id || '~' WHERE name = $1",
                        S_ARGS(S_TEXT(o->name)), 0);
    if (rc) return rc;
    return store_exec(c->app->store,
                      "INSERT INTO organizations (name, external_id, email, "
                      "default_execution_mode, created_at, session_timeout, session_remember) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      S_ARGS(S_TEXT(to), S_TEXT(o->external_id), S_TEXT(o->email),
                             S_TEXT(o->default_execution_mode), S_TEXT(o->created_at),
                             minutes(o->session_timeout), minutes(o->session_remember)),
                      0);
}
