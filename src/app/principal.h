/* principal.h — who is calling: a user (by a user token), an organization token or a team
 * token. Strings are arena memory of the request. */
#ifndef STRATA_PRINCIPAL_H
#define STRATA_PRINCIPAL_H

#include <stdbool.h>

enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_USER, PRINCIPAL_ORG, PRINCIPAL_TEAM };

struct principal {
    enum principal_kind kind;
    const char *token_id;
    const char *user_id;  /* PRINCIPAL_USER */
    const char *username; /* PRINCIPAL_USER */
    bool site_admin;      /* PRINCIPAL_USER */
    const char *org;      /* PRINCIPAL_ORG and PRINCIPAL_TEAM: the one organization reachable */
    const char *team_id;  /* PRINCIPAL_TEAM */
};

#endif
