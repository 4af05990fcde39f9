/* team.h — teams of an organization. Every organization has an "owners" team; its members may
 * do everything in the organization (finer team permissions come later). */
#ifndef STRATA_TEAM_H
#define STRATA_TEAM_H

struct ctx;
#include "http/http.h"

struct team {
    const char *id, *organization, *name, *created_at;
};

/* Reads a team whose organization the caller may see; ERR_NOT_FOUND otherwise. */
int team_get(struct ctx *c, const char *id, struct team *out);
/* The organizations/ created hook: makes the owners team and adds the creating user. */
int team_on_org_created(struct ctx *c, const char *org);

/* The organizations rename hook: this domain's rows follow the new name. */
int team_on_org_renamed(struct ctx *c, const char *from, const char *to);
extern const struct http_route team_routes[];

#endif
