/* crypto_test.c — keyring and sealed blobs: round trips, wrong password, tampering and
 * truncation detected, chunk boundaries. Real SQLite (in memory) and a real disk folder. */
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "blob/blob.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct store *store;
static struct keyring *kr;
static struct blob_store *blobs;
static char dir[] = "/tmp/strata-crypto-XXXXXX";
static char err[512];

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    cr_assert_eq(store_open_sqlite(":memory:", &store), 0);
    cr_assert_eq(store_migrate(store, 0, 0), 0);
    cr_assert_eq(keyring_open(store, "right password", &kr, err, sizeof err), 0, "%s", err);
    strcpy(dir, "/tmp/strata-crypto-XXXXXX");
    cr_assert(mkdtemp(dir));
    cr_assert_eq(blob_open_disk(dir, kr, &blobs), 0);
}

static void teardown(void)
{
    blob_store_free(blobs);
    keyring_free(kr);
    store_close(store);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(crypto, .init = setup, .fini = teardown);

Test(crypto, keyring_reopens_with_the_password_only)
{
    struct keyring *again = 0;
    cr_assert_eq(keyring_open(store, "right password", &again, err, sizeof err), 0);
    unsigned char a[32], b[32];
    keyring_subkey(kr, KEYRING_BLOBS, a);
    keyring_subkey(again, KEYRING_BLOBS, b);
    cr_assert_arr_eq(a, b, 32);
    keyring_free(again);
    cr_assert_eq(keyring_open(store, "wrong password", &again, err, sizeof err), ERR_CONFIG);
    cr_assert(strstr(err, "enc_password"), "%s", err);
}

#define VAR_AT(id) KEYRING_AT("variables", "sealed_value", (id))

Test(crypto, sealed_values_round_trip_and_detect_tampering)
{
    struct arena *a = arena_new();
    const char *secret = "hunter2";
    char *sealed = keyring_seal_at(kr, a, VAR_AT("var-1"), secret, strlen(secret));
    cr_assert_null(strstr(sealed, secret));
    cr_assert_eq(strncmp(sealed, "v2:", 3), 0, "%s", sealed);
    unsigned char *out;
    size_t n;
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), sealed, &out, &n), 0);
    cr_assert_eq(n, strlen(secret));
    cr_assert_str_eq((char *)out, secret);
    /* flip one base64 character in the ciphertext */
    char *bad = arena_strdup(a, sealed);
    size_t mid = strlen(bad) / 2;
    bad[mid] = bad[mid] == 'A' ? 'B' : 'A';
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), bad, &out, &n), ERR_CRYPTO);
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), "not base64 !!", &out, &n), ERR_CRYPTO);
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), "v2:not base64 !!", &out, &n),
                 ERR_CRYPTO);
    arena_free(a);
}

Test(crypto, a_sealed_value_moved_to_another_place_does_not_open)
{
    struct arena *a = arena_new();
    const char *secret = "the other workspace's secret";
    char *sealed = keyring_seal_at(kr, a, VAR_AT("var-victim"), secret, strlen(secret));
    unsigned char *out;
    size_t n;
    /* copied into the attacker's own row, into another column, into another table */
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-attacker"), sealed, &out, &n), ERR_CRYPTO);
    cr_assert_eq(keyring_unseal_at(kr, a, KEYRING_AT("variables", "description", "var-victim"),
                                   sealed, &out, &n),
                 ERR_CRYPTO);
    cr_assert_eq(keyring_unseal_at(kr, a, KEYRING_AT("ssh_keys", "sealed_value", "var-victim"),
                                   sealed, &out, &n),
                 ERR_CRYPTO);
    /* the parts are delimited: "ab"+"c" is not "a"+"bc" */
    char *joined = keyring_seal_at(kr, a, KEYRING_AT("t", "ab", "c"), "x", 1);
    cr_assert_eq(keyring_unseal_at(kr, a, KEYRING_AT("t", "a", "bc"), joined, &out, &n),
                 ERR_CRYPTO);
    /* nor stripped of its version to pass for a value sealed before places */
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-victim"), sealed + 3, &out, &n), ERR_CRYPTO);
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-victim"), sealed, &out, &n), 0);
    arena_free(a);
}

