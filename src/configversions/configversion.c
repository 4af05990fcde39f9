/* configversion.c — configuration versions: rows, upload through a signed URL, checks. */
#include "configversions/configversion.h"
#include "app/api.h"
#include "app/include.h"
#include "app/pagination.h"
#include "app/signed_url.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "blob/blob.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"
#include "workspaces/workspace.h"

#include <stdio.h>
#include <string.h>

static int (*uploaded_hook)(struct ctx *, const struct configversion *);

void configversion_on_uploaded(int (*fn)(struct ctx *c, const struct configversion *cv))
{
    uploaded_hook = fn;
}

static const char *COLS = "SELECT id, workspace_id, status, error_message, source, created_at, "
                          "auto_queue_runs, speculative, provisional, size "
                          "FROM configuration_versions ";

static void fill(const struct store_result *r, size_t i, struct configversion *cv)
{
    cv->id = store_cell(r, i, 0);
    cv->workspace_id = store_cell(r, i, 1);
    cv->status = store_cell(r, i, 2);
    cv->error_message = store_cell(r, i, 3);
    cv->source = store_cell(r, i, 4);
    cv->created_at = store_cell(r, i, 5);
    cv->auto_queue_runs = store_cell_bool(r, i, 6);
    cv->speculative = store_cell_bool(r, i, 7);
    cv->provisional = store_cell_bool(r, i, 8);
    cv->size = store_cell_int(r, i, 9);
    cv->perms = 0;
}

