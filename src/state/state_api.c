/* state_api.c — TFE API: State Versions and State Version Outputs
 * (developer.hashicorp.com/terraform/enterprise/api-docs/state-versions,
 * .../state-version-outputs). */
#include "state/state_int.h"
#include "app/audit.h"
#include "base/codec.h"
#include "base/log.h"
#include "blob/blob.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"
#include "app/include.h"
#include "users/user.h"
#include "workspaces/workspace.h"

#include <stdlib.h>

/* True when the caller made sv: its user, its run's token, or (no identity being kept for
 * them) an organization or team token. */
static bool made_by_caller(const struct ctx *c, const struct state_version *sv)
{
    if (sv->run_id)
        return c->who.kind == PRINCIPAL_RUN && c->who.run_id && !strcmp(c->who.run_id, sv->run_id);
    if (sv->created_by)
        return c->who.kind == PRINCIPAL_USER && !strcmp(c->who.user_id, sv->created_by);
    return c->who.kind == PRINCIPAL_ORG || c->who.kind == PRINCIPAL_TEAM;
}

/* A state version (sv->perms: the caller's rights). The upload links go only to
 * the version's maker, while it may still write state there (TFE answers them on creation). */
static json_t *encode(struct ctx *c, const struct state_version *sv)
{
    bool maker = (sv->perms & WS_WRITE_STATE) && made_by_caller(c, sv);
    bool pending = maker && strcmp(sv->status, "pending") == 0;
    json_t *attrs = json_pack(
        "{s:s, s:I, s:s, s:s, s:s, s:I, s:b, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "created-at",
        sv->created_at, "serial", (json_int_t)sv->serial, "lineage", sv->lineage, "md5", sv->md5,
        "status", sv->status, "size", (json_int_t)(sv->state_size < 0 ? 0 : sv->state_size),
        "resources-processed", 1, "state-version", 4, "terraform-version", json_null(),
        "vcs-commit-sha", json_null(), "vcs-commit-url", json_null(), "hosted-state-download-url",
        sv->state_size >= 0 ? json_string(state_url(c, sv->id, false, false)) : json_null(),
        "hosted-json-state-download-url",
        sv->json_size >= 0 ? json_string(state_url(c, sv->id, true, false)) : json_null(),
        "hosted-state-upload-url",
        pending ? json_string(state_url(c, sv->id, false, true)) : json_null(),
        "hosted-json-state-upload-url",
        maker && sv->json_size == -1 ? json_string(state_url(c, sv->id, true, true)) : json_null());
    json_t *outs = json_array();
    struct state_output *o;
    size_t n = 0;
    if (state_db_outputs(c, sv->id, &o, &n) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                outs, json_pack("{s:s, s:s}", "id", o[i].id, "type", "state-version-outputs"));
    json_t *rels = json_pack("{s:o, s:{s:o}, s:o, s:o}", "workspace",
                             jsonapi_rel_new("workspaces", sv->workspace_id), "outputs", "data",
                             outs, "created-by", jsonapi_rel_new("users", sv->created_by), "run",
                             jsonapi_rel_new("runs", sv->run_id));
    return jsonapi_resource_new("state-versions", sv->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/state-versions/%s", sv->id));
}

static json_t *encode_output(struct ctx *c, const struct state_output *o, bool reveal);

static const char *const includes[] = {
    "created_by", "run", "run.created_by", "run.configuration_version", "outputs", 0};
static int (*include_run)(struct ctx *, const char *, struct include *);

void state_on_include_run(int (*fn)(struct ctx *c, const char *run_id, struct include *inc))
{
    include_run = fn;
}

static int include_outputs(struct ctx *c, const char *sv_id, struct include *inc)
{
    struct state_output *o;
    size_t n;
    int rc = state_db_outputs(c, sv_id, &o, &n);
    for (size_t i = 0; !rc && i < n; i++)
        include_add(inc, encode_output(c, &o[i], false));
    return rc;
}

static int include_related(struct ctx *c, const struct state_version *sv, struct include *inc)
{
    struct user u;
    if (include_wants(inc, "created_by") && sv->created_by &&
        !include_has(inc, "users", sv->created_by) && user_get(c, sv->created_by, &u) == 0)
        include_add(inc, user_encode(c, &u));
    int rc = 0;
    if (include_wants(inc, "outputs")) rc = include_outputs(c, sv->id, inc);
    if (!rc && include_wants_under(inc, "run") && sv->run_id && include_run)
        rc = include_run(c, sv->run_id, inc);
    return rc;
}

/* One state version with what ?include= asks for. */
static void respond(struct ctx *c, int status, const struct state_version *sv)
{
    struct include *inc;
    int rc = include_parse(c, includes, &inc);
    if (!rc) rc = include_related(c, sv, inc);
    if (rc) return api_fail(c, rc);
    json_t *doc = jsonapi_doc_new(encode(c, sv));
    include_finish(inc, doc);
    jsonapi_respond(c->req, status, doc);
}

int state_include_for_workspace(struct ctx *c, const struct workspace *w, json_t *res,
                                struct include *inc)
{
    (void)res;
    struct state_version sv;
    /* each only to those who may read it on its own (GET /state-versions/:id needs the state,
     * outputs the outputs) */
    bool want_sv = include_wants(inc, "current-state-version") && (w->perms & WS_READ_STATE);
    bool want_out = include_wants(inc, "outputs") && (w->perms & WS_READ_OUTPUTS);
    if ((!want_sv && !want_out) || !w->current_state_version_id) return 0;
    int rc = state_db_get(c, w->current_state_version_id, &sv);
    if (rc) return rc == ERR_NOT_FOUND ? 0 : rc;
    sv.perms = w->perms;
    if (want_sv) include_add(inc, encode(c, &sv));
    return want_out ? include_outputs(c, sv.id, inc) : 0;
}

/* Reads a state version of a workspace where the caller holds need. */
static int load(struct ctx *c, const char *id, int64_t need, struct state_version *sv)
{
    struct workspace w = {0};
    int rc = state_db_get(c, id, sv);
    if (!rc) rc = workspace_get(c, sv->workspace_id, need, &w);
    if (!rc) sv->perms = w.perms;
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "state version not found");
    return rc;
}

