/* team_int.h — private to teams/. */
#ifndef STRATA_TEAM_INT_H
#define STRATA_TEAM_INT_H

#include "app/api.h"
#include "app/audit.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "store/store.h"
#include "teams/team.h"

#include <string.h>

/* A user's membership of an organization, with the user's email. */
struct membership {
    const char *id, *organization, *user_id, *status, *created_at, *email;
};

/* Which teams a listing shows: those named (a comma-separated list) or matching q, and of
 * those only visible ones unless all_visible (the caller manages membership). */
struct team_filter {
    const char *names, *q;
    bool all_visible;
    const char *member_user_id, *member_team_id; /* the caller, to see its own secret teams */
};

int team_db_get(struct ctx *c, const char *id, struct team *out);
int team_db_list(struct ctx *c, const char *org, const struct team_filter *f, const struct page *p,
                 struct team **out, size_t *n, int64_t *total);
int team_db_insert(struct ctx *c, const struct team *t);
int team_db_update(struct ctx *c, const struct team *t);
int team_db_delete(struct ctx *c, const char *id);
/* The ids of the team's members (users), or of their memberships. */
int team_db_member_ids(struct ctx *c, const char *team_id, bool memberships, const char ***ids,
                       size_t *n);
int team_db_is_member(struct ctx *c, const char *team_id, const char *user_id, bool *out);
int team_db_add_member(struct ctx *c, const char *team_id, const char *user_id);
int team_db_remove_member(struct ctx *c, const char *team_id, const char *user_id);
int team_db_count_members(struct ctx *c, const char *team_id, int64_t *n);
/* The owners team of org. */
int team_db_owners(struct ctx *c, const char *org, const char **id);

int membership_db_get(struct ctx *c, const char *id, struct membership *out);
int membership_db_find(struct ctx *c, const char *org, const char *user_id, struct membership *out);
int membership_db_insert(struct ctx *c, const struct membership *m);
/* Every invited membership of the user becomes active. */
int membership_db_activate_all(struct ctx *c, const char *user_id);
/* Deletes the membership and the user's places in the organization's teams. */
int membership_db_delete(struct ctx *c, const struct membership *m);
/* Memberships of org (filter_status, filter_email, q may be NULL), or of a user (org NULL). */
int membership_db_list(struct ctx *c, const char *org, const char *user_id,
                       const char *filter_status, const char *q, const struct page *p,
                       struct membership **out, size_t *n, int64_t *total);
/* The ids of the teams of org where the membership's user is. */
int membership_db_team_ids(struct ctx *c, const struct membership *m, const char ***ids, size_t *n);

/* The membership as a JSON:API resource (a new reference). */
json_t *membership_encode(struct ctx *c, const struct membership *m);

/* Rules shared by the teams and memberships APIs (team.c). */
/* Makes sure user_id has a membership of org (a new one is "invited"); *out filled. */
int membership_ensure(struct ctx *c, const char *org, const char *user_id, struct membership *out);
/* Fails with ERR_INVALID when the owners team of org has no member left (inside a
 * transaction, after the change). */
int team_check_owners_kept(struct ctx *c, const char *org);

#endif
