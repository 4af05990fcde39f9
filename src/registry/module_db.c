/* module_db.c — the registry's SQL. */
#include "registry/registry_int.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "registry/registry.h"
#include "store/store.h"

static const char *MODULE_COLS = "SELECT id, organization, registry_name, name, provider, no_code, "
                                 "created_at, updated_at FROM registry_modules ";
static const char *VERSION_COLS = "SELECT id, module_id, version, status, error, size, "
                                  "created_at, updated_at FROM registry_module_versions ";

static void fill_module(const struct store_result *r, size_t i, struct module *m)
{
    m->id = store_cell(r, i, 0);
    m->organization = store_cell(r, i, 1);
    m->registry_name = store_cell(r, i, 2);
    m->name = store_cell(r, i, 3);
    m->provider = store_cell(r, i, 4);
    m->no_code = store_cell_bool(r, i, 5);
    m->created_at = store_cell(r, i, 6);
    m->updated_at = store_cell(r, i, 7);
}

static void fill_version(const struct store_result *r, size_t i, struct module_version *v)
{
    v->id = store_cell(r, i, 0);
    v->module_id = store_cell(r, i, 1);
    v->version = store_cell(r, i, 2);
    v->status = store_cell(r, i, 3);
    v->error = store_cell(r, i, 4);
    v->size = store_cell(r, i, 5) ? store_cell_int(r, i, 5) : -1;
    v->created_at = store_cell(r, i, 6);
    v->updated_at = store_cell(r, i, 7);
}

int module_db_insert(struct ctx *c, const struct module *m)
{
    return store_exec(c->app->store,
                      "INSERT INTO registry_modules (id, organization, registry_name, name, "
                      "provider, no_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                      "$7, $7)",
                      S_ARGS(S_TEXT(m->id), S_TEXT(m->organization), S_TEXT(m->registry_name),
                             S_TEXT(m->name), S_TEXT(m->provider), S_BOOL(m->no_code),
                             S_TEXT(m->created_at)),
                      0);
}

int module_db_get(struct ctx *c, const char *org, const char *name, const char *provider,
                  struct module *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "%s WHERE organization = $1 AND registry_name = "
                                      "'private' AND name = $2 AND provider = $3",
                                      MODULE_COLS),
                         S_ARGS(S_TEXT(org), S_TEXT(name), S_TEXT(provider)), &r);
    if (!rc && r.nrows == 0) return ctx_fail(c, ERR_NOT_FOUND, "registry module not found");
    if (!rc) fill_module(&r, 0, out);
    return rc;
}

int module_db_list(struct ctx *c, const char *org, struct module **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(
        c->app->store, c->a,
        arena_printf(c->a, "%s WHERE organization = $1 ORDER BY name, provider", MODULE_COLS),
        S_ARGS(S_TEXT(org)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_module(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int module_db_versions(struct ctx *c, const char *module_id, struct module_version **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(
        c->app->store, c->a,
        arena_printf(c->a, "%s WHERE module_id = $1 ORDER BY created_at, version", VERSION_COLS),
        S_ARGS(S_TEXT(module_id)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_version(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int module_db_version_insert(struct ctx *c, const struct module_version *v)
{
    int rc = store_exec(c->app->store,
                        "INSERT INTO registry_module_versions (id, module_id, version, status, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                        S_ARGS(S_TEXT(v->id), S_TEXT(v->module_id), S_TEXT(v->version),
                               S_TEXT(v->status), S_TEXT(v->created_at)),
                        0);
    if (!rc)
        rc = store_exec(c->app->store, "UPDATE registry_modules SET updated_at = $2 WHERE id = $1",
                        S_ARGS(S_TEXT(v->module_id), S_TEXT(v->created_at)), 0);
    return rc;
}

int module_db_version_get(struct ctx *c, const char *id, struct module_version *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", VERSION_COLS),
                         S_ARGS(S_TEXT(id)), &r);
    if (!rc && r.nrows == 0) return ERR_NOT_FOUND;
    if (!rc) fill_version(&r, 0, out);
    return rc;
}

int module_db_version_set(struct ctx *c, const char *id, const char *status, const char *error,
                          int64_t size)
{
    return store_exec(
        c->app->store,
        "UPDATE registry_module_versions SET status = $2, error = $3, size = $4, "
        "updated_at = $5 WHERE id = $1",
        S_ARGS(S_TEXT(id), S_TEXT(status), S_TEXT(error), S_INT(size), S_TEXT(codec_now_iso(c->a))),
        0);
}

/* The WHERE clause of a deletion: $1 org, then name, provider and version when given. */
static const char *matched(struct ctx *c, const char *name, const char *provider,
                           const char *version)
{
    return arena_printf(c->a, "m.organization = $1 AND m.registry_name = 'private'%s%s%s",
                        name ? " AND m.name = $2" : "", provider ? " AND m.provider = $3" : "",
                        version ? " AND v.version = $4" : "");
}

int registry_on_org_renamed(struct ctx *c, const char *from, const char *to)
{
    static const char *const tables[] = {"registry_modules", "registry_providers", "gpg_keys", 0};
    int rc = 0;
    for (int i = 0; !rc && tables[i]; i++)
        rc =
            store_exec(c->app->store,
                       arena_printf(c->a, "UPDATE %s SET organization = $2 WHERE organization = $1",
                                    tables[i]),
                       S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
    return rc;
}

int module_db_version_ids(struct ctx *c, const char *org, const char *name, const char *provider,
                          const char *version, const char ***ids, size_t *n)
{
    const char *sql = arena_printf(c->a,
                                   "SELECT v.id FROM registry_module_versions v JOIN "
                                   "registry_modules m ON m.id = v.module_id WHERE %s",
                                   matched(c, name, provider, version));
    return store_query_column(c->app->store, c->a, sql,
                              S_ARGS(S_TEXT(org), S_TEXT(name ? name : ""),
                                     S_TEXT(provider ? provider : ""),
                                     S_TEXT(version ? version : "")),
                              ids, n);
}

int module_db_delete(struct ctx *c, const char *org, const char *name, const char *provider,
                     const char *version, int64_t *deleted)
{
    struct store_arg args[] = {S_TEXT(org), S_TEXT(name), S_TEXT(provider ? provider : ""),
                               S_TEXT(version ? version : "")};
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    if (version) {
        rc = store_exec(c->app->store,
                        arena_printf(c->a,
                                     "DELETE FROM registry_module_versions WHERE id IN (SELECT "
                                     "v.id FROM registry_module_versions v JOIN registry_modules "
                                     "m ON m.id = v.module_id WHERE %s)",
                                     matched(c, name, provider, version)),
                        args, 4, deleted);
    } else {
        rc = store_exec(c->app->store,
                        arena_printf(c->a,
                                     "DELETE FROM registry_modules WHERE id IN (SELECT m.id FROM "
                                     "registry_modules m WHERE %s)",
                                     matched(c, name, provider, 0)),
                        args, 3, deleted);
    }
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int module_db_version_metadata(struct ctx *c, const char *id, const char *metadata)
{
    return store_exec(c->app->store,
                      "UPDATE registry_module_versions SET metadata = $2 WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_TEXT(metadata)), 0);
}

int module_db_version_metadata_get(struct ctx *c, const char *module_id, const char *version,
                                   const char **metadata, const char **published_at)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT metadata, updated_at FROM registry_module_versions WHERE "
                         "module_id = $1 AND version = $2 AND status = 'ok'",
                         S_ARGS(S_TEXT(module_id), S_TEXT(version)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    *metadata = store_cell(&r, 0, 0);
    *published_at = store_cell(&r, 0, 1);
    return 0;
}
