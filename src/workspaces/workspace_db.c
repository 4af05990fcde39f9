/* workspace_db.c — the only SQL of workspaces/. */
#include "workspaces/workspace_int.h"

#define COL_LIST                                                                                   \
    "id, organization, name, description, execution_mode, terraform_version, "                     \
    "working_directory, created_at, updated_at, auto_apply, locked_by_kind, locked_by_id, "        \
    "lock_reason, current_state_version_id, current_run_id, allow_destroy_plan, "                  \
    "file_triggers_enabled, queue_all_runs, speculative_enabled, global_remote_state, "            \
    "trigger_prefixes, source_name, source_url, structured_run_output_enabled, ssh_key_id"
enum { NCOLS = 25 };

static const char *COLS = "SELECT " COL_LIST " FROM workspaces ";
/* One workspace with its tags in one statement: a row per tag (one row, tag NULL, without). */
static const char *COLS_TAGS = "SELECT " COL_LIST ", workspace_tags.tag FROM workspaces LEFT JOIN "
                               "workspace_tags ON workspace_tags.workspace_id = workspaces.id ";

static void fill(const struct store_result *r, size_t i, struct workspace *w)
{
    memset(w, 0, sizeof *w);
    w->id = store_cell(r, i, 0);
    w->organization = store_cell(r, i, 1);
    w->name = store_cell(r, i, 2);
    w->description = store_cell(r, i, 3);
    w->execution_mode = store_cell(r, i, 4);
    w->terraform_version = store_cell(r, i, 5);
    w->working_directory = store_cell(r, i, 6);
    w->created_at = store_cell(r, i, 7);
    w->updated_at = store_cell(r, i, 8);
    w->auto_apply = store_cell_bool(r, i, 9);
    w->locked_by_kind = store_cell(r, i, 10);
    w->locked_by_id = store_cell(r, i, 11);
    w->lock_reason = store_cell(r, i, 12);
    w->current_state_version_id = store_cell(r, i, 13);
    w->current_run_id = store_cell(r, i, 14);
    w->allow_destroy_plan = store_cell_bool(r, i, 15);
    w->file_triggers_enabled = store_cell_bool(r, i, 16);
    w->queue_all_runs = store_cell_bool(r, i, 17);
    w->speculative_enabled = store_cell_bool(r, i, 18);
    w->global_remote_state = store_cell_bool(r, i, 19);
    w->trigger_prefixes = store_cell(r, i, 20);
    w->source_name = store_cell(r, i, 21);
    w->source_url = store_cell(r, i, 22);
    w->structured_run_output_enabled = store_cell_bool(r, i, 23);
    w->ssh_key_id = store_cell(r, i, 24);
}

static int load_tags(struct ctx *c, struct workspace *w)
{
    return store_query_column(c->app->store, c->a,
                              "SELECT tag FROM workspace_tags WHERE workspace_id = $1 ORDER BY tag",
                              S_ARGS(S_TEXT(w->id)), &w->tags, &w->ntags);
}

