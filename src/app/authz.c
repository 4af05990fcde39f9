/* authz.c — the permission check: the role table, and a caller's rights from its teams. */
#include "app/authz.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#include <string.h>

#define READ_ROLE (WS_READ | WS_READ_RUNS | WS_READ_VARS | WS_READ_OUTPUTS | WS_READ_STATE)
#define PLAN_ROLE (READ_ROLE | WS_QUEUE_PLAN)
#define WRITE_ROLE                                                                                 \
    (PLAN_ROLE | WS_QUEUE_APPLY | WS_WRITE_VARS | WS_WRITE_STATE | WS_MOCKS | WS_LOCK)
#define ADMIN_ROLE WS_ALL

/* The fixed levels of team access (TFE's "workspace permissions" table). */
static const struct {
    const char *name;
    int64_t bits;
} roles[] = {
    {"read", READ_ROLE},
    {"plan", PLAN_ROLE},
    {"write", WRITE_ROLE},
    {"admin", ADMIN_ROLE},
};

/* An organization token manages everything but may not start runs. */
#define ORG_TOKEN_WS (WS_ALL & ~(WS_QUEUE_PLAN | WS_QUEUE_APPLY))
/* A run's token (TFE's per-run token): its own workspace's settings, variables and state, read
 * and, in the apply phase, written (the run holds the lock); another workspace's state only when
 * that one shares it (remote state sharing). api.c keeps the token to the routes a run calls. */
#define RUN_TOKEN_WS (WS_READ | WS_READ_VARS | WS_READ_OUTPUTS | WS_READ_STATE | WS_WRITE_STATE)
#define RUN_TOKEN_SHARED_WS (WS_READ | WS_READ_OUTPUTS | WS_READ_STATE)

static int (*state_shared)(struct ctx *, const char *, const char *, bool *);

void authz_on_state_sharing(int (*fn)(struct ctx *c, const char *workspace_id,
                                      const char *consumer_id, bool *shared))
{
    state_shared = fn;
}

const struct authz_org_flag authz_org_flags[] = {
    {"manage-policies", ORG_MANAGE_POLICIES},
    {"manage-policy-overrides", ORG_MANAGE_POLICY_OVERRIDES},
    {"manage-workspaces", ORG_MANAGE_WORKSPACES},
    {"manage-vcs-settings", ORG_MANAGE_VCS_SETTINGS},
    {"manage-providers", ORG_MANAGE_PROVIDERS},
    {"manage-modules", ORG_MANAGE_MODULES},
    {"manage-run-tasks", ORG_MANAGE_RUN_TASKS},
    {"manage-projects", ORG_MANAGE_PROJECTS},
    {"read-workspaces", ORG_READ_WORKSPACES},
    {"read-projects", ORG_READ_PROJECTS},
    {"manage-membership", ORG_MANAGE_MEMBERSHIP},
    {0, 0},
};

int64_t authz_role_bits(const char *access)
{
    for (size_t i = 0; access && i < sizeof roles / sizeof *roles; i++)
        if (strcmp(roles[i].name, access) == 0) return roles[i].bits;
    return -1;
}

/* The index of v in a NULL-terminated list, or -1. */
static int pick(const char *v, const char *const *list)
{
    for (int i = 0; v && list[i]; i++)
        if (strcmp(v, list[i]) == 0) return i;
    return -1;
}

int64_t authz_custom_bits(const char *runs, const char *variables, const char *state_versions,
                          const char *sentinel_mocks, bool locking, bool run_tasks,
                          const char **bad)
{
    static const char *const run_v[] = {"read", "plan", "apply", 0};
    static const int64_t run_b[] = {WS_READ_RUNS, WS_READ_RUNS | WS_QUEUE_PLAN,
                                    WS_READ_RUNS | WS_QUEUE_PLAN | WS_QUEUE_APPLY};
    static const char *const var_v[] = {"none", "read", "write", 0};
    static const int64_t var_b[] = {0, WS_READ_VARS, WS_READ_VARS | WS_WRITE_VARS};
    static const char *const state_v[] = {"none", "read-outputs", "read", "write", 0};
    static const int64_t state_b[] = {0, WS_READ_OUTPUTS, WS_READ_OUTPUTS | WS_READ_STATE,
                                      WS_READ_OUTPUTS | WS_READ_STATE | WS_WRITE_STATE};
    static const char *const mock_v[] = {"none", "read", 0};
    int r = pick(runs, run_v), v = pick(variables, var_v), s = pick(state_versions, state_v);
    int m = pick(sentinel_mocks, mock_v);
    *bad = r < 0   ? "runs"
           : v < 0 ? "variables"
           : s < 0 ? "state-versions"
           : m < 0 ? "sentinel-mocks"
                   : 0;
    if (*bad) return -1;
    return WS_READ | run_b[r] | var_b[v] | state_b[s] | (m ? WS_MOCKS : 0) |
           (locking ? WS_LOCK : 0) | (run_tasks ? WS_RUN_TASKS : 0);
}

