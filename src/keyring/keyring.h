/* keyring.h — enc_password → key-encryption key (Argon2id) → the data key (random, stored
 * wrapped in the database so every node opens the same one) → subkeys per purpose.
 * Sealing is XChaCha20-Poly1305: tampering is detected, never silently accepted.
 * Thread safety: read-only after keyring_open, shareable between threads. */
#ifndef STRATA_KEYRING_H
#define STRATA_KEYRING_H

#include <stddef.h>

struct arena;
struct store;
struct keyring;

enum keyring_purpose {
    KEYRING_VALUES = 1, /* sealed database values (secrets, outputs, tokens' plaintext) */
    KEYRING_BLOBS = 2,  /* blob streams (state files, logs) */
    KEYRING_URLS = 3,   /* HMAC of signed blob URLs */
};

/* Opens the keyring stored in the database, creating it on first start. Returns ERR_CONFIG when
 * enc_password does not open the existing data key (err says so), ERR_IO on database errors.
 * Nothing is written when the password is wrong. The caller frees *out with keyring_free. */
int keyring_open(struct store *s, const char *enc_password, struct keyring **out, char *err,
                 size_t errlen);
void keyring_free(struct keyring *k);

/* The data key itself, for a backup archive (which is sealed by its own password). */
void keyring_export(const struct keyring *k, unsigned char out[32]);
/* Makes key the installation's data key, stored wrapped by enc_password over the record there
 * (a restore into a new deployment); *out opens what key sealed. */
int keyring_replace(struct store *s, const char *enc_password, const unsigned char key[32],
                    struct keyring **out);

/* 32-byte subkey for a purpose, written to out. */
void keyring_subkey(const struct keyring *k, enum keyring_purpose purpose, unsigned char out[32]);

/* Where a sealed value is stored. It is bound into the seal (associated data), so a value
 * copied to another row, column or table does not open there. */
struct keyring_place {
    const char *table, *column, *row; /* row: the row's id (its primary key) */
};
#define KEYRING_AT(table, column, row) ((struct keyring_place){(table), (column), (row)})

/* Seals bytes for the place at into text ("v2:" + base64 of nonce || ciphertext), arena memory. */
char *keyring_seal_at(const struct keyring *k, struct arena *a, struct keyring_place at,
                      const void *p, size_t n);
/* Opens text made by keyring_seal_at for the same place, or a value sealed before places
 * existed (bare base64, opened as it was: it names no place). ERR_CRYPTO when it was tampered
 * with, moved from another place, or is not ours. *out is NUL-terminated arena memory. */
int keyring_unseal_at(const struct keyring *k, struct arena *a, struct keyring_place at,
                      const char *sealed, unsigned char **out, size_t *out_len);

#endif
