/* throttle.h — the sign-in throttle: attempts counted per (account, client address) in the
 * store, so every node shares the count and an attacker elsewhere cannot lock the owner out. */
#ifndef STRATA_WEB_THROTTLE_H
#define STRATA_WEB_THROTTLE_H

#include <stdint.h>

struct ctx;

enum { THROTTLE_WINDOW = 15 * 60, THROTTLE_ATTEMPTS = 5 };

/* Takes one attempt for username from the request's client address, atomically, before the
 * password is checked. 0: go on; ERR_TOO_MANY (detail set in c) with *retry_after seconds when
 * THROTTLE_ATTEMPTS were taken in the last THROTTLE_WINDOW; a store error otherwise. */
int throttle_take(struct ctx *c, const char *username, int64_t *retry_after);
/* Forgets the attempts of username from this address (after a sign-in that succeeded). */
int throttle_clear(struct ctx *c, const char *username);
/* Forgets every window that has ended (after a failed sign-in: the table holds live counts). */
int throttle_sweep(struct ctx *c);
/* The address a client is counted by, arena memory: an IPv6 client by its /64 (one host
 * usually holds the whole /64), any other as given. */
const char *throttle_address(struct ctx *c);

#endif
