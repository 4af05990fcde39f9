/* provider_db.c — the SQL of the private provider registry. */
#include "registry/registry_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#include <string.h>

const char *provider_sums_key(struct ctx *c, const char *version_id, bool sig)
{
    return arena_printf(c->a, "registry/providers/%s/SHA256SUMS%s", version_id, sig ? ".sig" : "");
}

const char *provider_zip_key(struct ctx *c, const char *platform_id)
{
    return arena_printf(c->a, "registry/providers/platforms/%s.zip", platform_id);
}

#define PROVIDER_COLS                                                                              \
    "SELECT id, organization, name, created_at, updated_at FROM registry_providers "

static void fill(const struct store_result *r, size_t i, struct provider *p)
{
    *p = (struct provider){store_cell(r, i, 0), store_cell(r, i, 1), store_cell(r, i, 2),
                           store_cell(r, i, 3), store_cell(r, i, 4)};
}

int provider_db_insert(struct ctx *c, const struct provider *p)
{
    return store_exec(
        c->app->store,
        "INSERT INTO registry_providers (id, organization, name, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $4)",
        S_ARGS(S_TEXT(p->id), S_TEXT(p->organization), S_TEXT(p->name), S_TEXT(p->created_at)), 0);
}

int provider_db_get(struct ctx *c, const char *org, const char *name, struct provider *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, PROVIDER_COLS "WHERE organization = $1 AND name = $2",
                         S_ARGS(S_TEXT(org), S_TEXT(name)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int provider_db_list(struct ctx *c, const char *org, struct provider **out, size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, PROVIDER_COLS "WHERE organization = $1 ORDER BY name",
                         S_ARGS(S_TEXT(org)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int provider_db_delete(struct ctx *c, const char *id)
{
    return store_exec(c->app->store, "DELETE FROM registry_providers WHERE id = $1",
                      S_ARGS(S_TEXT(id)), 0);
}

#define VERSION_COLS                                                                               \
    "SELECT id, provider_id, version, key_id, protocols, created_at, updated_at, "                 \
    "shasums_uploaded, shasums_sig_uploaded FROM registry_provider_versions "

static void fill_version(const struct store_result *r, size_t i, struct provider_version *v)
{
    *v = (struct provider_version){
        store_cell(r, i, 0), store_cell(r, i, 1),      store_cell(r, i, 2),
        store_cell(r, i, 3), store_cell(r, i, 4),      store_cell(r, i, 5),
        store_cell(r, i, 6), store_cell_bool(r, i, 7), store_cell_bool(r, i, 8)};
}

int provider_db_version_insert(struct ctx *c, const struct provider_version *v)
{
    return store_exec(c->app->store,
                      "INSERT INTO registry_provider_versions (id, provider_id, version, key_id, "
                      "protocols, shasums_uploaded, shasums_sig_uploaded, created_at, updated_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $7)",
                      S_ARGS(S_TEXT(v->id), S_TEXT(v->provider_id), S_TEXT(v->version),
                             S_TEXT(v->key_id), S_TEXT(v->protocols), S_BOOL(false),
                             S_TEXT(v->created_at)),
                      0);
}

int provider_db_version_get(struct ctx *c, const char *provider_id, const char *version,
                            struct provider_version *out)
{
    struct store_result r;
    int rc = provider_id ? store_query(c->app->store, c->a,
                                       VERSION_COLS "WHERE provider_id = $1 AND version = $2",
                                       S_ARGS(S_TEXT(provider_id), S_TEXT(version)), &r)
                         : store_query(c->app->store, c->a, VERSION_COLS "WHERE id = $1",
                                       S_ARGS(S_TEXT(version)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill_version(&r, 0, out);
    return 0;
}

int provider_db_versions(struct ctx *c, const char *provider_id, struct provider_version **out,
                         size_t *n)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         VERSION_COLS "WHERE provider_id = $1 ORDER BY created_at, id",
                         S_ARGS(S_TEXT(provider_id)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_version(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int provider_db_version_uploaded(struct ctx *c, const char *id, bool sig)
{
    return store_exec(c->app->store,
                      sig ? "UPDATE registry_provider_versions SET shasums_sig_uploaded = $2 "
                            "WHERE id = $1"
                          : "UPDATE registry_provider_versions SET shasums_uploaded = $2 "
                            "WHERE id = $1",
                      S_ARGS(S_TEXT(id), S_BOOL(true)), 0);
}

int provider_db_version_delete(struct ctx *c, const char *id)
{
    return store_exec(c->app->store, "DELETE FROM registry_provider_versions WHERE id = $1",
                      S_ARGS(S_TEXT(id)), 0);
}

#define PLATFORM_COLS                                                                              \
    "SELECT id, version_id, os, arch, filename, shasum, created_at, uploaded, size FROM "          \
    "registry_provider_platforms "

static void fill_platform(const struct store_result *r, size_t i, struct provider_platform *p)
{
    *p = (struct provider_platform){
        store_cell(r, i, 0), store_cell(r, i, 1),      store_cell(r, i, 2),
        store_cell(r, i, 3), store_cell(r, i, 4),      store_cell(r, i, 5),
        store_cell(r, i, 6), store_cell_bool(r, i, 7), store_cell_int(r, i, 8)};
}

int provider_db_platform_insert(struct ctx *c, const struct provider_platform *p)
{
    return store_exec(c->app->store,
                      "INSERT INTO registry_provider_platforms (id, version_id, os, arch, "
                      "filename, shasum, uploaded, size, created_at) VALUES ($1, $2, $3, $4, $5, "
                      "$6, $7, 0, $8)",
                      S_ARGS(S_TEXT(p->id), S_TEXT(p->version_id), S_TEXT(p->os), S_TEXT(p->arch),
                             S_TEXT(p->filename), S_TEXT(p->shasum), S_BOOL(false),
                             S_TEXT(p->created_at)),
                      0);
}

int provider_db_platform_get(struct ctx *c, const char *version_id, const char *os,
                             const char *arch, struct provider_platform *out)
{
    struct store_result r;
    int rc = version_id
                 ? store_query(c->app->store, c->a,
                               PLATFORM_COLS "WHERE version_id = $1 AND os = $2 AND arch = $3",
                               S_ARGS(S_TEXT(version_id), S_TEXT(os), S_TEXT(arch)), &r)
                 : store_query(c->app->store, c->a, PLATFORM_COLS "WHERE id = $1",
                               S_ARGS(S_TEXT(os)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill_platform(&r, 0, out);
    return 0;
}

int provider_db_platforms(struct ctx *c, const char *version_id, struct provider_platform **out,
                          size_t *n)
{
    struct store_result r;
    int rc =
        store_query(c->app->store, c->a, PLATFORM_COLS "WHERE version_id = $1 ORDER BY os, arch",
                    S_ARGS(S_TEXT(version_id)), &r);
    if (rc) return rc;
    *out = arena_alloc(c->a, (r.nrows + 1) * sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        fill_platform(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int provider_db_platform_uploaded(struct ctx *c, const char *id, int64_t size)
{
    return store_exec(
        c->app->store,
        "UPDATE registry_provider_platforms SET uploaded = $2, size = $3 WHERE id = $1",
        S_ARGS(S_TEXT(id), S_BOOL(true), S_INT(size)), 0);
}

int provider_db_platform_delete(struct ctx *c, const char *id)
{
    return store_exec(c->app->store, "DELETE FROM registry_provider_platforms WHERE id = $1",
                      S_ARGS(S_TEXT(id)), 0);
}

int provider_db_blob_keys(struct ctx *c, const char *provider_id, const char *version_id,
                          const char ***keys, size_t *n)
{
    struct store_result v, p;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id FROM registry_provider_versions WHERE provider_id = $1 AND "
                         "($2 = '' OR id = $2)",
                         S_ARGS(S_TEXT(provider_id), S_TEXT(version_id ? version_id : "")), &v);
    if (!rc)
        rc = store_query(c->app->store, c->a,
                         "SELECT p.id FROM registry_provider_platforms p JOIN "
                         "registry_provider_versions v ON v.id = p.version_id WHERE "
                         "v.provider_id = $1 AND ($2 = '' OR v.id = $2)",
                         S_ARGS(S_TEXT(provider_id), S_TEXT(version_id ? version_id : "")), &p);
    if (rc) return rc;
    *keys = arena_alloc(c->a, (2 * v.nrows + p.nrows + 1) * sizeof **keys);
    *n = 0;
    for (size_t i = 0; i < v.nrows; i++) {
        (*keys)[(*n)++] = provider_sums_key(c, store_cell(&v, i, 0), false);
        (*keys)[(*n)++] = provider_sums_key(c, store_cell(&v, i, 0), true);
    }
    for (size_t i = 0; i < p.nrows; i++)
        (*keys)[(*n)++] = provider_zip_key(c, store_cell(&p, i, 0));
    return 0;
}
