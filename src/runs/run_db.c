/* run_db.c — the only SQL of runs/. */
#include "runs/run_int.h"
#include "base/codec.h"

static const char *COLS =
    "SELECT id, workspace_id, configuration_version_id, plan_id, apply_id, status, message, "
    "source, target_addrs, replace_addrs, sealed_variables, status_timestamps, plan_status, "
    "apply_status, created_by, created_at, is_destroy, refresh, refresh_only, plan_only, "
    "speculative, auto_apply, allow_empty_apply, save_plan, has_changes, cancel_requested, "
    "plan_add, plan_change, plan_destroy, apply_add, apply_change, apply_destroy, "
    "force_cancel_available_at, structured_output FROM runs ";

static void fill(const struct store_result *res, size_t i, struct run *r)
{
    const char **s[] = {&r->id,
                        &r->workspace_id,
                        &r->configuration_version_id,
                        &r->plan_id,
                        &r->apply_id,
                        &r->status,
                        &r->message,
                        &r->source,
                        &r->target_addrs,
                        &r->replace_addrs,
                        &r->sealed_variables,
                        &r->status_timestamps,
                        &r->plan_status,
                        &r->apply_status,
                        &r->created_by,
                        &r->created_at};
    size_t col = 0;
    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        *s[k] = store_cell(res, i, col++);
    bool *b[] = {&r->is_destroy,        &r->refresh,     &r->refresh_only,
                 &r->plan_only,         &r->speculative, &r->auto_apply,
                 &r->allow_empty_apply, &r->save_plan,   &r->has_changes};
    for (size_t k = 0; k < sizeof b / sizeof b[0]; k++)
        *b[k] = store_cell_bool(res, i, col++);
    int64_t *n[] = {
        &r->cancel_requested, &r->plan_add,     &r->plan_change,   &r->plan_destroy,
        &r->apply_add,        &r->apply_change, &r->apply_destroy, &r->force_cancel_available_at};
    for (size_t k = 0; k < sizeof n / sizeof n[0]; k++)
        *n[k] = store_cell_int(res, i, col++);
    r->structured_output = store_cell_bool(res, i, col++);
}

int run_db_get(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
               struct run *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE %s", COLS, where), args,
                         nargs, &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int run_db_insert(struct ctx *c, const struct run *r)
{
    return store_exec(
        c->app->store,
        "INSERT INTO runs (id, workspace_id, configuration_version_id, plan_id, apply_id, status, "
        "message, source, is_destroy, refresh, refresh_only, plan_only, speculative, auto_apply, "
        "allow_empty_apply, save_plan, target_addrs, replace_addrs, sealed_variables, "
        "plan_status, apply_status, created_by, created_at, updated_at, structured_output) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
        "$20, $21, $22, $23, $23, $24)",
        S_ARGS(S_TEXT(r->id), S_TEXT(r->workspace_id), S_TEXT(r->configuration_version_id),
               S_TEXT(r->plan_id), S_TEXT(r->apply_id), S_TEXT(r->status), S_TEXT(r->message),
               S_TEXT(r->source), S_BOOL(r->is_destroy), S_BOOL(r->refresh),
               S_BOOL(r->refresh_only), S_BOOL(r->plan_only), S_BOOL(r->speculative),
               S_BOOL(r->auto_apply), S_BOOL(r->allow_empty_apply), S_BOOL(r->save_plan),
               S_TEXT(r->target_addrs), S_TEXT(r->replace_addrs), S_TEXT(r->sealed_variables),
               S_TEXT(r->plan_status), S_TEXT(r->apply_status), S_TEXT(r->created_by),
               S_TEXT(r->created_at), S_BOOL(r->structured_output)),
        0);
}

/* Adds "<status>-at": now to the run's status timestamps. */
static int stamp(struct ctx *c, const char *id, const char *status)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, "SELECT status_timestamps FROM runs WHERE id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    if (rc || !r.nrows) return rc;
    json_error_t je;
    json_t *ts = json_loads(store_cell(&r, 0, 0), 0, &je);
    if (!json_is_object(ts)) {
        json_decref(ts);
        ts = json_object();
    }
    char key[64];
    snprintf(key, sizeof key, "%s-at", status);
    for (char *k = key; *k; k++)
        if (*k == '_') *k = '-';
    json_object_set_new(ts, key, json_string(codec_now_iso(c->a)));
    char *text = json_dumps(ts, JSON_COMPACT);
    json_decref(ts);
    rc = store_exec(c->app->store, "UPDATE runs SET status_timestamps = $2 WHERE id = $1",
                    S_ARGS(S_TEXT(id), S_TEXT(text)), 0);
    free(text);
    return rc;
}

