/* wiring.h — connects domains to the server and to each other; called once at start. */
#ifndef STRATA_WIRING_H
#define STRATA_WIRING_H

#include <stddef.h>

struct app;
struct http_server;
struct http_route;

void wiring_hooks(struct app *app);
void wiring_routes(struct http_server *s);
/* The route tables wiring_routes adds (static; *n of them), for `strata routes`. */
const struct http_route *const *wiring_route_tables(size_t *n);

#endif
