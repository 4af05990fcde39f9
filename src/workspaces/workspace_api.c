/* workspace_api.c — TFE API: Workspaces, including locking and tags
 * (developer.hashicorp.com/terraform/enterprise/api-docs/workspaces). */
#include "workspaces/workspace_int.h"
#include "app/include.h"
#include "organizations/organization.h"
#include "users/user.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

static json_t *string_array(const char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *workspace_encode(struct ctx *c, const struct workspace *w)
{
    static const struct {
        const char *name;
        int64_t need;
    } perms[] = {
        {"can-update", WS_UPDATE},
        {"can-destroy", WS_DESTROY},
        {"can-force-delete", WS_DESTROY},
        {"can-queue-run", WS_QUEUE_PLAN},
        {"can-read-variable", WS_READ_VARS},
        {"can-update-variable", WS_WRITE_VARS},
        {"can-read-state-versions", WS_READ_STATE},
        {"can-read-state-outputs", WS_READ_OUTPUTS},
        {"can-create-state-versions", WS_WRITE_STATE},
        {"can-queue-apply", WS_QUEUE_APPLY},
        {"can-lock", WS_LOCK},
        {"can-unlock", WS_LOCK},
        {"can-force-unlock", WS_FORCE_UNLOCK},
        {"can-read-settings", WS_READ},
        {"can-manage-tags", WS_UPDATE},
        {"can-queue-destroy", WS_QUEUE_APPLY},
        {"can-read-run-state-outputs", WS_READ_OUTPUTS},
        {"can-manage-run-tasks", WS_RUN_TASKS},
        {"can-read-assessment-results", WS_READ},
        {"can-manage-assessments", WS_UPDATE},
    };
    json_t *p = json_object();
    for (size_t i = 0; i < sizeof perms / sizeof *perms; i++)
        json_object_set_new(p, perms[i].name, json_boolean((w->perms & perms[i].need) != 0));
    bool remote = strcmp(w->execution_mode, "remote") == 0;
    json_t *prefixes = json_loads(w->trigger_prefixes ? w->trigger_prefixes : "[]", 0, 0);
    json_t *attrs = json_pack(
        "{s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s, s:o, s:o, s:{s:b}, s:o, s:b, s:b,"
        " s:b, s:b, s:s, s:s, s:o, s:b, s:b, s:o, s:o, s:{s:b, s:b}, s:o, s:o}",
        "name", w->name, "description", w->description, "execution-mode", w->execution_mode,
        "operations", remote, "terraform-version", w->terraform_version, "auto-apply",
        w->auto_apply, "locked", w->locked_by_kind != 0, "working-directory", w->working_directory,
        "created-at", w->created_at, "updated-at", w->updated_at, "permissions", p, "tag-names",
        string_array(w->tags, w->ntags), "actions", "is-destroyable", 1, "trigger-prefixes",
        prefixes ? prefixes : json_array(), "structured-run-output-enabled",
        w->structured_run_output_enabled, "speculative-enabled", w->speculative_enabled,
        "queue-all-runs", w->queue_all_runs, "global-remote-state", w->global_remote_state,
        "environment", "default", "source", "tfe-api", "vcs-repo", json_null(),
        "file-triggers-enabled", w->file_triggers_enabled, "allow-destroy-plan",
        w->allow_destroy_plan, "lock-reason",
        w->lock_reason ? json_string(w->lock_reason) : json_null(), "resource-count",
        json_integer(0), "setting-overwrites", "execution-mode", 1, "agent-pool", 1, "source-name",
        w->source_name ? json_string(w->source_name) : json_null(), "source-url",
        w->source_url ? json_string(w->source_url) : json_null());
    json_t *rels = json_pack(
        "{s:o, s:o}", "organization", jsonapi_rel_new("organizations", w->organization),
        "current-state-version", jsonapi_rel_new("state-versions", w->current_state_version_id));
    if (w->locked_by_kind)
        json_object_set_new(rels, "locked-by", jsonapi_rel_new(w->locked_by_kind, w->locked_by_id));
    json_object_set_new(rels, "current-run", jsonapi_rel_new("runs", w->current_run_id));
    json_object_set_new(rels, "ssh-key", jsonapi_rel_new("ssh-keys", w->ssh_key_id));
    json_object_set_new(
        rels, "remote-state-consumers",
        json_pack("{s:{s:s}}", "links", "related",
                  arena_printf(c->a, "/api/v2/workspaces/%s/relationships/remote-state-consumers",
                               w->id)));
    return jsonapi_resource_new(
        "workspaces", w->id, attrs, rels,
        arena_printf(c->a, "/api/v2/organizations/%s/workspaces/%s", w->organization, w->name));
}

const char *const workspace_includes[] = {"organization",
                                          "current_configuration_version",
                                          "current_configuration_version.ingress_attributes",
                                          "current_run",
                                          "current_run.plan",
                                          "current_run.configuration_version",
                                          "current_run.configuration_version.ingress_attributes",
                                          "effective_tag_bindings",
                                          "locked_by",
                                          "readme",
                                          "outputs",
                                          "current-state-version",
                                          "project",
                                          0};

static int (*include_hooks[4])(struct ctx *, const struct workspace *, json_t *, struct include *);
static int ninclude_hooks;

void workspace_on_include(int (*fn)(struct ctx *c, const struct workspace *w, json_t *res,
                                    struct include *inc))
{
    if (ninclude_hooks < 4) include_hooks[ninclude_hooks++] = fn;
}

/* Readme, project, ingress attributes and effective tag bindings: none exist here, so asking
 * for them includes nothing. */
int workspace_include(struct ctx *c, const struct workspace *w, json_t *res, struct include *inc)
{
    if (!inc->n) return 0;
    struct organization o;
    if (include_wants(inc, "organization") && !include_has(inc, "organizations", w->organization) &&
        organization_get(c, w->organization, &o) == 0)
        include_add(inc, organization_encode(c, &o));
    struct user u;
    if (include_wants(inc, "locked_by") && w->locked_by_kind &&
        strcmp(w->locked_by_kind, "users") == 0 && !include_has(inc, "users", w->locked_by_id) &&
        user_get(c, w->locked_by_id, &u) == 0)
        include_add(inc, user_encode(c, &u));
    int rc = 0;
    for (int i = 0; !rc && i < ninclude_hooks; i++)
        rc = include_hooks[i](c, w, res, inc);
    return rc;
}

static void respond(struct ctx *c, int status, const struct workspace *w)
{
    struct include *inc;
    json_t *res = workspace_encode(c, w);
    int rc = include_parse(c, workspace_includes, &inc);
    if (!rc) rc = workspace_include(c, w, res, inc);
    if (rc) {
        json_decref(res);
        return api_fail(c, rc);
    }
    json_t *doc = jsonapi_doc_new(res);
    include_finish(inc, doc);
    jsonapi_respond(c->req, status, doc);
}

/* Tags from "tag-names", from relationships.tags.data[].attributes.name (go-tfe's form), or
 * from relationships.tag-bindings.data[].attributes {key, value} (kept as "key:value"). */
static int read_tags(struct ctx *c, struct jsonapi_body *b, struct workspace *w, bool *given)
{
    json_t *names = json_object_get(b->attrs, "tag-names");
    json_t *rel = b->rels ? json_object_get(json_object_get(b->rels, "tags"), "data") : 0;
    json_t *bindings =
        b->rels ? json_object_get(json_object_get(b->rels, "tag-bindings"), "data") : 0;
    if (json_is_null(rel)) rel = 0; /* null means absent */
    if (json_is_array(bindings) && !names && !rel) {
        *given = true;
        w->tags = arena_alloc(c->a, (json_array_size(bindings) + 1) * sizeof *w->tags);
        w->ntags = 0;
        size_t i;
        json_t *v;
        json_array_foreach(bindings, i, v)
        {
            json_t *a = json_object_get(v, "attributes");
            const char *key = json_string_value(json_object_get(a, "key"));
            const char *val = json_string_value(json_object_get(a, "value"));
            if (!key)
                return ctx_fail_at(c, ERR_INVALID, "/data/relationships/tag-bindings",
                                   "each tag binding needs attributes.key");
            w->tags[w->ntags++] =
                val && *val ? arena_printf(c->a, "%s:%s", key, val) : arena_strdup(c->a, key);
        }
        return 0;
    }
    *given = names || rel;
    if (!*given) return 0;
    json_t *list = names ? names : rel;
    if (!json_is_array(list))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/tag-names",
                           "tag-names must be a list of strings");
    w->tags = arena_alloc(c->a, (json_array_size(list) + 1) * sizeof *w->tags);
    w->ntags = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        json_t *s = names ? v : json_object_get(json_object_get(v, "attributes"), "name");
        if (!s && !names) s = json_object_get(v, "id");
        if (!json_is_string(s))
            return ctx_fail_at(c, ERR_INVALID, "/data/attributes/tag-names",
                               "tag-names must be a list of strings");
        w->tags[w->ntags++] = arena_strdup(c->a, json_string_value(s));
    }
    return 0;
}

