/* organization.h — TFE organizations: the top of the tenancy tree. The id of an organization
 * is its name, as in TFE. Only site administrators create them; the creator joins the owners
 * team (made by teams/ through the created hook). */
#ifndef STRATA_ORGANIZATION_H
#define STRATA_ORGANIZATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
#include "http/http.h"

struct organization {
    const char *name, *external_id, *email, *default_execution_mode, *created_at;
    /* minutes; 0 when never set (TFE's default then, 20160) */
    int64_t session_timeout, session_remember;
};

/* The organization as a JSON:API resource (a new reference), for includes too. */
json_t *organization_encode(struct ctx *c, const struct organization *o);
/* Reads an organization the caller may see; ERR_NOT_FOUND otherwise. */
int organization_get(struct ctx *c, const char *name, struct organization *out);

/* Runs after an organization row is inserted, inside the same transaction; a failure rolls the
 * creation back. At most 4 hooks; registered once at start. */
void organization_on_created(int (*fn)(struct ctx *c, const char *org));

/* Runs before an organization is deleted, so higher domains release what the database cascade
 * would not (workspaces/ deletes its workspaces and through them their state blobs). */
void organization_on_delete(int (*fn)(struct ctx *c, const char *org));

/* Runs inside the transaction that renames an organization, after the row with the new name
 * exists and before the old one goes: each domain moves its rows (teams, tokens, workspaces).
 * At most 4 hooks; registered once at start. */
void organization_on_renamed(int (*fn)(struct ctx *c, const char *from, const char *to));

extern const struct http_route organization_routes[];

#endif
