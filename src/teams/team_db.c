/* team_db.c — the only SQL of teams/: teams, their members, organization memberships. */
#include "teams/team_int.h"

#define TEAM_COLS                                                                                  \
    "SELECT id, organization, name, created_at, visibility, sso_team_id, org_access, "             \
    "allow_member_token_management, (SELECT COUNT(*) FROM team_members m WHERE m.team_id = "       \
    "teams.id) FROM teams "

static void fill(const struct store_result *r, size_t i, struct team *t)
{
    t->id = store_cell(r, i, 0);
    t->organization = store_cell(r, i, 1);
    t->name = store_cell(r, i, 2);
    t->created_at = store_cell(r, i, 3);
    t->visibility = store_cell(r, i, 4);
    t->sso_team_id = store_cell(r, i, 5);
    t->org_access = store_cell_int(r, i, 6);
    t->allow_member_token_management = store_cell_bool(r, i, 7);
    t->users_count = store_cell_int(r, i, 8);
}

int team_db_get(struct ctx *c, const char *id, struct team *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, TEAM_COLS "WHERE id = $1", S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int team_db_list(struct ctx *c, const char *org, const struct team_filter *f, const struct page *p,
                 struct team **out, size_t *n, int64_t *total)
{
    struct store_arg args[6];
    size_t na = 0;
    args[na++] = S_TEXT(org);
    char *where = arena_strdup(c->a, "organization = $1");
    if (!f->all_visible) {
        args[na++] = S_TEXT(f->member_user_id ? f->member_user_id : "");
        args[na++] = S_TEXT(f->member_team_id ? f->member_team_id : "");
        where = arena_printf(c->a,
                             "%s AND (visibility = 'organization' OR id = $3 OR id IN (SELECT "
                             "team_id FROM team_members WHERE user_id = $2))",
                             where);
    }
    if (f->q && *f->q) {
        args[na++] = S_TEXT(store_like_contains(c->a, f->q));
        where = arena_printf(c->a, "%s AND lower(name) LIKE lower($%zu) ESCAPE '!'", where, na);
    }
    if (f->names && *f->names) {
        /* ",a,b," contains ",name," */
        args[na++] = S_TEXT(arena_printf(c->a, ",%s,", f->names));
        where = arena_printf(c->a, "%s AND $%zu LIKE '%%,' || name || ',%%'", where, na);
    }
    struct store_result r;
    int rc =
        store_query(c->app->store, c->a,
                    arena_printf(c->a, "SELECT COUNT(*) FROM teams WHERE %s", where), args, na, &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    args[na++] = S_INT(p->size);
    args[na++] = S_INT(p->offset);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a, TEAM_COLS "WHERE %s ORDER BY name LIMIT $%zu OFFSET $%zu",
                                  where, na - 1, na),
                     args, na, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int team_db_insert(struct ctx *c, const struct team *t)
{
    return store_exec(c->app->store,
                      "INSERT INTO teams (id, organization, name, created_at, visibility, "
                      "sso_team_id, org_access, allow_member_token_management) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      S_ARGS(S_TEXT(t->id), S_TEXT(t->organization), S_TEXT(t->name),
                             S_TEXT(t->created_at), S_TEXT(t->visibility), S_TEXT(t->sso_team_id),
                             S_INT(t->org_access), S_BOOL(t->allow_member_token_management)),
                      0);
}

int team_db_update(struct ctx *c, const struct team *t)
{
    return store_exec(c->app->store,
                      "UPDATE teams SET name = $2, visibility = $3, sso_team_id = $4, "
                      "org_access = $5, allow_member_token_management = $6 WHERE id = $1",
                      S_ARGS(S_TEXT(t->id), S_TEXT(t->name), S_TEXT(t->visibility),
                             S_TEXT(t->sso_team_id), S_INT(t->org_access),
                             S_BOOL(t->allow_member_token_management)),
                      0);
}

int team_db_delete(struct ctx *c, const char *id)
{
    return store_exec(c->app->store, "DELETE FROM teams WHERE id = $1", S_ARGS(S_TEXT(id)), 0);
}

int team_db_member_ids(struct ctx *c, const char *team_id, bool memberships, const char ***ids,
                       size_t *n)
{
    return store_query_column(
        c->app->store, c->a,
        memberships ? "SELECT om.id FROM team_members m JOIN teams t ON t.id = m.team_id JOIN "
                      "organization_memberships om ON om.user_id = m.user_id AND "
                      "om.organization = t.organization WHERE m.team_id = $1 ORDER BY om.id"
                    : "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id",
        S_ARGS(S_TEXT(team_id)), ids, n);
}

int team_db_is_member(struct ctx *c, const char *team_id, const char *user_id, bool *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2",
                         S_ARGS(S_TEXT(team_id), S_TEXT(user_id)), &r);
    if (!rc) *out = r.nrows > 0;
    return rc;
}

int team_db_add_member(struct ctx *c, const char *team_id, const char *user_id)
{
    bool in;
    int rc = team_db_is_member(c, team_id, user_id, &in);
    if (rc || in) return rc;
    return store_exec(c->app->store, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)",
                      S_ARGS(S_TEXT(team_id), S_TEXT(user_id)), 0);
}

int team_db_remove_member(struct ctx *c, const char *team_id, const char *user_id)
{
    return store_exec(c->app->store, "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2",
                      S_ARGS(S_TEXT(team_id), S_TEXT(user_id)), 0);
}

