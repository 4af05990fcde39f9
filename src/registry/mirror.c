/* mirror.c — the provider network mirror: a site admin uploads the folder `terraform providers
 * mirror` writes (as a tar.gz: <hostname>/<namespace>/<type>/<version>.json and the zips they
 * name), and Strata serves it with terraform's provider network mirror protocol at
 * /api/provider-mirror/v1/, to any caller with a token — the runs of a network without
 * internet access among them (the runner points their CLI configuration at it). index.json is
 * made from the versions kept, so uploads add to each other; a version uploaded again replaces
 * its files. The archive is checked (no links: slug_mirror) and unpacked by slug_unpack, and
 * its files are read back through beneath.h. */
#include "registry/registry.h"
#include "app/audit.h"
#include "app/settings.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/beneath.h"
#include "base/buf.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "blob/blob.h"
#include "configversions/configversion.h"
#include "jsonapi/jsonapi.h"
#include "registry/registry_int.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { URL_TTL = 600 };

/* Blob keys take no ':' (a host's port): a file is kept under its path's SHA-256. */
static const char *blob_key(struct ctx *c, const char *path)
{
    return arena_printf(c->a, "registry/mirror/%s", codec_sha256_hex(c->a, path, strlen(path)));
}

/* A path segment of the layout: no separators, no dot names. */
static bool segment(const char *s)
{
    return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') && strlen(s) < 256;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n > t && strcmp(s + n - t, tail) == 0;
}

/* Copies one unpacked file (rel under the folder root) into its blob and records it. */
static int keep_file(struct ctx *c, int root, const char *host, const char *ns, const char *type,
                     const char *name)
{
    const char *path = arena_printf(c->a, "%s/%s/%s/%s", host, ns, type, name);
    int fd;
    int rc = beneath_read(root, path, slug_mirror.max_unpacked, &fd, 0);
    if (rc) return rc == ERR_NOT_FOUND || rc == ERR_INVALID ? ERR_IO : rc;
    if (ends_with(name, ".json")) { /* a version's archives: must be what terraform reads */
        json_error_t je;
        json_t *doc = json_loadfd(fd, 0, &je);
        bool ok = json_is_object(json_object_get(doc, "archives"));
        json_decref(doc);
        if (!ok || lseek(fd, 0, SEEK_SET) != 0) {
            close(fd);
            return ctx_fail(c, ERR_INVALID, "%s is not a version file (no \"archives\")", path);
        }
    }
    struct blob_writer *w;
    rc = blob_writer_open(c->app->blobs, blob_key(c, path), &w);
    if (rc) {
        close(fd);
        return rc;
    }
    char buf[65536];
    ssize_t n = 0;
    int64_t size = 0;
    while (!rc && (n = read(fd, buf, sizeof buf)) > 0) {
        size += n;
        rc = blob_writer_write(w, buf, (size_t)n);
    }
    close(fd);
    if (!rc && n < 0) rc = ERR_IO;
    if (rc)
        blob_writer_abort(w);
    else
        rc = blob_writer_commit(w);
    if (!rc && !(rc = store_begin(c->app->store))) {
        rc = store_exec(c->app->store, "DELETE FROM provider_mirror_files WHERE path = $1",
                        S_ARGS(S_TEXT(path)), 0);
        if (!rc)
            rc = store_exec(c->app->store,
                            "INSERT INTO provider_mirror_files (path, hostname, namespace, type, "
                            "name, size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            S_ARGS(S_TEXT(path), S_TEXT(host), S_TEXT(ns), S_TEXT(type),
                                   S_TEXT(name), S_INT(size), S_TEXT(codec_now_iso(c->a))),
                            0);
        rc = audit_end(c, rc, 0, "provider-mirror-file", path, "upload");
    }
    return rc;
}

/* Lists the names in the folder rel under root (arena memory, NULL-terminated); regular files
 * or folders only, never a link. */
