/* net_routes_test.c — the routes a sandbox's network refuses (sandbox/net.c): the metadata
 * addresses, the host's own addresses, and the node's services by name or address, loopback
 * left to the namespace's own. */
#include "sandbox/sandbox_int.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static char batch[8192];

Test(net_routes, metadata_and_the_hosts_own_addresses)
{
    net_service_routes("");
    net_route_batch(batch, sizeof batch);
    cr_assert(strstr(batch, "route add prohibit 169.254.0.0/16\n"), "%s", batch);
    cr_assert(strstr(batch, "route add prohibit fd00:ec2::254/128\n"), "%s", batch);
    cr_assert_null(strstr(batch, "127.0.0.1"), "%s", batch); /* the namespace's own loopback */
    struct ifaddrs *list = 0;
    cr_assert_eq(getifaddrs(&list), 0);
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        char text[INET_ADDRSTRLEN], line[64];
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, text,
                  sizeof text);
        if (strncmp(text, "127.", 4) == 0) continue;
        snprintf(line, sizeof line, "route add prohibit %s/32\n", text);
        cr_assert(strstr(batch, line), "%s missing from\n%s", line, batch);
    }
    freeifaddrs(list);
}

Test(net_routes, the_nodes_services_but_loopback)
{
    net_service_routes("10.9.8.7:5432,,[fd12::1]:6379,127.0.0.1:6379,10.9.8.6");
    net_route_batch(batch, sizeof batch);
    cr_assert(strstr(batch, "route add prohibit 10.9.8.7/32\n"), "%s", batch);
    cr_assert(strstr(batch, "route add prohibit 10.9.8.6/32\n"), "%s", batch);
    cr_assert(strstr(batch, "route add prohibit fd12::1/128\n"), "%s", batch);
    cr_assert_null(strstr(batch, "127.0.0.1"), "%s", batch);
}
