/* include.h — JSON:API "include": the related resources a request asks for (?include=a,b.c) and
 * the document's "included" list, where each resource appears once. */
#ifndef STRATA_INCLUDE_H
#define STRATA_INCLUDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ctx;

struct include {
    const char **names; /* asked for, in the arena */
    size_t n;
    json_t *included; /* until include_finish; freed with the arena if never finished */
};

/* Reads ?include= against the names the endpoint documents (NULL-terminated) into *out (arena
 * memory). Returns 0, or ERR_BAD_REQUEST naming the first unknown name. */
int include_parse(struct ctx *c, const char *const *allowed, struct include **out);
/* True when name (exactly, e.g. "current_run.plan") was asked for. */
bool include_wants(const struct include *inc, const char *name);
/* True when name or a path under it ("current_run" for "current_run.plan") was asked for. */
bool include_wants_under(const struct include *inc, const char *name);
/* True when a resource of type and id is included already: callers skip loading it again (a
 * list's runs share one workspace, its workspaces one organization). */
bool include_has(const struct include *inc, const char *type, const char *id);
/* Adds a resource (stolen) unless one with the same type and id is there already. */
void include_add(struct include *inc, json_t *resource);
/* Moves "included" into doc when anything was asked for and frees what is left. */
void include_finish(struct include *inc, json_t *doc);

#endif
