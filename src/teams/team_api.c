/* team_api.c — TFE API: Teams and Team Membership
 * (developer.hashicorp.com/terraform/enterprise/api-docs/teams, .../team-members). */
#include "teams/team_int.h"
#include "app/include.h"
#include "app/principal_cache.h"
#include "jsonapi/jsonapi.h"
#include "users/user.h"

#include <ctype.h>

static const char *const includes[] = {"users", "organization-memberships", 0};

static bool is_owners(const struct team *t)
{
    return strcmp(t->name, "owners") == 0;
}

static json_t *id_list(const char *type, const char **ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "type", type, "id", ids[i]));
    return json_pack("{s:o}", "data", a);
}

json_t *team_encode(struct ctx *c, const struct team *t)
{
    struct rights r = {0};
    bool member = false;
    authz_rights(c, t->organization, 0, &r); /* on a database error every permission is false */
    team_caller_is_member(c, t->id, &member);
    bool manage = (r.org & ORG_MANAGE_MEMBERSHIP) != 0, owner = (r.org & ORG_OWNER) != 0;
    json_t *access = json_object();
    for (size_t i = 0; authz_org_flags[i].name; i++)
        json_object_set_new(access, authz_org_flags[i].name,
                            json_boolean(is_owners(t) || (t->org_access & authz_org_flags[i].bit)));
    json_t *perms = json_pack(
        "{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "can-update-membership", manage, "can-destroy",
        manage && !is_owners(t), "can-update-organization-access", owner && !is_owners(t),
        "can-update-api-token", manage || (member && t->allow_member_token_management),
        "can-update-visibility", manage, "can-update-name", manage && !is_owners(t),
        "can-update-sso-team-id", owner, "can-update-member-token-management", owner);
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:I}", "name", t->name, "visibility",
                  t->visibility, "created-at", t->created_at, "sso-team-id",
                  t->sso_team_id ? json_string(t->sso_team_id) : json_null(), "organization-access",
                  access, "permissions", perms, "allow-member-token-management",
                  t->allow_member_token_management, "users-count", (json_int_t)t->users_count);
    const char **users = 0, **memberships = 0;
    size_t nu = 0, nm = 0;
    team_db_member_ids(c, t->id, false, &users, &nu);
    team_db_member_ids(c, t->id, true, &memberships, &nm);
    json_t *rels = json_pack("{s:o, s:o, s:o}", "organization",
                             jsonapi_rel_new("organizations", t->organization), "users",
                             id_list("users", users, nu), "organization-memberships",
                             id_list("organization-memberships", memberships, nm));
    return jsonapi_resource_new("teams", t->id, attrs, rels,
                                arena_printf(c->a, "/api/v2/teams/%s", t->id));
}

/* Adds the users and memberships inc asks for. */
static int include_members(struct ctx *c, const struct team *t, struct include *inc)
{
    const char **ids;
    size_t n;
    int rc = 0;
    if (include_wants(inc, "users") && !(rc = team_db_member_ids(c, t->id, false, &ids, &n)))
        for (size_t i = 0; !rc && i < n; i++) {
            struct user u;
            if (include_has(inc, "users", ids[i])) continue;
            if (!(rc = user_get(c, ids[i], &u))) include_add(inc, user_encode(c, &u));
        }
    if (!rc && include_wants(inc, "organization-memberships") &&
        !(rc = team_db_member_ids(c, t->id, true, &ids, &n)))
        for (size_t i = 0; !rc && i < n; i++) {
            struct membership m;
            if (include_has(inc, "organization-memberships", ids[i])) continue;
            if (!(rc = membership_db_get(c, ids[i], &m)))
                include_add(inc, membership_encode(c, &m));
        }
    return rc;
}

static void respond(struct ctx *c, int status, const struct team *t)
{
    struct include *inc = 0;
    int rc = include_parse(c, includes, &inc);
    if (!rc) rc = include_members(c, t, inc);
    if (rc) return api_fail(c, rc);
    json_t *doc = jsonapi_doc_new(team_encode(c, t));
    include_finish(inc, doc);
    jsonapi_respond(c->req, status, doc);
}

/* TFE takes any printable name ("foo bar"), unique per organization; control characters would
 * only forge lines in logs and listings. */
static bool team_name_valid(const char *name)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) return false;
        chars += (*p & 0xC0) != 0x80; /* UTF-8: count lead bytes only */
    }
    return chars > 0 && chars <= 90;
}

