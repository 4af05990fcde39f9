/* keyring.c — the data key lives only in sodium's guarded memory once unwrapped. */
#include "keyring/keyring.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "store/store.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct keyring {
    unsigned char *data_key; /* sodium_malloc'd, 32 bytes, read-only */
};

enum { KEY_LEN = 32, NONCE_LEN = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };

static int derive_kek(const char *password, const unsigned char *salt, unsigned long long ops,
                      size_t mem, unsigned char kek[KEY_LEN])
{
    if (crypto_pwhash(kek, KEY_LEN, password, strlen(password), salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ERR_INTERNAL; /* out of memory for the KDF */
    return 0;
}

/* Associated data: bytes bound into the seal without being stored in it. */
struct ad {
    const void *p;
    size_t n;
};
#define AD_TEXT(s) ((struct ad){(s), strlen(s)})

static void seal_raw(const unsigned char key[KEY_LEN], const void *p, size_t n, struct ad ad,
                     unsigned char *out /* NONCE_LEN + n + ABYTES */)
{
    randombytes_buf(out, NONCE_LEN);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, &clen, p, n, ad.p, ad.n, 0, out,
                                               key);
}

static int open_raw(const unsigned char key[KEY_LEN], const unsigned char *in, size_t n,
                    struct ad ad, unsigned char *out, size_t *out_len)
{
    if (n < NONCE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES) return ERR_CRYPTO;
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, 0, in + NONCE_LEN, n - NONCE_LEN,
                                                   ad.p, ad.n, in, key) != 0)
        return ERR_CRYPTO;
    *out_len = (size_t)mlen;
    return 0;
}

static struct keyring *keyring_with(const unsigned char key[KEY_LEN])
{
    struct keyring *k = calloc(1, sizeof *k);
    if (!k) abort();
    k->data_key = sodium_malloc(KEY_LEN);
    if (!k->data_key) abort();
    memcpy(k->data_key, key, KEY_LEN);
    sodium_mprotect_readonly(k->data_key);
    return k;
}

/* Unwraps the stored data key; ERR_CONFIG when the password is wrong. */
static int unwrap(struct arena *a, const struct store_result *r, const char *password,
                  unsigned char key[KEY_LEN], char *err, size_t errlen)
{
    unsigned char *salt, *wrapped;
    size_t salt_len, wrapped_len;
    if (codec_base64_decode(a, store_cell(r, 0, 0), false, &salt, &salt_len) ||
        codec_base64_decode(a, store_cell(r, 0, 3), false, &wrapped, &wrapped_len) ||
        salt_len != crypto_pwhash_SALTBYTES) {
        snprintf(err, errlen, "keyring: the stored key record is damaged");
        return ERR_CONFIG;
    }
    unsigned char kek[KEY_LEN];
    int rc = derive_kek(password, salt, (unsigned long long)store_cell_int(r, 0, 1),
                        (size_t)store_cell_int(r, 0, 2), kek);
    if (rc) return rc;
    size_t n = 0;
    unsigned char plain[KEY_LEN + 64];
    if (wrapped_len > sizeof plain ||
        open_raw(kek, wrapped, wrapped_len, AD_TEXT("strata-data-key"), plain, &n) != 0 ||
        n != KEY_LEN) {
        sodium_memzero(kek, sizeof kek);
        snprintf(err, errlen,
                 "setting \"enc_password\": does not open the existing encrypted "
                 "data; use the enc_password this installation was created with (nothing was "
                 "changed)");
        return ERR_CONFIG;
    }
    memcpy(key, plain, KEY_LEN);
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(kek, sizeof kek);
    return 0;
}

