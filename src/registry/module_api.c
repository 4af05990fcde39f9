/* module_api.c — TFE API: Registry Modules, for modules published without a VCS connection
 * (developer.hashicorp.com/terraform/enterprise/api-docs/private-registry/modules): create a
 * module, create a version (answered with its upload link), upload the version's tar.gz to that
 * signed URL (checked like a configuration: no path out of the tree), read, list and delete. */
#include "registry/registry.h"
#include "app/pagination.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "blob/blob.h"
#include "configversions/configversion.h"
#include "jsonapi/jsonapi.h"
#include "organizations/organization.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <ctype.h>
#include <string.h>

enum { URL_TTL = 3600 };

const char *module_archive_key(struct ctx *c, const char *version_id)
{
    return arena_printf(c->a, "registry-modules/%s/module.tar.gz", version_id);
}

bool module_version_valid(const char *v)
{
    /* MAJOR.MINOR.PATCH, then -pre and +build of [0-9A-Za-z.-] */
    for (int part = 0; part < 3; part++) {
        if (!isdigit((unsigned char)*v)) return false;
        while (isdigit((unsigned char)*v))
            v++;
        if (part < 2 && *v++ != '.') return false;
    }
    if (*v == '-' || *v == '+')
        for (v++; *v; v++)
            if (!isalnum((unsigned char)*v) && *v != '.' && *v != '-' && *v != '+') return false;
    return *v == 0;
}

/* Module names: letters, digits, "-" and "_"; providers: lower-case letters and digits. */
static bool valid_name(const char *s, bool provider)
{
    if (!*s || strlen(s) > 64) return false;
    for (; *s; s++)
        if (!(provider ? islower((unsigned char)*s) || isdigit((unsigned char)*s)
                       : isalnum((unsigned char)*s) || *s == '-' || *s == '_'))
            return false;
    return true;
}

static const char *module_path(struct ctx *c, const struct module *m)
{
    return arena_printf(c->a, "/api/v2/organizations/%s/registry-modules/private/%s/%s/%s",
                        m->organization, m->organization, m->name, m->provider);
}

static json_t *encode_version_status(const struct module_version *v)
{
    json_t *o = json_pack("{s:s, s:s}", "version", v->version, "status", v->status);
    if (v->error) json_object_set_new(o, "error", json_string(v->error));
    return o;
}

static json_t *encode(struct ctx *c, const struct module *m)
{
    /* the caller's rights, answered truthfully: deleting needs manage-modules; resync and retry
     * re-read a VCS repository, which no module here has */
    struct rights r = {0};
    authz_rights(c, m->organization, 0, &r); /* on a database error every permission reads false */
    bool can_delete = (r.org & ORG_MANAGE_MODULES) != 0;
    struct module_version *vs;
    size_t n = 0;
    json_t *statuses = json_array();
    bool any_ok = false;
    if (module_db_versions(c, m->id, &vs, &n) == 0)
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(statuses, encode_version_status(&vs[i]));
            any_ok = any_ok || strcmp(vs[i].status, "ok") == 0;
        }
    json_t *attrs = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:o, s:o, s:{s:b, s:b, s:b}, s:s, s:s}", "name",
        m->name, "namespace", m->organization, "provider", m->provider, "registry-name",
        m->registry_name, "no-code", m->no_code, "status", any_ok ? "setup_complete" : "pending",
        "version-statuses", statuses, "publishing-mechanism", json_null(), "vcs-repo", json_null(),
        "test-config", json_null(), "permissions", "can-delete", can_delete, "can-resync", 0,
        "can-retry", 0, "created-at", m->created_at, "updated-at", m->updated_at);
    json_t *rels =
        json_pack("{s:o}", "organization", jsonapi_rel_new("organizations", m->organization));
    return jsonapi_resource_new("registry-modules", m->id, attrs, rels, module_path(c, m));
}

