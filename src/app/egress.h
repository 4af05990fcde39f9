/* egress.h — the guard on connections the node makes to an address a user chose (notification
 * destinations): each address libcurl is about to connect to, after DNS resolution, is refused
 * when it is loopback, link-local, private, unspecified, multicast or reserved (IPv4 and IPv6,
 * v4-mapped included) or one of the node's own, unless the site's allowed_internal_cidrs
 * setting lists it. Checking at connect time, not when the URL is saved, leaves DNS no
 * window to answer differently (rebinding). docs/permissions.md, "Notification destinations". */
#ifndef STRATA_EGRESS_H
#define STRATA_EGRESS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* What the guard saw on one transfer; lives as long as the curl handle's transfer. */
struct egress_guard {
    const char *allowed; /* comma-separated CIDRs a site admin allows, "" for none */
    bool refused;        /* a connection was refused by the guard */
    char why[160];       /* the first refusal, for the user: address class and the setting */
};

/* Sets h up for a user's URL: every connection is checked by g (which must outlive the
 * transfer), no proxy from the environment (the guard would see the proxy, not the
 * destination), no redirects. allowed is kept by pointer. */
void egress_guard_apply(CURL *h, struct egress_guard *g, const char *allowed);

/* The class of an address that users may not reach ("loopback", "private", ...), or NULL when
 * it is an ordinary internet address; the node's own interface addresses are "this node's".
 * sa is an AF_INET or AF_INET6 address. Thread-safe. */
const char *egress_internal_class(const struct sockaddr *sa);

#endif
