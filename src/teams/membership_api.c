/* membership_api.c — TFE API: Organization Memberships
 * (developer.hashicorp.com/terraform/enterprise/api-docs/organization-memberships).
 * An invitation names an e-mail: its account, or, when it has none yet, an invited-only
 * placeholder (users/) that the account made later with that e-mail takes over, its invited
 * memberships becoming active then (TFE's sign-up through the invitation). An invited user with
 * an account accepts with POST .../actions/accept, which TFE does through the invitation's link. */
#include "teams/team_int.h"
#include "app/include.h"
#include "jsonapi/jsonapi.h"
#include "users/user.h"

#include <stdlib.h>

static const char *const includes[] = {"user", "teams", 0};

static int (*invited_hook)(struct ctx *, const char *, const char *, const char **);

void membership_on_invited(int (*fn)(struct ctx *c, const char *org, const char *email,
                                     const char **warning))
{
    if (invited_hook) abort(); /* one hook by design: never drop one silently */
    invited_hook = fn;
}

json_t *membership_encode(struct ctx *c, const struct membership *m)
{
    const char **teams = 0;
    size_t n = 0;
    membership_db_team_ids(c, m, &teams, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "type", "teams", "id", teams[i]));
    json_t *attrs = json_pack("{s:s, s:s, s:s}", "status", m->status, "email", m->email,
                              "created-at", m->created_at);
    json_t *rels = json_pack("{s:{s:o}, s:o, s:o}", "teams", "data", list, "user",
                             jsonapi_rel_new("users", m->user_id), "organization",
                             jsonapi_rel_new("organizations", m->organization));
    return jsonapi_resource_new("organization-memberships", m->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/organization-memberships/%s", m->id));
}

static bool own(const struct ctx *c, const struct membership *m)
{
    return c->who.kind == PRINCIPAL_USER && strcmp(c->who.user_id, m->user_id) == 0;
}

/* A membership the caller may see: its own, or one of an organization it is a member of. */
static int load(struct ctx *c, const char *id, struct membership *m)
{
    int rc = membership_db_get(c, id, m);
    if (!rc && !own(c, m)) rc = authz_org(c, m->organization);
    return rc == ERR_NOT_FOUND ? ctx_fail(c, rc, "organization membership not found") : rc;
}

static int include_of(struct ctx *c, const struct membership *m, struct include *inc)
{
    int rc = 0;
    if (include_wants(inc, "user") && !include_has(inc, "users", m->user_id)) {
        struct user u;
        if (!(rc = user_get(c, m->user_id, &u))) include_add(inc, user_encode(c, &u));
    }
    const char **ids;
    size_t n;
    if (!rc && include_wants(inc, "teams") && !(rc = membership_db_team_ids(c, m, &ids, &n)))
        for (size_t i = 0; i < n; i++) {
            struct team t;
            /* secret teams the caller may not see stay out */
            if (!include_has(inc, "teams", ids[i]) && team_get(c, ids[i], &t) == 0)
                include_add(inc, team_encode(c, &t));
        }
    c->detail[0] = 0; /* a hidden team's "not found" is no error of this request */
    return rc;
}

/* The membership's document; warning, when set, in its meta. */
static void respond_warning(struct ctx *c, int status, const struct membership *m,
                            const char *warning)
{
    struct include *inc = 0;
    int rc = include_parse(c, includes, &inc);
    if (!rc) rc = include_of(c, m, inc);
    if (rc) return api_fail(c, rc);
    json_t *doc = jsonapi_doc_new(membership_encode(c, m));
    include_finish(inc, doc);
    if (warning) json_object_set_new(doc, "meta", json_pack("{s:[s]}", "warnings", warning));
    jsonapi_respond(c->req, status, doc);
}

static void respond(struct ctx *c, int status, const struct membership *m)
{
    respond_warning(c, status, m, 0);
}

static void list_for(struct ctx *c, const char *org, const char *user_id, const char *path)
{
    struct page p;
    struct membership *ms;
    size_t n = 0;
    int64_t total = 0;
    struct include *inc = 0;
    int rc = page_parse(c, &p);
    if (!rc) rc = include_parse(c, includes, &inc);
    if (!rc)
        rc = membership_db_list(c, org, user_id, http_req_query(c->req, "filter[status]"),
                                http_req_query(c->req, "q"), &p, &ms, &n, &total);
    for (size_t i = 0; !rc && i < n; i++)
        rc = include_of(c, &ms[i], inc);
    if (rc) return api_fail(c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, membership_encode(c, &ms[i]));
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(c, doc, path, &p, total);
    jsonapi_respond(c->req, 200, doc);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    int rc = authz_org(&c, org);
    if (rc) return api_fail(&c, ctx_fail(&c, rc, "organization \"%s\" not found", org));
    list_for(&c, org, 0,
             arena_printf(c.a, "/api/v2/organizations/%s/organization-memberships", org));
}

static void list_own(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    if (c.who.kind != PRINCIPAL_USER)
        return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "only users have memberships"));
    list_for(&c, 0, c.who.user_id, "/api/v2/organization-memberships");
}