static int current(struct ctx *c, const char *ws_id, int64_t need, struct state_version *sv)
{
    struct workspace w;
    int rc = workspace_get(c, ws_id, need, &w);
    if (rc) return rc;
    if (!w.current_state_version_id)
        return ctx_fail(c, ERR_NOT_FOUND, "this workspace has no state yet");
    if ((rc = state_db_get(c, w.current_state_version_id, sv))) return rc;
    sv->perms = w.perms;
    return 0;
}

/* The checks a new version must pass against the current one, unless forced. */
static int check_against_current(struct ctx *c, const struct workspace *w,
                                 const struct state_version *nv)
{
    struct state_version cur;
    if (!w->current_state_version_id) return 0;
    int rc = state_db_get(c, w->current_state_version_id, &cur);
    if (rc) return rc;
    if (*nv->lineage && *cur.lineage && strcmp(nv->lineage, cur.lineage) != 0)
        return ctx_fail_at(c, ERR_CONFLICT, "/data/attributes/lineage",
                           "lineage \"%s\" differs from the current state's \"%s\"; push with "
                           "force to replace it",
                           nv->lineage, cur.lineage);
    if (nv->serial < cur.serial)
        return ctx_fail_at(c, ERR_CONFLICT, "/data/attributes/serial",
                           "serial %lld is lower than the current state's serial %lld; push "
                           "with force to replace it",
                           (long long)nv->serial, (long long)cur.serial);
    if (nv->serial == cur.serial && strcmp(nv->md5, cur.md5) != 0)
        return ctx_fail_at(c, ERR_CONFLICT, "/data/attributes/serial",
                           "serial %lld already holds different content; increase the serial "
                           "or push with force",
                           (long long)nv->serial);
    return 0;
}

static bool hex32(const char *s)
{
    if (strlen(s) != 32) return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s)) return false;
    return true;
}