static json_t *encode_version(struct ctx *c, const struct module *m, const struct module_version *v)
{
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "version", v->version, "status", v->status, "source",
                  "tfe-api", "created-at", v->created_at, "updated-at", v->updated_at);
    if (v->error) json_object_set_new(attrs, "error", json_string(v->error));
    json_t *rels =
        json_pack("{s:o}", "registry-module", jsonapi_rel_new("registry-modules", m->id));
    json_t *res = jsonapi_resource_new("registry-module-versions", v->id, attrs, rels, 0);
    json_t *links = json_object();
    /* the link replaces the version's content: only for those who may manage modules */
    struct rights r;
    if (strcmp(v->status, "pending") == 0 && authz_rights(c, m->organization, 0, &r) == 0 &&
        (r.org & ORG_MANAGE_MODULES))
        json_object_set_new(links, "upload",
                            json_string(signed_url_make(c, "/_archivist/registry-module",
                                                        "module-put", v->id, URL_TTL)));
    json_object_set_new(res, "links", links);
    return res;
}

/* The organization in the route, where the caller holds need (0: any member may read). */
static int org_of(struct ctx *c, int64_t need, const char **org)
{
    *org = http_req_param(c->req, "org");
    int rc = authz_org_need(c, *org, need);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, ERR_NOT_FOUND, "organization not found") : rc;
}

/* Whether the route names the private registry and the organization's namespace; the paths of
 * go-tfe 0.11 (/registry-modules/:org/:name/…) name neither and mean those. */
static bool private_namespace(struct http_request *r, const char *org)
{
    const char *reg = http_req_param(r, "registry"), *ns = http_req_param(r, "ns");
    return (!reg || strcmp(reg, "private") == 0) && (!ns || strcmp(ns, org) == 0);
}

/* The module named by the route: private registry, namespace = the organization. */
static int load(struct ctx *c, int64_t need, struct module *m)
{
    const char *org;
    int rc = org_of(c, need, &org);
    if (rc) return rc;
    if (!private_namespace(c->req, org))
        return ctx_fail(c, ERR_NOT_FOUND, "registry module not found");
    return module_db_get(c, org, http_req_param(c->req, "name"), http_req_param(c->req, "provider"),
                         m);
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org;
    struct jsonapi_body b;
    int rc = org_of(&c, ORG_MANAGE_MODULES, &org);
    if (!rc) rc = jsonapi_parse(r, "registry-modules", false, &b);
    const char *name = 0, *provider = 0, *registry = "private", *ns = 0;
    bool no_code = false;
    if (!rc) rc = jsonapi_attr_string(&b, "name", &name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "provider", &provider, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "registry-name", &registry, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "namespace", &ns, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "no-code", &no_code, 0);
    if (!rc && (!name || !valid_name(name, false)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name",
                         "name is required: letters, digits, \"-\" and \"_\"");
    if (!rc && (!provider || !valid_name(provider, true)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/provider",
                         "provider is required: lower-case letters and digits");
    if (!rc && strcmp(registry, "private") != 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/registry-name",
                         "only the private registry is served here");
    if (!rc && ns && strcmp(ns, org) != 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/namespace",
                         "a private module's namespace is its organization");
    struct module m = {.id = codec_new_id(c.a, "mod"),
                       .organization = org,
                       .registry_name = "private",
                       .name = name,
                       .provider = provider,
                       .no_code = no_code,
                       .created_at = codec_now_iso(c.a)};
    m.updated_at = m.created_at;
    if (!rc) rc = module_db_insert(&c, &m);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name",
                         "module %s/%s already exists in this organization", name, provider);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &m)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org;
    struct module *ms;
    size_t n = 0;
    int rc = org_of(&c, 0, &org);
    if (!rc) rc = module_db_list(&c, org, &ms, &n);
    if (rc) return api_fail(&c, rc);
    const char *q = http_req_query(r, "q"), *provider = http_req_query(r, "filter[provider]");
    const char *reg = http_req_query(r, "filter[registry_name]");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        if (q && *q && !strstr(ms[i].name, q) && !strstr(ms[i].provider, q)) continue;
        if (provider && strcmp(provider, ms[i].provider) != 0) continue;
        if (reg && strcmp(reg, ms[i].registry_name) != 0) continue;
        json_array_append_new(data, encode(&c, &ms[i]));
    }
    rc = page_respond_all(&c, data,
                          arena_printf(c.a, "/api/v2/organizations/%s/registry-modules", org));
    if (rc) api_fail(&c, rc);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    int rc = load(&c, 0, &m);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &m)));
}

