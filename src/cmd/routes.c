/* routes.c — `strata routes`: every route the server answers, one "METHOD pattern" a line, from
 * the tables wiring.c adds. Tests read it so that a new route cannot escape them. */
#include "cmd/commands.h"
#include "cmd/wiring.h"
#include "http/http.h"

#include <stdio.h>

static const char *verb_name(enum http_verb v)
{
    switch (v) {
    case HTTP_M_GET:
        return "GET";
    case HTTP_M_HEAD:
        return "HEAD";
    case HTTP_M_POST:
        return "POST";
    case HTTP_M_PUT:
        return "PUT";
    case HTTP_M_PATCH:
        return "PATCH";
    case HTTP_M_DELETE:
        return "DELETE";
    default:
        return "OTHER";
    }
}

int cmd_routes(int argc, char **argv)
{
    (void)argv;
    if (argc != 0) {
        fprintf(stderr, "usage: strata routes\n");
        return 2;
    }
    size_t n;
    const struct http_route *const *tables = wiring_route_tables(&n);
    for (size_t i = 0; i < n; i++)
        for (const struct http_route *r = tables[i]; r->pattern; r++)
            if (printf("%s %s\n", verb_name(r->method), r->pattern) < 0) return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