/* Reads the attributes a caller may set into t; *access_given when organization-access was. */
static int read_attrs(struct ctx *c, struct team *t, bool *access_given)
{
    struct jsonapi_body b;
    int rc = jsonapi_parse(c->req, "teams", false, &b);
    if (!rc) rc = jsonapi_attr_string(&b, "name", &t->name, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "visibility", &t->visibility, 0);
    if (!rc) rc = jsonapi_attr_string(&b, "sso-team-id", &t->sso_team_id, 0);
    if (!rc)
        rc = jsonapi_attr_bool(&b, "allow-member-token-management",
                               &t->allow_member_token_management, 0);
    if (rc) return ctx_fail_body(c, rc, &b);
    json_t *access = json_object_get(b.attrs, "organization-access");
    *access_given = access && !json_is_null(access);
    if (*access_given && !json_is_object(access))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/organization-access",
                           "organization-access must be an object of booleans");
    const char *key;
    json_t *v;
    json_object_foreach(access, key, v)
    {
        size_t i = 0;
        while (authz_org_flags[i].name && strcmp(authz_org_flags[i].name, key) != 0)
            i++;
        const char *at = arena_printf(c->a, "/data/attributes/organization-access/%s", key);
        if (!authz_org_flags[i].name)
            return ctx_fail_at(c, ERR_INVALID, at, "unknown organization permission \"%s\"", key);
        if (json_is_null(v)) continue;
        if (!json_is_boolean(v))
            return ctx_fail_at(c, ERR_INVALID, at, "%s must be a boolean", key);
        if (json_is_true(v))
            t->org_access |= authz_org_flags[i].bit;
        else
            t->org_access &= ~authz_org_flags[i].bit;
    }
    if (!t->name || !team_name_valid(t->name))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name",
                           "name must be 1-90 printable characters");
    if (strcmp(t->visibility, "secret") && strcmp(t->visibility, "organization"))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/visibility",
                           "visibility must be \"secret\" or \"organization\"");
    return 0;
}

static int name_taken(struct ctx *c, int rc)
{
    if (rc == ERR_CONFLICT)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    return rc;
}

static void create(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct team t = {
        .organization = org, .visibility = "secret", .allow_member_token_management = true};
    bool access_given;
    int rc = authz_org_need(&c, org, ORG_MANAGE_MEMBERSHIP);
    if (!rc) rc = read_attrs(&c, &t, &access_given);
    if (!rc && access_given && t.org_access) rc = authz_org_need(&c, org, ORG_OWNER);
    if (!rc && strcmp(t.name, "owners") == 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    if (!rc) {
        t.id = codec_new_id(c.a, "team");
        t.created_at = codec_now_iso(c.a);
        if (!(rc = store_begin(c.app->store))) {
            rc = name_taken(&c, team_db_insert(&c, &t));
            rc = audit_end(&c, rc, org, "team", t.id, "create");
        }
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, 201, &t);
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team t;
    int rc = team_get(&c, http_req_param(r, "id"), &t);
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &t);
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team t;
    bool access_given = false;
    int rc = team_get(&c, http_req_param(r, "id"), &t);
    /* the owners team (its visibility too) is the owners' to change */
    if (!rc)
        rc = authz_org_need(&c, t.organization, is_owners(&t) ? ORG_OWNER : ORG_MANAGE_MEMBERSHIP);
    const char *name = rc ? 0 : t.name;
    int64_t access = rc ? 0 : t.org_access;
    bool owners = !rc && is_owners(&t);
    if (!rc) rc = read_attrs(&c, &t, &access_given);
    if (!rc && access != t.org_access) rc = authz_org_need(&c, t.organization, ORG_OWNER);
    if (!rc && owners && (strcmp(name, t.name) != 0 || t.org_access))
        rc = ctx_fail(&c, ERR_INVALID,
                      "the owners team cannot be renamed and holds every permission already");
    if (!rc && strcmp(name, t.name) != 0 && strcmp(t.name, "owners") == 0)
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = name_taken(&c, team_db_update(&c, &t));
        rc = audit_end(&c, rc, t.organization, "team", t.id, "update");
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, 200, &t);
}

static void destroy(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team t;
    int rc = team_get(&c, http_req_param(r, "id"), &t);
    if (!rc) rc = authz_org_need(&c, t.organization, ORG_MANAGE_MEMBERSHIP);
    if (!rc && is_owners(&t)) rc = ctx_fail(&c, ERR_INVALID, "the owners team cannot be deleted");
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = team_db_delete(&c, t.id);
        rc = audit_end(&c, rc, t.organization, "team", t.id, "destroy");
    }
    if (rc) return api_fail(&c, rc);
    principal_cache_invalidate(c.app); /* the team's token went with it */
    http_respond(r, 204, 0, 0, 0);
}

static void list(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *org = http_req_param(r, "org");
    struct rights caller;
    struct page p;
    struct team *ts;
    size_t n = 0;
    int64_t total = 0;
    struct include *inc = 0;
    int rc = authz_rights(&c, org, 0, &caller);
    if (!rc && !caller.member)
        rc = ctx_fail(&c, ERR_NOT_FOUND, "organization \"%s\" not found", org);
    struct team_filter f = {.names = http_req_query(r, "filter[names]"),
                            .q = http_req_query(r, "q"),
                            .all_visible = (caller.org & ORG_MANAGE_MEMBERSHIP) != 0,
                            .member_user_id = c.who.user_id,
                            .member_team_id = c.who.team_id};
    if (!rc) rc = page_parse(&c, &p);
    if (!rc) rc = include_parse(&c, includes, &inc);
    if (!rc) rc = team_db_list(&c, org, &f, &p, &ts, &n, &total);
    for (size_t i = 0; !rc && i < n; i++)
        rc = include_members(&c, &ts[i], inc);
    if (rc) return api_fail(&c, rc);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, team_encode(&c, &ts[i]));
    json_t *doc = jsonapi_doc_new(data);
    include_finish(inc, doc);
    page_annotate(&c, doc, arena_printf(c.a, "/api/v2/organizations/%s/teams", org), &p, total);
    jsonapi_respond(r, 200, doc);
}