/* TFE refuses a version it cannot run; one pinned before a site admin disabled it stays until the
 * workspace changes it. */
static int check_version(struct ctx *c, const char *version)
{
    bool known = true;
    int rc =
        c->app->terraform_version_known ? c->app->terraform_version_known(c, version, &known) : 0;
    if (!rc && !known)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/terraform-version",
                         "terraform-version %s is not available on this installation; a site "
                         "admin registers versions at /api/v2/admin/terraform-versions",
                         version);
    return rc;
}

/* Applies the request's attributes to w (which holds defaults or the stored values). */
static int read_attrs(struct ctx *c, struct workspace *w, bool *tags_given)
{
    struct jsonapi_body b;
    bool ops = false, ops_given = false, mode_given = false;
    const char *version_before = w->terraform_version;
    int rc = jsonapi_parse(c->req, "workspaces", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "name", &w->name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "description", &w->description, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "execution-mode", &w->execution_mode, &mode_given);
    if (!rc) rc = jsonapi_attr_string(&b, "terraform-version", &w->terraform_version, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "working-directory", &w->working_directory, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "auto-apply", &w->auto_apply, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "operations", &ops, &ops_given);
    if (!rc) rc = jsonapi_attr_bool(&b, "allow-destroy-plan", &w->allow_destroy_plan, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "file-triggers-enabled", &w->file_triggers_enabled, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "queue-all-runs", &w->queue_all_runs, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "speculative-enabled", &w->speculative_enabled, 0);
    if (!rc) rc = jsonapi_attr_bool(&b, "global-remote-state", &w->global_remote_state, 0);
    if (!rc)
        rc = jsonapi_attr_bool(&b, "structured-run-output-enabled",
                               &w->structured_run_output_enabled, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "source-name", &w->source_name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "source-url", &w->source_url, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    json_t *prefixes = json_object_get(b.attrs, "trigger-prefixes");
    if (prefixes) {
        bool ok = json_is_array(prefixes);
        size_t i;
        json_t *v;
        json_array_foreach(prefixes, i, v) ok &= json_is_string(v);
        if (!ok)
            return ctx_fail_at(c, ERR_INVALID, "/data/attributes/trigger-prefixes",
                               "trigger-prefixes must be a list of strings");
        char *text = json_dumps(prefixes, JSON_COMPACT);
        w->trigger_prefixes = arena_strdup(c->a, text);
        free(text);
    }
    if (ops_given && !mode_given) w->execution_mode = ops ? "remote" : "local";
    if (strcmp(w->terraform_version, version_before) &&
        (rc = check_version(c, w->terraform_version)))
        return rc;
    return read_tags(c, &b, w, tags_given);
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct store_result o;
    int rc = store_query(c.app->store, c.a,
                         "SELECT default_execution_mode FROM organizations WHERE name = $1",
                         S_ARGS(S_TEXT(org)), &o);
    struct workspace w = {.organization = org,
                          .description = "",
                          .terraform_version = "latest",
                          .working_directory = "",
                          .allow_destroy_plan = true,
                          .file_triggers_enabled = true,
                          .speculative_enabled = true,
                          .structured_run_output_enabled = true,
                          .trigger_prefixes = "[]"};
    w.execution_mode = !rc && o.nrows ? store_cell(&o, 0, 0) : "remote";
    bool tags_given;
    if (!rc) rc = authz_org_need(&c, org, ORG_MANAGE_WORKSPACES); /* before any 422 */
    if (!rc) rc = read_attrs(&c, &w, &tags_given);
    if (!rc) rc = workspace_create(&c, &w);
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &w);
}

