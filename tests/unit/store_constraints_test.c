/* store_constraints_test.c — a failed constraint comes back typed, never as a bare storage
 * error: unique 409, foreign key 404 (the row refers to one that is not there), not null and
 * check 422. Real SQLite with the node's own pragmas (foreign keys on), and real PostgreSQL when
 * STRATA_TEST_PG_CONNINFO names one (tests/e2e/test_store_constraints.py starts it and runs
 * this). */
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct store *s;
static char path[] = "/tmp/store_constraints_XXXXXX";

static void make_tables(void)
{
    cr_assert_eq(store_exec(s, "CREATE TABLE parent (name TEXT PRIMARY KEY)", 0, 0, 0), 0);
    cr_assert_eq(store_exec(s,
                            "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT NOT NULL "
                            "REFERENCES parent (name), n BIGINT CHECK (n >= 0))",
                            0, 0, 0),
                 0);
    cr_assert_eq(store_exec(s, "INSERT INTO parent (name) VALUES ('acme')", 0, 0, 0), 0);
}

static void setup(void)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(store_open_sqlite(path, &s), 0);
    make_tables();
}

static void teardown(void)
{
    store_close(s);
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

TestSuite(store_constraints, .init = setup, .fini = teardown);

static void check_typed(void)
{
    const char *ins = "INSERT INTO child (id, parent, n) VALUES ($1, $2, $3)";
    cr_assert_eq(store_exec(s, ins, S_ARGS(S_TEXT("c1"), S_TEXT("acme"), S_INT(1)), 0), 0);
    cr_assert_eq(store_exec(s, ins, S_ARGS(S_TEXT("c1"), S_TEXT("acme"), S_INT(1)), 0),
                 ERR_CONFLICT, "unique");
    cr_assert_eq(store_exec(s, ins, S_ARGS(S_TEXT("c2"), S_TEXT("no-such-org"), S_INT(1)), 0),
                 ERR_NOT_FOUND, "foreign key");
    cr_assert_eq(store_exec(s, ins, S_ARGS(S_TEXT("c3"), S_TEXT(0), S_INT(1)), 0), ERR_INVALID,
                 "not null");
    cr_assert_eq(store_exec(s, ins, S_ARGS(S_TEXT("c4"), S_TEXT("acme"), S_INT(-1)), 0),
                 ERR_INVALID, "check");
    /* anything else stays a storage error */
    cr_assert_eq(store_exec(s, "INSERT INTO nowhere VALUES (1)", 0, 0, 0), ERR_IO);
}

Test(store_constraints, each_failed_constraint_is_typed_on_sqlite)
{
    check_typed();
}

Test(store_constraints_pg, each_failed_constraint_is_typed_on_postgresql)
{
    const char *conninfo = getenv("STRATA_TEST_PG_CONNINFO");
    if (!conninfo)
        cr_skip_test("no PostgreSQL named (tests/e2e/test_store_constraints.py runs this)");
    cr_assert_eq(store_open_postgres(conninfo, 2, &s), 0);
    make_tables();
    check_typed();
    store_close(s);
}
