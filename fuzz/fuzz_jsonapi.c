/* fuzz_jsonapi.c — libFuzzer driver for the JSON:API request reader (jsonapi_parse_text) and
 * the typed attribute and relationship readers every handler calls after it. The first byte
 * picks the options (wanted type, empty body allowed), the rest is the body. */
#include "base/arena.h"
#include "jsonapi/jsonapi.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    struct arena *a = arena_new();
    struct jsonapi_body b;
    const char *want = data[0] & 1 ? "workspaces" : 0;
    if (jsonapi_parse_text(a, (const char *)data + 1, size - 1, want, data[0] & 2, &b) == 0) {
        const char *s;
        bool flag, present;
        int64_t n;
        static const char *const names[] = {"name", "auto-apply", "serial", "", "data"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            jsonapi_attr_string(&b, names[i], &s, &present);
            jsonapi_attr_bool(&b, names[i], &flag, &present);
            jsonapi_attr_int(&b, names[i], &n, &present);
            jsonapi_rel_id(&b, names[i]);
        }
    }
    arena_free(a);
    return 0;
}
