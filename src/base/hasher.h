/* hasher.h — an MD5 computed on a thread of its own while the caller goes on (a state upload
 * seals and writes while its MD5 is computed: MD5 is slower than the rest on one core).
 * Bytes are copied into a ring of 256 KiB slots; memory stays at 2 MiB whatever the size. */
#ifndef STRATA_HASHER_H
#define STRATA_HASHER_H

#include <stddef.h>

struct hasher;

/* The caller ends it with exactly one of hasher_final or hasher_free. */
struct hasher *hasher_new(void);
/* Hands n bytes over (waits while the ring is full). */
void hasher_update(struct hasher *h, const void *p, size_t n);
/* Waits for the last bytes and writes the MD5 as 32 hex characters; frees h. */
void hasher_final(struct hasher *h, char out[33]);
void hasher_free(struct hasher *h);

#endif
