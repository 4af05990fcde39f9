/* admin.h — site administration and the audit trail's API. */
#ifndef STRATA_ADMIN_H
#define STRATA_ADMIN_H

#include "http/http.h"

#include <jansson.h>
#include <stdint.h>

struct ctx;

/* Admin Users (users.c). */
extern const struct http_route admin_user_routes[];
/* The audit trail (audit_trail.c): TFE's GET /api/v2/organization/audit-trail for an
 * organization token, and /api/v2/organizations/:org/audit-trail for the organization's
 * owners. */
extern const struct http_route audit_trail_routes[];

/* Events of the organization with external id org_id (NULL: every event, for the CLI export)
 * at or after since (ISO-8601; NULL: all), oldest first, page number (1-based) of size: a new
 * array of TFE's audit trail objects in *out and the count of all matching in *total. */
int audit_trail_read(struct ctx *c, const char *org_id, const char *since, int64_t number,
                     int64_t size, json_t **out, int64_t *total);

#endif
