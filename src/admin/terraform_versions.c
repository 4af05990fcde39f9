/* terraform_versions.c — TFE API: Admin Terraform Versions
 * (developer.hashicorp.com/terraform/enterprise/api-docs/admin/terraform-versions). Only site
 * administrators see these routes; anyone else gets 404. */
#include "admin/terraform_versions.h"
#include "app/api.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"
#include "workspaces/workspace.h"

#include <ctype.h>
#include <string.h>

struct tf_version {
    const char *id, *version, *path, *url, *sha, *created_at, *deprecated_reason;
    bool enabled, official, beta, deprecated;
};

static const char *COLS = "SELECT id, version, path, url, sha256, created_at, enabled, official, "
                          "beta, deprecated, deprecated_reason FROM terraform_versions ";

static void fill(const struct store_result *r, size_t i, struct tf_version *v)
{
    v->id = store_cell(r, i, 0);
    v->version = store_cell(r, i, 1);
    v->path = store_cell(r, i, 2);
    v->url = store_cell(r, i, 3);
    v->sha = store_cell(r, i, 4);
    v->created_at = store_cell(r, i, 5);
    v->enabled = store_cell_bool(r, i, 6);
    v->official = store_cell_bool(r, i, 7);
    v->beta = store_cell_bool(r, i, 8);
    v->deprecated = store_cell_bool(r, i, 9);
    v->deprecated_reason = store_cell(r, i, 10);
}

static json_t *opt(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *encode(struct ctx *c, const struct tf_version *v)
{
    int64_t usage = 0; /* workspaces pinned to this version */
    workspace_count_by_version(c, v->version, &usage);
    json_t *attrs = json_pack(
        "{s:s, s:o, s:o, s:o, s:b, s:b, s:b, s:b, s:o, s:I, s:s}", "version", v->version, "url",
        opt(v->url), "sha", opt(v->sha), "path", opt(v->path), "enabled", v->enabled, "official",
        v->official, "beta", v->beta, "deprecated", v->deprecated, "deprecated-reason",
        opt(v->deprecated_reason), "usage", (json_int_t)usage, "created-at", v->created_at);
    return jsonapi_resource_new("terraform-versions", v->id, attrs, 0,
                                arena_printf(c->a, "/api/v2/admin/terraform-versions/%s", v->id));
}

static bool valid_version(const char *v)
{
    if (!*v || strlen(v) > 32 || !isdigit((unsigned char)*v)) return false;
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && !strchr(".-+", *v)) return false;
    return true;
}

static bool hex64(const char *s)
{
    if (strlen(s) != 64) return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s)) return false;
    return true;
}

static int read_attrs(struct ctx *c, struct tf_version *v)
{
    struct jsonapi_body b;
    int rc = jsonapi_parse(c->req, "terraform-versions", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "version", &v->version, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "url", &v->url, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "sha", &v->sha, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "path", &v->path, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "enabled", &v->enabled, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "official", &v->official, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "beta", &v->beta, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "deprecated", &v->deprecated, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "deprecated-reason", &v->deprecated_reason, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    if (!v->version || !valid_version(v->version))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/version",
                           "version must look like 1.11.4");
    if (!v->url == !v->path)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/url",
                           "give either url (with sha) or path");
    if (v->path && v->path[0] != '/')
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/path", "path must be absolute");
    if (v->url && strncmp(v->url, "https://", 8) && strncmp(v->url, "http://", 7) &&
        strncmp(v->url, "file:///", 8))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/url",
                           "url must be https://, http:// or file:///");
    if (v->url && (!v->sha || !hex64(v->sha)))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/sha",
                           "sha must be the SHA-256 of the download, 64 hex digits");
    return 0;
}

static int save(struct ctx *c, struct tf_version *v, bool creating)
{
    int rc = creating
                 ? store_exec(c->app->store,
                              "INSERT INTO terraform_versions (id, version, path, url, sha256, "
                              "enabled, created_at, official, beta, deprecated, deprecated_reason) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                              S_ARGS(S_TEXT(v->id), S_TEXT(v->version), S_TEXT(v->path),
                                     S_TEXT(v->url), S_TEXT(v->sha), S_BOOL(v->enabled),
                                     S_TEXT(v->created_at), S_BOOL(v->official), S_BOOL(v->beta),
                                     S_BOOL(v->deprecated), S_TEXT(v->deprecated_reason)),
                              0)
                 : store_exec(
                       c->app->store,
                       "UPDATE terraform_versions SET version = $2, path = $3, url = $4, "
                       "sha256 = $5, enabled = $6, official = $7, beta = $8, deprecated = $9, "
                       "deprecated_reason = $10 WHERE id = $1",
                       S_ARGS(S_TEXT(v->id), S_TEXT(v->version), S_TEXT(v->path), S_TEXT(v->url),
                              S_TEXT(v->sha), S_BOOL(v->enabled), S_BOOL(v->official),
                              S_BOOL(v->beta), S_BOOL(v->deprecated), S_TEXT(v->deprecated_reason)),
                       0);
    if (rc == ERR_CONFLICT)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/version",
                           "version %s is already registered", v->version);
    return rc;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct tf_version v = {.enabled = true};
    int rc = read_attrs(&c, &v);
    if (!rc) {
        v.id = codec_new_id(c.a, "tool");
        v.created_at = codec_now_iso(c.a);
        rc = save(&c, &v, true);
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &v)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct store_result res;
    int rc =
        store_query(c.app->store, c.a, arena_printf(c.a, "%s ORDER BY version", COLS), 0, 0, &res);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < res.nrows; i++) {
        struct tf_version v;
        fill(&res, i, &v);
        json_array_append_new(data, encode(&c, &v));
    }
    if ((rc = page_respond_all(&c, data, "/api/v2/admin/terraform-versions"))) api_fail(&c, rc);
}

static int load(struct ctx *c, struct tf_version *v)
{
    struct store_result res;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", COLS),
                         S_ARGS(S_TEXT(http_req_param(c->req, "id"))), &res);
    if (!rc && !res.nrows) rc = ctx_fail(c, ERR_NOT_FOUND, "terraform version not found");
    if (!rc) fill(&res, 0, v);
    return rc;
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct tf_version v;
    int rc = load(&c, &v);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &v)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct tf_version v;
    int rc = load(&c, &v);
    if (!rc) rc = read_attrs(&c, &v);
    if (!rc) rc = save(&c, &v, false);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &v)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct tf_version v;
    int rc = load(&c, &v);
    if (!rc)
        rc = store_exec(c.app->store, "DELETE FROM terraform_versions WHERE id = $1",
                        S_ARGS(S_TEXT(v.id)), 0);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

const struct http_route terraform_version_routes[] = {
    {HTTP_M_GET, "/api/v2/admin/terraform-versions", list, 0, 0},
    {HTTP_M_POST, "/api/v2/admin/terraform-versions", create, 0, 0},
    {HTTP_M_GET, "/api/v2/admin/terraform-versions/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/admin/terraform-versions/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/admin/terraform-versions/:id", destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