/* Loads the workspace named by the route (:id, or :org and :name) when the caller holds need
 * on it. */
static int load(struct ctx *c, int64_t need, struct workspace *w)
{
    const char *id = http_req_param(c->req, "id");
    if (id) return workspace_get(c, id, need, w);
    return workspace_get_by_name(c, http_req_param(c->req, "org"), http_req_param(c->req, "name"),
                                 need, w);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, WS_READ, &w);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &w);
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    bool tags_given = false;
    int rc = load(&c, WS_UPDATE, &w);
    if (!rc) rc = read_attrs(&c, &w, &tags_given);
    if (!rc) rc = workspace_update(&c, &w, tags_given);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &w);
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, WS_DESTROY, &w);
    if (!rc) rc = workspace_delete(&c, &w);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct workspace_filter f = {.search_name = http_req_query(r, "search[name]")};
    const char *tags = http_req_query(r, "search[tags]");
    /* key/value tags (terraform >= 1.10: filter[tagged][i][key|value]) are kept as "key:value";
     * the CLI then also sends search[tags] with the keys alone, which the pairs supersede */
    const char *key0 = http_req_query(r, "filter[tagged][0][key]");
    if (key0) {
        f.tags = arena_alloc(c.a, 21 * sizeof *f.tags);
        for (int i = 0; i < 20; i++) {
            const char *k = http_req_query(r, arena_printf(c.a, "filter[tagged][%d][key]", i));
            const char *v = http_req_query(r, arena_printf(c.a, "filter[tagged][%d][value]", i));
            if (!k) break;
            f.tags[f.ntags++] = v && *v ? arena_printf(c.a, "%s:%s", k, v) : k;
        }
    } else if (tags && *tags) {
        char *copy = arena_strdup(c.a, tags), *save = 0;
        f.tags = arena_alloc(c.a, (strlen(tags) / 2 + 2) * sizeof *f.tags);
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(0, ",", &save))
            if (*t) f.tags[f.ntags++] = t;
    }
    struct page p;
    struct workspace *ws;
    size_t n;
    int64_t total;
    struct include *inc;
    struct rights caller;
    int rc = authz_rights(&c, org, 0, &caller);
    if (!rc && !caller.member)
        rc = ctx_fail(&c, ERR_NOT_FOUND, "organization \"%s\" not found", org);
    f.caller = &caller;
    if (!rc) rc = page_parse(&c, &p);
    if (!rc) rc = include_parse(&c, workspace_includes, &inc);
    if (!rc) rc = workspace_db_list(&c, org, &f, &p, &ws, &n, &total);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n && !rc; i++) {
        /* rights on every workspace need no query per workspace */
        ws[i].perms = caller.ws;
        if (caller.ws != WS_ALL && (rc = workspace_perms(&c, &ws[i]))) break;
        json_t *res = workspace_encode(&c, &ws[i]);
        json_array_append_new(data, res);
        rc = workspace_include(&c, &ws[i], res, inc);
    }
    if (rc) {
        json_decref(data);
        return api_fail(&c, rc);
    }
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(&c, doc, arena_printf(c.a, "/api/v2/organizations/%s/workspaces", org), &p,
                  total);
    jsonapi_respond(r, 200, doc);
}

