/* provider_api.c — TFE API: private Registry Providers, their versions and platforms, and GPG
 * keys (developer.hashicorp.com/terraform/enterprise/api-docs/private-registry/providers,
 * …/provider-versions-platforms, …/gpg-keys). The namespace is the organization. Files are
 * uploaded to signed URLs the answers link (provider_protocol.c). Reading needs membership;
 * changing needs the manage-providers permission. */
#include "registry/registry.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "blob/blob.h"
#include "jsonapi/jsonapi.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { URL_TTL = 3600 };

static bool lower_name(const char *s)
{
    if (!*s || strlen(s) > 64) return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-') return false;
    return true;
}

/* The route's organization where the caller holds need; the private registry and the
 * organization's own namespace only. */
static int org_of(struct ctx *c, int64_t need, const char **org)
{
    *org = http_req_param(c->req, "org");
    int rc = authz_org_need(c, *org, need);
    const char *reg = http_req_param(c->req, "registry"), *ns = http_req_param(c->req, "ns");
    if (!rc && reg && (strcmp(reg, "private") != 0 || strcmp(ns, *org) != 0))
        rc = ctx_fail(c, ERR_NOT_FOUND, "registry provider not found");
    return rc;
}

static int load(struct ctx *c, int64_t need, struct provider *p)
{
    const char *org;
    int rc = org_of(c, need, &org);
    if (!rc) rc = provider_db_get(c, org, http_req_param(c->req, "name"), p);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "registry provider not found") : rc;
}

static int load_version(struct ctx *c, int64_t need, struct provider *p, struct provider_version *v)
{
    int rc = load(c, need, p);
    if (!rc) rc = provider_db_version_get(c, p->id, http_req_param(c->req, "version"), v);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "provider version not found") : rc;
}

static const char *base_path(struct ctx *c, const struct provider *p)
{
    return arena_printf(c->a, "/api/v2/organizations/%s/registry-providers/private/%s/%s",
                        p->organization, p->organization, p->name);
}

static json_t *encode(struct ctx *c, const struct provider *p)
{
    struct provider_version *vs;
    size_t n = 0;
    json_t *ids = json_array();
    if (provider_db_versions(c, p->id, &vs, &n) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                ids, json_pack("{s:s, s:s}", "type", "registry-provider-versions", "id", vs[i].id));
    struct rights r = {0};
    authz_rights(c, p->organization, 0, &r); /* on a database error the permission reads false */
    json_t *attrs = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b}}", "name", p->name, "namespace",
                              p->organization, "registry-name", "private", "created-at",
                              p->created_at, "updated-at", p->updated_at, "permissions",
                              "can-delete", (r.org & ORG_MANAGE_PROVIDERS) != 0);
    json_t *rels =
        json_pack("{s:o, s:{s:o}}", "organization",
                  jsonapi_rel_new("organizations", p->organization), "versions", "data", ids);
    return jsonapi_resource_new("registry-providers", p->id, attrs, rels, base_path(c, p));
}

static const char *url(struct ctx *c, const char *purpose, const char *kind, const char *id)
{
    return signed_url_make(c, "/_archivist/registry-provider", purpose,
                           arena_printf(c->a, "%s:%s", kind, id), URL_TTL);
}

/* Upload links replace a provider's files: only for those who may manage providers. */
static bool may_upload(struct ctx *c, const struct provider *p)
{
    struct rights r;
    return authz_rights(c, p->organization, 0, &r) == 0 && (r.org & ORG_MANAGE_PROVIDERS);
}