/* Decodes a base64 attribute holding JSON; *out is NULL when absent. */
static int decode_json_attr(struct ctx *c, struct jsonapi_body *b, const char *name, json_t **out)
{
    const char *text = 0;
    *out = 0;
    int rc = jsonapi_attr_string(b, name, &text, 0);
    if (rc) return ctx_fail_body(c, rc, b);
    if (!text) return 0;
    unsigned char *raw;
    size_t n;
    json_error_t je;
    if (codec_base64_decode(c->a, text, false, &raw, &n) ||
        !(*out = json_loadb((const char *)raw, n, 0, &je)))
        return ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/attributes/%s", name),
                           "%s must be base64-encoded JSON", name);
    return 0;
}

/* The seed-era form: the whole state base64-encoded in "state"; stored at once. The decoded
 * bytes are left in *raw (arena) for the outputs. */
static int store_inline_state(struct ctx *c, struct state_version *sv, const char *b64,
                              unsigned char **raw_out, size_t *n_out)
{
    unsigned char *raw;
    size_t n;
    if (codec_base64_decode(c->a, b64, false, &raw, &n))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/state", "state must be base64");
    struct codec_md5 *m = codec_md5_new();
    codec_md5_update(m, raw, n);
    char got[33];
    codec_md5_final(m, got);
    if (strcmp(got, sv->md5) != 0)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/md5",
                           "md5 %s does not match the state's MD5 %s; nothing was stored", sv->md5,
                           got);
    struct blob_writer *w;
    int rc = blob_writer_open(c->app->blobs, state_blob_key(c, sv->id, false), &w);
    if (rc) return rc;
    if ((rc = blob_writer_write(w, raw, n))) {
        blob_writer_abort(w);
        return rc;
    }
    if ((rc = blob_writer_commit(w))) return rc;
    sv->status = "finalized";
    sv->state_size = (int64_t)n;
    *raw_out = raw;
    *n_out = n;
    return 0;
}

/* The JSON form sent inline beside an inline state (terraform's compatibility mode). */
static int store_inline_json(struct ctx *c, struct state_version *sv, const char *b64)
{
    unsigned char *raw;
    size_t n;
    if (codec_base64_decode(c->a, b64, false, &raw, &n))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/json-state",
                           "json-state must be base64");
    struct blob_writer *w;
    int rc = blob_writer_open(c->app->blobs, state_blob_key(c, sv->id, true), &w);
    if (rc) return rc;
    if ((rc = blob_writer_write(w, raw, n))) {
        blob_writer_abort(w);
        return rc;
    }
    if ((rc = blob_writer_commit(w))) return rc;
    sv->json_size = (int64_t)n;
    return 0;
}

