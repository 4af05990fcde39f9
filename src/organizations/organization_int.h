/* organization_int.h — private to organizations/: the SQL functions and their shared types. */
#ifndef STRATA_ORGANIZATION_INT_H
#define STRATA_ORGANIZATION_INT_H

#include "app/api.h"
#include "app/pagination.h"
#include "base/arena.h"
#include "base/err.h"
#include "organizations/organization.h"

int organization_db_get(struct ctx *c, const char *name, struct organization *out);
int organization_db_insert(struct ctx *c, const struct organization *o);
int organization_db_update(struct ctx *c, const struct organization *o);
int organization_db_delete(struct ctx *c, const char *name);
/* Inserts o's row under the name to (taking its external id); ERR_CONFLICT when taken. */
int organization_db_rename(struct ctx *c, const struct organization *o, const char *to);
int organization_db_list(struct ctx *c, const struct page *p, struct organization **out, size_t *n,
                         int64_t *total);

int organization_create(struct ctx *c, struct organization *o);
/* Updates email and default execution mode and, when new_name differs, renames (one
 * transaction). */
int organization_update(struct ctx *c, struct organization *o, const char *new_name);
int organization_delete(struct ctx *c, const char *name);
#endif