Test(crypto, a_value_sealed_before_places_still_opens)
{
    /* written as releases before format 2 did: base64(nonce || XChaCha20-Poly1305 of the value
     * under the values' subkey, with "strata-value" as associated data) */
    struct arena *a = arena_new();
    const char *secret = "an old secret";
    unsigned char key[32], buf[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 64];
    keyring_subkey(kr, KEYRING_VALUES, key);
    randombytes_buf(buf, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, (const unsigned char *)secret,
        strlen(secret), (const unsigned char *)"strata-value", 12, 0, buf, key);
    char *old = codec_base64(a, buf, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen);
    unsigned char *out;
    size_t n;
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), old, &out, &n), 0);
    cr_assert_str_eq((char *)out, secret);
    /* the same bytes presented as format 2 do not open: the version cannot be downgraded */
    cr_assert_eq(keyring_unseal_at(kr, a, VAR_AT("var-1"), arena_printf(a, "v2:%s", old), &out, &n),
                 ERR_CRYPTO);
    arena_free(a);
}

static void put(const char *key, const unsigned char *data, size_t n, size_t piece)
{
    struct blob_writer *w;
    cr_assert_eq(blob_writer_open(blobs, key, &w), 0);
    for (size_t off = 0; off < n; off += piece)
        cr_assert_eq(blob_writer_write(w, data + off, n - off < piece ? n - off : piece), 0);
    cr_assert_eq(blob_writer_size(w), (int64_t)n);
    cr_assert_eq(blob_writer_commit(w), 0);
}

/* Reads a blob back; returns the first error or 0 with the bytes in out. */
static int get(const char *key, unsigned char *out, size_t cap, size_t *got)
{
    struct blob_reader *r;
    int rc = blob_reader_open(blobs, key, &r);
    *got = 0;
    if (rc) return rc;
    for (;;) {
        size_t n = 0;
        rc = blob_reader_read(r, out + *got, cap - *got > 5000 ? 5000 : cap - *got, &n);
        if (rc || n == 0) break;
        *got += n;
    }
    blob_reader_close(r);
    return rc;
}

Test(crypto, blobs_round_trip_across_chunk_boundaries)
{
    size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *data = malloc(n + 1), *back = malloc(n + 1);
        randombytes_buf(data, n);
        put("t/blob", data, n, 7777);
        size_t got;
        cr_assert_eq(get("t/blob", back, n + 1, &got), 0, "size %zu", n);
        cr_assert_eq(got, n);
        cr_assert_eq(memcmp(data, back, n), 0);
        free(data);
        free(back);
    }
}

static void corrupt(const char *key, long offset, bool cut)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    if (cut) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        cr_assert_eq(truncate(path, size - offset), 0);
        return;
    }
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
}

Test(crypto, blob_tampering_is_detected)
{
    size_t n = 200000;
    unsigned char *data = malloc(n), *back = malloc(n);
    randombytes_buf(data, n);
    size_t got;
    long offsets[] = {2, 30, 100, 70000, 190000};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        put("t/tamper", data, n, n);
        corrupt("t/tamper", offsets[i], false);
        cr_assert_eq(get("t/tamper", back, n, &got), ERR_CRYPTO, "offset %ld", offsets[i]);
    }
    free(data);
    free(back);
}