static int create_version(struct ctx *c, struct workspace *w, struct state_version *sv)
{
    struct jsonapi_body b;
    const char *inline_state = 0, *json_state = 0;
    bool force = false, serial_given = false;
    json_t *outputs = 0;
    sv->lineage = "";
    sv->md5 = 0;
    int rc = jsonapi_parse(c->req, "state-versions", false, &b);
    if (!rc) rc = jsonapi_attr_int(&b, "serial", &sv->serial, &serial_given);
    if (!rc) rc = jsonapi_attr_string(&b, "md5", &sv->md5, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "lineage", &sv->lineage, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "force", &force, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "state", &inline_state, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "json-state", &json_state, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    log_debug("state version for %s: serial %lld lineage %s force %d", w->id, (long long)sv->serial,
              sv->lineage, force);
    if (!serial_given || sv->serial < 0)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/serial",
                           "serial is required and must not be negative");
    if (!sv->md5 || !hex32(sv->md5))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/md5",
                           "md5 is required: 32 lower-case hex digits");
    if (!workspace_locked_by_caller(c, w))
        return ctx_fail(c, ERR_CONFLICT,
                        "the workspace must be locked by the caller before a "
                        "state version is created");
    if (!force && (rc = check_against_current(c, w, sv))) return rc;
    if ((rc = decode_json_attr(c, &b, "json-state-outputs", &outputs))) return rc;
    sv->id = codec_new_id(c->a, "sv");
    sv->workspace_id = w->id;
    sv->status = "pending";
    sv->state_size = sv->json_size = -1;
    sv->created_at = codec_now_iso(c->a);
    sv->created_by = c->who.user_id;
    sv->run_id = c->who.run_id; /* a run's own token: the state is that run's */
    sv->perms = w->perms;
    unsigned char *raw = 0;
    size_t raw_len = 0;
    if (inline_state && (rc = store_inline_state(c, sv, inline_state, &raw, &raw_len))) goto out;
    if (inline_state && json_state && (rc = store_inline_json(c, sv, json_state))) goto out;
    if ((rc = store_begin(c->app->store))) goto out;
    rc = state_db_insert(c, sv);
    if (!rc && outputs) rc = state_save_outputs(c, sv->id, outputs);
    if (!rc && !outputs && raw) {
        json_error_t je;
        json_t *doc = json_loadb((const char *)raw, raw_len, 0, &je);
        json_t *o = doc ? json_object_get(doc, "outputs") : 0;
        if (o) rc = state_save_outputs(c, sv->id, o);
        json_decref(doc);
    }
    if (!rc && inline_state) rc = workspace_set_current_state(c, w->id, sv->id);
    if (!rc) rc = audit_record(c, w->organization, "state-version", sv->id, "create");
    if (rc) {
        store_rollback(c->app->store);
        if (inline_state) {
            blob_delete(c->app->blobs, state_blob_key(c, sv->id, false));
            blob_delete(c->app->blobs, state_blob_key(c, sv->id, true));
        }
        goto out;
    }
    rc = store_commit(c->app->store);
out:
    json_decref(outputs);
    return rc;
}

/* terraform saves intermediate state during an apply only while every JSON:API answer about
 * state versions carries this header (seconds between snapshots; one without it turns them off): a
 * node that dies mid-apply then loses little. */
static void snapshot_interval(struct http_request *r)
{
    http_set_header(r, "X-Terraform-Snapshot-Interval", "5");
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    snapshot_interval(r);
    struct workspace w;
    struct state_version sv;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_WRITE_STATE, &w);
    if (!rc) rc = create_version(&c, &w, &sv);
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &sv);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    snapshot_interval(r);
    struct state_version sv;
    int rc = load(&c, http_req_param(r, "id"), WS_READ_STATE, &sv);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &sv);
}

static void show_current(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    snapshot_interval(r);
    struct state_version sv;
    int rc = current(&c, http_req_param(r, "id"), WS_READ_STATE, &sv);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &sv);
}

static void download(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct state_version sv;
    int rc = load(&c, http_req_param(r, "id"), WS_READ_STATE, &sv);
    if (rc) return api_fail(&c, rc);
    state_send_blob(&c, &sv, false);
}

static void list_for(struct ctx *c, const struct workspace *w)
{
    struct page p;
    struct state_version *svs;
    size_t n;
    int64_t total;
    struct include *inc = 0;
    int rc = page_parse(c, &p);
    if (!rc) rc = include_parse(c, includes, &inc);
    if (!rc) rc = state_db_list(c, w->id, &p, &svs, &n, &total);
    for (size_t i = 0; !rc && i < n; i++)
        rc = include_related(c, &svs[i], inc);
    if (rc) return api_fail(c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        svs[i].perms = w->perms;
        json_array_append_new(data, encode(c, &svs[i]));
    }
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(c, doc, arena_printf(c->a, "/api/v2/workspaces/%s/state-versions", w->id), &p,
                  total);
    jsonapi_respond(c->req, 200, doc);
}

static void list_by_workspace(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    snapshot_interval(r);
    struct workspace w;
    int rc = workspace_get(&c, http_req_param(r, "id"), WS_READ_STATE, &w);
    if (rc) return api_fail(&c, rc);
    list_for(&c, &w);
}

/* GET /state-versions?filter[workspace][name]=…&filter[organization][name]=… */
static void list_filtered(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    snapshot_interval(r);
    const char *org = http_req_query(r, "filter[organization][name]");
    const char *name = http_req_query(r, "filter[workspace][name]");
    if (!org || !name)
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST,
                                     "filter[organization][name] and "
                                     "filter[workspace][name] are required"));
    struct workspace w;
    int rc = workspace_get_by_name(&c, org, name, WS_READ_STATE, &w);
    if (rc) return api_fail(&c, rc);
    list_for(&c, &w);
}

