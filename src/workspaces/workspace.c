/* workspace.c — workspace rules: names, modes, locking, deletion hooks. */
#include "workspaces/workspace_int.h"
#include "base/codec.h"

#include <ctype.h>

static int (*delete_hooks[4])(struct ctx *, const char *);
static int ndelete_hooks;

void workspace_on_delete(int (*fn)(struct ctx *c, const char *workspace_id))
{
    if (ndelete_hooks < 4) delete_hooks[ndelete_hooks++] = fn;
}

static int (*unlocked_hook)(struct ctx *, const char *);

void workspace_on_unlocked(int (*fn)(struct ctx *c, const char *workspace_id))
{
    unlocked_hook = fn;
}

int workspace_lock_for_run(struct ctx *c, const char *workspace_id, const char *run_id, bool *taken)
{
    return workspace_db_lock(c, workspace_id, "runs", run_id, "Locked by a run", taken);
}

int workspace_unlock_for_run(struct ctx *c, const char *workspace_id, const char *run_id)
{
    bool changed;
    return workspace_db_unlock(c, workspace_id, "runs", run_id, &changed);
}

static int not_found(struct ctx *c)
{
    return ctx_fail(c, ERR_NOT_FOUND, "workspace not found");
}

/* Fills w->perms and checks need against them. */
static int check(struct ctx *c, struct workspace *w, int64_t need)
{
    struct rights r;
    int rc = authz_rights(c, w->organization, w->id, &r);
    if (rc) return rc;
    w->perms = r.ws;
    return authz_ws_need(c, w->perms, need);
}

int workspace_get(struct ctx *c, const char *id, int64_t need, struct workspace *out)
{
    int rc = workspace_read(c, id, out);
    if (!rc) rc = check(c, out, need);
    return rc == ERR_NOT_FOUND ? not_found(c) : rc;
}

int workspace_get_unchecked(struct ctx *c, const char *id, struct workspace *out)
{
    return workspace_db_get(c, "id = $1", S_ARGS(S_TEXT(id)), out);
}

int workspace_get_by_name(struct ctx *c, const char *org, const char *name, int64_t need,
                          struct workspace *out)
{
    int rc = workspace_read_by_name(c, org, name, out);
    if (!rc) rc = check(c, out, need);
    return rc == ERR_NOT_FOUND ? not_found(c) : rc;
}

int workspace_perms(struct ctx *c, struct workspace *w)
{
    return check(c, w, 0);
}

/* The lock holder for the caller: a user, or the organization or team of a token. */
static void holder(const struct ctx *c, const char **kind, const char **id)
{
    switch (c->who.kind) {
    case PRINCIPAL_USER:
        *kind = "users";
        *id = c->who.user_id;
        break;
    case PRINCIPAL_TEAM:
        *kind = "teams";
        *id = c->who.team_id;
        break;
    case PRINCIPAL_RUN:
        *kind = "runs";
        *id = c->who.run_id;
        break;
    default:
        *kind = "organizations";
        *id = c->who.org;
        break;
    }
}

bool workspace_locked_by_caller(const struct ctx *c, const struct workspace *w)
{
    const char *kind, *id;
    holder(c, &kind, &id);
    return w->locked_by_kind && id && strcmp(w->locked_by_kind, kind) == 0 &&
           strcmp(w->locked_by_id, id) == 0;
}

static int validate(struct ctx *c, const struct workspace *w)
{
    if (!w->name || !api_name_valid(w->name, 90))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name",
                           "name must be 1-90 letters, numbers, - and _");
    if (strcmp(w->execution_mode, "remote") && strcmp(w->execution_mode, "local") &&
        strcmp(w->execution_mode, "agent"))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/execution-mode",
                           "execution-mode must be \"remote\", \"local\" or \"agent\"");
    if (strcmp(w->execution_mode, "agent") == 0)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/execution-mode",
                           "agent execution needs an agent pool, which this installation lacks");
    if (strlen(w->terraform_version) > 32)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/terraform-version",
                           "terraform-version is too long");
    for (size_t i = 0; i < w->ntags; i++) {
        const char *t = w->tags[i];
        bool ok = *t && strlen(t) <= 255;
        for (; ok && *t; t++)
            ok = isalnum((unsigned char)*t) || strchr("-_:", *t);
        if (!ok)
            return ctx_fail_at(c, ERR_INVALID, "/data/attributes/tag-names",
                               "tags must be letters, numbers, -, _ and :");
    }
    return 0;
}

