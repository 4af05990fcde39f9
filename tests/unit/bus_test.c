/* bus_test.c — the in-process queue: order per queue, timeouts, shutdown wakes waiters. */
#include "base/err.h"
#include "bus/bus.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

Test(bus, jobs_come_out_in_order_per_queue)
{
    struct bus *b = bus_new_local();
    cr_assert_eq(bus_enqueue(b, "runs", "a"), 0);
    cr_assert_eq(bus_enqueue(b, "other", "x"), 0);
    cr_assert_eq(bus_enqueue(b, "runs", "b"), 0);
    char job[256];
    cr_assert_eq(bus_claim(b, "runs", 0, job, sizeof job), 0);
    cr_assert_str_eq(job, "a");
    cr_assert_eq(bus_claim(b, "runs", 0, job, sizeof job), 0);
    cr_assert_str_eq(job, "b");
    cr_assert_eq(bus_claim(b, "runs", 50, job, sizeof job), ERR_NOT_FOUND);
    cr_assert_eq(bus_claim(b, "other", 0, job, sizeof job), 0);
    cr_assert_str_eq(job, "x");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_assert_eq(bus_enqueue(b, "runs", big), ERR_BAD_REQUEST);
    bus_free(b);
}

static void *waiter(void *arg)
{
    char job[256];
    return (void *)(long)bus_claim(arg, "runs", 10000, job, sizeof job);
}

Test(bus, shutdown_wakes_waiters)
{
    struct bus *b = bus_new_local();
    pthread_t t;
    pthread_create(&t, 0, waiter, b);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, 0);
    bus_shutdown(b);
    void *rc;
    pthread_join(t, &rc);
    cr_assert_eq((long)rc, ERR_UNAVAILABLE);
    bus_free(b);
}

static void *producer(void *arg)
{
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, 0);
    bus_enqueue(arg, "runs", "late");
    return 0;
}

Test(bus, a_waiting_claim_gets_a_later_job)
{
    struct bus *b = bus_new_local();
    pthread_t t;
    pthread_create(&t, 0, producer, b);
    char job[256];
    cr_assert_eq(bus_claim(b, "runs", 5000, job, sizeof job), 0);
    cr_assert_str_eq(job, "late");
    pthread_join(t, 0);
    bus_free(b);
}
