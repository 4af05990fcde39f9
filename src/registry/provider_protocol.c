/* provider_protocol.c — the provider registry protocol terraform speaks (providers.v1 in
 * /.well-known/terraform.json): a provider's versions and platforms, and where to download one
 * with its SHA256SUMS, their signature and the signing key; and the files behind the signed
 * URLs, each written once (a zip only when its SHA-256 is the one the platform declared). */
#include "registry/registry.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "blob/blob.h"
#include "registry/registry_int.h"
#include "store/store.h"
#include "jsonapi/jsonapi.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

enum { URL_TTL = 600, SUMS_MAX_BYTES = 1 << 20, ZIP_MAX_BYTES = 1 << 30 };

/* The provider of the route's namespace (an organization the caller is in) and type. */
static int load(struct ctx *c, struct provider *p)
{
    const char *ns = http_req_param(c->req, "ns");
    int rc = authz_org(c, ns);
    if (!rc) rc = provider_db_get(c, ns, http_req_param(c->req, "type"), p);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "provider not found") : rc;
}

/* A version terraform can install: its sums and their signature are there. */
static bool complete(const struct provider_version *v)
{
    return v->shasums_uploaded && v->shasums_sig_uploaded;
}

static void versions(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version *vs;
    size_t n = 0;
    int rc = load(&c, &p);
    if (!rc) rc = provider_db_versions(&c, p.id, &vs, &n);
    if (rc) return api_fail(&c, rc);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        struct provider_platform *ps;
        size_t np = 0;
        if (!complete(&vs[i]) || provider_db_platforms(&c, vs[i].id, &ps, &np)) continue;
        json_t *platforms = json_array();
        for (size_t k = 0; k < np; k++)
            if (ps[k].uploaded)
                json_array_append_new(platforms,
                                      json_pack("{s:s, s:s}", "os", ps[k].os, "arch", ps[k].arch));
        if (!json_array_size(platforms)) {
            json_decref(platforms);
            continue;
        }
        json_array_append_new(list,
                              json_pack("{s:s, s:o, s:o}", "version", vs[i].version, "protocols",
                                        json_loads(vs[i].protocols, 0, 0), "platforms", platforms));
    }
    json_respond(r, 200, json_pack("{s:o}", "versions", list));
}

static const char *file_url(struct ctx *c, const char *kind, const char *id)
{
    return signed_url_make(c, "/_archivist/registry-provider", "provider-get",
                           arena_printf(c->a, "%s:%s", kind, id), URL_TTL);
}

static void download(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct provider p;
    struct provider_version v;
    struct provider_platform pl;
    struct store_result key;
    int rc = load(&c, &p);
    if (!rc) rc = provider_db_version_get(&c, p.id, http_req_param(r, "version"), &v);
    if (!rc && !complete(&v)) rc = ERR_NOT_FOUND;
    if (!rc)
        rc = provider_db_platform_get(&c, v.id, http_req_param(r, "os"), http_req_param(r, "arch"),
                                      &pl);
    if (!rc && !pl.uploaded) rc = ERR_NOT_FOUND;
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT key_id, ascii_armor FROM gpg_keys WHERE organization = $1 AND "
                         "key_id = $2",
                         S_ARGS(S_TEXT(p.organization), S_TEXT(v.key_id)), &key);
    if (!rc && !key.nrows) rc = ERR_NOT_FOUND; /* its key was deleted: nothing can verify it */
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "no such provider version for this platform");
    if (rc) return api_fail(&c, rc);
    json_respond(r, 200,
                 json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}",
                           "protocols", json_loads(v.protocols, 0, 0), "os", pl.os, "arch", pl.arch,
                           "filename", pl.filename, "download_url", file_url(&c, "bin", pl.id),
                           "shasums_url", file_url(&c, "sums", v.id), "shasums_signature_url",
                           file_url(&c, "sig", v.id), "shasum", pl.shasum, "signing_keys",
                           "gpg_public_keys", "key_id", store_cell(&key, 0, 0), "ascii_armor",
                           store_cell(&key, 0, 1)));
}

/* What a signed URL names: kind "sums", "sig" or "bin", and the version's or platform's id. */
static int resolve(struct ctx *c, const char *purpose, const char **kind, const char **id)
{
    const char *object;
    int rc = signed_url_check(c, purpose, http_req_param(c->req, "token"), &object);
    if (rc) return rc;
    const char *colon = strchr(object, ':');
    if (!colon) return ERR_NOT_FOUND;
    *kind = arena_strndup(c->a, object, (size_t)(colon - object));
    *id = colon + 1;
    return 0;
}

