/* node_cache_test.c — the node cache on the in-process bus and an SQLite store: a forgotten key
 * misses, a value read before a change is not kept, a transaction's change is forgotten only
 * when it commits, entries expire. */
#include "app/node_cache.h"
#include "base/arena.h"
#include "base/err.h"
#include "bus/bus.h"
#include "store/store.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct bus *bus;
static struct store *store;
static struct node_cache *nc;
static struct arena *a;
static char dir[] = "/tmp/node-cache-XXXXXX";

static void setup(void)
{
    cr_assert(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/db", dir);
    cr_assert_eq(store_open_sqlite(path, &store), 0);
    bus = bus_new_local();
    cr_assert_eq(node_cache_new(bus, "test", 200, &nc), 0);
    a = arena_new();
}

static void teardown(void)
{
    arena_free(a);
    bus_free(bus);
    node_cache_free(nc);
    store_close(store);
    char path[64];
    snprintf(path, sizeof path, "%s/db", dir);
    unlink(path);
    rmdir(dir);
}

/* The value of key as text, or NULL on a miss. */
static const char *get(const char *key, uint64_t *ticket)
{
    const void *v;
    size_t len;
    uint64_t t;
    if (node_cache_get(nc, a, key, &v, &len, ticket ? ticket : &t)) return 0;
    return v;
}

static void put(uint64_t ticket, const char *key, const char *value)
{
    node_cache_put(nc, ticket, key, value, strlen(value) + 1);
}

TestSuite(node_cache, .init = setup, .fini = teardown);

Test(node_cache, keeps_what_was_put_and_forgets_it)
{
    uint64_t t;
    cr_assert_null(get("i:1", &t));
    put(t, "i:1", "one");
    put(t, "i:2", "two");
    cr_assert_str_eq(get("i:1", 0), "one");
    node_cache_forget(nc, store, "i:1");
    cr_assert_null(get("i:1", 0));
    cr_assert_str_eq(get("i:2", 0), "two");
    node_cache_forget(nc, store, 0); /* everything */
    cr_assert_null(get("i:2", 0));
}

Test(node_cache, a_value_read_before_a_change_is_not_kept)
{
    uint64_t t;
    cr_assert_null(get("i:1", &t));      /* the reader misses, then asks the database... */
    node_cache_forget(nc, store, "i:9"); /* ...while another key changes */
    put(t, "i:1", "stale?");
    cr_assert_null(get("i:1", &t));
    put(t, "i:1", "fresh");
    cr_assert_str_eq(get("i:1", 0), "fresh");
}

Test(node_cache, a_change_is_forgotten_when_its_transaction_commits)
{
    uint64_t t;
    get("i:1", &t);
    put(t, "i:1", "old");
    cr_assert_eq(store_begin(store), 0);
    cr_assert(store_in_transaction(store));
    node_cache_forget(nc, store, "i:1");
    cr_assert_str_eq(get("i:1", &t), "old"); /* others still read the committed row */
    cr_assert_eq(store_begin(store), 0);     /* a savepoint's commit is not the commit */
    cr_assert_eq(store_commit(store), 0);
    cr_assert_str_eq(get("i:1", 0), "old");
    cr_assert_eq(store_commit(store), 0);
    cr_assert_not(store_in_transaction(store));
    cr_assert_null(get("i:1", 0));
    /* a reader that started before that commit keeps nothing */
    put(t, "i:1", "old again");
    cr_assert_null(get("i:1", 0));
}

Test(node_cache, a_rolled_back_change_forgets_nothing)
{
    uint64_t t;
    get("i:1", &t);
    put(t, "i:1", "kept");
    cr_assert_eq(store_begin(store), 0);
    node_cache_forget(nc, store, "i:1");
    store_rollback(store);
    cr_assert_str_eq(get("i:1", 0), "kept");
}

Test(node_cache, entries_expire)
{
    uint64_t t;
    get("i:1", &t);
    put(t, "i:1", "brief");
    cr_assert_str_eq(get("i:1", 0), "brief");
    struct timespec pause = {0, 250 * 1000 * 1000}; /* the cache's TTL is 200 ms */
    nanosleep(&pause, 0);
    cr_assert_null(get("i:1", 0));
}

Test(node_cache, a_null_cache_misses_and_keeps_nothing)
{
    const void *v;
    size_t len;
    uint64_t t;
    cr_assert_eq(node_cache_get(0, a, "k", &v, &len, &t), ERR_NOT_FOUND);
    node_cache_put(0, t, "k", "v", 2);
    node_cache_forget(0, store, "k");
}
