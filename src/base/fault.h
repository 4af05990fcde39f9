/* fault.h — fault injection, as SQLite tests itself: the Nth call of the store, blob or bus
 * interface fails, so tests can walk N over a flow and check that every failure ends cleanly.
 * Compiled in only with the CMake option STRATA_FAULT_INJECTION (on in the test build), and even
 * then dormant unless the node's environment has STRATA_FAULT_INJECTION=1; a release build has
 * neither the counters nor the request header that arms them. */
#ifndef STRATA_FAULT_H
#define STRATA_FAULT_H

#include <stdbool.h>

enum fault_point { FAULT_STORE, FAULT_BLOB, FAULT_BUS, FAULT_POINTS_ };

#ifdef STRATA_FAULT_INJECTION
/* Arms from a spec "store 3" (the 3rd store call from now fails, once), "blob 1", "bus 2", or
 * disarms with "off". Returns false for a spec it cannot read (nothing changes). Thread-safe;
 * calls count across every thread, so a run's worker and the API it calls count alike. */
bool fault_arm(const char *spec);
/* True when this call of the interface is the armed one (logged at warn, then disarmed). The
 * caller answers its interface's error as if the backend had failed. */
bool fault_hit(enum fault_point p);
/* Whether STRATA_FAULT_INJECTION=1 was in the environment (read once). */
bool fault_enabled(void);
#else
static inline bool fault_arm(const char *spec)
{
    (void)spec;
    return false;
}
static inline bool fault_hit(enum fault_point p)
{
    (void)p;
    return false;
}
static inline bool fault_enabled(void)
{
    return false;
}
#endif

#endif
