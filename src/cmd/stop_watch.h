/* stop_watch.h — a bound on a node's whole stop: each stage of it (joining a thread, closing a
 * service) waits on something outside the node (a database, S3, a run), and a harness or a
 * service manager kills a node that has not stopped after a while, leaving no word of why. */
#ifndef STRATA_STOP_WATCH_H
#define STRATA_STOP_WATCH_H

#include <stdint.h>

struct stop_watch;

/* Starts the watch: if stop_watch_end has not come within max_ms, the stage last named is
 * logged as the one that did not end and the process exits at once with status 1 (what the
 * node was running is recovered at its next start, as after a crash). Aborts when no thread can
 * be made (a node that cannot stop within its bound is not one to keep running). */
struct stop_watch *stop_watch_start(int64_t max_ms);

/* Names what the stop waits on from now on; stage is a string literal (kept, not copied). */
void stop_watch_stage(struct stop_watch *w, const char *stage);

/* The stop ended in time: the watch ends and is freed. */
void stop_watch_end(struct stop_watch *w);

#endif
