/* proxy_proto.h — the PROXY protocol header a balancer sends before a connection's own bytes
 * (HAProxy's proxy-protocol.txt: version 1 text, version 2 binary), so that a node behind it
 * knows the client's address. A pure parser: conn.c reads the bytes, this says what they are. */
#ifndef STRATA_PROXY_PROTO_H
#define STRATA_PROXY_PROTO_H

#include <stddef.h>

enum {
    PROXY_V1_MAX = 107,          /* the longest version 1 line, CRLF included (the spec) */
    PROXY_HEADER_MAX = 16 + 512, /* a version 2 header with its addresses and some TLVs */
};

struct proxy_header {
    /* the client's address as text (IPv4 or IPv6), or "" when the header carries none: a
     * version 2 LOCAL (a balancer's own health check) or UNKNOWN/UNSPEC; the peer's address is
     * then the connection's own */
    char source[46];
};

/* Reads the header at the start of p[0..n): its length (> 0) with *out filled when complete, 0
 * when p is a valid beginning of a header that has not ended yet (every byte of p then belongs
 * to the header), or -1 with a reason in *why when the bytes are no valid header (including one
 * longer than PROXY_HEADER_MAX). */
int proxy_parse(const unsigned char *p, size_t n, struct proxy_header *out, const char **why);

#endif
