/* metrics_server.h — the Prometheus endpoint on its own port (metrics_endpoint_enabled,
 * metrics_endpoint_port_http), served by a thread of its own so that a scrape never waits
 * behind API traffic, and API traffic never behind a scrape. */
#ifndef STRATA_METRICS_SERVER_H
#define STRATA_METRICS_SERVER_H

#include <stddef.h>

struct app;
struct metrics_server;

/* Listens and starts the thread; the caller stops it with metrics_server_stop (NULL is fine). */
int metrics_server_start(struct app *app, const char *port, struct metrics_server **out, char *err,
                         size_t errlen);
void metrics_server_stop(struct metrics_server *m);

#endif
