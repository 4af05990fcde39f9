/* egress.c — refuses connections to internal addresses for URLs users choose (egress.h). The
 * check sits in libcurl's open-socket callback: it sees each address curl is about to connect
 * to, after resolution and for every address it tries, so a name that resolves differently
 * between two lookups gains nothing. */
#define _GNU_SOURCE
#include "app/egress.h"
#include "app/settings.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* A range of addresses users may not reach: prefix, its length in bits, and the class named in
 * the refusal. IPv4 ranges are 4 bytes, IPv6 ones 16. */
struct range {
    unsigned char net[16];
    int bits;
    const char *class;
};

static const struct range v4[] = {
    {{0}, 8, "unspecified"},    /* 0.0.0.0/8, "this network" */
    {{10}, 8, "private"},       /* RFC 1918 */
    {{100, 64}, 10, "private"}, /* shared address space (carrier NAT) */
    {{127}, 8, "loopback"},
    {{169, 254}, 16, "link-local"}, /* cloud metadata services answer here */
    {{172, 16}, 12, "private"},     /* RFC 1918 */
    {{192, 0, 0}, 24, "reserved"},  /* IETF protocol assignments */
    {{192, 168}, 16, "private"},    /* RFC 1918 */
    {{198, 18}, 15, "reserved"},    /* benchmarking */
    {{224}, 4, "multicast"},
    {{240}, 4, "reserved"}, /* and 255.255.255.255 */
};

static const struct range v6[] = {
    {{0}, 128, "unspecified"},     /* :: */
    {{[15] = 1}, 128, "loopback"}, /* ::1 */
    {{0}, 96, "reserved"},         /* IPv4-compatible (deprecated) */
    {{0xfc}, 7, "private"},        /* unique local */
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "private"}, /* site-local (deprecated) */
    {{0xff}, 8, "multicast"},
    {{0x01, 0x00}, 64, "reserved"},             /* discard-only */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "reserved"}, /* documentation */
};

static bool in_range(const unsigned char *addr, const struct range *r)
{
    for (int i = 0; i < r->bits; i++) {
        int byte = i / 8, mask = 0x80 >> (i % 8);
        if ((r->net[byte] & mask) != (addr[byte] & mask)) return false;
    }
    return true;
}

static const char *class_v4(const unsigned char a[4])
{
    for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++)
        if (in_range(a, &v4[i])) return v4[i].class;
    return 0;
}

/* Whether sa is an address of one of this node's interfaces (its public one included: a
 * service bound to every address answers there too). */
static bool own_address(const struct sockaddr *sa)
{
    struct ifaddrs *list = 0;
    bool own = false;
    if (getifaddrs(&list) != 0) return true; /* unknown: refuse rather than guess */
    for (struct ifaddrs *i = list; i && !own; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != sa->sa_family) continue;
        if (sa->sa_family == AF_INET)
            own = memcmp(&((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr,
                         &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4) == 0;
        else
            own = memcmp(&((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr,
                         &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16) == 0;
    }
    freeifaddrs(list);
    return own;
}

const char *egress_internal_class(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const unsigned char *a =
            (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        const char *c = class_v4(a);
        return c ? c : own_address(sa) ? "this node's" : 0;
    }
    if (sa->sa_family != AF_INET6) return "reserved";
    const unsigned char *a =
        (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        /* the IPv4 address inside is what is reached: judge it, and the node's own by it */
        struct sockaddr_in in = {.sin_family = AF_INET};
        memcpy(&in.sin_addr, a + 12, 4);
        return egress_internal_class((const struct sockaddr *)&in);
    }
    if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4: the relay reaches the IPv4 address inside */
        struct sockaddr_in in = {.sin_family = AF_INET};
        memcpy(&in.sin_addr, a + 2, 4);
        const char *c = egress_internal_class((const struct sockaddr *)&in);
        if (c) return c;
    }
    for (size_t i = 0; i < sizeof v6 / sizeof *v6; i++)
        if (in_range(a, &v6[i])) return v6[i].class;
    return own_address(sa) ? "this node's" : 0;
}

static void address_text(const struct sockaddr *sa, char *out, size_t len)
{
    const void *a = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!inet_ntop(sa->sa_family, a, out, (socklen_t)len)) snprintf(out, len, "?");
}

/* libcurl's open-socket callback: the socket, or CURL_SOCKET_BAD (the transfer then fails
 * with "couldn't connect", whatever listens there or not). */
static curl_socket_t open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
    struct egress_guard *g = arg;
    (void)purpose;
    char text[INET6_ADDRSTRLEN];
    address_text(&sa->addr, text, sizeof text);
    const char *class = egress_internal_class(&sa->addr);
    if (class && !(g->allowed[0] && settings_cidr_match(g->allowed, text))) {
        if (!g->refused)
            snprintf(g->why, sizeof g->why,
                     "refused: the destination is a %s address (%s); a site admin may allow it "
                     "with the setting allowed_internal_cidrs",
                     class, text);
        g->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(sa->family, sa->socktype, sa->protocol);
}

void egress_guard_apply(CURL *h, struct egress_guard *g, const char *allowed)
{
    *g = (struct egress_guard){.allowed = allowed ? allowed : ""};
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, g);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}
