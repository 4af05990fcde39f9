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
/* Private providers: TFE's registry-providers and gpg-keys APIs (provider_api.c) and the
 * providers.v1 protocol with the files behind its signed URLs (provider_protocol.c). */
extern const struct http_route registry_provider_routes[];
extern const struct http_route provider_protocol_routes[];

/* The provider network mirror a site admin uploads, served at /api/provider-mirror/v1/
 * (mirror.c). */
extern const struct http_route provider_mirror_routes[];
/* The CLI configuration block that sends a run's installs of mirrored providers to the mirror
 * (*block NULL when the mirror is empty); arena memory. */
int registry_mirror_cli_config(struct ctx *c, const char **block);

/* Hooks: an organization's modules and providers follow its renames; their files go with it. */
int registry_on_org_renamed(struct ctx *c, const char *from, const char *to);
int registry_on_org_delete(struct ctx *c, const char *org);

#endif
