/* module_scan.c — what the registry shows of a module version, read once from its archive as
 * it streams through the checker (never unpacked: the cost follows the root module's files,
 * not the archive's entry count): README.md, and the root module's variable, output and
 * resource blocks with their descriptions. Not an HCL parser: a scan of block headers that start a
 * line and of a `description = "…"` line inside them, which is how terraform fmt writes modules;
 * anything else is simply not shown. */
#include "registry/registry_int.h"
#include "base/arena.h"
#include "base/err.h"

#include <archive.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Caps: the README shown, one .tf file scanned, and all .tf files scanned together. */
enum { README_MAX = 256 * 1024, TF_MAX = 4 * 1024 * 1024, TF_TOTAL_MAX = 16 * 1024 * 1024 };

struct module_scan {
    struct ctx *c;
    const char *readme;
    json_t *inputs, *outputs, *resources; /* released with the arena */
    int64_t scanned;
};

/* The first max bytes of the current entry (arena memory), or NULL when it cannot be read. */
static char *read_entry(struct arena *a, struct archive *ar, int64_t size, size_t max)
{
    size_t want = size < (int64_t)max ? (size_t)size : max, n = 0;
    char *buf = arena_alloc(a, want + 1);
    while (n < want) {
        la_ssize_t r = archive_read_data(ar, buf + n, want - n);
        if (r < 0) return 0;
        if (r == 0) break;
        n += (size_t)r;
    }
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

static void scan_free(void *arg)
{
    struct module_scan *s = arg;
    json_decref(s->inputs);
    json_decref(s->outputs);
    json_decref(s->resources);
}

struct module_scan *module_scan_new(struct ctx *c)
{
    struct module_scan *s = arena_alloc(c->a, sizeof *s);
    *s = (struct module_scan){c, "", json_array(), json_array(), json_array(), 0};
    arena_on_free(c->a, scan_free, s);
    return s;
}

int module_scan_visit(void *scan, const char *path, struct archive *a, int64_t size)
{
    struct module_scan *s = scan;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t n = strlen(path);
    if (strchr(path, '/')) return 0; /* only the root module is shown */
    if (!strcasecmp(path, "README.md")) {
        const char *t = read_entry(s->c->a, a, size, README_MAX);
        if (t) s->readme = t;
    } else if (n > 3 && !strcmp(path + n - 3, ".tf") && s->scanned < TF_TOTAL_MAX) {
        s->scanned += size < TF_MAX ? size : TF_MAX;
        const char *t = read_entry(s->c->a, a, size, TF_MAX);
        if (t) scan_file(s->c->a, t, s->inputs, s->outputs, s->resources);
    }
    return 0;
}

char *module_scan_json(struct module_scan *s)
{
    json_t *doc = json_pack("{s:s, s:O, s:O, s:O}", "readme", s->readme, "inputs", s->inputs,
                            "outputs", s->outputs, "resources", s->resources);
    if (!doc) { /* a README that is not UTF-8 */
        doc = json_pack("{s:s, s:o, s:o, s:o}", "readme", "", "inputs", json_array(), "outputs",
                        json_array(), "resources", json_array());
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char *out = arena_strdup(s->c->a, text ? text : "{}");
    free(text);
    return out;
}
