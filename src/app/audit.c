/* audit.c — rows of the audit trail, written in the caller's transaction. */
#include "app/audit.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "http/http.h"
#include "store/store.h"

/* The accessor as TFE's audit trail names it: kind, id and a readable name. */
static void accessor(const struct ctx *c, const char **kind, const char **id, const char **name)
{
    switch (c->who.kind) {
    case PRINCIPAL_USER:
        *kind = "user", *id = c->who.user_id, *name = c->who.username;
        break;
    case PRINCIPAL_TEAM:
        *kind = "team", *id = c->who.team_id, *name = c->who.org;
        break;
    case PRINCIPAL_ORG:
        *kind = "organization", *id = c->who.org, *name = c->who.org;
        break;
    case PRINCIPAL_RUN:
        *kind = "run", *id = c->who.run_id, *name = c->who.workspace_id;
        break;
    case PRINCIPAL_SYSTEM:
        *kind = "system", *id = 0, *name = "strata";
        break;
    default:
        *kind = "anonymous", *id = 0, *name = 0;
        break;
    }
}

int audit_record(struct ctx *c, const char *org, const char *type, const char *id,
                 const char *action)
{
    const char *kind, *who, *name, *addr = 0, *request = 0;
    accessor(c, &kind, &who, &name);
    if (c->req) {
        /* behind a balancer the peer is the balancer: keep what it says it forwarded too */
        const char *fwd = http_req_header(c->req, "X-Forwarded-For");
        addr = http_req_remote(c->req);
        if (fwd && *fwd) addr = arena_printf(c->a, "%s via %s", fwd, addr);
        request = http_req_id(c->req);
    }
    return store_exec(c->app->store,
                      "INSERT INTO audit_events (id, organization, at, accessor_kind, accessor_id, "
                      "accessor_name, remote_addr, request_id, resource_type, resource_id, action) "
                      "VALUES ($1, (SELECT external_id FROM organizations WHERE name = $2), $3, "
                      "$4, $5, $6, $7, $8, $9, $10, $11)",
                      S_ARGS(S_TEXT(codec_new_id(c->a, "ae")), S_TEXT(org),
                             S_TEXT(codec_now_iso(c->a)), S_TEXT(kind), S_TEXT(who), S_TEXT(name),
                             S_TEXT(addr), S_TEXT(request), S_TEXT(type), S_TEXT(id),
                             S_TEXT(action)),
                      0);
}

int audit_end(struct ctx *c, int rc, const char *org, const char *type, const char *id,
              const char *action)
{
    if (!rc) rc = audit_record(c, org, type, id, action);
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int audit_exec(struct ctx *c, const char *sql, const struct store_arg *args, size_t nargs,
               const char *org, const char *type, const char *id, const char *action)
{
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    int64_t changed = 0;
    rc = store_exec(c->app->store, sql, args, nargs, &changed);
    if (!rc && !changed) rc = ERR_NOT_FOUND;
    return audit_end(c, rc, org, type, id, action);
}