Test(crypto, blob_truncation_is_detected)
{
    size_t n = 3 * 65536; /* ends on a chunk boundary: the FINAL chunk is empty */
    unsigned char *data = malloc(n), *back = malloc(n);
    randombytes_buf(data, n);
    size_t got;
    long cuts[] = {1, 16, 17, 65536 + 16, 65536 + 17}; /* 16: exactly the empty last chunk */
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        put("t/cut", data, n, n);
        corrupt("t/cut", cuts[i], true);
        cr_assert_eq(get("t/cut", back, n, &got), ERR_CRYPTO, "cut %ld", cuts[i]);
    }
    free(data);
    free(back);
}

/* Moves bytes [from, from + n) of a blob's file to the end of the file. */
static void move_to_end(const char *key, long from, long n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *all = malloc((size_t)size), *out = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    cr_assert_eq(fread(all, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    memcpy(out, all, (size_t)from);
    memcpy(out + from, all + from + n, (size_t)(size - from - n));
    memcpy(out + size - n, all + from, (size_t)n);
    f = fopen(path, "wb");
    cr_assert_eq(fwrite(out, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(all);
    free(out);
}

Test(crypto, blob_chunks_cannot_be_reordered)
{
    size_t n = 3 * 65536 + 100;
    unsigned char *data = malloc(n), *back = malloc(n);
    randombytes_buf(data, n);
    size_t got;
    put("t/order", data, n, n);
    move_to_end("t/order", 4 + 32, 65536 + 16); /* the first chunk goes last */
    cr_assert_eq(get("t/order", back, n, &got), ERR_CRYPTO);
    free(data);
    free(back);
}

Test(crypto, blobs_of_format_1_are_still_read)
{
    /* written as earlier versions did: "STB1", a secretstream header, 64 KiB chunks, FINAL */
    size_t n = 2 * 65536 + 5;
    unsigned char *data = malloc(n), *back = malloc(n + 1);
    randombytes_buf(data, n);
    unsigned char key32[32], header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    keyring_subkey(kr, KEYRING_BLOBS, key32);
    crypto_secretstream_xchacha20poly1305_state st;
    crypto_secretstream_xchacha20poly1305_init_push(&st, header, key32);
    char path[512];
    snprintf(path, sizeof path, "%s/t", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/t/old", dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fwrite("STB1", 1, 4, f);
    fwrite(header, 1, sizeof header, f);
    static unsigned char c[65536 + crypto_secretstream_xchacha20poly1305_ABYTES];
    for (size_t off = 0; off <= n; off += 65536) {
        size_t m = n - off < 65536 ? n - off : 65536;
        unsigned long long clen;
        crypto_secretstream_xchacha20poly1305_push(
            &st, c, &clen, data + off, m, 0, 0,
            m < 65536 ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
        fwrite(c, 1, (size_t)clen, f);
    }
    fclose(f);
    size_t got;
    cr_assert_eq(get("t/old", back, n + 1, &got), 0);
    cr_assert_eq(got, n);
    cr_assert_eq(memcmp(data, back, n), 0);
    corrupt("t/old", 70000, false);
    cr_assert_eq(get("t/old", back, n + 1, &got), ERR_CRYPTO);
    free(data);
    free(back);
}

Test(crypto, blob_keys_cannot_escape_the_store)
{
    struct blob_writer *w;
    cr_assert_eq(blob_writer_open(blobs, "../escape", &w), ERR_BAD_REQUEST);
    cr_assert_eq(blob_writer_open(blobs, "/abs", &w), ERR_BAD_REQUEST);
    struct blob_reader *r;
    cr_assert_eq(blob_reader_open(blobs, "missing/key", &r), ERR_NOT_FOUND);
}

Test(crypto, aborted_writes_leave_nothing)
{
    struct blob_writer *w;
    cr_assert_eq(blob_writer_open(blobs, "t/aborted", &w), 0);
    cr_assert_eq(blob_writer_write(w, "abc", 3), 0);
    blob_writer_abort(w);
    struct blob_reader *r;
    cr_assert_eq(blob_reader_open(blobs, "t/aborted", &r), ERR_NOT_FOUND);
}
