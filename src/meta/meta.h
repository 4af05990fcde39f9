/* meta.h — what a client asks before anything else: service discovery, ping, health. */
#ifndef STRATA_META_H
#define STRATA_META_H

#include "http/http.h"

extern const struct http_route meta_routes[];

#endif
