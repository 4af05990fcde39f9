/* user_db.c — the only SQL of users/. */
#include "users/user_int.h"

static void fill(const struct store_result *r, struct user *u)
{
    u->id = store_cell(r, 0, 0);
    u->username = store_cell(r, 0, 1);
    u->email = store_cell(r, 0, 2);
    u->is_admin = store_cell_bool(r, 0, 3);
    u->created_at = store_cell(r, 0, 4);
    u->invited_only = store_cell_bool(r, 0, 5);
}

int user_db_get(struct ctx *c, const char *id, struct user *out)
{
    return user_db_find(c, "id", id, out);
}

int user_db_find(struct ctx *c, const char *column, const char *value, struct user *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "SELECT id, username, email, is_admin, created_at, "
                                      "invited_only FROM users WHERE %s = $1",
                                      column),
                         S_ARGS(S_TEXT(value)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, out);
    return 0;
}

int user_db_insert(struct ctx *c, const struct user *u, const char *password_hash)
{
    return store_exec(c->app->store,
                      "INSERT INTO users (id, username, email, password_hash, is_admin, "
                      "created_at, invited_only) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                      S_ARGS(S_TEXT(u->id), S_TEXT(u->username), S_TEXT(u->email),
                             S_TEXT(password_hash), S_BOOL(u->is_admin), S_TEXT(u->created_at),
                             S_BOOL(u->invited_only)),
                      0);
}

int user_db_take_over(struct ctx *c, const struct user *u, const char *password_hash)
{
    return store_exec(c->app->store,
                      "UPDATE users SET username = $2, password_hash = $3, is_admin = $4, "
                      "invited_only = $5 WHERE id = $1 AND invited_only = $6",
                      S_ARGS(S_TEXT(u->id), S_TEXT(u->username), S_TEXT(password_hash),
                             S_BOOL(u->is_admin), S_BOOL(false), S_BOOL(true)),
                      0);
}

int user_db_taken(struct ctx *c, const char *username, const char *email, bool *name_taken,
                  bool *email_taken)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT username = $1, email = $2 FROM users "
                         "WHERE username = $1 OR email = $2",
                         S_ARGS(S_TEXT(username), S_TEXT(email)), &r);
    if (rc) return rc;
    *name_taken = *email_taken = false;
    for (size_t i = 0; i < r.nrows; i++) {
        *name_taken |= store_cell_bool(&r, i, 0);
        *email_taken |= store_cell_bool(&r, i, 1);
    }
    return 0;
}

int user_count_admins(struct ctx *c, int64_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, "SELECT COUNT(*) FROM users WHERE is_admin = $1",
                         S_ARGS(S_BOOL(true)), &r);
    if (!rc) *n = store_cell_int(&r, 0, 0);
    return rc;
}

int user_db_update(struct ctx *c, const struct user *u)
{
    return store_exec(c->app->store, "UPDATE users SET username = $2, email = $3 WHERE id = $1",
                      S_ARGS(S_TEXT(u->id), S_TEXT(u->username), S_TEXT(u->email)), 0);
}

int user_db_password_hash(struct ctx *c, const char *id, const char **hash)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, "SELECT password_hash FROM users WHERE id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    *hash = store_cell(&r, 0, 0);
    return 0;
}

int user_db_set_password_hash(struct ctx *c, const char *id, const char *hash)
{
    return store_exec(c->app->store, "UPDATE users SET password_hash = $2 WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_TEXT(hash)), 0);
}
