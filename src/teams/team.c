/* team.c — team rules: visibility, the owners team, membership, organization access. */
#include "teams/team_int.h"
#include "app/principal_cache.h"
#include "users/user.h"

#include <ctype.h>

static int not_found(struct ctx *c)
{
    return ctx_fail(c, ERR_NOT_FOUND, "team not found");
}

int team_caller_is_member(struct ctx *c, const char *team_id, bool *out)
{
    *out = false;
    if (c->who.kind == PRINCIPAL_TEAM) {
        *out = strcmp(c->who.team_id, team_id) == 0;
        return 0;
    }
    if (c->who.kind != PRINCIPAL_USER) return 0;
    return team_db_is_member(c, team_id, c->who.user_id, out);
}

int team_get(struct ctx *c, const char *id, struct team *out)
{
    struct rights r = {0};
    bool member = false;
    int rc = team_db_get(c, id, out);
    if (!rc) rc = authz_rights(c, out->organization, 0, &r);
    if (!rc && !r.member) rc = ERR_NOT_FOUND;
    if (!rc && strcmp(out->visibility, "secret") == 0 && !(r.org & ORG_MANAGE_MEMBERSHIP)) {
        rc = team_caller_is_member(c, id, &member);
        if (!rc && !member) rc = ERR_NOT_FOUND;
    }
    return rc == ERR_NOT_FOUND ? not_found(c) : rc;
}

int team_on_org_created(struct ctx *c, const char *org)
{
    struct team t = {.id = codec_new_id(c->a, "team"),
                     .organization = org,
                     .name = "owners",
                     .created_at = codec_now_iso(c->a),
                     .visibility = "secret",
                     .allow_member_token_management = true};
    int rc = team_db_insert(c, &t);
    if (rc || c->who.kind != PRINCIPAL_USER) return rc;
    struct membership m = {.id = codec_new_id(c->a, "ou"),
                           .organization = org,
                           .user_id = c->who.user_id,
                           .status = "active",
                           .created_at = t.created_at};
    rc = membership_db_insert(c, &m);
    return rc ? rc : team_db_add_member(c, t.id, c->who.user_id);
}

int team_on_org_renamed(struct ctx *c, const char *from, const char *to)
{
    int rc = store_exec(c->app->store, "UPDATE teams SET organization = $2 WHERE organization = $1",
                        S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
    if (rc) return rc;
    return store_exec(
        c->app->store,
        "UPDATE organization_memberships SET organization = $2 WHERE organization = $1",
        S_ARGS(S_TEXT(from), S_TEXT(to)), 0);
}

int team_on_user_signed_up(struct ctx *c, const char *user_id)
{
    return membership_db_activate_all(c, user_id);
}

int membership_ensure(struct ctx *c, const char *org, const char *user_id, struct membership *out)
{
    int rc = membership_db_find(c, org, user_id, out);
    if (rc != ERR_NOT_FOUND) return rc;
    *out = (struct membership){.id = codec_new_id(c->a, "ou"),
                               .organization = org,
                               .user_id = user_id,
                               .status = "invited",
                               .created_at = codec_now_iso(c->a)};
    rc = membership_db_insert(c, out);
    return rc ? rc : audit_record(c, org, "organization-membership", out->id, "create");
}

int team_check_owners_kept(struct ctx *c, const char *org)
{
    const char *owners;
    int64_t n = 0;
    int rc = team_db_owners(c, org, &owners);
    if (!rc) rc = team_db_count_members(c, owners, &n);
    if (!rc && n == 0)
        rc = ctx_fail(c, ERR_INVALID,
                      "the owners team must keep at least one active member: the organization "
                      "would have no owner");
    return rc;
}
