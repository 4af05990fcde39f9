/* include.c — the include parameter and the deduplicated included list. */
#include "app/include.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"

#include <string.h>

static void release(void *p)
{
    struct include *inc = p;
    json_decref(inc->included);
}

int include_parse(struct ctx *c, const char *const *allowed, struct include **out)
{
    struct include *inc = arena_alloc(c->a, sizeof *inc);
    memset(inc, 0, sizeof *inc);
    *out = inc;
    const char *q = http_req_query(c->req, "include");
    if (!q || !*q) return 0;
    char *copy = arena_strdup(c->a, q), *save = 0;
    inc->names = arena_alloc(c->a, (strlen(q) / 2 + 2) * sizeof *inc->names);
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(0, ",", &save)) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, name) == 0;
        if (!known) return ctx_fail(c, ERR_BAD_REQUEST, "invalid include parameter: %s", name);
        inc->names[inc->n++] = name;
    }
    inc->included = json_array();
    arena_on_free(c->a, release, inc);
    return 0;
}

bool include_wants(const struct include *inc, const char *name)
{
    for (size_t i = 0; i < inc->n; i++)
        if (strcmp(inc->names[i], name) == 0) return true;
    return false;
}

bool include_wants_under(const struct include *inc, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < inc->n; i++)
        if (strncmp(inc->names[i], name, len) == 0 &&
            (inc->names[i][len] == 0 || inc->names[i][len] == '.'))
            return true;
    return false;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

bool include_has(const struct include *inc, const char *type, const char *id)
{
    size_t i;
    json_t *have;
    json_array_foreach(inc->included, i, have)
    {
        if (id && str(have, "id") && strcmp(str(have, "id"), id) == 0 &&
            strcmp(str(have, "type"), type) == 0)
            return true;
    }
    return false;
}

void include_add(struct include *inc, json_t *resource)
{
    if (!inc->included || !resource ||
        include_has(inc, str(resource, "type"), str(resource, "id"))) {
        json_decref(resource);
        return;
    }
    json_array_append_new(inc->included, resource);
}

void include_finish(struct include *inc, json_t *doc)
{
    if (inc->included) json_object_set_new(doc, "included", inc->included);
    inc->included = 0;
}