/* The ids a relationship change names: data is a list of {type, id} of want_type. */
static int read_ids(struct ctx *c, const char *want_type, const char ***ids, size_t *n)
{
    size_t len;
    const char *body = http_req_body(c->req, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    json_t *data = json_object_get(doc, "data");
    int rc = 0;
    if (!json_is_array(data) || json_array_size(data) == 0 || json_array_size(data) > 100)
        rc = ctx_fail_at(c, ERR_BAD_REQUEST, "/data",
                         "data must be a list of 1 to 100 {\"type\": \"%s\", \"id\"}", want_type);
    *ids = arena_alloc(c->a, (json_array_size(data) + 1) * sizeof **ids);
    *n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(data, i, v)
    {
        if (rc) break;
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *id = json_string_value(json_object_get(v, "id"));
        if (!id || !*id || (type && strcmp(type, want_type) != 0))
            rc = ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/%zu", i),
                             "each item needs the type \"%s\" and an id", want_type);
        else
            (*ids)[(*n)++] = arena_strdup(c->a, id);
    }
    json_decref(doc);
    return rc;
}

/* Adds or removes members named by username (users) or by membership id. */
static void change_members(struct http_request *r, void *app, bool by_membership, bool add)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    struct team t;
    const char **ids;
    size_t n = 0;
    int rc = team_get(&c, http_req_param(r, "id"), &t);
    /* the owners team holds everything: only owners change who is in it */
    if (!rc)
        rc = authz_org_need(&c, t.organization, is_owners(&t) ? ORG_OWNER : ORG_MANAGE_MEMBERSHIP);
    if (!rc) rc = read_ids(&c, by_membership ? "organization-memberships" : "users", &ids, &n);
    if (!rc) rc = store_begin(c.app->store);
    if (rc) return api_fail(&c, rc);
    for (size_t i = 0; !rc && i < n; i++) {
        struct membership m;
        const char *user_id = 0;
        if (by_membership) {
            rc = membership_db_get(&c, ids[i], &m);
            if (!rc && strcmp(m.organization, t.organization) != 0) rc = ERR_NOT_FOUND;
            if (rc == ERR_NOT_FOUND)
                rc = ctx_fail(&c, rc, "organization membership %s not found", ids[i]);
            user_id = rc ? 0 : m.user_id;
        } else {
            struct user u;
            rc = user_get_by_username(&c, ids[i], &u);
            user_id = rc ? 0 : u.id;
            /* a user not yet in the organization is invited to it */
            if (!rc && add) rc = membership_ensure(&c, t.organization, u.id, &m);
        }
        if (!rc)
            rc = add ? team_db_add_member(&c, t.id, user_id)
                     : team_db_remove_member(&c, t.id, user_id);
    }
    if (!rc && !add && is_owners(&t)) rc = team_check_owners_kept(&c, t.organization);
    if (!rc)
        rc = audit_record(&c, t.organization, "team", t.id, add ? "add-members" : "remove-members");
    if (rc) {
        store_rollback(c.app->store);
        return api_fail(&c, rc);
    }
    if ((rc = store_commit(c.app->store))) return api_fail(&c, rc);
    http_respond(r, 204, 0, 0, 0);
}

static void users_add(struct http_request *r, void *app)
{
    change_members(r, app, false, true);
}

static void users_remove(struct http_request *r, void *app)
{
    change_members(r, app, false, false);
}

static void memberships_add(struct http_request *r, void *app)
{
    change_members(r, app, true, true);
}

static void memberships_remove(struct http_request *r, void *app)
{
    change_members(r, app, true, false);
}

const struct http_route team_routes[] = {
    {HTTP_M_GET, "/api/v2/organizations/:org/teams", list, 0, 0},
    {HTTP_M_POST, "/api/v2/organizations/:org/teams", create, 0, 0},
    {HTTP_M_GET, "/api/v2/teams/:id", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/teams/:id", update, 0, 0},
    {HTTP_M_DELETE, "/api/v2/teams/:id", destroy, 0, 0},
    {HTTP_M_POST, "/api/v2/teams/:id/relationships/users", users_add, 0, 0},
    {HTTP_M_DELETE, "/api/v2/teams/:id/relationships/users", users_remove, 0, 0},
    {HTTP_M_POST, "/api/v2/teams/:id/relationships/organization-memberships", memberships_add, 0,
     0},
    {HTTP_M_DELETE, "/api/v2/teams/:id/relationships/organization-memberships", memberships_remove,
     0, 0},
    {0, 0, 0, 0, 0},
};
