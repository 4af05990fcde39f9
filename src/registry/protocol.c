/* protocol.c — the module registry protocol terraform speaks (modules.v1 in
 * /.well-known/terraform.json): the versions of a module and where to download one, answered to
 * the bearer token terraform sends for the host; and the archive behind the signed URLs, written
 * once by the publisher's upload and read by terraform's download. */
#include "registry/registry.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"
#include "blob/blob.h"
#include "configversions/configversion.h"
#include "registry/registry_int.h"
#include "jsonapi/jsonapi.h"

#include <stdlib.h>
#include <string.h>

enum { URL_TTL = 600, MODULE_MAX_BYTES = 256 * 1024 * 1024 };

/* The module of the route's namespace (an organization the caller may see), name, provider. */
static int load(struct ctx *c, struct module *m)
{
    const char *ns = http_req_param(c->req, "ns");
    int rc = authz_org(c, ns);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, ERR_NOT_FOUND, "module not found");
    if (!rc)
        rc = module_db_get(c, ns, http_req_param(c->req, "name"),
                           http_req_param(c->req, "provider"), m);
    return rc;
}

static void versions(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    struct module_version *vs;
    size_t n = 0;
    int rc = load(&c, &m);
    if (!rc) rc = module_db_versions(&c, m.id, &vs, &n);
    if (rc) return api_fail(&c, rc);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (strcmp(vs[i].status, "ok") == 0)
            json_array_append_new(list, json_pack("{s:s}", "version", vs[i].version));
    json_t *doc = json_pack("{s:[{s:s, s:o}]}", "modules", "source",
                            arena_printf(c.a, "%s/%s/%s", m.organization, m.name, m.provider),
                            "versions", list);
    json_respond(r, 200, doc);
}

/* One version as the registry API shows it: its README, inputs, outputs and resources. */
static void detail(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    const char *metadata, *published, *version = http_req_param(r, "version");
    int rc = load(&c, &m);
    if (!rc) rc = module_db_version_metadata_get(&c, m.id, version, &metadata, &published);
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "module version not found");
    if (rc) return api_fail(&c, rc);
    json_t *root = json_loads(metadata ? metadata : "{}", 0, 0);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
                  arena_printf(c.a, "%s/%s/%s/%s", m.organization, m.name, m.provider, version),
                  "namespace", m.organization, "name", m.name, "provider", m.provider, "version",
                  version, "published_at", published, "root", root ? root : json_object());
    json_respond(r, 200, doc);
}

static void download(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct module m;
    struct module_version *vs;
    size_t n = 0;
    const char *want = http_req_param(r, "version");
    int rc = load(&c, &m);
    if (!rc) rc = module_db_versions(&c, m.id, &vs, &n);
    if (rc) return api_fail(&c, rc);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vs[i].version, want) && !strcmp(vs[i].status, "ok")) {
            /* go-getter fetches it without terraform's token: the URL carries its own right;
             * archive= tells it the bytes are a tar.gz */
            const char *url =
                signed_url_make(&c, "/_archivist/registry-module", "module-get", vs[i].id, URL_TTL);
            http_set_header(r, "X-Terraform-Get", arena_printf(c.a, "%s?archive=tar.gz", url));
            return http_respond(r, 204, 0, 0, 0);
        }
    api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "module version not found"));
}

/* The archive is checked as a module's (no links, at most 10,000 entries: slug_module); a
 * refused one leaves the version errored and nothing stored. The same pass reads its README
 * and root .tf files from the stream (module_scan.c); nothing is unpacked. */
static void upload_finish(struct http_request *r, void *arg)
{
    struct slug_upload *u = arg;
    struct ctx c;
    api_begin_anonymous(&c, r, u->app);
    int64_t size = 0;
    char why[512] = "";
    struct module_scan *scan = module_scan_new(&c);
    struct slug_visit visit = {module_scan_visit, scan};
    u->visit = &visit;
    int rc = slug_upload_commit(u, 0, &size, why, sizeof why);
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) {
        module_db_version_set(&c, u->id, "reg_ingress_failed", why, size);
        log_info("registry module version %s refused: %s", u->id, why);
        return api_fail(&c, ctx_fail(&c, ERR_INVALID, "%s", why));
    }
    if (!rc) rc = module_db_version_metadata(&c, u->id, module_scan_json(scan));
    if (!rc) rc = module_db_version_set(&c, u->id, "ok", 0, size);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 200, 0, 0, 0);
}

static int upload_open(struct http_request *r, void *app, struct http_sink *sink)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *id;
    struct module_version v;
    int rc = signed_url_check(&c, "module-put", http_req_param(r, "token"), &id);
    if (!rc) rc = module_db_version_get(&c, id, &v);
    if (rc) return rc;
    if (strcmp(v.status, "pending") != 0) return ERR_CONFLICT; /* an archive is written once */
    struct slug_upload *u = arena_alloc(c.a, sizeof *u);
    u->app = app;
    u->id = v.id;
    u->key = module_archive_key(&c, v.id);
    u->kind = &slug_module;
    u->visit = 0; /* set at finish, with the scan */
    if ((rc = blob_writer_open(c.app->blobs, u->key, &u->w))) return rc;
    *sink = (struct http_sink){slug_upload_write, upload_finish, slug_upload_abort, u};
    return 0;
}

static void archive(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *id;
    struct module_version v = {0};
    int rc = signed_url_check(&c, "module-get", http_req_param(r, "token"), &id);
    if (!rc) rc = module_db_version_get(&c, id, &v);
    if (!rc && strcmp(v.status, "ok") != 0) rc = ERR_NOT_FOUND;
    if (!rc)
        rc = blob_respond(c.app->blobs, r, module_archive_key(&c, v.id), "application/x-gzip",
                          v.size);
    if (rc) api_fail(&c, rc);
}

const struct http_route registry_protocol_routes[] = {
    {HTTP_M_GET, "/api/registry/v1/modules/:ns/:name/:provider/versions", versions, 0, 0},
    {HTTP_M_GET, "/api/registry/v1/modules/:ns/:name/:provider/:version/download", download, 0, 0},
    {HTTP_M_GET, "/api/registry/v1/modules/:ns/:name/:provider/:version", detail, 0, 0},
    {HTTP_M_PUT, "/_archivist/registry-module/:token", 0, upload_open, MODULE_MAX_BYTES, true},
    {HTTP_M_GET, "/_archivist/registry-module/:token", archive, 0, 0},
    {0, 0, 0, 0, 0},
};
