/* readahead_test.c — the read-ahead thread hands over every byte in order whatever the reader's
 * piece size, reports the fill's error only after the bytes before it, and can be stopped at
 * any point (full ring, mid-fill, never read). */
#include "base/readahead.h"

#include <criterion/criterion.h>
#include <string.h>

struct counter {
    size_t made, limit, step; /* bytes produced so far, the total, the most per fill */
    int err;                  /* returned once limit is reached, instead of the end */
};

static int fill(void *arg, void *buf, size_t cap, size_t *n)
{
    struct counter *c = arg;
    size_t left = c->limit - c->made, want = c->step < cap ? c->step : cap;
    *n = left < want ? left : want;
    if (*n == 0) return c->err;
    for (size_t i = 0; i < *n; i++)
        ((unsigned char *)buf)[i] = (unsigned char)((c->made + i) % 251);
    c->made += *n;
    return 0;
}

static size_t drain(struct readahead *ra, size_t piece, int *rc)
{
    unsigned char buf[70000];
    size_t total = 0, n;
    while (!(*rc = readahead_read(ra, buf, piece, &n)) && n) {
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(buf[i], (unsigned char)((total + i) % 251), "byte %zu", total + i);
        total += n;
    }
    return total;
}

Test(readahead, every_byte_in_order)
{
    size_t limits[] = {0, 1, 4096, 65536, 1000003};
    size_t pieces[] = {1, 1000, 65536, 70000};
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++)
        for (size_t j = 0; j < sizeof pieces / sizeof *pieces; j++) {
            if (pieces[j] == 1 && limits[i] > 65536) continue;
            struct counter c = {.limit = limits[i], .step = 40000};
            struct readahead *ra = readahead_start(fill, &c, 65536, 4);
            int rc;
            cr_assert_eq(drain(ra, pieces[j], &rc), limits[i]);
            cr_assert_eq(rc, 0);
            readahead_stop(ra);
        }
}

Test(readahead, error_after_the_bytes_before_it)
{
    struct counter c = {.limit = 300000, .step = 65536, .err = 42};
    struct readahead *ra = readahead_start(fill, &c, 65536, 3);
    int rc;
    cr_assert_eq(drain(ra, 10000, &rc), 300000);
    cr_assert_eq(rc, 42);
    size_t n = 1;
    unsigned char b;
    cr_assert_eq(readahead_read(ra, &b, 1, &n), 42, "the error stays");
    cr_assert_eq(n, 0);
    readahead_stop(ra);
}

Test(readahead, stopped_at_any_point)
{
    for (int reads = 0; reads < 5; reads++) {
        struct counter c = {.limit = (size_t)1 << 30, .step = 65536};
        struct readahead *ra = readahead_start(fill, &c, 65536, 2);
        unsigned char buf[1000];
        size_t n;
        for (int i = 0; i < reads; i++)
            cr_assert_eq(readahead_read(ra, buf, sizeof buf, &n), 0);
        readahead_stop(ra);
        cr_assert_lt(c.made, (size_t)1 << 30, "the thread did not run to the end");
    }
}