bool authz_site_admin(const struct ctx *c)
{
    return c->who.kind == PRINCIPAL_USER && c->who.site_admin;
}

/* What one team grants: its organization access, and its access to the workspace asked about
 * (columns 2.. of the row, NULL when it has none). */
static void add_team(struct rights *out, const struct store_result *res, size_t i)
{
    const char *name = store_cell(res, i, 0);
    if (!name) return; /* a member in no team of this organization */
    if (strcmp(name, "owners") == 0) {
        out->org = ORG_ALL;
        out->ws = WS_ALL;
        return;
    }
    int64_t org = store_cell_int(res, i, 1) & ORG_TEAM_BITS;
    out->org |= org;
    if (org & ORG_MANAGE_WORKSPACES) out->ws |= WS_ALL;
    if (org & ORG_READ_WORKSPACES) out->ws |= READ_ROLE;
    const char *access = store_cell(res, i, 2);
    if (!access) return;
    int64_t bits = authz_role_bits(access);
    if (bits < 0) {
        const char *bad;
        bits = authz_custom_bits(store_cell(res, i, 3), store_cell(res, i, 4),
                                 store_cell(res, i, 5), store_cell(res, i, 6),
                                 store_cell_bool(res, i, 7), store_cell_bool(res, i, 8), &bad);
    }
    if (bits > 0) out->ws |= bits;
}

#define TEAM_COLS                                                                                  \
    "t.name, t.org_access, a.access, a.runs, a.variables, a.state_versions, a.sentinel_mocks, "    \
    "a.workspace_locking, a.run_tasks "