/* One output; the value of a sensitive one only when reveal is set. */
static json_t *encode_output(struct ctx *c, const struct state_output *o, bool reveal)
{
    unsigned char *plain;
    size_t n;
    json_t *value = 0, *type = 0;
    json_error_t je;
    if (keyring_unseal_at(c->app->keyring, c->a, STATE_OUTPUT_AT(o->id), o->sealed_value, &plain,
                          &n) == 0)
        value = json_loadb((const char *)plain, n, JSON_DECODE_ANY, &je);
    type = json_loads(o->type_json, JSON_DECODE_ANY, &je);
    const char *kind = "null";
    if (value) {
        switch (json_typeof(value)) {
        case JSON_STRING:
            kind = "string";
            break;
        case JSON_INTEGER:
        case JSON_REAL:
            kind = "number";
            break;
        case JSON_TRUE:
        case JSON_FALSE:
            kind = "boolean";
            break;
        case JSON_ARRAY:
            kind = "array";
            break;
        case JSON_OBJECT:
            kind = "object";
            break;
        default:
            break;
        }
    }
    if (o->sensitive && !reveal) {
        json_decref(value);
        value = json_null();
    }
    json_t *attrs = json_pack("{s:s, s:b, s:s, s:o, s:o}", "name", o->name, "sensitive",
                              o->sensitive, "type", kind, "value", value ? value : json_null(),
                              "detailed-type", type ? type : json_null());
    return jsonapi_resource_new("state-version-outputs", o->id, attrs, 0,
                                arena_printf(c->a, "/api/v2/state-version-outputs/%s", o->id));
}

static void outputs_of(struct ctx *c, const char *sv_id)
{
    struct state_output *o;
    size_t n;
    int rc = state_db_outputs(c, sv_id, &o, &n);
    if (rc) return api_fail(c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, encode_output(c, &o[i], false));
    rc = page_respond_all(c, data, arena_printf(c->a, "/api/v2/state-versions/%s/outputs", sv_id));
    if (rc) api_fail(c, rc);
}

static void current_outputs(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct state_version sv;
    int rc = current(&c, http_req_param(r, "id"), WS_READ_OUTPUTS, &sv);
    if (rc) return api_fail(&c, rc);
    outputs_of(&c, sv.id);
}

static void version_outputs(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct state_version sv;
    int rc = load(&c, http_req_param(r, "id"), WS_READ_OUTPUTS, &sv);
    if (rc) return api_fail(&c, rc);
    outputs_of(&c, sv.id);
}

static void output_show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct state_output o;
    struct state_version sv;
    const char *sv_id;
    int rc = state_db_output(&c, http_req_param(r, "id"), &o, &sv_id);
    if (!rc) rc = load(&c, sv_id, WS_READ_OUTPUTS, &sv);
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "output not found");
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(encode_output(&c, &o, true)));
}

const struct http_route state_routes[] = {
    /* the seed-era inline "state" attribute makes this body larger than most */
    {HTTP_M_POST, "/api/v2/workspaces/:id/state-versions", create, 0, 64LL * 1024 * 1024},
    {HTTP_M_GET, "/api/v2/workspaces/:id/state-versions", list_by_workspace, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/current-state-version", show_current, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/current-state-version-outputs", current_outputs, 0, 0},
    {HTTP_M_GET, "/api/v2/state-versions", list_filtered, 0, 0},
    {HTTP_M_GET, "/api/v2/state-versions/:id", show, 0, 0},
    {HTTP_M_GET, "/api/v2/state-versions/:id/download", download, 0, 0},
    {HTTP_M_GET, "/api/v2/state-versions/:id/outputs", version_outputs, 0, 0},
    {HTTP_M_GET, "/api/v2/state-version-outputs/:id", output_show, 0, 0},
    {0, 0, 0, 0, 0},
};