int run_db_transition(struct ctx *c, const char *id, const char *from, const char *to,
                      bool *changed)
{
    int64_t n = 0;
    int rc =
        store_exec(c->app->store,
                   "UPDATE runs SET status = $3, updated_at = $4 WHERE id = $1 AND "
                   "(CAST($2 AS TEXT) IS NULL OR status = $2)",
                   S_ARGS(S_TEXT(id), S_TEXT(from), S_TEXT(to), S_TEXT(codec_now_iso(c->a))), &n);
    *changed = n == 1;
    if (!rc && *changed) rc = stamp(c, id, to);
    if (!rc && *changed) run_status_changed(c, id, to);
    return rc;
}

int run_db_claim(struct ctx *c, const char *id, const char *from, const char *to, const char *node,
                 bool *changed)
{
    int64_t n = 0;
    int rc = store_exec(
        c->app->store,
        "UPDATE runs SET status = $3, updated_at = $4, node = $5 WHERE id = $1 "
        "AND status = $2",
        S_ARGS(S_TEXT(id), S_TEXT(from), S_TEXT(to), S_TEXT(codec_now_iso(c->a)), S_TEXT(node)),
        &n);
    *changed = n == 1;
    if (!rc && *changed) rc = stamp(c, id, to);
    if (!rc && *changed) run_status_changed(c, id, to);
    return rc;
}

int run_db_set_phase(struct ctx *c, const char *id, enum run_phase phase, const char *status,
                     const struct run_result *res)
{
    struct run_result zero = {0};
    if (!res) res = &zero;
    if (phase == RUN_PLAN)
        return store_exec(c->app->store,
                          "UPDATE runs SET plan_status = $2, has_changes = $3, plan_add = $4, "
                          "plan_change = $5, plan_destroy = $6 WHERE id = $1",
                          S_ARGS(S_TEXT(id), S_TEXT(status), S_BOOL(res->has_changes),
                                 S_INT(res->add), S_INT(res->change), S_INT(res->destroy)),
                          0);
    return store_exec(c->app->store,
                      "UPDATE runs SET apply_status = $2, apply_add = $3, apply_change = $4, "
                      "apply_destroy = $5 WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_TEXT(status), S_INT(res->add), S_INT(res->change),
                             S_INT(res->destroy)),
                      0);
}

int run_db_set_cancel(struct ctx *c, const char *id, int64_t level, int64_t force_at)
{
    return store_exec(c->app->store,
                      "UPDATE runs SET cancel_requested = $2, force_cancel_available_at = "
                      "CASE WHEN $3 > 0 THEN $3 ELSE force_cancel_available_at END WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_INT(level), S_INT(force_at)), 0);
}

int run_db_list(struct ctx *c, const char *where, const struct store_arg *args, size_t nargs,
                const struct page *p, struct run **out, size_t *n, int64_t *total)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a, "SELECT COUNT(*) FROM runs WHERE %s", where), args,
                         nargs, &r);
    if (rc) return rc;
    *total = store_cell_int(&r, 0, 0);
    struct store_arg all[16];
    if (nargs > 14) return ERR_INTERNAL;
    memcpy(all, args, nargs * sizeof *args);
    all[nargs] = S_INT(p->size);
    all[nargs + 1] = S_INT(p->offset);
    rc = store_query(c->app->store, c->a,
                     arena_printf(c->a,
                                  "%s WHERE %s ORDER BY created_at DESC, id DESC "
                                  "LIMIT $%zu OFFSET $%zu",
                                  COLS, where, nargs + 1, nargs + 2),
                     all, nargs + 2, &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}