/* The lock reason: go-tfe sends a JSON:API document, TFE's docs show {"reason": "..."}. */
static int read_reason(struct ctx *c, const char **reason)
{
    size_t len;
    const char *body = http_req_body(c->req, &len);
    json_error_t je;
    json_t *doc = len ? json_loadb(body, len, 0, &je) : json_object();
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ctx_fail(c, ERR_BAD_REQUEST, "the body must be a JSON object");
    }
    json_t *attrs = json_object_get(json_object_get(doc, "data"), "attributes");
    json_t *v = json_object_get(attrs ? attrs : doc, "reason");
    int rc = 0;
    if (json_is_null(v)) v = 0; /* null means absent */
    if (v && !json_is_string(v))
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/reason", "reason must be a string");
    else
        *reason = v ? arena_strdup(c->a, json_string_value(v)) : "";
    json_decref(doc);
    return rc;
}

static void lock(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    const char *reason = "";
    int rc = load(&c, WS_LOCK, &w);
    if (!rc) rc = read_reason(&c, &reason);
    if (!rc) rc = workspace_lock(&c, &w, reason);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &w);
}

static void unlock_common(struct http_request *r, void *app, bool force)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, force ? WS_FORCE_UNLOCK : WS_LOCK, &w);
    if (!rc) rc = workspace_unlock(&c, &w, force);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &w);
}