static int db_get(struct ctx *c, const char *id, struct configversion *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a, arena_printf(c->a, "%s WHERE id = $1", COLS),
                         S_ARGS(S_TEXT(id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int configversion_latest(struct ctx *c, const char *workspace_id, struct configversion *out)
{
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         arena_printf(c->a,
                                      "%s WHERE workspace_id = $1 ORDER BY created_at DESC, id "
                                      "DESC LIMIT 1",
                                      COLS),
                         S_ARGS(S_TEXT(workspace_id)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_NOT_FOUND;
    fill(&r, 0, out);
    return 0;
}

int configversion_get(struct ctx *c, const char *id, struct configversion *out)
{
    struct workspace w = {0};
    int rc = db_get(c, id, out);
    if (!rc) rc = workspace_get(c, out->workspace_id, WS_READ_RUNS, &w);
    if (!rc) out->perms = w.perms;
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "configuration version not found");
    return rc;
}

static const char *slug_key(struct ctx *c, const char *id)
{
    return arena_printf(c->a, "configuration-versions/%s/slug", id);
}

int configversion_on_workspace_delete(struct ctx *c, const char *workspace_id)
{
    const char **ids;
    size_t n;
    int rc = store_query_column(c->app->store, c->a,
                                "SELECT id FROM configuration_versions WHERE workspace_id = $1",
                                S_ARGS(S_TEXT(workspace_id)), &ids, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = blob_delete(c->app->blobs, slug_key(c, ids[i]));
    return rc;
}

/* The upload URL's object: the version, and whether the caller it was made for may apply (a
 * run the upload queues then applies by itself only when the workspace auto-applies and the
 * uploader could have applied it). */
static const char *url_object(struct ctx *c, const struct configversion *cv)
{
    return cv->perms & WS_QUEUE_APPLY ? arena_printf(c->a, "%s:apply", cv->id) : cv->id;
}

json_t *configversion_encode(struct ctx *c, const struct configversion *cv)
{
    /* the URL uploads code that runs with the workspace's variables: only for those who may
     * queue plans (TFE answers it when the version is created) */
    bool pending = strcmp(cv->status, "pending") == 0 && (cv->perms & WS_QUEUE_PLAN);
    json_t *attrs =
        json_pack("{s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:s, s:{}}", "status", cv->status,
                  "source", cv->source, "auto-queue-runs", cv->auto_queue_runs, "speculative",
                  cv->speculative, "provisional", cv->provisional, "error",
                  cv->error_message ? json_string("invalid archive") : json_null(), "error-message",
                  cv->error_message ? json_string(cv->error_message) : json_null(), "upload-url",
                  pending ? json_string(signed_url_make(c, "/_archivist/slug", "slug-put",
                                                        url_object(c, cv), 3600))
                          : json_null(),
                  "created-at", cv->created_at, "status-timestamps");
    json_t *rels = json_pack("{s:o}", "ingress-attributes", jsonapi_rel_new("ingress", 0));
    return jsonapi_resource_new("configuration-versions", cv->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/configuration-versions/%s", cv->id));
}

/* ingress_attributes exist only for VCS-driven versions, which this installation lacks. */
static const char *const includes[] = {"ingress_attributes", "run", 0};
static int (*include_run)(struct ctx *, const char *, struct include *);

void configversion_on_include_run(int (*fn)(struct ctx *c, const char *cv_id, struct include *inc))
{
    include_run = fn;
}

int configversion_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                                        struct include *inc)
{
    struct configversion cv;
    if (!include_wants(inc, "current_configuration_version")) return 0;
    if (!(w->perms & WS_READ_RUNS)) return 0; /* what the caller may not read on its own */
    int rc = configversion_latest(c, w->id, &cv);
    if (rc) return rc == ERR_NOT_FOUND ? 0 : rc;
    cv.perms = w->perms;
    json_object_set_new(json_object_get(res, "relationships"), "current-configuration-version",
                        jsonapi_rel_new("configuration-versions", cv.id));
    include_add(inc, configversion_encode(c, &cv));
    return 0;
}

static int include_related(struct ctx *c, const struct configversion *cv, struct include *inc)
{
    return include_wants(inc, "run") && include_run ? include_run(c, cv->id, inc) : 0;
}

static void respond(struct ctx *c, int status, const struct configversion *cv)
{
    struct include *inc;
    int rc = include_parse(c, includes, &inc);
    if (!rc) rc = include_related(c, cv, inc);
    if (rc) return api_fail(c, rc);
    json_t *doc = jsonapi_doc_new(configversion_encode(c, cv));
    include_finish(inc, doc);
    jsonapi_respond(c->req, status, doc);
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct jsonapi_body b;
    struct configversion cv = {
        .status = "pending", .source = "tfe-api", .auto_queue_runs = true, .size = -1};
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_QUEUE_PLAN, &w);
    if (!rc) {
        rc = jsonapi_parse(r, "configuration-versions", true, &b);
        if (!rc) rc = jsonapi_attr_bool(&b, "auto-queue-runs", &cv.auto_queue_runs, 0);
        if (!rc) rc = jsonapi_attr_bool(&b, "speculative", &cv.speculative, 0);
        if (!rc) rc = jsonapi_attr_bool(&b, "provisional", &cv.provisional, 0);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc) {
        cv.id = codec_new_id(c.a, "cv");
        cv.workspace_id = w.id;
        cv.perms = w.perms;
        cv.created_at = codec_now_iso(c.a);
        rc =
            store_exec(c.app->store,
                       "INSERT INTO configuration_versions (id, workspace_id, status, source, "
                       "auto_queue_runs, speculative, provisional, created_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       S_ARGS(S_TEXT(cv.id), S_TEXT(cv.workspace_id), S_TEXT(cv.status),
                              S_TEXT(cv.source), S_BOOL(cv.auto_queue_runs), S_BOOL(cv.speculative),
                              S_BOOL(cv.provisional), S_TEXT(cv.created_at)),
                       0);
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &cv);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct configversion cv;
    int rc = configversion_get(&c, http_req_param(r, "id"), &cv);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &cv);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    struct store_result res;
    struct page p;
    struct include *inc;
    int64_t total = 0;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_READ_RUNS, &w);
    if (!rc) rc = page_parse(&c, &p);
    if (!rc) rc = include_parse(&c, includes, &inc);
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT COUNT(*) FROM configuration_versions WHERE workspace_id = $1",
                         S_ARGS(S_TEXT(w.id)), &res);
    if (!rc) {
        total = store_cell_int(&res, 0, 0);
        rc = store_query(c.app->store, c.a,
                         arena_printf(c.a,
                                      "%s WHERE workspace_id = $1 ORDER BY created_at DESC, id "
                                      "LIMIT $2 OFFSET $3",
                                      COLS),
                         S_ARGS(S_TEXT(w.id), S_INT(p.size), S_INT(p.offset)), &res);
    }
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < res.nrows && !rc; i++) {
        struct configversion cv;
        fill(&res, i, &cv);
        cv.perms = w.perms;
        json_array_append_new(data, configversion_encode(&c, &cv));
        rc = include_related(&c, &cv, inc);
    }
    if (rc) {
        json_decref(data);
        return api_fail(&c, rc);
    }
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(&c, doc, arena_printf(c.a, "/api/v2/workspaces/%s/configuration-versions", w.id),
                  &p, total);
    jsonapi_respond(r, 200, doc);
}

/* ---- upload ---- */

/* Ends a pending version's upload; ERR_CONFLICT when another upload to its link ended first
 * (one upload counts, and queues at most one run). */
static int set_status(struct ctx *c, const char *id, const char *status, const char *error,
                      int64_t size)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE configuration_versions SET status = $2, error_message = $3, "
                        "size = $4 WHERE id = $1 AND status = 'pending'",
                        S_ARGS(S_TEXT(id), S_TEXT(status), S_TEXT(error), S_INT(size)), &n);
    return rc ? rc : n == 1 ? 0 : ERR_CONFLICT;
}