int workspace_db_get(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
                     struct workspace *out)
{
    struct store_result r;
    int rc =
        store_query(c->app->store, c->a,
                    arena_printf(c->a, "%s WHERE %s ORDER BY workspace_tags.tag", COLS_TAGS, where),
                    args, nargs, &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    out->tags = arena_alloc(c->a, (r.nrows + 1) * sizeof *out->tags);
    for (size_t i = 0; i < r.nrows; i++)
        if (store_cell(&r, i, NCOLS)) out->tags[out->ntags++] = store_cell(&r, i, NCOLS);
    return 0;
}

int workspace_db_insert(struct ctx *c, const struct workspace *w)
{
    return store_exec(
        c->app->store,
        "INSERT INTO workspaces (id, organization, name, description, execution_mode, "
        "terraform_version, auto_apply, working_directory, created_at, updated_at, "
        "allow_destroy_plan, file_triggers_enabled, queue_all_runs, speculative_enabled, "
        "global_remote_state, trigger_prefixes, source_name, source_url, "
        "structured_run_output_enabled) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
        "$18)",
        S_ARGS(S_TEXT(w->id), S_TEXT(w->organization), S_TEXT(w->name), S_TEXT(w->description),
               S_TEXT(w->execution_mode), S_TEXT(w->terraform_version), S_BOOL(w->auto_apply),
               S_TEXT(w->working_directory), S_TEXT(w->created_at), S_BOOL(w->allow_destroy_plan),
               S_BOOL(w->file_triggers_enabled), S_BOOL(w->queue_all_runs),
               S_BOOL(w->speculative_enabled), S_BOOL(w->global_remote_state),
               S_TEXT(w->trigger_prefixes), S_TEXT(w->source_name), S_TEXT(w->source_url),
               S_BOOL(w->structured_run_output_enabled)),
        0);
}

int workspace_db_update(struct ctx *c, const struct workspace *w)
{
    int rc = store_exec(c->app->store,
                        "UPDATE workspaces SET name = $2, description = $3, execution_mode = $4, "
                        "terraform_version = $5, auto_apply = $6, working_directory = $7, "
                        "updated_at = $8, allow_destroy_plan = $9, file_triggers_enabled = $10, "
                        "queue_all_runs = $11, speculative_enabled = $12, "
                        "global_remote_state = $13, trigger_prefixes = $14, source_name = $15, "
                        "source_url = $16, structured_run_output_enabled = $17 WHERE id = $1",
                        S_ARGS(S_TEXT(w->id), S_TEXT(w->name), S_TEXT(w->description),
                               S_TEXT(w->execution_mode), S_TEXT(w->terraform_version),
                               S_BOOL(w->auto_apply), S_TEXT(w->working_directory),
                               S_TEXT(w->updated_at), S_BOOL(w->allow_destroy_plan),
                               S_BOOL(w->file_triggers_enabled), S_BOOL(w->queue_all_runs),
                               S_BOOL(w->speculative_enabled), S_BOOL(w->global_remote_state),
                               S_TEXT(w->trigger_prefixes), S_TEXT(w->source_name),
                               S_TEXT(w->source_url), S_BOOL(w->structured_run_output_enabled)),
                        0);
    workspace_forget(c, w->id);
    return rc;
}

int workspace_db_set_tags(struct ctx *c, const char *id, const char **tags, size_t n)
{
    int rc = store_exec(c->app->store, "DELETE FROM workspace_tags WHERE workspace_id = $1",
                        S_ARGS(S_TEXT(id)), 0);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = store_exec(c->app->store,
                        "INSERT INTO workspace_tags (workspace_id, tag) VALUES ($1, $2)",
                        S_ARGS(S_TEXT(id), S_TEXT(tags[i])), 0);
        if (rc == ERR_CONFLICT) rc = 0; /* a repeated tag */
    }
    workspace_forget(c, id);
    return rc;
}

int workspace_db_delete(struct ctx *c, const char *id)
{
    int rc =
        store_exec(c->app->store, "DELETE FROM workspaces WHERE id = $1", S_ARGS(S_TEXT(id)), 0);
    workspace_forget(c, id);
    return rc;
}

int workspace_db_ids_of_org(struct ctx *c, const char *org, const char ***ids, size_t *n)
{
    return store_query_column(c->app->store, c->a,
                              "SELECT id FROM workspaces WHERE organization = $1",
                              S_ARGS(S_TEXT(org)), ids, n);
}

