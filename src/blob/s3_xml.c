/* s3_xml.c — S3's XML answers are small and flat: their elements are found by name. Strata's
 * keys ([A-Za-z0-9._/-]) need no XML unescaping, and anything else is not Strata's. */
#include "blob/s3_xml.h"
#include "blob/blob_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool s3_xml_text(const char *doc, const char *name, char *out, size_t cap)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    const char *a = doc ? strstr(doc, open) : 0;
    const char *b = a ? strstr(a, close) : 0;
    if (!a || !b) return false;
    a += strlen(open);
    snprintf(out, cap, "%.*s", (int)(b - a), a);
    return true;
}

int s3_xml_list_page(const char *doc, int (*fn)(void *arg, const char *key, int64_t size),
                     void *arg, char *token, size_t token_cap)
{
    int rc = 0;
    const char *p = doc;
    while (!rc && p && (p = strstr(p, "<Contents>"))) {
        const char *end = strstr(p, "</Contents>");
        if (!end) break;
        char key[1100], size[32];
        char block[4096];
        snprintf(block, sizeof block, "%.*s", (int)(end - p), p);
        if (s3_xml_text(block, "Key", key, sizeof key) &&
            s3_xml_text(block, "Size", size, sizeof size) && blob_key_valid(key))
            rc = fn(arg, key, strtoll(size, 0, 10));
        p = end;
    }
    char truncated[16] = "";
    token[0] = 0;
    if (!rc && s3_xml_text(doc, "IsTruncated", truncated, sizeof truncated) &&
        !strcmp(truncated, "true"))
        s3_xml_text(doc, "NextContinuationToken", token, token_cap);
    return rc;
}
