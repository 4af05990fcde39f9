/* team.h — teams of an organization, their members, and organization memberships.
 * Every organization has an "owners" team (everything in the organization; it cannot be renamed,
 * deleted or emptied). Other teams hold the organization access their owners give them and the
 * workspace access given through team access (workspaces/). A user belongs to an organization
 * through a membership: invited (by email) until the user accepts, then active; a user's teams
 * count only while the membership is active (app/authz.c). */
#ifndef STRATA_TEAM_H
#define STRATA_TEAM_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
#include "http/http.h"

#include <jansson.h>

struct team {
    const char *id, *organization, *name, *created_at, *visibility;
    const char *sso_team_id; /* NULL when not set */
    int64_t org_access;      /* ORG_* bits of app/authz.h */
    bool allow_member_token_management;
    int64_t users_count;
};

/* Reads a team the caller may see (its organization's members see "organization" teams; a
 * secret team only its members and those who manage membership); ERR_NOT_FOUND otherwise. */
int team_get(struct ctx *c, const char *id, struct team *out);
/* True when the caller is the team: one of its members, or its token. */
int team_caller_is_member(struct ctx *c, const char *team_id, bool *out);
/* The team as a JSON:API resource (a new reference). */
json_t *team_encode(struct ctx *c, const struct team *t);

/* The organizations/ created hook: makes the owners team and adds the creating user. */
int team_on_org_created(struct ctx *c, const char *org);
/* Called after an invitation is committed (notifications/ e-mails it); *warning, when set, goes
 * in the answer's meta. One hook, set once at start; a second call aborts. */
void membership_on_invited(int (*fn)(struct ctx *c, const char *org, const char *email,
                                     const char **warning));
/* The users/ signed-up hook: an account made for an invited e-mail takes the invitation's place,
 * so its invited memberships become active (TFE's sign-up through the invitation link). */
int team_on_user_signed_up(struct ctx *c, const char *user_id);
/* The organizations rename hook: this domain's rows follow the new name. */
int team_on_org_renamed(struct ctx *c, const char *from, const char *to);

extern const struct http_route team_routes[];
extern const struct http_route membership_routes[];

#endif
