/* organization.c — organization rules: names, who may create, the created hooks. */
#include "organizations/organization_int.h"
#include "app/audit.h"
#include "app/principal_cache.h"
#include "base/codec.h"
#include "store/store.h"

#include <ctype.h>
#include <string.h>

static int (*created_hooks[4])(struct ctx *, const char *);
static int ncreated_hooks;
static int (*delete_hooks[4])(struct ctx *, const char *);
static int ndelete_hooks;

void organization_on_delete(int (*fn)(struct ctx *c, const char *org))
{
    if (ndelete_hooks < 4) delete_hooks[ndelete_hooks++] = fn;
}

static int (*renamed_hooks[4])(struct ctx *, const char *, const char *);
static int nrenamed_hooks;

void organization_on_renamed(int (*fn)(struct ctx *c, const char *from, const char *to))
{
    if (nrenamed_hooks < 4) renamed_hooks[nrenamed_hooks++] = fn;
}

void organization_on_created(int (*fn)(struct ctx *c, const char *org))
{
    if (ncreated_hooks < 4) created_hooks[ncreated_hooks++] = fn;
}

int organization_get(struct ctx *c, const char *name, struct organization *out)
{
    int rc = authz_org(c, name);
    if (rc) return ctx_fail(c, rc, "organization \"%s\" not found", name);
    rc = organization_db_get(c, name, out);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "organization \"%s\" not found", name);
    return rc;
}

/* TFE's session settings: whole minutes; a year at most keeps the arithmetic far from overflow */
static int check_minutes(struct ctx *c, int64_t m, const char *attr)
{
    if (m < 0 || m > 525600)
        return ctx_fail_at(c, ERR_INVALID, arena_printf(c->a, "/data/attributes/%s", attr),
                           "%s must be a number of minutes from 1 to 525600", attr);
    return 0;
}

static int check_mode(struct ctx *c, const char *mode)
{
    if (strcmp(mode, "remote") && strcmp(mode, "local") && strcmp(mode, "agent"))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/default-execution-mode",
                           "default-execution-mode must be \"remote\", \"local\" or \"agent\"");
    return 0;
}

int organization_create(struct ctx *c, struct organization *o)
{
    if (!authz_site_admin(c))
        return ctx_fail(c, ERR_FORBIDDEN, "only site administrators can create organizations");
    if (!o->name || !api_name_valid(o->name, 40))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name",
                           "name must be 1-40 letters, numbers, - and _");
    if (!o->email || !strchr(o->email, '@'))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/email", "email must be an address");
    if (!o->default_execution_mode) o->default_execution_mode = "remote";
    int rc = check_mode(c, o->default_execution_mode);
    if (!rc) rc = check_minutes(c, o->session_timeout, "session-timeout");
    if (!rc) rc = check_minutes(c, o->session_remember, "session-remember");
    if (rc) return rc;
    o->external_id = codec_new_id(c->a, "org");
    o->created_at = codec_now_iso(c->a);
    if ((rc = store_begin(c->app->store))) return rc;
    rc = organization_db_insert(c, o);
    if (rc == ERR_CONFLICT)
        rc = ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    for (int i = 0; !rc && i < ncreated_hooks; i++)
        rc = created_hooks[i](c, o->name);
    return audit_end(c, rc, o->name, "organization", o->external_id, "create");
}

/* A rename: the row under the new name takes the external id, every domain's rows follow it,
 * the old row goes; the old name answers 404 at once. */
static int rename_org(struct ctx *c, struct organization *o, const char *to)
{
    if (c->who.kind != PRINCIPAL_USER)
        return ctx_fail(c, ERR_FORBIDDEN, "organizations are renamed by their owners");
    if (!api_name_valid(to, 40))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name",
                           "name must be 1-40 letters, numbers, - and _");
    const char *from = o->name;
    int rc = organization_db_rename(c, o, to);
    if (rc == ERR_CONFLICT)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/name", "Name has already been taken");
    for (int i = 0; !rc && i < nrenamed_hooks; i++)
        rc = renamed_hooks[i](c, from, to);
    if (!rc) rc = organization_db_delete(c, from);
    if (!rc) o->name = to;
    return rc;
}

int organization_update(struct ctx *c, struct organization *o, const char *new_name)
{
    int rc = authz_org_need(c, o->name, ORG_OWNER);
    if (rc) return rc;
    if (o->email && !strchr(o->email, '@'))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/email", "email must be an address");
    if ((rc = check_mode(c, o->default_execution_mode))) return rc;
    if ((rc = check_minutes(c, o->session_timeout, "session-timeout"))) return rc;
    if ((rc = check_minutes(c, o->session_remember, "session-remember"))) return rc;
    if ((rc = store_begin(c->app->store))) return rc;
    rc = organization_db_update(c, o);
    if (!rc && new_name && strcmp(new_name, o->name) != 0) rc = rename_org(c, o, new_name);
    if (!rc) rc = audit_record(c, o->name, "organization", o->external_id, "update");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    rc = store_commit(c->app->store);
    /* tokens of the organization and its teams now name it differently */
    if (!rc && new_name) principal_cache_invalidate(c->app);
    return rc;
}

int organization_delete(struct ctx *c, const char *name)
{
    struct organization o;
    int rc = organization_get(c, name, &o);
    if (!rc) rc = authz_org_need(c, name, ORG_OWNER);
    if (rc) return rc;
    if (c->who.kind != PRINCIPAL_USER)
        return ctx_fail(c, ERR_FORBIDDEN, "organizations are deleted by their owners");
    for (int i = 0; !rc && i < ndelete_hooks; i++)
        rc = delete_hooks[i](c, name);
    /* recorded first: the record names the organization by its id, read from its row */
    if (rc || (rc = store_begin(c->app->store))) return rc;
    rc = audit_record(c, name, "organization", o.external_id, "destroy");
    if (!rc) rc = organization_db_delete(c, name);
    if (rc)
        store_rollback(c->app->store);
    else
        rc = store_commit(c->app->store);
    if (!rc) principal_cache_invalidate(c->app); /* its tokens went with it */
    return rc;
}
