/* wiring.h — connects domains to the server and to each other; called once at start. */
#ifndef STRATA_WIRING_H
#define STRATA_WIRING_H

struct app;
struct http_server;

void wiring_hooks(struct app *app);
void wiring_routes(struct http_server *s);

#endif
