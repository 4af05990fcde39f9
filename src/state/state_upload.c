/* state_upload.c — the hosted upload and download URLs of state versions. Uploads stream from
 * the socket through an MD5 and into a sealed blob; the version is finalized only when the
 * bytes match the MD5 announced at creation, so a bad upload leaves the current state alone. */
#include "state/state_int.h"
#include "base/hasher.h"
#include "app/signed_url.h"
#include "base/codec.h"
#include "base/log.h"
#include "blob/blob.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "workspaces/workspace.h"

enum { URL_TTL = 3600 };

const char *state_url(struct ctx *c, const char *sv_id, bool json, bool upload)
{
    return signed_url_make(c, json ? "/_archivist/json-state" : "/_archivist/state",
                           json ? (upload ? "sv-json-put" : "sv-json-get")
                                : (upload ? "sv-state-put" : "sv-state-get"),
                           sv_id, URL_TTL);
}

struct upload {
    struct app *app;
    const char *sv_id, *ws_id, *want_md5;
    bool json;
    bool claimed; /* the JSON link is taken by this upload until it ends (state_db_claim_json) */
    struct blob_writer *w;
    struct hasher *md5; /* on a thread of its own: it is slower than sealing */
};

static int upload_write(void *arg, const void *p, size_t n)
{
    struct upload *u = arg;
    if (u->md5) hasher_update(u->md5, p, n);
    return blob_writer_write(u->w, p, n);
}

static void upload_abort(void *arg)
{
    struct upload *u = arg;
    if (u->claimed) { /* stored nothing: the link may be used again (a client's retry) */
        struct ctx c = {.a = arena_new(), .app = u->app};
        int rc = state_db_release_json(&c, u->sv_id);
        if (rc) log_warn("state %s: JSON upload link not released: %s", u->sv_id, err_name(rc));
        arena_free(c.a);
        u->claimed = false;
    }
    if (u->w) blob_writer_abort(u->w);
    if (u->md5) hasher_free(u->md5);
    u->w = 0;
    u->md5 = 0;
}

/* Commits the raw state: MD5 check, blob, finalize, current version, outputs. */
static int finish_state(struct ctx *c, struct upload *u)
{
    char got[33];
    hasher_final(u->md5, got);
    u->md5 = 0;
    int64_t size = blob_writer_size(u->w);
    if (strcmp(got, u->want_md5) != 0) {
        blob_writer_abort(u->w);
        u->w = 0;
        return ctx_fail(c, ERR_INVALID,
                        "the uploaded state's MD5 is %s but the state version declared %s; "
                        "nothing was stored",
                        got, u->want_md5);
    }
    int rc = blob_writer_commit(u->w);
    u->w = 0;
    if (rc) return rc;
    struct state_version sv;
    bool has = false;
    if ((rc = store_begin(c->app->store))) return rc;
    rc = state_db_finalize(c, u->sv_id, size);
    if (!rc) rc = workspace_set_current_state(c, u->ws_id, u->sv_id);
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    rc = state_db_has_outputs(c, u->sv_id, &has);
    if (!rc && !has && !(rc = state_db_get(c, u->sv_id, &sv))) rc = state_outputs_from_blob(c, &sv);
    if (rc) log_warn("state %s: outputs not extracted: %s", u->sv_id, err_name(rc));
    return 0;
}

static void upload_finish(struct http_request *r, void *arg)
{
    struct upload *u = arg;
    struct ctx c;
    api_begin_anonymous(&c, r, u->app);
    int rc;
    if (u->json) {
        int64_t size = blob_writer_size(u->w);
        rc = blob_writer_commit(u->w);
        u->w = 0;
        if (!rc) rc = state_db_set_json_size(&c, u->sv_id, size);
        if (!rc) u->claimed = false; /* spent */
    } else {
        rc = finish_state(&c, u);
    }
    upload_abort(u);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 200, 0, 0, 0);
}

static int upload_open(struct http_request *r, void *app, struct http_sink *sink, bool json)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *sv_id;
    struct state_version sv;
    int rc = signed_url_check(&c, json ? "sv-json-put" : "sv-state-put", http_req_param(r, "token"),
                              &sv_id);
    if (!rc) rc = state_db_get(&c, sv_id, &sv);
    if (rc) return rc == ERR_NOT_FOUND ? ERR_NOT_FOUND : rc;
    /* each is written once: the raw state while pending (its MD5 checked at the end), the JSON
     * form (no declared checksum) by the first upload that completes, one at a time */
    if (!json && strcmp(sv.status, "pending") != 0) return ERR_CONFLICT;
    if (json && (rc = state_db_claim_json(&c, sv.id))) return rc;
    struct upload *u = arena_alloc(c.a, sizeof *u);
    memset(u, 0, sizeof *u);
    u->app = app;
    u->sv_id = sv.id;
    u->ws_id = sv.workspace_id;
    u->want_md5 = sv.md5;
    u->json = json;
    u->claimed = json;
    if ((rc = blob_writer_open(c.app->blobs, state_blob_key(&c, sv.id, json), &u->w))) {
        upload_abort(u);
        return rc;
    }
    if (!json) u->md5 = hasher_new();
    *sink = (struct http_sink){upload_write, upload_finish, upload_abort, u};
    return 0;
}

static int upload_state(struct http_request *r, void *app, struct http_sink *sink)
{
    return upload_open(r, app, sink, false);
}

static int upload_json(struct http_request *r, void *app, struct http_sink *sink)
{
    return upload_open(r, app, sink, true);
}

/* Streams a version's raw or JSON state to the client. */
void state_send_blob(struct ctx *c, const struct state_version *sv, bool json)
{
    int64_t size = json ? sv->json_size : sv->state_size;
    int rc = size < 0 ? ctx_fail(c, ERR_NOT_FOUND, "this state has not been uploaded")
                      : blob_respond(c->app->blobs, c->req, state_blob_key(c, sv->id, json),
                                     "application/json", size);
    if (rc) api_fail(c, rc);
}

static void download(struct http_request *r, void *app, bool json)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *sv_id;
    struct state_version sv;
    int rc = signed_url_check(&c, json ? "sv-json-get" : "sv-state-get", http_req_param(r, "token"),
                              &sv_id);
    if (!rc) rc = state_db_get(&c, sv_id, &sv);
    if (rc) return api_fail(&c, rc);
    state_send_blob(&c, &sv, json);
}

static void download_state(struct http_request *r, void *app)
{
    download(r, app, false);
}

static void download_json(struct http_request *r, void *app)
{
    download(r, app, true);
}

/* Signed URLs carry the purpose inside the token; the path segment only routes. */
const struct http_route state_upload_routes[] = {
    {HTTP_M_PUT, "/_archivist/state/:token", 0, upload_state, STATE_MAX_BYTES, true},
    {HTTP_M_PUT, "/_archivist/json-state/:token", 0, upload_json, STATE_MAX_BYTES, true},
    {HTTP_M_GET, "/_archivist/state/:token", download_state, 0, 0},
    {HTTP_M_GET, "/_archivist/json-state/:token", download_json, 0, 0},
    {0, 0, 0, 0, 0},
};