static const char **names_in(struct ctx *c, int root, const char *rel, bool folders)
{
    const char **out = arena_alloc(c->a, 257 * sizeof *out);
    size_t n = 0;
    int fd;
    DIR *d = beneath_dir(root, rel, &fd) ? 0 : fdopendir(fd);
    struct dirent *e;
    struct stat st;
    while (d && n < 256 && (e = readdir(d)))
        if (segment(e->d_name) && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (folders ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
            out[n++] = arena_strdup(c->a, e->d_name);
    if (d) closedir(d);
    out[n] = 0;
    return out;
}

/* Walks <host>/<ns>/<type>/ of the unpacked archive and keeps what the protocol serves. */
static int keep_tree(struct ctx *c, const char *dir, int *kept)
{
    int root = -1;
    int rc = beneath_root(dir, &root);
    for (const char **h = names_in(c, root, "", true); !rc && *h; h++) {
        for (const char **ns = names_in(c, root, *h, true); !rc && *ns; ns++) {
            const char *nd = arena_printf(c->a, "%s/%s", *h, *ns);
            for (const char **t = names_in(c, root, nd, true); !rc && *t; t++) {
                const char *td = arena_printf(c->a, "%s/%s", nd, *t);
                for (const char **f = names_in(c, root, td, false); !rc && *f; f++) {
                    if (!strcmp(*f, "index.json")) continue; /* made from what is kept */
                    if (!ends_with(*f, ".json") && !ends_with(*f, ".zip")) continue;
                    if (!(rc = keep_file(c, root, *h, *ns, *t, *f))) (*kept)++;
                }
            }
        }
    }
    if (root >= 0) close(root);
    return rc;
}

/* A kept JSON file, parsed (*doc a new reference). */
static int read_json(struct ctx *c, const char *path, json_t **doc)
{
    struct blob_reader *br = 0;
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = blob_reader_open(c->app->blobs, blob_key(c, path), &br);
    char chunk[65536];
    size_t n = 0;
    while (!rc && !(rc = blob_reader_read(br, chunk, sizeof chunk, &n)) && n)
        rc = buf_append(&b, chunk, n);
    if (br) blob_reader_close(br);
    json_error_t je;
    *doc = rc ? 0 : json_loadb(b.data ? b.data : "", b.len, 0, &je);
    buf_release(&b);
    return rc ? rc : *doc ? 0 : ERR_INTERNAL;
}

static json_t *listing(struct ctx *c)
{
    struct store_result r;
    json_t *data = json_array();
    if (store_query(c->app->store, c->a,
                    "SELECT hostname, namespace, type, name FROM provider_mirror_files WHERE name "
                    "LIKE '%.json' ORDER BY hostname, namespace, type, name",
                    0, 0, &r))
        return data;
    json_t *cur = 0;
    const char *key = "";
    for (size_t i = 0; i < r.nrows; i++) {
        const char *k = arena_printf(c->a, "%s/%s/%s", store_cell(&r, i, 0), store_cell(&r, i, 1),
                                     store_cell(&r, i, 2));
        if (strcmp(k, key) != 0) {
            key = k;
            cur = json_array();
            json_array_append_new(
                data,
                jsonapi_resource_new(
                    "provider-mirror-providers", k,
                    json_pack("{s:s, s:s, s:s, s:o}", "hostname", store_cell(&r, i, 0), "namespace",
                              store_cell(&r, i, 1), "type", store_cell(&r, i, 2), "versions", cur),
                    0, 0));
        }
        const char *name = store_cell(&r, i, 3);
        json_array_append_new(cur, json_stringn(name, strlen(name) - 5));
    }
    return data;
}

struct mirror_upload {
    struct slug_upload slug;
    const char *dir;
    struct principal who; /* the site admin uploading, for the audit trail */
};

static void upload_finish(struct http_request *r, void *arg)
{
    struct mirror_upload *u = arg;
    struct ctx c;
    api_begin_anonymous(&c, r, u->slug.app);
    c.who = u->who;
    char why[512] = "";
    int64_t size = 0;
    int kept = 0;
    int rc = fs_mkdirs(u->dir) ? ERR_IO : 0;
    if (rc)
        slug_upload_abort(&u->slug);
    else /* checked and unpacked in one pass */
        rc = slug_upload_commit(&u->slug, u->dir, &size, why, sizeof why);
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) rc = ctx_fail(&c, ERR_INVALID, "%s", why);
    if (!rc) rc = keep_tree(&c, u->dir, &kept);
    if (!rc && !kept)
        rc = ctx_fail(&c, ERR_INVALID,
                      "no <hostname>/<namespace>/<type>/<version>.json in the archive: upload "
                      "the folder `terraform providers mirror` writes");
    fs_remove_tree(u->dir);
    blob_delete(c.app->blobs, u->slug.key);
    if (rc) return api_fail(&c, rc);
    log_info("provider mirror: %d files kept", kept);
    jsonapi_respond(r, 200, jsonapi_doc_new(listing(&c)));
}

static void upload_abort(void *arg)
{
    slug_upload_abort(&((struct mirror_upload *)arg)->slug);
}

static int upload_write(void *arg, const void *p, size_t n)
{
    return slug_upload_write(&((struct mirror_upload *)arg)->slug, p, n);
}

/* PUT /api/v2/admin/provider-mirror: a tar.gz of the mirror folder (site admins; anyone else
 * is answered 404, as the admin API is, before any byte is read). */
static int upload_open(struct http_request *r, void *app, struct http_sink *sink)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *auth = http_req_header(r, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) return ERR_UNAUTHORIZED;
    if (c.app->authenticate(c.app, c.a, auth + 7, &c.who)) return ERR_UNAUTHORIZED;
    if (!authz_site_admin(&c)) return ERR_NOT_FOUND;
    struct mirror_upload *u = arena_alloc(c.a, sizeof *u);
    u->who = c.who;
    const char *id = codec_new_id(c.a, "mirror");
    u->slug.app = app;
    u->slug.id = id;
    u->slug.key = arena_printf(c.a, "registry/mirror-uploads/%s.tar.gz", id);
    u->slug.kind = &slug_mirror;
    u->slug.visit = 0;
    u->dir = arena_printf(c.a, "%s/mirror-uploads/%s",
                          settings_str(c.app->settings, SETTING_DISK_PATH), id);
    int rc = blob_writer_open(c.app->blobs, u->slug.key, &u->slug.w);
    if (rc) return rc;
    *sink = (struct http_sink){upload_write, upload_finish, upload_abort, u};
    return 0;
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    jsonapi_respond(r, 200, jsonapi_doc_new(listing(&c)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    const char **paths;
    size_t n = 0;
    const char *host = http_req_param(r, "host"), *ns = http_req_param(r, "ns"),
               *type = http_req_param(r, "type");
    int rc = store_query_column(c.app->store, c.a,
                                "SELECT path FROM provider_mirror_files WHERE hostname = $1 AND "
                                "namespace = $2 AND type = $3",
                                S_ARGS(S_TEXT(host), S_TEXT(ns), S_TEXT(type)), &paths, &n);
    if (!rc && !n) rc = ctx_fail(&c, ERR_NOT_FOUND, "the mirror has no %s/%s/%s", host, ns, type);
    for (size_t i = 0; !rc && i < n; i++)
        rc = blob_delete(c.app->blobs, blob_key(&c, paths[i]));
    if (!rc)
        rc = audit_exec(&c,
                        "DELETE FROM provider_mirror_files WHERE hostname = $1 AND namespace = $2 "
                        "AND type = $3",
                        S_ARGS(S_TEXT(host), S_TEXT(ns), S_TEXT(type)), 0, "provider-mirror",
                        arena_printf(c.a, "%s/%s/%s", host, ns, type), "destroy");
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* The network mirror protocol: index.json (the versions kept), <version>.json, and the zips. */
static void protocol(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *host = http_req_param(r, "host"), *ns = http_req_param(r, "ns"),
               *type = http_req_param(r, "type"), *file = http_req_param(r, "file");
    struct store_result rows;
    int rc = store_query(c.app->store, c.a,
                         "SELECT name, size FROM provider_mirror_files WHERE hostname = $1 AND "
                         "namespace = $2 AND type = $3",
                         S_ARGS(S_TEXT(host), S_TEXT(ns), S_TEXT(type)), &rows);
    if (rc) return api_fail(&c, rc);
    if (!strcmp(file, "index.json")) {
        json_t *versions = json_object();
        for (size_t i = 0; i < rows.nrows; i++) {
            const char *name = store_cell(&rows, i, 0);
            if (ends_with(name, ".json"))
                json_object_set_new(versions, arena_strndup(c.a, name, strlen(name) - 5),
                                    json_object());
        }
        if (!json_object_size(versions)) {
            json_decref(versions);
            return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "provider not in the mirror"));
        }
        json_t *doc = json_pack("{s:o}", "versions", versions);
        json_respond(r, 200, doc);
        return;
    }
    bool kept = false;
    for (size_t i = 0; i < rows.nrows; i++)
        kept |= strcmp(store_cell(&rows, i, 0), file) == 0;
    if (!kept || !ends_with(file, ".json"))
        return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "not in the mirror"));
    json_t *doc = 0;
    rc = read_json(&c, arena_printf(c.a, "%s/%s/%s/%s", host, ns, type, file), &doc);
    if (rc) return api_fail(&c, rc);
    /* terraform fetches a zip without its token: each archive this mirror keeps is answered
     * with a signed URL of its own */
    const char *target;
    json_t *a;
    json_object_foreach(json_object_get(doc, "archives"), target, a)
    {
        const char *url = json_string_value(json_object_get(a, "url"));
        for (size_t i = 0; url && i < rows.nrows; i++)
            if (!strcmp(store_cell(&rows, i, 0), url)) {
                const char *path = arena_printf(c.a, "%s/%s/%s/%s", host, ns, type, url);
                json_object_set_new(a, "url",
                                    json_string(signed_url_make(&c, "/_archivist/provider-mirror",
                                                                "mirror-get", path, URL_TTL)));
                break; /* url was the replaced string's */
            }
    }
    json_respond(r, 200, doc);
}

