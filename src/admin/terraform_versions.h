/* terraform_versions.h — TFE's admin API for terraform versions: a site admin registers a
 * version by URL (zip or binary, with its SHA-256; downloaded once and cached under disk_path by
 * the runner) or, as a Strata extension, by the path of a binary already on every node. A
 * workspace pins one with its terraform-version. */
#ifndef STRATA_TERRAFORM_VERSIONS_H
#define STRATA_TERRAFORM_VERSIONS_H

#include "http/http.h"

extern const struct http_route terraform_version_routes[];

#endif
