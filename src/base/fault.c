/* fault.c — the counters behind fault.h: one countdown per interface, armed by a test. */
#include "base/fault.h"

#ifdef STRATA_FAULT_INJECTION
#include "base/log.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FAULT_POINTS_] = {"store", "blob", "bus"};
/* calls left before the failing one; 0: disarmed */
static _Atomic long countdown[FAULT_POINTS_];

bool fault_enabled(void)
{
    static atomic_int state; /* 0 unread, 1 off, 2 on */
    int s = atomic_load(&state);
    if (!s) {
        const char *v = getenv("STRATA_FAULT_INJECTION");
        s = v && strcmp(v, "1") == 0 ? 2 : 1;
        atomic_store(&state, s);
    }
    return s == 2;
}

bool fault_arm(const char *spec)
{
    if (!fault_enabled() || !spec) return false;
    if (strcmp(spec, "off") == 0) {
        for (int i = 0; i < FAULT_POINTS_; i++)
            atomic_store(&countdown[i], 0);
        return true;
    }
    for (int i = 0; i < FAULT_POINTS_; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(spec, names[i], n) != 0 || spec[n] != ' ') continue;
        char *end;
        long v = strtol(spec + n + 1, &end, 10);
        if (*end || v < 1 || v > 1000000) return false;
        atomic_store(&countdown[i], v);
        return true;
    }
    return false;
}

bool fault_hit(enum fault_point p)
{
    long left = atomic_load(&countdown[p]);
    /* a compare-exchange loop: of two threads racing on the last count only one fails */
    while (left > 0 && !atomic_compare_exchange_weak(&countdown[p], &left, left - 1))
        ;
    if (left != 1) return false;
    log_warn("fault injected: %s call failed", names[p]);
    return true;
}
#else
typedef int fault_empty_unit; /* ISO C wants a translation unit to declare something */
#endif