/* A zip of the mirror, on a signed URL answered with a version's JSON. */
static void archive(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *path;
    struct store_result f;
    int rc = signed_url_check(&c, "mirror-get", http_req_param(r, "token"), &path);
    if (!rc)
        rc =
            store_query(c.app->store, c.a, "SELECT size FROM provider_mirror_files WHERE path = $1",
                        S_ARGS(S_TEXT(path)), &f);
    if (!rc && !f.nrows) rc = ERR_NOT_FOUND;
    if (!rc)
        rc = blob_respond(c.app->blobs, r, blob_key(&c, path), "application/zip",
                          store_cell_int(&f, 0, 0));
    if (rc) api_fail(&c, rc);
}

int registry_mirror_cli_config(struct ctx *c, const char **block)
{
    struct store_result r;
    *block = 0;
    int rc = store_query(c->app->store, c->a,
                         "SELECT DISTINCT hostname, namespace, type FROM provider_mirror_files "
                         "ORDER BY hostname, namespace, type",
                         0, 0, &r);
    if (rc || !r.nrows) return rc;
    char *list = arena_strdup(c->a, "");
    for (size_t i = 0; i < r.nrows; i++)
        list = arena_printf(c->a, "%s%s\"%s/%s/%s\"", list, i ? ", " : "", store_cell(&r, i, 0),
                            store_cell(&r, i, 1), store_cell(&r, i, 2));
    *block = arena_printf(c->a,
                          "provider_installation {\n  network_mirror {\n    url     = "
                          "\"https://%s/api/provider-mirror/v1/\"\n    include = [%s]\n  }\n"
                          "  direct {\n    exclude = [%s]\n  }\n}\n",
                          c->app->hostname, list, list);
    return 0;
}

const struct http_route provider_mirror_routes[] = {
    {HTTP_M_PUT, "/api/v2/admin/provider-mirror", 0, upload_open, SLUG_MAX_BYTES, true},
    {HTTP_M_GET, "/api/v2/admin/provider-mirror", show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/admin/provider-mirror/:host/:ns/:type", destroy, 0, 0},
    {HTTP_M_GET, "/api/provider-mirror/v1/:host/:ns/:type/:file", protocol, 0, 0},
    {HTTP_M_GET, "/_archivist/provider-mirror/:token", archive, 0, 0},
    {0, 0, 0, 0, 0},
};