static json_t *encode_version(struct ctx *c, const struct provider *p,
                              const struct provider_version *v)
{
    bool upload = may_upload(c, p);
    struct provider_platform *ps;
    size_t n = 0;
    json_t *ids = json_array();
    if (provider_db_platforms(c, v->id, &ps, &n) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
                                                 "registry-provider-platforms", "id", ps[i].id));
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:{s:b, s:b}}", "version", v->version,
                  "created-at", v->created_at, "updated-at", v->updated_at, "key-id", v->key_id,
                  "protocols", json_loads(v->protocols, 0, 0), "shasums-uploaded",
                  v->shasums_uploaded, "shasums-sig-uploaded", v->shasums_sig_uploaded,
                  "permissions", "can-delete", upload, "can-upload-asset", upload);
    json_t *rels =
        json_pack("{s:o, s:{s:o}}", "registry-provider",
                  jsonapi_rel_new("registry-providers", p->id), "platforms", "data", ids);
    json_t *res =
        jsonapi_resource_new("registry-provider-versions", v->id, attrs, rels,
                             arena_printf(c->a, "%s/versions/%s", base_path(c, p), v->version));
    json_t *links = json_object_get(res, "links");
    if (upload && !v->shasums_uploaded)
        json_object_set_new(links, "shasums-upload",
                            json_string(url(c, "provider-put", "sums", v->id)));
    if (upload && !v->shasums_sig_uploaded)
        json_object_set_new(links, "shasums-sig-upload",
                            json_string(url(c, "provider-put", "sig", v->id)));
    if (v->shasums_uploaded)
        json_object_set_new(links, "shasums-download",
                            json_string(url(c, "provider-get", "sums", v->id)));
    if (v->shasums_sig_uploaded)
        json_object_set_new(links, "shasums-sig-download",
                            json_string(url(c, "provider-get", "sig", v->id)));
    return res;
}

static json_t *encode_platform(struct ctx *c, const struct provider *p,
                               const struct provider_version *v, const struct provider_platform *pl)
{
    bool upload = may_upload(c, p);
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:b, s:b}}", "os", pl->os, "arch", pl->arch,
                  "filename", pl->filename, "shasum", pl->shasum, "provider-binary-uploaded",
                  pl->uploaded, "permissions", "can-delete", upload, "can-upload-asset", upload);
    json_t *rels = json_pack("{s:o}", "registry-provider-version",
                             jsonapi_rel_new("registry-provider-versions", v->id));
    json_t *res = jsonapi_resource_new("registry-provider-platforms", pl->id, attrs, rels,
                                       arena_printf(c->a, "%s/versions/%s/platforms/%s/%s",
                                                    base_path(c, p), v->version, pl->os, pl->arch));
    if (pl->uploaded || upload)
        json_object_set_new(
            json_object_get(res, "links"),
            pl->uploaded ? "provider-binary-download" : "provider-binary-upload",
            json_string(url(c, pl->uploaded ? "provider-get" : "provider-put", "bin", pl->id)));
    return res;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org, *reg = "private", *ns = 0;
    struct jsonapi_body b;
    struct provider p = {0};
    int rc = org_of(&c, ORG_MANAGE_PROVIDERS, &org);
    if (!rc && (rc = jsonapi_parse(r, "registry-providers", false, &b)) == 0) {
        rc = jsonapi_attr_string(&b, "name", &p.name, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "registry-name", &reg, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "namespace", &ns, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    } else if (rc && !c.detail[0]) {
        rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc && strcmp(reg, "private") != 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/registry-name",
                         "only the private registry takes providers here");
    if (!rc && ns && strcmp(ns, org) != 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/namespace",
                         "the namespace of a private provider is its organization");
    if (!rc && (!p.name || !lower_name(p.name)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name",
                         "name must be lower-case letters, digits and -");
    if (!rc && !(rc = store_begin(c.app->store))) {
        p = (struct provider){codec_new_id(c.a, "prov"), org, p.name, codec_now_iso(c.a), 0};
        p.updated_at = p.created_at;
        int one = provider_db_insert(&c, &p);
        if (one == ERR_CONFLICT)
            one = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name", "this provider exists");
        rc = audit_end(&c, one, org, "registry-provider", p.id, "create");
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode(&c, &p)));
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org;
    struct provider *ps;
    size_t n = 0;
    int rc = org_of(&c, 0, &org);
    if (!rc) rc = provider_db_list(&c, org, &ps, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode(&c, &ps[i]));
    rc = page_respond_all(&c, data,
                          arena_printf(c.a, "/api/v2/organizations/%s/registry-providers", org));
    if (rc) api_fail(&c, rc);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    int rc = load(&c, 0, &p);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode(&c, &p)));
}

