/* proxy_proto_test.c — the PROXY protocol parser: what each header form yields, and the
 * malformed headers it refuses. */
#include "http/proxy_proto.h"

#include <criterion/criterion.h>
#include <string.h>

static const char sig[] = "\r\n\r\n\0\r\nQUIT\n";

static int parse(const void *p, size_t n, struct proxy_header *h, const char **why)
{
    return proxy_parse(p, n, h, why);
}

Test(proxy, v1_tcp4_tcp6_and_unknown)
{
    struct proxy_header h;
    const char *why;
    const char v4[] = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n\x16\x03";
    cr_assert_eq(parse(v4, sizeof v4 - 1, &h, &why), (int)strlen(v4) - 2);
    cr_assert_str_eq(h.source, "192.0.2.1");
    const char v6[] = "PROXY TCP6 2001:db8:0::1 2001:db8::2 1 443\r\n";
    cr_assert_eq(parse(v6, strlen(v6), &h, &why), (int)strlen(v6));
    cr_assert_str_eq(h.source, "2001:db8::1");
    cr_assert_eq(parse("PROXY UNKNOWN\r\n", 15, &h, &why), 15);
    cr_assert_str_eq(h.source, "");
    /* a beginning is 0 (more needed) whatever its length up to the limit */
    for (size_t k = 0; k < strlen(v6); k++)
        cr_assert_eq(parse(v6, k, &h, &why), 0, "prefix %zu", k);
}

Test(proxy, v1_malformed)
{
    struct proxy_header h;
    const char *why;
    const char *bad[] = {
        "PROXY TCP4 2001:db8::1 198.51.100.2 1 443\r\n", /* wrong family */
        "PROXY TCP4 192.0.2.1 198.51.100.2 056324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",
        "PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n",
        "PROXY TCP4 192.0.2.1\t198.51.100.2 1 2\r\n",
        "PROXY\r\n",
        "GET / HTTP/1.1\r\n",
        "\x16\x03\x01\x02\x00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(parse(bad[i], strlen(bad[i]), &h, &why), -1, "%s", bad[i]);
        cr_assert(*why);
    }
    char longer[200] = "PROXY TCP4 ";
    memset(longer + 11, '1', 120);
    cr_assert_eq(parse(longer, 131, &h, &why), -1, "a line without end past 107 bytes");
    cr_assert_eq(parse(longer, 106, &h, &why), 0);
}

static size_t v2(unsigned char *out, unsigned char cmd, unsigned char fam, const void *addr,
                 size_t len)
{
    memcpy(out, sig, 12);
    out[12] = cmd;
    out[13] = fam;
    out[14] = (unsigned char)(len >> 8);
    out[15] = (unsigned char)len;
    memcpy(out + 16, addr, len);
    return 16 + len;
}

Test(proxy, v2_forms)
{
    struct proxy_header h;
    const char *why;
    unsigned char b[700];
    const unsigned char a4[] = {192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 4, 1, 187, 4, 0, 0};
    size_t n = v2(b, 0x21, 0x11, a4, 12);
    cr_assert_eq(parse(b, n + 3, &h, &why), (int)n);
    cr_assert_str_eq(h.source, "192.0.2.1");
    n = v2(b, 0x21, 0x11, a4, sizeof a4); /* with a NOOP TLV, skipped */
    cr_assert_eq(parse(b, n, &h, &why), (int)n);
    unsigned char a6[36] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    n = v2(b, 0x21, 0x21, a6, sizeof a6);
    cr_assert_eq(parse(b, n, &h, &why), (int)n);
    cr_assert_str_eq(h.source, "2001:db8::1");
    for (size_t k = 0; k < n; k++)
        cr_assert_eq(parse(b, k, &h, &why), 0, "prefix %zu", k);
    n = v2(b, 0x20, 0x00, "", 0); /* LOCAL: a balancer's health check */
    cr_assert_eq(parse(b, n, &h, &why), 16);
    cr_assert_str_eq(h.source, "");
}

Test(proxy, v2_malformed)
{
    struct proxy_header h;
    const char *why;
    unsigned char b[700], zero[600] = {0};
    struct {
        unsigned char cmd, fam;
        size_t len;
    } bad[] = {
        {0x11, 0x11, 12},  /* version 1 in a v2 header */
        {0x22, 0x11, 12},  /* command 2 */
        {0x21, 0x41, 12},  /* family 4 */
        {0x21, 0x13, 12},  /* protocol 3 */
        {0x21, 0x12, 12},  /* UDP */
        {0x21, 0x31, 216}, /* UNIX */
        {0x21, 0x21, 12},  /* IPv6 with an IPv4-sized block */
        {0x21, 0x11, 8},   /* short block */
        {0x21, 0x11, 520}, /* longer than PROXY_HEADER_MAX */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = v2(b, bad[i].cmd, bad[i].fam, zero, bad[i].len);
        cr_assert_eq(parse(b, n, &h, &why), -1, "case %zu", i);
        cr_assert(*why);
    }
    size_t n = v2(b, 0x21, 0x11, zero, 12);
    b[5] ^= 1; /* bad signature */
    cr_assert_eq(parse(b, n, &h, &why), -1);
}