int workspace_db_list(struct ctx *c, const char *org, const struct workspace_filter *f,
                      const struct page *p, struct workspace **out, size_t *n, int64_t *total)
{
    enum { MAX_TAGS = 20 };
    struct store_arg args[5 + MAX_TAGS];
    size_t na = 0;
    args[na++] = S_TEXT(org);
    char *where = arena_strdup(c->a, "organization = $1");
    if (f->search_name && *f->search_name) {
        const char *pat = store_like_contains(c->a, f->search_name);
        args[na++] = S_TEXT(pat);
        where = arena_printf(c->a, "%s AND lower(name) LIKE lower($%zu) ESCAPE '!'", where, na);
    }
    size_t nt = f->ntags < MAX_TAGS ? f->ntags : MAX_TAGS;
    for (size_t i = 0; i < nt; i++) {
        args[na++] = S_TEXT(f->tags[i]);
        where = arena_printf(c->a,
                             "%s AND EXISTS (SELECT 1 FROM workspace_tags t WHERE "
                             "t.workspace_id = workspaces.id AND t.tag = $%zu)",
                             where, na);
    }
    const char *arg;
    const char *visible = authz_ws_filter(c, f->caller, "workspaces.id", (int)na + 1, &arg);
    if (visible) where = arena_printf(c->a, "%s AND %s", where, visible);
    if (arg) args[na++] = S_TEXT(arg);
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a, "SELECT COUNT(*) FROM workspaces WHERE %s", where),
                         args, na, &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    args[na++] = S_INT(p->size);
    args[na++] = S_INT(p->offset);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a, "%s WHERE %s ORDER BY name LIMIT $%zu OFFSET $%zu", COLS,
                                  where, na - 1, na),
                     args, na, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; !rc && i < r.nrows; i++) {
        fill(&r, i, &(*out)[i]);
        rc = load_tags(c, &(*out)[i]);
    }
    *n = r.nrows;
    return rc;
}

int workspace_db_lock(struct ctx *c, const char *id, const char *kind, const char *holder,
                      const char *reason, bool *changed)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE workspaces SET locked_by_kind = $2, locked_by_id = $3, "
                        "lock_reason = $4 WHERE id = $1 AND locked_by_kind IS NULL",
                        S_ARGS(S_TEXT(id), S_TEXT(kind), S_TEXT(holder), S_TEXT(reason)), &n);
    *changed = n == 1;
    workspace_forget(c, id);
    return rc;
}

int workspace_db_unlock(struct ctx *c, const char *id, const char *kind, const char *holder,
                        bool *changed)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE workspaces SET locked_by_kind = NULL, locked_by_id = NULL, "
                        "lock_reason = NULL WHERE id = $1 AND locked_by_kind IS NOT NULL AND "
                        "(CAST($2 AS TEXT) IS NULL OR (locked_by_kind = $2 AND locked_by_id = $3))",
                        S_ARGS(S_TEXT(id), S_TEXT(kind), S_TEXT(holder)), &n);
    *changed = n == 1;
    workspace_forget(c, id);
    return rc;
}

int workspace_set_current_state(struct ctx *c, const char *workspace_id, const char *sv_id)
{
    int rc = store_exec(c->app->store,
                        "UPDATE workspaces SET current_state_version_id = $2 WHERE id = $1",
                        S_ARGS(S_TEXT(workspace_id), S_TEXT(sv_id)), 0);
    workspace_forget(c, workspace_id);
    return rc;
}

int workspace_set_current_run(struct ctx *c, const char *workspace_id, const char *run_id)
{
    int rc = store_exec(c->app->store, "UPDATE workspaces SET current_run_id = $2 WHERE id = $1",
                        S_ARGS(S_TEXT(workspace_id), S_TEXT(run_id)), 0);
    workspace_forget(c, workspace_id);
    return rc;
}

int workspace_on_org_renamed(struct ctx *c, const char *from, const char *to)
{
    int rc =
        store_exec(c->app->store, "UPDATE workspaces SET organization = $2 WHERE organization = $1",
                   S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
    workspace_forget(c, 0);
    if (rc) return rc;
    return store_exec(c->app->store,
                      "UPDATE ssh_keys SET organization = $2 WHERE organization = $1",
                      S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
}

int workspace_count_by_version(struct ctx *c, const char *version, int64_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT COUNT(*) FROM workspaces WHERE terraform_version = $1",
                         S_ARGS(S_TEXT(version)), &r);
    *n = rc ? 0 : store_cell_int(&r, 0, 0);
    return rc;
}
