/* principal.h — who is calling: a user (by a user token), an organization token or a team
 * token. Strings are arena memory of the request. */
#ifndef STRATA_PRINCIPAL_H
#define STRATA_PRINCIPAL_H

#include <stdbool.h>

enum principal_kind {
    PRINCIPAL_NONE,
    PRINCIPAL_USER,
    PRINCIPAL_ORG,
    PRINCIPAL_TEAM,
    PRINCIPAL_RUN,
    PRINCIPAL_SYSTEM /* Strata acting on a workspace's behalf for a credential it checked
                      * (a configuration's upload URL, a run trigger): everything in org */
};

struct principal {
    enum principal_kind kind;
    const char *token_id;
    const char *user_id;  /* PRINCIPAL_USER */
    const char *username; /* PRINCIPAL_USER */
    bool site_admin;      /* PRINCIPAL_USER */
    const char *org;      /* PRINCIPAL_ORG, _TEAM and _RUN: the one organization reachable */
    const char *team_id;  /* PRINCIPAL_TEAM */
    const char *run_id;   /* PRINCIPAL_RUN: a run's short-lived token, scoped to its workspace */
    const char *workspace_id; /* PRINCIPAL_RUN */
};

#endif