static void unlock(struct http_request *r, void *app)
{
    unlock_common(r, app, false);
}

static void force_unlock(struct http_request *r, void *app)
{
    unlock_common(r, app, true);
}

static void tags_list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, WS_READ, &w);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < w.ntags; i++)
        json_array_append_new(
            data,
            jsonapi_resource_new("tags", w.tags[i], json_pack("{s:s}", "name", w.tags[i]), 0, 0));
    rc = page_respond_all(&c, data,
                          arena_printf(c.a, "/api/v2/workspaces/%s/relationships/tags", w.id));
    if (rc) api_fail(&c, rc);
}

/* Key/value tags as TFE's tag bindings: "key:value" tags split at the first colon. */
static void tag_bindings(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, WS_READ, &w);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < w.ntags; i++) {
        const char *colon = strchr(w.tags[i], ':');
        char *key = colon ? arena_strndup(c.a, w.tags[i], (size_t)(colon - w.tags[i]))
                          : arena_strdup(c.a, w.tags[i]);
        json_t *attrs = json_pack("{s:s, s:s}", "key", key, "value", colon ? colon + 1 : "");
        json_array_append_new(data, jsonapi_resource_new("tag-bindings", 0, attrs, 0, 0));
    }
    rc = page_respond_all(&c, data, arena_printf(c.a, "/api/v2/workspaces/%s/tag-bindings", w.id));
    if (rc) api_fail(&c, rc);
}

/* POST adds the listed tags, DELETE removes them; both answer 204 as TFE does. */
static void tags_change(struct http_request *r, void *app, bool add)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct workspace w;
    int rc = load(&c, WS_UPDATE, &w);
    if (rc) return api_fail(&c, rc); /* w is unset: nothing below may read it */
    size_t len;
    const char *body = http_req_body(r, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    json_t *data = doc ? json_object_get(doc, "data") : 0;
    if (!json_is_array(data)) {
        json_decref(doc);
        return api_fail(&c,
                        ctx_fail_at(&c, ERR_BAD_REQUEST, "/data", "data must be a list of tags"));
    }
    const char **tags = arena_alloc(c.a, (w.ntags + json_array_size(data) + 1) * sizeof *tags);
    size_t n = 0;
    for (size_t i = 0; i < w.ntags; i++)
        tags[n++] = w.tags[i];
    size_t i;
    json_t *v;
    json_array_foreach(data, i, v)
    {
        json_t *name = json_object_get(json_object_get(v, "attributes"), "name");
        if (!json_is_string(name)) {
            rc = ctx_fail_at(&c, ERR_INVALID, "/data", "each tag needs attributes.name");
            break;
        }
        const char *t = arena_strdup(c.a, json_string_value(name));
        if (add) {
            tags[n++] = t;
            continue;
        }
        for (size_t k = 0; k < n; k++)
            if (strcmp(tags[k], t) == 0) tags[k--] = tags[--n];
    }
    json_decref(doc);
    w.tags = tags;
    w.ntags = n;
    if (!rc) rc = workspace_update(&c, &w, true);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void tags_add(struct http_request *r, void *app)
{
    tags_change(r, app, true);
}

static void tags_remove(struct http_request *r, void *app)
{
    tags_change(r, app, false);
}

const struct http_route workspace_routes[] = {
    {HTTP_M_POST, "/api/v2/organizations/:org/workspaces", create, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/workspaces", list, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:org/workspaces/:name", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/organizations/:org/workspaces/:name", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/organizations/:org/workspaces/:name", destroy, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/workspaces/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/workspaces/:id", destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/actions/lock", lock, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/actions/unlock", unlock, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/actions/force-unlock", force_unlock, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/relationships/tags", tags_list, 0, 0},
    {HTTP_M_GET, "/api/v2/workspaces/:id/tag-bindings", tag_bindings, 0, 0},
    {HTTP_M_POST, "/api/v2/workspaces/:id/relationships/tags", tags_add, 0, 0},
    {HTTP_M_DELETE, "/api/v2/workspaces/:id/relationships/tags", tags_remove, 0, 0},
    {0, 0, 0, 0, 0},
};
