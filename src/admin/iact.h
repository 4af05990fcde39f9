/* iact.h — the initial admin creation token (IACT), how automation makes the first site
 * administrator without a browser, as on TFE: GET /admin/retrieve-iact answers the token as
 * text to addresses in iact_subnet_list, within iact_subnet_time_limit minutes of the node's
 * start, while no admin exists; POST /admin/initial-admin-user?token=… creates the admin and
 * answers its first API token. The token is stored sealed and deleted once used. */
#ifndef STRATA_IACT_H
#define STRATA_IACT_H

struct app;
#include "http/http.h"

/* Makes the token when there is no admin and no token yet. Returns 0 or an ERR_*. */
int iact_ensure(struct app *app);

extern const struct http_route iact_routes[];

#endif
