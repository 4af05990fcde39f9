/* gcm_stream.c — one EVP context per stream, given a new nonce per chunk; the last-chunk flag
 * is the chunk's additional data. */
#include "blob/gcm_stream.h"
#include "base/err.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

struct gcm_stream {
    EVP_CIPHER_CTX *ctx;
    unsigned char key[32];
    uint64_t next; /* the next chunk's number */
};

struct gcm_stream *gcm_stream_new(const unsigned char key32[32], const unsigned char salt[GCM_SALT])
{
    struct gcm_stream *g = calloc(1, sizeof *g);
    if (!g || !(g->ctx = EVP_CIPHER_CTX_new())) abort();
    crypto_generichash(g->key, sizeof g->key, salt, GCM_SALT, key32, 32);
    return g;
}

void gcm_stream_free(struct gcm_stream *g)
{
    if (!g) return;
    EVP_CIPHER_CTX_free(g->ctx);
    sodium_memzero(g->key, sizeof g->key);
    free(g);
}

/* The next chunk's nonce: its number, big-endian, in the last 8 of 12 bytes. */
static void next_nonce(struct gcm_stream *g, unsigned char iv[12])
{
    uint64_t n = g->next++;
    for (int i = 0; i < 12; i++)
        iv[i] = i < 4 ? 0 : (unsigned char)(n >> (8 * (11 - i)));
}

void gcm_stream_seal(struct gcm_stream *g, bool last, const unsigned char *in, size_t n,
                     unsigned char *out)
{
    unsigned char iv[12], flag = last;
    int len = 0, fin = 0;
    next_nonce(g, iv);
    if (EVP_EncryptInit_ex(g->ctx, EVP_aes_256_gcm(), 0, g->key, iv) != 1 ||
        EVP_EncryptUpdate(g->ctx, 0, &len, &flag, 1) != 1 ||
        EVP_EncryptUpdate(g->ctx, out, &len, in, (int)n) != 1 ||
        EVP_EncryptFinal_ex(g->ctx, out + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG, out + n) != 1)
        abort(); /* only a broken OpenSSL fails here */
}

int gcm_stream_open(struct gcm_stream *g, bool last, const unsigned char *in, size_t n,
                    unsigned char *out)
{
    if (n < GCM_TAG) return ERR_CRYPTO;
    unsigned char iv[12], flag = last;
    int len = 0, fin = 0;
    size_t m = n - GCM_TAG;
    next_nonce(g, iv);
    if (EVP_DecryptInit_ex(g->ctx, EVP_aes_256_gcm(), 0, g->key, iv) != 1 ||
        EVP_DecryptUpdate(g->ctx, 0, &len, &flag, 1) != 1 ||
        EVP_DecryptUpdate(g->ctx, out, &len, in, (int)m) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG, (void *)(in + m)) != 1 ||
        EVP_DecryptFinal_ex(g->ctx, out + len, &fin) != 1)
        return ERR_CRYPTO;
    return 0;
}