/* Stores key wrapped by a KEK from the password: a new record, or (replace) over the one there. */
static int store_wrapped(struct store *s, struct arena *a, const char *password,
                         const unsigned char key[KEY_LEN], bool replace)
{
    unsigned char salt[crypto_pwhash_SALTBYTES], kek[KEY_LEN];
    unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    randombytes_buf(salt, sizeof salt);
    int rc = derive_kek(password, salt, ops, mem, kek);
    if (rc) return rc;
    unsigned char wrapped[NONCE_LEN + KEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
    seal_raw(kek, key, KEY_LEN, AD_TEXT("strata-data-key"), wrapped);
    sodium_memzero(kek, sizeof kek);
    return store_exec(s,
                      replace ? "UPDATE keyring SET kdf = 'argon2id13', salt = $1, opslimit = $2, "
                                "memlimit = $3, wrapped_key = $4, created_at = $5 WHERE id = "
                                "'primary'"
                              : "INSERT INTO keyring (id, kdf, salt, opslimit, memlimit, "
                                "wrapped_key, created_at) VALUES ('primary', 'argon2id13', $1, "
                                "$2, $3, $4, $5)",
                      S_ARGS(S_TEXT(codec_base64(a, salt, sizeof salt)), S_INT((int64_t)ops),
                             S_INT((int64_t)mem), S_TEXT(codec_base64(a, wrapped, sizeof wrapped)),
                             S_TEXT(codec_now_iso(a))),
                      0);
}

/* Creates and stores a new data key wrapped by a KEK from the password. */
static int create(struct store *s, struct arena *a, const char *password,
                  unsigned char key[KEY_LEN])
{
    randombytes_buf(key, KEY_LEN);
    return store_wrapped(s, a, password, key, false);
}

void keyring_export(const struct keyring *k, unsigned char out[32])
{
    memcpy(out, k->data_key, KEY_LEN);
}

int keyring_replace(struct store *s, const char *enc_password, const unsigned char key[32],
                    struct keyring **out)
{
    struct arena *a = arena_new();
    int rc = store_wrapped(s, a, enc_password, key, true);
    arena_free(a);
    if (!rc) *out = keyring_with(key);
    return rc;
}

int keyring_open(struct store *s, const char *enc_password, struct keyring **out, char *err,
                 size_t errlen)
{
    struct arena *a = arena_new();
    unsigned char key[KEY_LEN];
    const char *q =
        "SELECT salt, opslimit, memlimit, wrapped_key FROM keyring WHERE id = 'primary'";
    struct store_result r;
    int rc = store_query(s, a, q, 0, 0, &r);
    if (!rc && r.nrows == 0) {
        rc = create(s, a, enc_password, key);
        if (rc == ERR_CONFLICT)
            rc = store_query(s, a, q, 0, 0, &r); /* another node won */
        else if (!rc)
            log_info("keyring: created a new data key");
    }
    if (!rc && r.nrows == 1) rc = unwrap(a, &r, enc_password, key, err, errlen);
    if (rc == ERR_IO) snprintf(err, errlen, "keyring: cannot read the key record");
    if (!rc) *out = keyring_with(key);
    sodium_memzero(key, sizeof key);
    arena_free(a);
    return rc;
}

void keyring_free(struct keyring *k)
{
    if (!k) return;
    sodium_free(k->data_key);
    free(k);
}

void keyring_subkey(const struct keyring *k, enum keyring_purpose purpose, unsigned char out[32])
{
    crypto_kdf_derive_from_key(out, 32, (uint64_t)purpose, "strata__", k->data_key);
}

/* Format 2 is "v2:" + base64(nonce || ciphertext) sealed with "strata-value-2", table, column
 * and row as associated data, each ended by a NUL (no name holds one, so no two places share
 * an encoding). Format 1 is the bare base64 (whose alphabet has no ':') sealed with
 * "strata-value" alone: still opened, wherever it is, until its next write replaces it. */
#define V2_PREFIX "v2:"

static struct ad place_ad(struct arena *a, struct keyring_place at)
{
    const char *parts[] = {"strata-value-2", at.table, at.column, at.row};
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        n += strlen(parts[i] ? parts[i] : "") + 1;
    char *buf = arena_alloc(a, n), *w = buf;
    for (size_t i = 0; i < 4; i++) {
        size_t len = strlen(parts[i] ? parts[i] : "");
        memcpy(w, parts[i] ? parts[i] : "", len);
        w[len] = 0;
        w += len + 1;
    }
    return (struct ad){buf, n};
}

char *keyring_seal_at(const struct keyring *k, struct arena *a, struct keyring_place at,
                      const void *p, size_t n)
{
    unsigned char key[KEY_LEN];
    keyring_subkey(k, KEYRING_VALUES, key);
    size_t len = NONCE_LEN + n + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *buf = arena_alloc(a, len);
    seal_raw(key, p, n, place_ad(a, at), buf);
    sodium_memzero(key, sizeof key);
    return arena_printf(a, V2_PREFIX "%s", codec_base64(a, buf, len));
}

int keyring_unseal_at(const struct keyring *k, struct arena *a, struct keyring_place at,
                      const char *sealed, unsigned char **out, size_t *out_len)
{
    if (!sealed) return ERR_CRYPTO;
    bool v2 = strncmp(sealed, V2_PREFIX, strlen(V2_PREFIX)) == 0;
    unsigned char *bin;
    size_t n;
    if (codec_base64_decode(a, sealed + (v2 ? strlen(V2_PREFIX) : 0), false, &bin, &n))
        return ERR_CRYPTO;
    unsigned char key[KEY_LEN];
    keyring_subkey(k, KEYRING_VALUES, key);
    unsigned char *plain = arena_alloc(a, n + 1);
    int rc = open_raw(key, bin, n, v2 ? place_ad(a, at) : AD_TEXT("strata-value"), plain, out_len);
    sodium_memzero(key, sizeof key);
    if (rc) return rc;
    plain[*out_len] = 0;
    *out = plain;
    return 0;
}
