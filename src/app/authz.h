/* authz.h — who may do what: the one permission check every handler goes through.
 *
 * Rights come from TFE's model, driven by the role table in authz.c:
 * - a team's access to a workspace: read, plan, write or admin, or custom (per-permission
 *   values: runs read/plan/apply, variables none/read/write, state versions
 *   none/read-outputs/read/write, sentinel mocks none/read, workspace locking, run tasks);
 * - a team's organization access (ORG_* bits, stored on the team);
 * - the owners team (and its token): everything in the organization;
 * - an organization token: everything but queueing runs (TFE: it "cannot start runs");
 * - a site administrator: everything everywhere;
 * - a run's token: its own workspace's state (read, write), variables and settings;
 *   another workspace's state where remote state sharing allows (authz_on_state_sharing);
 *   api.c keeps it to the routes a run calls.
 * A user's rights are the union over the teams of the organizations where the user's
 * membership is active. Refusals: ERR_NOT_FOUND where the caller may not see the resource
 * (existence is not revealed), ERR_FORBIDDEN where it may see it but not do this. */
#ifndef STRATA_AUTHZ_H
#define STRATA_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;

/* What can be done to a workspace and what is in it. */
enum {
    WS_READ = 1 << 0,        /* see the workspace and its settings */
    WS_READ_RUNS = 1 << 1,   /* runs, plans, applies and their logs; configuration versions */
    WS_QUEUE_PLAN = 1 << 2,  /* queue plans; upload configuration versions */
    WS_QUEUE_APPLY = 1 << 3, /* apply, discard, cancel; queue destroy plans */
    WS_READ_VARS = 1 << 4,   /* variables */
    WS_WRITE_VARS = 1 << 5,
    WS_READ_OUTPUTS = 1 << 6,   /* state version outputs */
    WS_READ_STATE = 1 << 7,     /* state versions and their contents */
    WS_WRITE_STATE = 1 << 8,    /* create state versions */
    WS_MOCKS = 1 << 9,          /* sentinel mocks */
    WS_LOCK = 1 << 10,          /* lock and unlock */
    WS_RUN_TASKS = 1 << 11,     /* manage run tasks */
    WS_UPDATE = 1 << 12,        /* settings, tags */
    WS_DESTROY = 1 << 13,       /* delete the workspace */
    WS_FORCE_UNLOCK = 1 << 14,  /* clear anyone's lock */
    WS_MANAGE_ACCESS = 1 << 15, /* team access to this workspace */
    WS_ALL = (1 << 16) - 1,
};

/* Organization-wide permissions: a team's organization access (stored as these bits, so their
 * values never change) and what owners and organization tokens hold. */
enum {
    ORG_MANAGE_POLICIES = 1 << 0,
    ORG_MANAGE_POLICY_OVERRIDES = 1 << 1,
    ORG_MANAGE_WORKSPACES = 1 << 2, /* create workspaces; admin of every workspace */
    ORG_MANAGE_VCS_SETTINGS = 1 << 3,
    ORG_MANAGE_PROVIDERS = 1 << 4,
    ORG_MANAGE_MODULES = 1 << 5,
    ORG_MANAGE_RUN_TASKS = 1 << 6,
    ORG_MANAGE_PROJECTS = 1 << 7,
    ORG_READ_WORKSPACES = 1 << 8, /* read every workspace */
    ORG_READ_PROJECTS = 1 << 9,
    ORG_MANAGE_MEMBERSHIP = 1 << 10, /* teams, their members, invitations */
    ORG_TEAM_BITS = (1 << 11) - 1,
    ORG_OWNER = 1 << 11, /* organization settings, tokens and deletion; the audit trail */
    ORG_ALL = (1 << 12) - 1,
};

/* The organization access attributes of a team, in TFE's names, and their bits. */
struct authz_org_flag {
    const char *name;
    int64_t bit;
};
extern const struct authz_org_flag authz_org_flags[];

/* What the caller holds in one organization; member is false when it holds nothing there. */
struct rights {
    bool member;
    int64_t org; /* ORG_* */
    int64_t ws;  /* WS_*: for the workspace asked about, or what every workspace grants */
};

/* The caller's rights in org (workspace_id NULL: the organization only, ws holding what it
 * grants on every workspace). Costs one query at most. */
int authz_rights(struct ctx *c, const char *org, const char *workspace_id, struct rights *out);

/* 0 when the caller is a member of org (or a site admin), ERR_NOT_FOUND otherwise. */
int authz_org(struct ctx *c, const char *org);
/* 0 when the caller may do all of need (ORG_*) in org; ERR_NOT_FOUND when it is no member,
 * ERR_FORBIDDEN otherwise (with a detail saying what is missing). */
int authz_org_need(struct ctx *c, const char *org, int64_t need);
/* The check on rights already computed: 0 when have holds all of need (WS_*), ERR_FORBIDDEN
 * otherwise; ERR_NOT_FOUND when have lacks WS_READ. */
int authz_ws_need(struct ctx *c, int64_t have, int64_t need);

/* A role of team access ("read", "plan", "write", "admin") as WS_* bits; -1 when unknown. */
int64_t authz_role_bits(const char *access);
/* Custom access: TFE's per-permission values as WS_* bits; -1 with *bad set to the attribute
 * when a value is not one TFE allows. */
int64_t authz_custom_bits(const char *runs, const char *variables, const char *state_versions,
                          const char *sentinel_mocks, bool locking, bool run_tasks,
                          const char **bad);

/* A SQL condition keeping the workspaces (column col, an id) the caller may read in an
 * organization where it holds r, with its parameter at $param (the user or team id) or none;
 * arena memory. NULL when every workspace is readable. */
const char *authz_ws_filter(struct ctx *c, const struct rights *r, const char *col, int param,
                            const char **arg);

/* Remote state sharing, set at start by workspaces/: *shared is true when runs of workspace
 * consumer_id may read the state of workspace_id (same organization, and global-remote-state
 * or consumer_id among its remote-state-consumers). Without it nothing is shared. */
void authz_on_state_sharing(int (*fn)(struct ctx *c, const char *workspace_id,
                                      const char *consumer_id, bool *shared));

/* True for a site administrator's user token. */
bool authz_site_admin(const struct ctx *c);

#endif
