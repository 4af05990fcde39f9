/* audit.h — the audit trail: who changed what, when and from which address. Rows are only ever
 * added; a domain records its change inside the transaction that makes it, so a change and its
 * record commit or vanish together. */
#ifndef STRATA_AUDIT_H
#define STRATA_AUDIT_H

#include <stddef.h>

struct ctx;
struct store_arg;

/* Records that the caller did action ("create", "update", "destroy", "lock", ...) to the
 * resource type/id of organization org (its name; NULL for site-wide resources). Call it
 * between store_begin and store_commit, after the change. */
int audit_record(struct ctx *c, const char *org, const char *type, const char *id,
                 const char *action);

/* Ends the transaction of a change (begun with store_begin): when rc is 0 records the change
 * and commits, otherwise (or when the record fails) rolls back. Returns the outcome. */
int audit_end(struct ctx *c, int rc, const char *org, const char *type, const char *id,
              const char *action);

/* One statement and its record in one transaction: the common single-row change. When the
 * statement changes no row nothing is recorded and ERR_NOT_FOUND is returned. */
int audit_exec(struct ctx *c, const char *sql, const struct store_arg *args, size_t nargs,
               const char *org, const char *type, const char *id, const char *action);

#endif
