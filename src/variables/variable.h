/* variable.h — workspace variables: terraform variables (plain or HCL) and environment
 * variables handed to runs. Every value is sealed at rest; a sensitive value is write-only in
 * the API (answered as null) and stays sensitive once marked. */
#ifndef STRATA_VARIABLE_H
#define STRATA_VARIABLE_H

#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>

struct ctx;

struct variable {
    const char *id, *workspace_id, *key, *value, *description, *category;
    bool hcl, sensitive;
};

/* Every variable of a workspace with its value opened, for a run about to start (arena
 * memory). No authorization: the caller is the runner acting for a run of that workspace. */
int variable_values_for_run(struct ctx *c, const char *workspace_id, struct variable **out,
                            size_t *n);

extern const struct http_route variable_routes[];

#endif