int authz_rights(struct ctx *c, const char *org, const char *workspace_id, struct rights *out)
{
    memset(out, 0, sizeof *out);
    const char *ws = workspace_id ? workspace_id : "";
    struct store_result res;
    int rc;
    switch (c->who.kind) {
    case PRINCIPAL_USER:
        if (c->who.site_admin) {
            /* every right, in an organization that exists: a missing parent is 404 before any
             * insert (the other principals are members of existing organizations only) */
            rc = store_query(c->app->store, c->a, "SELECT 1 FROM organizations WHERE name = $1",
                             S_ARGS(S_TEXT(org)), &res);
            if (!rc && res.nrows) *out = (struct rights){true, ORG_ALL, WS_ALL};
            return rc;
        }
        rc = store_query(
            c->app->store, c->a,
            "SELECT " TEAM_COLS "FROM organization_memberships om "
            "LEFT JOIN team_members m ON m.user_id = om.user_id "
            "LEFT JOIN teams t ON t.id = m.team_id AND t.organization = om.organization "
            "LEFT JOIN team_access a ON a.team_id = t.id AND a.workspace_id = $3 "
            "WHERE om.user_id = $1 AND om.organization = $2 AND om.status = 'active'",
            S_ARGS(S_TEXT(c->who.user_id), S_TEXT(org), S_TEXT(ws)), &res);
        if (rc) return rc;
        out->member = res.nrows > 0;
        for (size_t i = 0; i < res.nrows; i++)
            add_team(out, &res, i);
        break;
    case PRINCIPAL_TEAM:
        if (strcmp(c->who.org, org) != 0) return 0;
        rc = store_query(c->app->store, c->a,
                         "SELECT " TEAM_COLS "FROM teams t "
                         "LEFT JOIN team_access a ON a.team_id = t.id AND a.workspace_id = $2 "
                         "WHERE t.id = $1",
                         S_ARGS(S_TEXT(c->who.team_id), S_TEXT(ws)), &res);
        if (rc) return rc;
        out->member = res.nrows > 0;
        if (res.nrows) add_team(out, &res, 0);
        break;
    case PRINCIPAL_ORG:
        if (strcmp(c->who.org, org) == 0) *out = (struct rights){true, ORG_ALL, ORG_TOKEN_WS};
        break;
    case PRINCIPAL_SYSTEM:
        if (strcmp(c->who.org, org) == 0) *out = (struct rights){true, ORG_ALL, WS_ALL};
        break;
    case PRINCIPAL_RUN: {
        if (strcmp(c->who.org, org) != 0) return 0;
        out->member = true;
        bool own = workspace_id && strcmp(workspace_id, c->who.workspace_id) == 0, shared = false;
        if (workspace_id && !own && state_shared &&
            (rc = state_shared(c, workspace_id, c->who.workspace_id, &shared)))
            return rc;
        out->ws = own ? RUN_TOKEN_WS : shared ? RUN_TOKEN_SHARED_WS : 0;
        /* state is written by an apply only: a plan's token holds code that whoever may only
         * queue plans chose (a provider, an external data source), and terraform writes no
         * state in a plan */
        if (own && (rc = store_query(c->app->store, c->a,
                                     "SELECT 1 FROM runs WHERE id = $1 AND status = 'applying'",
                                     S_ARGS(S_TEXT(c->who.run_id)), &res)))
            return rc;
        if (own && !res.nrows) out->ws &= ~WS_WRITE_STATE;
        break;
    }
    default:
        break;
    }
    /* any access to a workspace lets its holder see it */
    if (out->ws) out->ws |= WS_READ;
    return 0;
}

int authz_org(struct ctx *c, const char *org)
{
    struct rights r;
    int rc = authz_rights(c, org, 0, &r);
    if (rc) return rc;
    return r.member ? 0 : ERR_NOT_FOUND;
}

int authz_org_need(struct ctx *c, const char *org, int64_t need)
{
    struct rights r;
    int rc = authz_rights(c, org, 0, &r);
    if (rc) return rc;
    if (!r.member) return ctx_fail(c, ERR_NOT_FOUND, "organization \"%s\" not found", org);
    if ((r.org & need) == need) return 0;
    if (need & ORG_OWNER)
        return ctx_fail(c, ERR_FORBIDDEN, "only the organization's owners may do this");
    for (size_t i = 0; authz_org_flags[i].name; i++)
        if ((need & authz_org_flags[i].bit) && !(r.org & authz_org_flags[i].bit))
            return ctx_fail(c, ERR_FORBIDDEN, "this needs the \"%s\" organization permission",
                            authz_org_flags[i].name);
    return ctx_fail(c, ERR_FORBIDDEN, "not permitted");
}

int authz_ws_need(struct ctx *c, int64_t have, int64_t need)
{
    if (!(have & WS_READ)) return ctx_fail(c, ERR_NOT_FOUND, "workspace not found");
    if ((have & need) == need) return 0;
    return ctx_fail(c, ERR_FORBIDDEN, "your access to this workspace does not permit this");
}

const char *authz_ws_filter(struct ctx *c, const struct rights *r, const char *col, int param,
                            const char **arg)
{
    *arg = 0;
    if (r->ws & WS_READ) return 0;
    switch (c->who.kind) {
    case PRINCIPAL_USER:
        *arg = c->who.user_id;
        return arena_printf(c->a,
                            "%s IN (SELECT a.workspace_id FROM team_access a JOIN team_members m "
                            "ON m.team_id = a.team_id WHERE m.user_id = $%d)",
                            col, param);
    case PRINCIPAL_TEAM:
        *arg = c->who.team_id;
        return arena_printf(
            c->a, "%s IN (SELECT workspace_id FROM team_access WHERE team_id = $%d)", col, param);
    case PRINCIPAL_RUN:
        *arg = c->who.workspace_id;
        return arena_printf(c->a, "%s = $%d", col, param);
    default:
        return "1 = 0";
    }
}