/* Deletes blobs first (a row without its blob would answer 404 anyway), then the rows. */
static int delete_files(struct ctx *c, const char *provider_id, const char *version_id)
{
    const char **keys;
    size_t n = 0;
    int rc = provider_db_blob_keys(c, provider_id, version_id, &keys, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = blob_delete(c->app->blobs, keys[i]);
    return rc;
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    int rc = load(&c, ORG_MANAGE_PROVIDERS, &p);
    if (!rc) rc = delete_files(&c, p.id, 0);
    if (!rc && !(rc = store_begin(c.app->store)))
        rc = audit_end(&c, provider_db_delete(&c, p.id), p.organization, "registry-provider", p.id,
                       "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void create_version(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct jsonapi_body b;
    struct provider_version v = {0};
    int rc = load(&c, ORG_MANAGE_PROVIDERS, &p);
    if (!rc && (rc = jsonapi_parse(r, "registry-provider-versions", false, &b)) == 0) {
        rc = jsonapi_attr_string(&b, "version", &v.version, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "key-id", &v.key_id, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    } else if (rc && !c.detail[0]) {
        rc = ctx_fail_body(&c, rc, &b);
    }
    json_t *protocols = rc ? 0 : json_object_get(b.attrs, "protocols");
    if (!rc && (!v.version || !module_version_valid(v.version)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/version",
                         "version must be a semantic version such as 1.2.3");
    struct store_result key = {0};
    if (!rc && v.key_id)
        rc = store_query(c.app->store, c.a,
                         "SELECT 1 FROM gpg_keys WHERE organization = $1 AND key_id = $2",
                         S_ARGS(S_TEXT(p.organization), S_TEXT(v.key_id)), &key);
    if (!rc && (!v.key_id || !key.nrows))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/key-id",
                         "key-id must name a GPG key of this organization (gpg-keys API)");
    size_t i;
    json_t *e;
    if (!rc && (!json_is_array(protocols) || !json_array_size(protocols)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/protocols",
                         "protocols must list the plugin protocol versions, e.g. [\"5.0\"]");
    json_array_foreach(protocols, i, e) if (!rc && !json_is_string(e)) rc =
        ctx_fail_at(&c, ERR_INVALID, "/data/attributes/protocols", "protocols are strings");
    if (!rc) {
        char *text = json_dumps(protocols, JSON_COMPACT);
        v.protocols = arena_strdup(c.a, text);
        free(text);
        v.id = codec_new_id(c.a, "provver");
        v.provider_id = p.id;
        v.created_at = v.updated_at = codec_now_iso(c.a);
        if (!(rc = store_begin(c.app->store))) {
            int one = provider_db_version_insert(&c, &v);
            if (one == ERR_CONFLICT)
                one = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/version", "version %s exists",
                                  v.version);
            rc = audit_end(&c, one, p.organization, "registry-provider-version", v.id, "create");
        }
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode_version(&c, &p, &v)));
}

static void list_versions(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version *vs;
    size_t n = 0;
    int rc = load(&c, 0, &p);
    if (!rc) rc = provider_db_versions(&c, p.id, &vs, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode_version(&c, &p, &vs[i]));
    rc = page_respond_all(&c, data, arena_printf(c.a, "%s/versions", base_path(&c, &p)));
    if (rc) api_fail(&c, rc);
}

static void show_version(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    int rc = load_version(&c, 0, &p, &v);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode_version(&c, &p, &v)));
}

static void destroy_version(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    int rc = load_version(&c, ORG_MANAGE_PROVIDERS, &p, &v);
    if (!rc) rc = delete_files(&c, p.id, v.id);
    if (!rc && !(rc = store_begin(c.app->store)))
        rc = audit_end(&c, provider_db_version_delete(&c, v.id), p.organization,
                       "registry-provider-version", v.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64) return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s)) return false;
    return true;
}