/* An upload in progress and what its URL allowed. */
struct cv_upload {
    struct slug_upload s; /* first: the slug_upload_* functions take this as their argument */
    int64_t perms;        /* of the caller the URL was made for */
    bool claimed;         /* holds the version's link (size -2) until its status is set */
};

/* One upload at a time takes a pending version's link (size -1 → -2); ERR_CONFLICT when another
 * holds it or it was used. */
static int claim(struct ctx *c, const char *id)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE configuration_versions SET size = -2 "
                        "WHERE id = $1 AND status = 'pending' AND size = -1",
                        S_ARGS(S_TEXT(id)), &n);
    return rc ? rc : n == 1 ? 0 : ERR_CONFLICT;
}

/* Gives the link back when an upload ended without a status (a client's retry may use it). */
static void release(struct cv_upload *cu)
{
    if (!cu->claimed) return;
    struct ctx c = {.a = arena_new(), .app = cu->s.app};
    int rc = store_exec(c.app->store,
                        "UPDATE configuration_versions SET size = -1 "
                        "WHERE id = $1 AND status = 'pending' AND size = -2",
                        S_ARGS(S_TEXT(cu->s.id)), 0);
    if (rc)
        log_warn("configuration version %s: upload link not released: %s", cu->s.id, err_name(rc));
    arena_free(c.a);
    cu->claimed = false;
}

static void upload_abort(void *arg)
{
    struct cv_upload *cu = arg;
    release(cu);
    slug_upload_abort(&cu->s);
}

static void upload_finish(struct http_request *r, void *arg)
{
    struct cv_upload *cu = arg;
    struct slug_upload *u = &cu->s;
    struct ctx c;
    api_begin_anonymous(&c, r, u->app);
    int64_t size = 0;
    char why[512] = "";
    int rc = slug_upload_commit(u, 0, &size, why, sizeof why);
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) {
        if (!set_status(&c, u->id, "errored", why, size)) cu->claimed = false;
        release(cu);
        log_info("configuration version %s refused: %s", u->id, why);
        return api_fail(&c, ctx_fail(&c, ERR_INVALID, "%s", why));
    }
    if (!rc && (rc = set_status(&c, u->id, "uploaded", 0, size)) == ERR_CONFLICT)
        ctx_fail(&c, rc, "this configuration version was uploaded already");
    if (!rc) cu->claimed = false;
    release(cu);
    struct configversion cv;
    /* queued with no user behind it, as a VCS push would be, with the URL's rights */
    if (!rc && uploaded_hook && !(rc = db_get(&c, u->id, &cv)) && cv.auto_queue_runs) {
        cv.perms = cu->perms;
        rc = uploaded_hook(&c, &cv);
    }
    if (rc) return api_fail(&c, rc);
    http_respond(r, 200, 0, 0, 0);
}

static int upload_open(struct http_request *r, void *app, struct http_sink *sink)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *id;
    struct configversion cv;
    int rc = signed_url_check(&c, "slug-put", http_req_param(r, "token"), &id);
    char *colon = rc ? 0 : strchr(id, ':');
    struct cv_upload *cu = arena_alloc(c.a, sizeof *cu);
    memset(cu, 0, sizeof *cu);
    cu->perms = WS_QUEUE_PLAN | (colon && strcmp(colon, ":apply") == 0 ? WS_QUEUE_APPLY : 0);
    if (colon) id = arena_strndup(c.a, id, (size_t)(colon - id));
    if (!rc) rc = db_get(&c, id, &cv);
    if (rc) return rc;
    if (strcmp(cv.status, "pending") != 0 || (rc = claim(&c, cv.id))) return rc ? rc : ERR_CONFLICT;
    struct slug_upload *u = &cu->s;
    u->app = app;
    u->id = cv.id;
    u->key = slug_key(&c, cv.id);
    u->kind = &slug_configuration;
    u->visit = 0;
    cu->claimed = true;
    if ((rc = blob_writer_open(c.app->blobs, u->key, &u->w))) {
        release(cu);
        return rc;
    }
    *sink = (struct http_sink){slug_upload_write, upload_finish, upload_abort, cu};
    return 0;
}

const struct http_route configversion_routes[] = {
    {HTTP_M_POST, "/api/v2/workspaces/:id/configuration-versions", create, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/configuration-versions", list, 0, 0},
    {HTTP_M_GET, "/api/v2/configuration-versions/:id", show, 0, 0},
    {0, 0, 0, 0, 0},
};

const struct http_route configversion_upload_routes[] = {
    {HTTP_M_PUT, "/_archivist/slug/:token", 0, upload_open, SLUG_MAX_BYTES, true},
    {0, 0, 0, 0, 0},
};
