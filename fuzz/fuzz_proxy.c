/* fuzz_proxy.c — libFuzzer driver for the PROXY protocol parser. Checks its contract too: a
 * complete header is never longer than the input or PROXY_HEADER_MAX, and its source reads back
 * as an address. */
#include "http/proxy_proto.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_header h;
    const char *why;
    int n = proxy_parse(data, size, &h, &why);
    if (n > (int)size || n > PROXY_HEADER_MAX) abort();
    if (n < 0 && !*why) abort();
    unsigned char bin[16];
    if (n > 0 && h.source[0] &&
        inet_pton(strchr(h.source, ':') ? AF_INET6 : AF_INET, h.source, bin) != 1)
        abort();
    /* every prefix of a complete header is a valid beginning */
    for (int k = 0; k < n; k++)
        if (proxy_parse(data, (size_t)k, &h, &why) != 0) abort();
    return 0;
}
