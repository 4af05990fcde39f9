/* proxy_proto.c — PROXY protocol parser (see proxy_proto.h). Strict: anything the spec does not
 * allow is refused, since the bytes come before TLS and nothing else checks them. */
#include "http/proxy_proto.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const unsigned char v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                         0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
static const char v1_sig[] = "PROXY ";

static int bad(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

/* A decimal port, 0-65535, no sign and no leading zero (the spec's form). */
static bool port_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 5 || (n > 1 && s[0] == '0')) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535;
}

/* "PROXY TCP4|TCP6 src dst sport dport" or "PROXY UNKNOWN ...", the CRLF cut off. */
static int parse_v1(char *line, struct proxy_header *out, const char **why)
{
    char *fields[6];
    int nf = 0;
    for (char *save = 0, *t = strtok_r(line, " ", &save); t; t = strtok_r(0, " ", &save)) {
        if (nf == 6) return bad(why, "a PROXY v1 line has more than six fields");
        fields[nf++] = t;
    }
    if (nf >= 2 && strcmp(fields[1], "UNKNOWN") == 0) {
        out->source[0] = 0; /* the receiver ignores whatever follows (the spec) */
        return 0;
    }
    if (nf != 6) return bad(why, "a PROXY v1 line needs protocol, two addresses and two ports");
    int family;
    if (strcmp(fields[1], "TCP4") == 0)
        family = AF_INET;
    else if (strcmp(fields[1], "TCP6") == 0)
        family = AF_INET6;
    else
        return bad(why, "a PROXY v1 line's protocol is not TCP4, TCP6 or UNKNOWN");
    unsigned char src[16], dst[16];
    if (inet_pton(family, fields[2], src) != 1 || inet_pton(family, fields[3], dst) != 1)
        return bad(why, "a PROXY v1 address is not one of its protocol's family");
    if (!port_valid(fields[4]) || !port_valid(fields[5]))
        return bad(why, "a PROXY v1 port is not a number from 0 to 65535");
    if (!inet_ntop(family, src, out->source, sizeof out->source))
        return bad(why, "a PROXY v1 address cannot be written back");
    return 0;
}

static int v1(const unsigned char *p, size_t n, struct proxy_header *out, const char **why)
{
    size_t i = 0;
    while (i < n && p[i] != '\n')
        i++;
    if (i == n) return n >= PROXY_V1_MAX ? bad(why, "a PROXY v1 line is longer than 107 bytes") : 0;
    if (i + 1 > PROXY_V1_MAX) return bad(why, "a PROXY v1 line is longer than 107 bytes");
    if (i == 0 || p[i - 1] != '\r') return bad(why, "a PROXY v1 line does not end with CRLF");
    char line[PROXY_V1_MAX];
    memcpy(line, p, i - 1);
    line[i - 1] = 0;
    for (size_t k = 0; k + 1 < i; k++)
        if (p[k] < 0x20 || p[k] > 0x7e) return bad(why, "a PROXY v1 line holds a control byte");
    if (parse_v1(line, out, why)) return -1;
    return (int)(i + 1);
}

static int v2(const unsigned char *p, size_t n, struct proxy_header *out, const char **why)
{
    if (n < 16) return 0;
    if ((p[12] & 0xf0) != 0x20) return bad(why, "a PROXY v2 header's version is not 2");
    unsigned cmd = p[12] & 0x0f, family = p[13] >> 4, proto = p[13] & 0x0f;
    if (cmd > 1) return bad(why, "a PROXY v2 header's command is neither LOCAL nor PROXY");
    if (family > 3 || proto > 2) return bad(why, "a PROXY v2 header's family is unknown");
    size_t len = (size_t)p[14] << 8 | p[15];
    if (16 + len > PROXY_HEADER_MAX) return bad(why, "a PROXY v2 header is too long");
    if (n < 16 + len) return 0;
    out->source[0] = 0;
    if (cmd == 0 || family == 0) return (int)(16 + len); /* LOCAL or UNSPEC: no address */
    /* a node's clients come over TCP: UDP or a UNIX socket cannot be one */
    if (proto != 1 || family == 3)
        return bad(why, "a PROXY v2 header's family is neither TCP over IPv4 nor over IPv6");
    size_t need = family == 1 ? 12 : 36;
    if (len < need) return bad(why, "a PROXY v2 header's address block is too short");
    if (!inet_ntop(family == 1 ? AF_INET : AF_INET6, p + 16, out->source, sizeof out->source))
        return bad(why, "a PROXY v2 address cannot be read");
    return (int)(16 + len);
}

int proxy_parse(const unsigned char *p, size_t n, struct proxy_header *out, const char **why)
{
    *why = "";
    if (n == 0) return 0;
    size_t k = n < 12 ? n : 12;
    if (memcmp(p, v2_sig, k) == 0) return v2(p, n, out, why);
    k = n < 6 ? n : 6;
    if (memcmp(p, v1_sig, k) == 0) return n < 6 ? 0 : v1(p, n, out, why);
    return bad(why, "the connection does not start with a PROXY protocol header");
}