/* An invitation: the account with this email joins as invited, in the teams named. */
static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct jsonapi_body b = {0};
    const char *email = 0;
    struct user u;
    struct membership m;
    int rc = authz_org_need(&c, org, ORG_MANAGE_MEMBERSHIP);
    if (!rc && (rc = jsonapi_parse(r, "organization-memberships", false, &b)) == 0)
        rc = jsonapi_attr_string(&b, "email", &email, 0);
    if (rc && !c.detail[0]) rc = ctx_fail_body(&c, rc, &b);
    if (!rc && (!email || !*email))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/email", "email is required");
    if (!rc && (!strchr(email, '@') || strlen(email) > 254))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/email", "email must be an address");
    u.id = 0;
    if (!rc && (rc = user_get_by_email(&c, email, &u)) == ERR_NOT_FOUND) {
        rc = 0, u.id = 0; /* invited before it has an account: users/ makes its placeholder */
        c.detail[0] = 0;
    }
    if (!rc && u.id && membership_db_find(&c, org, u.id, &m) == 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/email",
                         "\"%s\" is already a member of the organization", email);
    json_t *teams = json_object_get(json_object_get(b.rels, "teams"), "data");
    if (!rc && teams && !json_is_array(teams))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/teams/data",
                         "teams must be a list of {\"type\": \"teams\", \"id\"}");
    if (!rc) rc = store_begin(c.app->store);
    if (rc) return api_fail(&c, rc);
    if (!u.id) rc = user_get_or_invite(&c, email, &u);
    if (!rc) rc = membership_ensure(&c, org, u.id, &m);
    size_t i;
    json_t *v;
    json_array_foreach(teams, i, v)
    {
        struct team t;
        const char *id = json_string_value(json_object_get(v, "id"));
        if (rc) break;
        rc = id ? team_get(&c, id, &t) : ERR_NOT_FOUND;
        if (!rc && strcmp(t.organization, org) != 0) rc = ERR_NOT_FOUND;
        if (rc == ERR_NOT_FOUND)
            rc = ctx_fail_at(&c, ERR_INVALID, "/data/relationships/teams/data",
                             "team %s not found in this organization", id ? id : "(no id)");
        if (!rc && strcmp(t.name, "owners") == 0) rc = authz_org_need(&c, org, ORG_OWNER);
        if (!rc) rc = team_db_add_member(&c, t.id, u.id);
    }
    if (rc) {
        store_rollback(c.app->store);
        return api_fail(&c, rc);
    }
    if (!(rc = store_commit(c.app->store))) rc = membership_db_get(&c, m.id, &m);
    const char *warning = 0;
    /* the invitation is made: its e-mail failing does not undo it */
    if (!rc && invited_hook && invited_hook(&c, org, m.email, &warning))
        warning = "the invitation e-mail was not sent (storage error)";
    if (rc) return api_fail(&c, rc);
    respond_warning(&c, 201, &m, warning);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct membership m;
    int rc = load(&c, http_req_param(r, "id"), &m);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &m);
}

/* ERR_FORBIDDEN unless the caller is an owner, when m's user is in the owners team. */
static int need_owner_for(struct ctx *c, const struct membership *m)
{
    const char *owners;
    bool in = false;
    int rc = team_db_owners(c, m->organization, &owners);
    if (!rc) rc = team_db_is_member(c, owners, m->user_id, &in);
    return rc || !in ? rc : authz_org_need(c, m->organization, ORG_OWNER);
}

/* Removes a user from the organization: those who manage membership, or the user leaving. */
static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct membership m;
    int rc = load(&c, http_req_param(r, "id"), &m);
    if (!rc && !own(&c, &m)) rc = authz_org_need(&c, m.organization, ORG_MANAGE_MEMBERSHIP);
    /* removing an owner changes the owners team: only owners do that (one may leave) */
    if (!rc && !own(&c, &m)) rc = need_owner_for(&c, &m);
    if (!rc) rc = store_begin(c.app->store);
    if (rc) return api_fail(&c, rc);
    rc = membership_db_delete(&c, &m);
    if (!rc) rc = team_check_owners_kept(&c, m.organization);
    if (!rc) rc = audit_record(&c, m.organization, "organization-membership", m.id, "destroy");
    if (rc) {
        store_rollback(c.app->store);
        return api_fail(&c, rc);
    }
    if ((rc = store_commit(c.app->store))) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

/* The invited user accepts: the membership becomes active and the user's teams count. */
static void accept(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct membership m;
    int rc = membership_db_get(&c, http_req_param(r, "id"), &m);
    if (!rc && !own(&c, &m)) rc = ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND) rc = ctx_fail(&c, rc, "organization membership not found");
    if (!rc && strcmp(m.status, "invited") != 0)
        rc = ctx_fail(&c, ERR_CONFLICT, "this membership is %s, not invited", m.status);
    if (!rc)
        rc = audit_exec(&c, "UPDATE organization_memberships SET status = 'active' WHERE id = $1",
                        S_ARGS(S_TEXT(m.id)), m.organization, "organization-membership", m.id,
                        "accept");
    if (rc) return api_fail(&c, rc);
    m.status = "active";
    respond(&c, 200, &m);
}

const struct http_route membership_routes[] = {
    {HTTP_M_GET, "/api/v2/organizations/:org/organization-memberships", list, 0, 0},
    /* on the worker pool: the invitation's e-mail may wait on the SMTP server */
    {HTTP_M_POST, "/api/v2/organizations/:org/organization-memberships", create, 0, 0, true},
    {HTTP_M_GET, "/api/v2/organization-memberships", list_own, 0, 0},
    {HTTP_M_GET, "/api/v2/organization-memberships/:id", show, 0, 0},
    {HTTP_M_DELETE, "/api/v2/organization-memberships/:id", destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/organization-memberships/:id/actions/accept", accept, 0, 0},
    {0, 0, 0, 0, 0},
};