int team_db_count_members(struct ctx *c, const char *team_id, int64_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT COUNT(*) FROM team_members m JOIN teams t ON t.id = m.team_id "
                         "JOIN organization_memberships om ON om.user_id = m.user_id AND "
                         "om.organization = t.organization AND om.status = 'active' "
                         "WHERE m.team_id = $1",
                         S_ARGS(S_TEXT(team_id)), &r);
    if (!rc) *n = store_cell_int(&r, 0, 0);
    return rc;
}

int team_db_owners(struct ctx *c, const char *org, const char **id)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id FROM teams WHERE organization = $1 AND name = 'owners'",
                         S_ARGS(S_TEXT(org)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    *id = store_cell(&r, 0, 0);
    return 0;
}

#define MEMBERSHIP_COLS                                                                            \
    "SELECT om.id, om.organization, om.user_id, om.status, om.created_at, u.email FROM "           \
    "organization_memberships om JOIN users u ON u.id = om.user_id "

static void fill_membership(const struct store_result *r, size_t i, struct membership *m)
{
    m->id = store_cell(r, i, 0);
    m->organization = store_cell(r, i, 1);
    m->user_id = store_cell(r, i, 2);
    m->status = store_cell(r, i, 3);
    m->created_at = store_cell(r, i, 4);
    m->email = store_cell(r, i, 5);
}

static int membership_where(struct ctx *c, const char *where, const struct store_arg *args,
                            size_t nargs, struct membership *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, MEMBERSHIP_COLS "WHERE %s", where),
                         args, nargs, &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill_membership(&r, 0, out);
    return 0;
}

int membership_db_get(struct ctx *c, const char *id, struct membership *out)
{
    return membership_where(c, "om.id = $1", S_ARGS(S_TEXT(id)), out);
}

int membership_db_find(struct ctx *c, const char *org, const char *user_id, struct membership *out)
{
    return membership_where(c, "om.organization = $1 AND om.user_id = $2",
                            S_ARGS(S_TEXT(org), S_TEXT(user_id)), out);
}

int membership_db_insert(struct ctx *c, const struct membership *m)
{
    return store_exec(c->app->store,
                      "INSERT INTO organization_memberships (id, organization, user_id, status, "
                      "created_at) VALUES ($1, $2, $3, $4, $5)",
                      S_ARGS(S_TEXT(m->id), S_TEXT(m->organization), S_TEXT(m->user_id),
                             S_TEXT(m->status), S_TEXT(m->created_at)),
                      0);
}

int membership_db_activate_all(struct ctx *c, const char *user_id)
{
    return store_exec(c->app->store,
                      "UPDATE organization_memberships SET status = 'active' WHERE user_id = $1 "
                      "AND status = 'invited'",
                      S_ARGS(S_TEXT(user_id)), 0);
}

int membership_db_delete(struct ctx *c, const struct membership *m)
{
    int rc = store_exec(c->app->store,
                        "DELETE FROM team_members WHERE user_id = $1 AND team_id IN (SELECT id "
                        "FROM teams WHERE organization = $2)",
                        S_ARGS(S_TEXT(m->user_id), S_TEXT(m->organization)), 0);
    if (rc) return rc;
    return store_exec(c->app->store, "DELETE FROM organization_memberships WHERE id = $1",
                      S_ARGS(S_TEXT(m->id)), 0);
}

int membership_db_list(struct ctx *c, const char *org, const char *user_id,
                       const char *filter_status, const char *q, const struct page *p,
                       struct membership **out, size_t *n, int64_t *total)
{
    struct store_arg args[5];
    size_t na = 0;
    args[na++] = S_TEXT(org ? org : user_id);
    char *where = arena_strdup(c->a, org ? "om.organization = $1" : "om.user_id = $1");
    if (filter_status && *filter_status) {
        args[na++] = S_TEXT(filter_status);
        where = arena_printf(c->a, "%s AND om.status = $%zu", where, na);
    }
    if (q && *q) {
        args[na++] = S_TEXT(store_like_contains(c->a, q));
        where = arena_printf(c->a,
                             "%s AND (lower(u.email) LIKE lower($%zu) ESCAPE '!' OR "
                             "lower(u.username) LIKE lower($%zu) ESCAPE '!')",
                             where, na, na);
    }
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "SELECT COUNT(*) FROM organization_memberships om JOIN "
                                      "users u ON u.id = om.user_id WHERE %s",
                                      where),
                         args, na, &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    args[na++] = S_INT(p->size);
    args[na++] = S_INT(p->offset);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a,
                                  MEMBERSHIP_COLS "WHERE %s ORDER BY om.created_at, om.id "
                                                  "LIMIT $%zu OFFSET $%zu",
                                  where, na - 1, na),
                     args, na, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_membership(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int membership_db_team_ids(struct ctx *c, const struct membership *m, const char ***ids, size_t *n)
{
    return store_query_column(c->app->store, c->a,
                              "SELECT t.id FROM team_members tm JOIN teams t ON t.id = tm.team_id "
                              "WHERE tm.user_id = $1 AND t.organization = $2 ORDER BY t.id",
                              S_ARGS(S_TEXT(m->user_id), S_TEXT(m->organization)), ids, n);
}
