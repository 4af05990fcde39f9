/* stmt_cache_test.c — statements are found by SQL text and argument count; when every slot is
 * taken the oldest is handed back for release, in turn. */
#include "store/stmt_cache.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

static int released;
static void count(void *stmt)
{
    (void)stmt;
    released++;
}

Test(stmt_cache, find_put_evict_clear)
{
    struct stmt_cache c = {0};
    char sql[64];
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        void *evicted;
        bool taken;
        int slot = stmt_cache_slot(&c, &evicted, &taken);
        cr_assert(!taken);
        snprintf(sql, sizeof sql, "SELECT %d", i);
        stmt_cache_put(&c, slot, sql, 1, (void *)(intptr_t)(i + 1));
    }
    cr_assert_eq(stmt_cache_find(&c, "SELECT 7", 1), 7);
    cr_assert_eq(stmt_cache_find(&c, "SELECT 7", 2), -1, "another argument count");
    cr_assert_eq(stmt_cache_find(&c, "SELECT 999", 1), -1);
    for (int i = 0; i < 2; i++) { /* full: the oldest go, in turn */
        void *evicted;
        bool taken;
        int slot = stmt_cache_slot(&c, &evicted, &taken);
        cr_assert(taken);
        cr_assert_eq(slot, i);
        cr_assert_eq((intptr_t)evicted, i + 1);
        cr_assert_eq(stmt_cache_find(&c, i ? "SELECT 1" : "SELECT 0", 1), -1);
        stmt_cache_put(&c, slot, "SELECT new", 1, (void *)(intptr_t)1000);
    }
    stmt_cache_clear(&c, count);
    cr_assert_eq(released, STMT_CACHE_SIZE);
    cr_assert_eq(stmt_cache_find(&c, "SELECT new", 1), -1);
}
