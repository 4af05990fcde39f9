/* egress_test.c — which addresses users' URLs may not reach (app/egress.c): each class, IPv4
 * inside IPv6, the node's own address, and ordinary internet addresses left alone. */
#include "app/egress.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

/* The class egress_internal_class gives the address text (IPv4 or IPv6); NULL: allowed. */
static const char *class_of(const char *text)
{
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        return egress_internal_class((struct sockaddr *)&in);
    cr_assert_eq(inet_pton(AF_INET6, text, &in6.sin6_addr), 1, "%s", text);
    return egress_internal_class((struct sockaddr *)&in6);
}

static void expect(const char *text, const char *class)
{
    const char *got = class_of(text);
    if (!class)
        cr_assert_null(got, "%s: %s", text, got);
    else
        cr_assert(got && strcmp(got, class) == 0, "%s: %s, not %s", text, got ? got : "allowed",
                  class);
}

Test(egress, ipv4_classes)
{
    expect("127.0.0.1", "loopback");
    expect("127.255.0.9", "loopback");
    expect("169.254.169.254", "link-local");
    expect("10.1.2.3", "private");
    expect("172.16.0.1", "private");
    expect("172.31.255.255", "private");
    expect("192.168.1.1", "private");
    expect("100.64.0.1", "private");
    expect("0.0.0.0", "unspecified");
    expect("224.0.0.1", "multicast");
    expect("255.255.255.255", "reserved");
    expect("8.8.8.8", 0);
    expect("172.32.0.1", 0);
    expect("100.128.0.1", 0);
}

Test(egress, ipv6_classes_and_ipv4_inside)
{
    expect("::1", "loopback");
    expect("::", "unspecified");
    expect("fe80::1", "link-local");
    expect("fd00::1", "private");
    expect("ff02::1", "multicast");
    expect("::ffff:127.0.0.1", "loopback");
    expect("::ffff:169.254.169.254", "link-local");
    expect("64:ff9b::10.0.0.1", "private");
    expect("2002:7f00:1::", "loopback"); /* 6to4 of 127.0.0.1 */
    expect("::ffff:8.8.8.8", 0);
    expect("2606:4700:4700::1111", 0);
}

Test(egress, the_nodes_own_addresses)
{
    struct ifaddrs *list = 0;
    cr_assert_eq(getifaddrs(&list), 0);
    int seen = 0;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        const char *c = egress_internal_class(i->ifa_addr);
        cr_assert_not_null(c, "an address of this host is allowed");
        seen++;
    }
    freeifaddrs(list);
    cr_assert_gt(seen, 0);
}
