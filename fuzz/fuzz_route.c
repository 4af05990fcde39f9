/* fuzz_route.c — libFuzzer driver for route matching and the codecs a request touches
 * (URL-safe base64 of signed URLs). Input: "pattern\npath". */
#include "base/arena.h"
#include "base/codec.h"
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    char *text = arena_strndup(a, (const char *)data, size);
    char *nl = strchr(text, '\n');
    const char *pattern = text, *path = nl ? nl + 1 : "";
    if (nl) *nl = 0;
    const char *names[8], *values[8];
    int n;
    http_route_match(pattern, path, a, names, values, &n);
    unsigned char *bin;
    size_t len;
    codec_base64_decode(a, path, true, &bin, &len);
    codec_base64_decode(a, path, false, &bin, &len);
    arena_free(a);
    return 0;
}