int workspace_create(struct ctx *c, struct workspace *w)
{
    int rc = authz_org_need(c, w->organization, ORG_MANAGE_WORKSPACES);
    if (rc) return rc;
    if ((rc = validate(c, w))) return rc;
    w->id = codec_new_id(c->a, "ws");
    w->created_at = w->updated_at = codec_now_iso(c->a);
    if ((rc = store_begin(c->app->store))) return rc;
    rc = workspace_db_insert(c, w);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    if (!rc) rc = workspace_db_set_tags(c, w->id, w->tags, w->ntags);
    if (!rc) rc = audit_record(c, w->organization, "workspace", w->id, "create");
    /* the caller's rights on it, read before the commit: a failure after it answered 500 for a
     * workspace that existed, and the client's retry "Name has already been taken" */
    if (!rc) rc = check(c, w, 0);
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int workspace_update(struct ctx *c, struct workspace *w, bool tags_given)
{
    int rc = validate(c, w);
    if (rc) return rc;
    w->updated_at = codec_now_iso(c->a);
    if ((rc = store_begin(c->app->store))) return rc;
    rc = workspace_db_update(c, w);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    if (!rc && tags_given) rc = workspace_db_set_tags(c, w->id, w->tags, w->ntags);
    return audit_end(c, rc, w->organization, "workspace", w->id, "update");
}

int workspace_delete(struct ctx *c, const struct workspace *w)
{
    int rc = 0;
    for (int i = 0; !rc && i < ndelete_hooks; i++)
        rc = delete_hooks[i](c, w->id);
    if (rc || (rc = store_begin(c->app->store))) return rc;
    rc = workspace_db_delete(c, w->id);
    if (!rc && w->organization)
        rc = audit_record(c, w->organization, "workspace", w->id, "destroy");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int workspace_lock(struct ctx *c, struct workspace *w, const char *reason)
{
    const char *kind, *id;
    holder(c, &kind, &id);
    bool changed = false;
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = workspace_db_lock(c, w->id, kind, id, reason ? reason : "", &changed);
    if (!rc && changed) rc = audit_record(c, w->organization, "workspace", w->id, "lock");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    if (!changed)
        return ctx_fail(c, ERR_CONFLICT,
                        "Unable to lock workspace. The workspace is already locked.");
    w->locked_by_kind = kind;
    w->locked_by_id = id;
    w->lock_reason = reason ? reason : "";
    return 0;
}

int workspace_unlock(struct ctx *c, struct workspace *w, bool force)
{
    if (!w->locked_by_kind)
        return ctx_fail(c, ERR_CONFLICT,
                        "Unable to unlock workspace. The workspace is not locked.");
    const char *kind = 0, *id = 0;
    if (!force) holder(c, &kind, &id);
    bool changed = false;
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = workspace_db_unlock(c, w->id, kind, id, &changed);
    if (!rc && changed)
        rc =
            audit_record(c, w->organization, "workspace", w->id, force ? "force-unlock" : "unlock");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    if ((rc = store_commit(c->app->store))) return rc;
    if (!changed) {
        /* go-tfe recognises "is locked by User/Team/Run" in this message */
        const char *by = strcmp(w->locked_by_kind, "users") == 0   ? "User"
                         : strcmp(w->locked_by_kind, "teams") == 0 ? "Team"
                         : strcmp(w->locked_by_kind, "runs") == 0  ? "Run"
                                                                   : "Organization";
        return ctx_fail(c, ERR_CONFLICT,
                        "Unable to unlock workspace. The workspace is locked by %s %s. Use "
                        "force-unlock to unlock it anyway.",
                        by, w->locked_by_id);
    }
    w->locked_by_kind = w->locked_by_id = w->lock_reason = 0;
    return unlocked_hook ? unlocked_hook(c, w->id) : 0;
}

int workspace_on_org_delete(struct ctx *c, const char *org)
{
    const char **ids;
    size_t n;
    int rc = workspace_db_ids_of_org(c, org, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        struct workspace w = {.id = ids[i]};
        rc = workspace_delete(c, &w);
    }
    return rc;
}
