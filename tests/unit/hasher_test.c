/* hasher_test.c — the background MD5 gives the MD5 of what was handed over, for any size and
 * any way of cutting it (slot boundaries included), and can be abandoned midway. */
#include "base/codec.h"
#include "base/hasher.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void expect_same(const unsigned char *data, size_t n, size_t piece)
{
    struct codec_md5 *ref = codec_md5_new();
    codec_md5_update(ref, data, n);
    char want[33], got[33];
    codec_md5_final(ref, want);
    struct hasher *h = hasher_new();
    for (size_t off = 0; off < n; off += piece)
        hasher_update(h, data + off, n - off < piece ? n - off : piece);
    hasher_final(h, got);
    cr_assert_str_eq(got, want, "size %zu in pieces of %zu", n, piece);
}

Test(hasher, same_md5_as_in_line)
{
    size_t max = 5 * 1024 * 1024 + 7;
    unsigned char *data = malloc(max);
    cr_assert_not_null(data);
    for (size_t i = 0; i < max; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    size_t sizes[] = {0, 1, 262143, 262144, 262145, 2 * 1024 * 1024, max};
    size_t pieces[] = {1000, 16384, 262144, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t j = 0; j < sizeof pieces / sizeof *pieces; j++)
            if (sizes[i] < 300000 || pieces[j] >= 16384) expect_same(data, sizes[i], pieces[j]);
    free(data);
}

Test(hasher, abandoned_midway)
{
    struct hasher *h = hasher_new();
    char buf[100000] = {0};
    for (int i = 0; i < 40; i++)
        hasher_update(h, buf, sizeof buf);
    hasher_free(h);
}
