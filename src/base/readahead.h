/* readahead.h — a thread that runs ahead of a reader by a few buffers: it calls a fill
 * function (a decrypting blob read) while the caller consumes what it filled before, so a
 * download's decryption and its TLS use two cores. Memory: depth × size, whatever the length. */
#ifndef STRATA_READAHEAD_H
#define STRATA_READAHEAD_H

#include <stddef.h>

struct readahead;

/* Fills buf (capacity cap) with the next bytes: *n == 0 at the end; non-zero is an error. It runs
 * on the thread only, never at the same time as the caller's use of arg. */
typedef int (*readahead_fill)(void *arg, void *buf, size_t cap, size_t *n);

/* Starts the thread. The caller ends it with readahead_stop before arg goes away. */
struct readahead *readahead_start(readahead_fill fill, void *arg, size_t size, int depth);
/* The next bytes in order (waits for the thread when it is behind); *n == 0 at the end, or the
 * fill's error once every byte before it was read. */
int readahead_read(struct readahead *ra, void *buf, size_t cap, size_t *n);
/* Stops the thread (it may be mid-fill: waits for that one) and frees ra. */
void readahead_stop(struct readahead *ra);

#endif
