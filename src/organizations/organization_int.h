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
int organization_db_list(struct ctx *c, const struct page *p, struct organization **out, size_t *n,
                         int64_t *total);

int organization_create(struct ctx *c, struct organization *o);
int organization_update(struct ctx *c, struct organization *o);
int organization_delete(struct ctx *c, const char *name);
#endif