static void create_version(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    struct jsonapi_body b;
    const char *version = 0;
    int rc = load(&c, ORG_MANAGE_MODULES, &m);
    if (!rc) rc = jsonapi_parse(r, "registry-module-versions", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "version", &version, 0);
    if (!rc && (!version || !module_version_valid(version)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/version",
                         "version is required, a semantic version such as 1.2.3");
    struct module_version v = {.id = codec_new_id(c.a, "modver"),
                               .module_id = m.id,
                               .version = version,
                               .status = "pending",
                               .created_at = codec_now_iso(c.a),
                               .size = -1};
    v.updated_at = v.created_at;
    if (!rc) rc = module_db_version_insert(&c, &v);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/version",
                         "version %s of this module exists", version);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode_version(&c, &m, &v)));
}

static void show_version(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    struct module_version *vs;
    size_t n = 0;
    const char *want = http_req_query(r, "module_version");
    int rc = load(&c, 0, &m);
    if (!rc) rc = module_db_versions(&c, m.id, &vs, &n);
    if (rc) return api_fail(&c, rc);
    for (size_t i = 0; want && i < n; i++)
        if (strcmp(vs[i].version, want) == 0)
            return jsonapi_respond(r, 200, jsonapi_doc_new(encode_version(&c, &m, &vs[i])));
    api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "module version not found"));
}

/* DELETE …/:name, …/:name/:provider, …/:name/:provider/:version: archives first, then rows. */
static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org, *name = http_req_param(r, "name"), *provider = http_req_param(r, "provider"),
                     *version = http_req_param(r, "version");
    int rc = org_of(&c, ORG_MANAGE_MODULES, &org);
    if (!rc && !private_namespace(r, org))
        rc = ctx_fail(&c, ERR_NOT_FOUND, "registry module not found");
    const char **ids;
    size_t n = 0;
    if (!rc) rc = module_db_version_ids(&c, org, name, provider, version, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = blob_delete(c.app->blobs, module_archive_key(&c, ids[i]));
    int64_t deleted = 0;
    if (!rc) rc = module_db_delete(&c, org, name, provider, version, &deleted);
    if (!rc && deleted == 0) rc = ctx_fail(&c, ERR_NOT_FOUND, "registry module not found");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

int registry_on_org_delete(struct ctx *c, const char *org)
{
    const char **ids;
    size_t n = 0;
    int rc = module_db_version_ids(c, org, 0, 0, 0, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = blob_delete(c->app->blobs, module_archive_key(c, ids[i]));
    struct provider *ps;
    size_t np = 0;
    if (!rc) rc = provider_db_list(c, org, &ps, &np);
    for (size_t i = 0; !rc && i < np; i++)
        if (!(rc = provider_db_blob_keys(c, ps[i].id, 0, &ids, &n)))
            for (size_t k = 0; !rc && k < n; k++)
                rc = blob_delete(c->app->blobs, ids[k]);
    return rc;
}

#define MODULE "/api/v2/organizations/:org/registry-modules/:registry/:ns/:name"
#define LEGACY "/api/v2/registry-modules"
const struct http_route registry_routes[] = {
    {HTTP_M_POST, "/api/v2/organizations/:org/registry-modules", create, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/registry-modules", list, 0, 0},
    {HTTP_M_GET, MODULE "/:provider", show, 0, 0},
    {HTTP_M_POST, MODULE "/:provider/versions", create_version, 0, 0},
    {HTTP_M_GET, MODULE "/:provider/version", show_version, 0, 0},
    {HTTP_M_DELETE, MODULE, destroy, 0, 0},
    {HTTP_M_DELETE, MODULE "/:provider", destroy, 0, 0},
    {HTTP_M_DELETE, MODULE "/:provider/:version", destroy, 0, 0},
    /* the paths of go-tfe 0.11, still served by TFE. ".../actions/delete/:org/versions" also
     * reads as a version of module "delete" (provider :org) in an organization named "actions":
     * the version route comes first, so that reading never deletes anything */
    {HTTP_M_POST, LEGACY "/:org/:name/:provider/versions", create_version, 0, 0},
    {HTTP_M_GET, LEGACY "/show/:org/:name/:provider", show, 0, 0},
    {HTTP_M_POST, LEGACY "/actions/delete/:org/:name", destroy, 0, 0},
    {HTTP_M_POST, LEGACY "/actions/delete/:org/:name/:provider", destroy, 0, 0},
    {HTTP_M_POST, LEGACY "/actions/delete/:org/:name/:provider/:version", destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
