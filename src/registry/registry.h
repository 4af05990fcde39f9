/* registry.h — the organization's private module registry: TFE's registry-modules API (create a
 * module, create versions, upload each version's tar.gz to a signed URL, read, list, delete) and
 * the module registry protocol terraform speaks (modules.v1: versions, download), so that
 * `source = "<host>/<org>/<name>/<provider>"` with a version constraint installs from Strata. */
#ifndef STRATA_REGISTRY_H
#define STRATA_REGISTRY_H

#include "http/http.h"

struct ctx;

extern const struct http_route registry_routes[];
extern const struct http_route registry_protocol_routes[];

/* Hooks: an organization's modules follow its renames; their archives go with it. */
int registry_on_org_renamed(struct ctx *c, const char *from, const char *to);
int registry_on_org_delete(struct ctx *c, const char *org);

#endif