static void create_platform(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    struct jsonapi_body b;
    struct provider_platform pl = {0};
    int rc = load_version(&c, ORG_MANAGE_PROVIDERS, &p, &v);
    if (!rc && (rc = jsonapi_parse(r, "registry-provider-version-platforms", false, &b)) == 0) {
        rc = jsonapi_attr_string(&b, "os", &pl.os, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "arch", &pl.arch, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "shasum", &pl.shasum, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "filename", &pl.filename, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    } else if (rc && !c.detail[0]) {
        rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc && (!pl.os || !lower_name(pl.os)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/os", "os must be like linux");
    if (!rc && (!pl.arch || !lower_name(pl.arch)))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/arch", "arch must be like amd64");
    if (!rc && !hex64(pl.shasum))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/shasum",
                         "shasum must be the zip's SHA-256 in lower-case hex");
    if (!rc && (!pl.filename || strchr(pl.filename, '/') || strlen(pl.filename) < 5 ||
                strcmp(pl.filename + strlen(pl.filename) - 4, ".zip") != 0))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/filename",
                         "filename must be the zip's name, e.g. "
                         "terraform-provider-x_1.0.0_linux_amd64.zip");
    if (!rc) {
        pl.id = codec_new_id(c.a, "provpltfrm");
        pl.version_id = v.id;
        pl.created_at = codec_now_iso(c.a);
        if (!(rc = store_begin(c.app->store))) {
            int one = provider_db_platform_insert(&c, &pl);
            if (one == ERR_CONFLICT)
                one = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/os",
                                  "%s_%s exists for this version", pl.os, pl.arch);
            rc = audit_end(&c, one, p.organization, "registry-provider-platform", pl.id, "create");
        }
    }
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode_platform(&c, &p, &v, &pl)));
}

static void list_platforms(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    struct provider_platform *ps;
    size_t n = 0;
    int rc = load_version(&c, 0, &p, &v);
    if (!rc) rc = provider_db_platforms(&c, v.id, &ps, &n);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode_platform(&c, &p, &v, &ps[i]));
    rc = page_respond_all(
        &c, data, arena_printf(c.a, "%s/versions/%s/platforms", base_path(&c, &p), v.version));
    if (rc) api_fail(&c, rc);
}

static int load_platform(struct ctx *c, int64_t need, struct provider *p,
                         struct provider_version *v, struct provider_platform *pl)
{
    int rc = load_version(c, need, p, v);
    if (!rc)
        rc = provider_db_platform_get(c, v->id, http_req_param(c->req, "os"),
                                      http_req_param(c->req, "arch"), pl);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "provider platform not found") : rc;
}

static void show_platform(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    struct provider_platform pl;
    int rc = load_platform(&c, 0, &p, &v, &pl);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode_platform(&c, &p, &v, &pl)));
}

static void destroy_platform(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    struct provider_platform pl;
    int rc = load_platform(&c, ORG_MANAGE_PROVIDERS, &p, &v, &pl);
    if (!rc) rc = blob_delete(c.app->blobs, provider_zip_key(&c, pl.id));
    if (!rc && !(rc = store_begin(c.app->store)))
        rc = audit_end(&c, provider_db_platform_delete(&c, pl.id), p.organization,
                       "registry-provider-platform", pl.id, "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* -- GPG keys (the registry's own API, /api/registry/:registry/v2/gpg-keys) -- */

static json_t *encode_key(const struct store_result *r, size_t i)
{
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "ascii-armor", store_cell(r, i, 2),
                  "created-at", store_cell(r, i, 3), "key-id", store_cell(r, i, 1), "namespace",
                  store_cell(r, i, 0), "updated-at", store_cell(r, i, 4), "source", "",
                  "source-url", "trust-signature", "");
    return jsonapi_resource_new("gpg-keys", store_cell(r, i, 5), attrs, 0, 0);
}

#define KEY_COLS                                                                                   \
    "SELECT organization, key_id, ascii_armor, created_at, updated_at, id FROM gpg_keys "

static void key_create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct jsonapi_body b;
    const char *ns = 0, *armor = 0, *key_id = 0;
    struct store_result k;
    int rc = jsonapi_parse(r, "gpg-keys", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "namespace", &ns, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "ascii-armor", &armor, 0);
    if (rc) return api_fail(&c, ctx_fail_body(&c, rc, &b));
    if (strcmp(http_req_param(r, "registry"), "private") != 0)
        return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "only the private registry keeps keys"));
    if (!ns)
        return api_fail(&c, ctx_fail_at(&c, ERR_INVALID, "/data/attributes/namespace",
                                        "namespace (the organization) is required"));
    rc = authz_org_need(&c, ns, ORG_MANAGE_PROVIDERS);
    if (!rc && openpgp_key_id(c.a, armor, &key_id))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/ascii-armor",
                         "ascii-armor must be an ASCII-armored OpenPGP (v4) public key");
    const char *id = codec_new_id(c.a, "gpgkey"), *now = codec_now_iso(c.a);
    if (!rc && !(rc = store_begin(c.app->store))) {
        int one = store_exec(
            c.app->store,
            "INSERT INTO gpg_keys (id, organization, key_id, ascii_armor, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            S_ARGS(S_TEXT(id), S_TEXT(ns), S_TEXT(key_id), S_TEXT(armor), S_TEXT(now)), 0);
        if (one == ERR_CONFLICT)
            one = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/ascii-armor",
                              "key %s exists in this namespace", key_id);
        rc = audit_end(&c, one, ns, "gpg-key", key_id, "create");
    }
    if (!rc) rc = store_query(c.app->store, c.a, KEY_COLS "WHERE id = $1", S_ARGS(S_TEXT(id)), &k);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(encode_key(&k, 0)));
}

