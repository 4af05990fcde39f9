/* module_scan.c — what the registry shows of a module version, read once from its archive:
 * README.md, and the root module's variable, output and resource blocks with their
 * descriptions. Not an HCL parser: a scan of block headers that start a line and of a
 * `description = "…"` line inside them, which is how terraform fmt writes modules; anything
 * else is simply not shown. */
#include "registry/registry_int.h"
#include "base/arena.h"
#include "base/err.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { README_MAX = 256 * 1024 };

static char *read_text(struct arena *a, const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char *buf = arena_alloc(a, max + 1);
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* The quoted word after a keyword: `variable "name" {` → name (arena memory). */
static const char *quoted(struct arena *a, const char **p)
{
    const char *s = strchr(*p, '"');
    const char *e = s ? strchr(s + 1, '"') : 0;
    if (!e) return 0;
    *p = e + 1;
    return arena_strndup(a, s + 1, (size_t)(e - s - 1));
}

static void scan_file(struct arena *a, const char *text, json_t *inputs, json_t *outputs,
                      json_t *resources)
{
    json_t *current = 0;
    int depth = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *l = arena_strndup(a, line, len);
        const char *p = l;
        if (depth == 0) {
            current = 0;
            if (!strncmp(l, "variable ", 9) || !strncmp(l, "output ", 7)) {
                const char *name = quoted(a, &p);
                if (name) {
                    current = json_pack("{s:s, s:s}", "name", name, "description", "");
                    json_array_append_new(l[0] == 'v' ? inputs : outputs, current);
                }
            } else if (!strncmp(l, "resource ", 9)) {
                const char *type = quoted(a, &p), *name = type ? quoted(a, &p) : 0;
                if (name)
                    json_array_append_new(resources,
                                          json_pack("{s:s, s:s}", "type", type, "name", name));
            }
        } else if (depth == 1 && current) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (!strncmp(p, "description", 11)) {
                const char *d = quoted(a, &p);
                if (d) json_object_set_new(current, "description", json_string(d));
            } else if (!strncmp(p, "default", 7) && strchr(p, '=') &&
                       !json_object_get(current, "default")) {
                const char *v = strchr(p, '=') + 1;
                while (*v == ' ')
                    v++;
                json_object_set_new(current, "default", json_string(v));
            }
        }
        for (const char *q = l; *q; q++)
            depth += *q == '{' ? 1 : *q == '}' ? -1 : 0;
        if (depth < 0) depth = 0;
        line = end ? end + 1 : 0;
    }
    /* inputs without a default are required */
    size_t i;
    json_t *v;
    json_array_foreach(inputs, i, v)
        json_object_set_new(v, "required", json_boolean(!json_object_get(v, "default")));
}

int module_scan(struct ctx *c, const char *dir, char **metadata)
{
    json_t *inputs = json_array(), *outputs = json_array(), *resources = json_array();
    DIR *d = opendir(dir);
    struct dirent *e;
    const char *readme = "";
    while (d && (e = readdir(d))) {
        const char *path = arena_printf(c->a, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (!strcasecmp(e->d_name, "README.md")) {
            const char *t = read_text(c->a, path, README_MAX);
            if (t) readme = t;
        } else if (n > 3 && !strcmp(e->d_name + n - 3, ".tf")) {
            const char *t = read_text(c->a, path, 4 * 1024 * 1024);
            if (t) scan_file(c->a, t, inputs, outputs, resources);
        }
    }
    if (d) closedir(d);
    json_t *doc = json_pack("{s:s, s:o, s:o, s:o}", "readme", readme, "inputs", inputs, "outputs",
                            outputs, "resources", resources);
    if (!doc) { /* a README that is not UTF-8 */
        doc = json_pack("{s:s, s:o, s:o, s:o}", "readme", "", "inputs", json_array(), "outputs",
                        json_array(), "resources", json_array());
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    *metadata = arena_strdup(c->a, text ? text : "{}");
    free(text);
    return 0;
}
