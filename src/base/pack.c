/* pack.c — see pack.h. */
#include "base/pack.h"

#include <string.h>

size_t pack_size(const char *s)
{
    return s ? strlen(s) + 2 : 1;
}

char *pack_text(char *p, const char *s)
{
    *p++ = s ? 1 : 0;
    if (!s) return p;
    size_t n = strlen(s) + 1;
    memcpy(p, s, n);
    return p + n;
}

bool unpack_text(const char **p, const char *end, const char **s)
{
    if (*p >= end) return false;
    char present = *(*p)++;
    *s = 0;
    if (!present) return true;
    const char *nul = memchr(*p, 0, (size_t)(end - *p));
    if (!nul) return false;
    *s = *p;
    *p = nul + 1;
    return true;
}