static void key_list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *ns = http_req_query(r, "filter[namespace]");
    struct store_result k;
    if (!ns || !*ns)
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST, "filter[namespace] is required"));
    int rc = authz_org(&c, ns);
    if (rc) rc = ctx_fail(&c, rc, "namespace not found");
    if (!rc)
        rc = store_query(c.app->store, c.a, KEY_COLS "WHERE organization = $1 ORDER BY key_id",
                         S_ARGS(S_TEXT(ns)), &k);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < k.nrows; i++)
        json_array_append_new(data, encode_key(&k, i));
    rc = page_respond_all(&c, data, "/api/registry/private/v2/gpg-keys");
    if (rc) api_fail(&c, rc);
}

static int key_load(struct ctx *c, int64_t need, struct store_result *k)
{
    const char *ns = http_req_param(c->req, "ns");
    int rc = strcmp(http_req_param(c->req, "registry"), "private") ? ERR_NOT_FOUND
                                                                   : authz_org_need(c, ns, need);
    if (!rc)
        rc = store_query(c->app->store, c->a, KEY_COLS "WHERE organization = $1 AND key_id = $2",
                         S_ARGS(S_TEXT(ns), S_TEXT(http_req_param(c->req, "key_id"))), k);
    if (!rc && !k->nrows) rc = ERR_NOT_FOUND;
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "gpg key not found") : rc;
}

static void key_show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct store_result k;
    int rc = key_load(&c, 0, &k);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode_key(&k, 0)));
}

static void key_destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct store_result k;
    int rc = key_load(&c, ORG_MANAGE_PROVIDERS, &k);
    if (!rc)
        rc = audit_exec(&c, "DELETE FROM gpg_keys WHERE id = $1",
                        S_ARGS(S_TEXT(store_cell(&k, 0, 5))), store_cell(&k, 0, 0), "gpg-key",
                        store_cell(&k, 0, 1), "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

#define PROVIDER "/api/v2/organizations/:org/registry-providers/:registry/:ns/:name"
const struct http_route registry_provider_routes[] = {
    {HTTP_M_POST, "/api/v2/organizations/:org/registry-providers", create, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/registry-providers", list, 0, 0},
    {HTTP_M_GET, PROVIDER, show, 0, 0},
    {HTTP_M_DELETE, PROVIDER, destroy, 0, 0},
    {HTTP_M_POST, PROVIDER "/versions", create_version, 0, 0},
    {HTTP_M_GET, PROVIDER "/versions", list_versions, 0, 0},
    {HTTP_M_GET, PROVIDER "/versions/:version", show_version, 0, 0},
    {HTTP_M_DELETE, PROVIDER "/versions/:version", destroy_version, 0, 0},
    {HTTP_M_POST, PROVIDER "/versions/:version/platforms", create_platform, 0, 0},
    {HTTP_M_GET, PROVIDER "/versions/:version/platforms", list_platforms, 0, 0},
    {HTTP_M_GET, PROVIDER "/versions/:version/platforms/:os/:arch", show_platform, 0, 0},
    {HTTP_M_DELETE, PROVIDER "/versions/:version/platforms/:os/:arch", destroy_platform, 0, 0},
    {HTTP_M_POST, "/api/registry/:registry/v2/gpg-keys", key_create, 0, 0},
    {HTTP_M_GET, "/api/registry/:registry/v2/gpg-keys", key_list, 0, 0},
    {HTTP_M_GET, "/api/registry/:registry/v2/gpg-keys/:ns/:key_id", key_show, 0, 0},
    {HTTP_M_DELETE, "/api/registry/:registry/v2/gpg-keys/:ns/:key_id", key_destroy, 0, 0},
    {0, 0, 0, 0, 0},
};
