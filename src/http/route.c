/* route.c — matches a path against "/a/:param/b" patterns, one segment per ":name". */
#include "http/http.h"
#include "base/arena.h"

#include <string.h>

bool http_route_match(const char *pattern, const char *path, struct arena *a, const char **names,
                      const char **values, int *n)
{
    *n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/') return false;
        p++;
        s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), sl = se ? (size_t)(se - s) : strlen(s);
        if (*p == ':') {
            if (sl == 0 || *n == 8) return false;
            names[*n] = arena_strndup(a, p + 1, pl - 1);
            values[*n] = arena_strndup(a, s, sl);
            (*n)++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return false;
        }
        p += pl;
        s += sl;
    }
    /* a trailing slash on the request is tolerated, as Rails-style APIs do */
    return *p == 0 && (*s == 0 || strcmp(s, "/") == 0);
}