struct upload {
    struct app *app;
    const char *kind, *id, *shasum; /* shasum: what a zip must hash to */
    struct blob_writer *w;
    EVP_MD_CTX *md;
    int64_t size;
};

static int upload_write(void *arg, const void *p, size_t n)
{
    struct upload *u = arg;
    u->size += (int64_t)n;
    if (!u->md && u->size > SUMS_MAX_BYTES) return ERR_TOO_LARGE; /* sums are small */
    if (u->md && !EVP_DigestUpdate(u->md, p, n)) return ERR_INTERNAL;
    return blob_writer_write(u->w, p, n);
}

static void upload_abort(void *arg)
{
    struct upload *u = arg;
    blob_writer_abort(u->w);
    EVP_MD_CTX_free(u->md);
}

static void upload_finish(struct http_request *r, void *arg)
{
    struct upload *u = arg;
    struct ctx c;
    api_begin_anonymous(&c, r, u->app);
    int rc = 0;
    if (u->md) {
        unsigned char sum[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(u->md, sum, &n);
        EVP_MD_CTX_free(u->md);
        u->md = 0;
        if (strcmp(codec_hex(c.a, sum, n), u->shasum) != 0) {
            blob_writer_abort(u->w);
            return api_fail(&c, ctx_fail(&c, ERR_INVALID,
                                         "the zip's SHA-256 is not the shasum its platform "
                                         "declared; nothing was stored"));
        }
    }
    if ((rc = blob_writer_commit(u->w))) return api_fail(&c, rc);
    rc = strcmp(u->kind, "bin") == 0
             ? provider_db_platform_uploaded(&c, u->id, u->size)
             : provider_db_version_uploaded(&c, u->id, !strcmp(u->kind, "sig"));
    if (rc) return api_fail(&c, rc);
    http_respond(r, 200, 0, 0, 0);
}

static int upload_open(struct http_request *r, void *app, struct http_sink *sink)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    struct upload *u = arena_alloc(c.a, sizeof *u);
    u->app = app;
    int rc = resolve(&c, "provider-put", &u->kind, &u->id);
    const char *key = 0;
    if (!rc && strcmp(u->kind, "bin") == 0) {
        struct provider_platform pl;
        rc = provider_db_platform_get(&c, 0, u->id, 0, &pl);
        if (!rc && pl.uploaded) rc = ERR_CONFLICT; /* each file is written once */
        if (!rc) {
            u->shasum = pl.shasum;
            key = provider_zip_key(&c, pl.id);
            if (!(u->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(u->md, EVP_sha256(), 0)) {
                EVP_MD_CTX_free(u->md);
                rc = ERR_INTERNAL;
            }
        }
    } else if (!rc) {
        struct provider_version v;
        bool sig = strcmp(u->kind, "sig") == 0;
        rc = provider_db_version_get(&c, 0, u->id, &v);
        if (!rc && (sig ? v.shasums_sig_uploaded : v.shasums_uploaded)) rc = ERR_CONFLICT;
        if (!rc) key = provider_sums_key(&c, v.id, sig);
    }
    if (!rc && (rc = blob_writer_open(c.app->blobs, key, &u->w))) EVP_MD_CTX_free(u->md);
    if (rc) return rc;
    *sink = (struct http_sink){upload_write, upload_finish, upload_abort, u};
    return 0;
}

static void file(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *kind, *id, *key = 0, *type = "text/plain";
    int64_t size = -1;
    int rc = resolve(&c, "provider-get", &kind, &id);
    if (!rc && strcmp(kind, "bin") == 0) {
        struct provider_platform pl;
        rc = provider_db_platform_get(&c, 0, id, 0, &pl);
        if (!rc && !pl.uploaded) rc = ERR_NOT_FOUND;
        key = rc ? 0 : provider_zip_key(&c, pl.id);
        size = rc ? -1 : pl.size;
        type = "application/zip";
    } else if (!rc) {
        bool sig = strcmp(kind, "sig") == 0;
        key = provider_sums_key(&c, id, sig);
        if (sig) type = "application/octet-stream";
    }
    if (!rc) rc = blob_respond(c.app->blobs, r, key, type, size);
    if (rc) api_fail(&c, rc);
}

const struct http_route provider_protocol_routes[] = {
    {HTTP_M_GET, "/api/registry/v1/providers/:ns/:type/versions", versions, 0, 0},
    {HTTP_M_GET, "/api/registry/v1/providers/:ns/:type/:version/download/:os/:arch", download, 0,
     0},
    {HTTP_M_PUT, "/_archivist/registry-provider/:token", 0, upload_open, ZIP_MAX_BYTES, true},
    {HTTP_M_GET, "/_archivist/registry-provider/:token", file, 0, 0},
    {0, 0, 0, 0, 0},
};
