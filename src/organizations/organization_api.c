/* organization_api.c — TFE API: Organizations and the entitlement set
 * (developer.hashicorp.com/terraform/enterprise/api-docs/organizations). */
#include "organizations/organization_int.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"

#include <string.h>

enum { TFE_SESSION_MINUTES = 20160 }; /* TFE's default for both session settings: 14 days */

json_t *organization_encode(struct ctx *c, const struct organization *o)
{
    struct rights r = {0};
    authz_rights(c, o->name, 0, &r); /* on a database error every permission reads false */
    bool owner = (r.org & ORG_OWNER) != 0, members = (r.org & ORG_MANAGE_MEMBERSHIP) != 0;
    json_t *perms = json_pack(
        "{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "can-update", owner,
        "can-destroy", owner && c->who.kind == PRINCIPAL_USER, "can-access-via-teams", r.member,
        "can-create-workspace", (r.org & ORG_MANAGE_WORKSPACES) != 0, "can-create-team", members,
        "can-manage-users", members, "can-update-api-token", owner, "can-create-module",
        (r.org & ORG_MANAGE_MODULES) != 0, "can-create-provider",
        (r.org & ORG_MANAGE_PROVIDERS) != 0, "can-update-ssh-keys", owner, "can-manage-run-tasks",
        (r.org & ORG_MANAGE_RUN_TASKS) != 0, "can-update-sentinel",
        (r.org & ORG_MANAGE_POLICIES) != 0);
    json_t *attrs = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:b, s:s, s:b, s:s}", "name", o->name,
        "external-id", o->external_id, "email", o->email, "created-at", o->created_at,
        "default-execution-mode", o->default_execution_mode, "permissions", perms,
        "two-factor-conformant", 1, "cost-estimation-enabled", 0, "saml-enabled", 0,
        "collaborator-auth-policy", "password", "assessments-enforced", 0, "plan", "enterprise");
    json_object_set_new(
        attrs, "session-timeout",
        json_integer(o->session_timeout ? o->session_timeout : TFE_SESSION_MINUTES));
    json_object_set_new(
        attrs, "session-remember",
        json_integer(o->session_remember ? o->session_remember : TFE_SESSION_MINUTES));
    return jsonapi_resource_new("organizations", o->name, attrs, 0,
                                arena_printf(c->a, "/api/v2/organizations/%s", o->name));
}

/* A session setting: left as it was when absent or null; 0 (an explicit zero) is refused later
 * as out of range, so it is read as -1. */
static int read_minutes(struct jsonapi_body *b, const char *name, int64_t *out)
{
    bool given = false;
    int64_t v = 0;
    int rc = jsonapi_attr_int(b, name, &v, &given);
    if (!rc && given) *out = v > 0 ? v : -1;
    return rc;
}

static int read_attrs(struct ctx *c, struct http_request *r, struct organization *o)
{
    struct jsonapi_body b;
    int rc = jsonapi_parse(r, "organizations", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "name", &o->name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "email", &o->email, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "default-execution-mode", &o->default_execution_mode, 0);
    if (!rc) rc = read_minutes(&b, "session-timeout", &o->session_timeout);
    if (!rc) rc = read_minutes(&b, "session-remember", &o->session_remember);
    return rc ? ctx_fail_body(c, rc, &b) : 0;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct organization o = {0};
    int rc = read_attrs(&c, r, &o);
    if (!rc) rc = organization_create(&c, &o);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 201, jsonapi_doc_new(organization_encode(&c, &o)));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct organization o;
    int rc = organization_get(&c, http_req_param(r, "name"), &o);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(organization_encode(&c, &o)));
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct organization o, in = {0};
    int rc = organization_get(&c, http_req_param(r, "name"), &o);
    if (!rc) rc = read_attrs(&c, r, &in);
    if (in.email) o.email = in.email;
    if (in.default_execution_mode) o.default_execution_mode = in.default_execution_mode;
    if (in.session_timeout) o.session_timeout = in.session_timeout;
    if (in.session_remember) o.session_remember = in.session_remember;
    if (!rc) rc = organization_update(&c, &o, in.name);
    if (rc) return api_fail(&c, rc);
    jsonapi_respond(r, 200, jsonapi_doc_new(organization_encode(&c, &o)));
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    int rc = organization_delete(&c, http_req_param(r, "name"));
    if (rc) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct page p;
    struct organization *orgs;
    size_t n;
    int64_t total;
    int rc = page_parse(&c, &p);
    if (!rc) rc = organization_db_list(&c, &p, &orgs, &n, &total);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, organization_encode(&c, &orgs[i]));
    json_t *doc = jsonapi_doc_new(data);
    page_annotate(&c, doc, "/api/v2/organizations", &p, total);
    jsonapi_respond(r, 200, doc);
}

static void entitlements(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct organization o;
    int rc = organization_get(&c, http_req_param(r, "name"), &o);
    if (rc) return api_fail(&c, rc);
    /* what this release really offers: state storage, remote operations, teams, the private
     * registry and the audit trail (policies, agents, cost estimation, run tasks, VCS and SSO do
     * not exist here: a client that trusts a true would fail on their routes) */
    json_t *attrs = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
                              "operations", 1, "state-storage", 1, "private-module-registry", 1,
                              "teams", 1, "vcs-integrations", 0, "sentinel", 0, "cost-estimation",
                              0, "sso", 0, "audit-logging", 1, "agents", 0, "global-run-tasks", 0,
                              "run-tasks", 0, "self-serve-billing", 0);
    jsonapi_respond(
        r, 200,
        jsonapi_doc_new(jsonapi_resource_new("entitlement-sets", o.external_id, attrs, 0, 0)));
}

const struct http_route organization_routes[] = {
    {HTTP_M_POST, "/api/v2/organizations", create, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations", list, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:name", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/organizations/:name", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/organizations/:name", destroy, 0, 0},
    {HTTP_M_GET, "/api/v2/organizations/:name/entitlement-set", entitlements, 0, 0},
    {0, 0, 0, 0, 0},
};
