/* gcm_stream.h — the chunked AEAD of blobs written in format 2: AES-256-GCM (AES-NI through
 * OpenSSL, about three times libsodium's XChaCha20-Poly1305 on this project's machines, which a
 * 100 MB state feels both ways) under a key of the blob's own: a keyed BLAKE2b of a random salt
 * kept in the blob's header. Chunk i has nonce i, and a chunk authenticates whether it is the
 * last one, so chunks cannot be reordered, dropped or cut short without the open failing. */
#ifndef STRATA_GCM_STREAM_H
#define STRATA_GCM_STREAM_H

#include <stdbool.h>
#include <stddef.h>

enum { GCM_SALT = 32, GCM_TAG = 16 };

struct gcm_stream;

/* A stream under key32 (the blobs' subkey) and the blob's salt. The caller frees it with
 * gcm_stream_free. */
struct gcm_stream *gcm_stream_new(const unsigned char key32[32],
                                  const unsigned char salt[GCM_SALT]);
void gcm_stream_free(struct gcm_stream *g);

/* Seals the next chunk: n bytes of in into out (n + GCM_TAG bytes). */
void gcm_stream_seal(struct gcm_stream *g, bool last, const unsigned char *in, size_t n,
                     unsigned char *out);
/* Opens the next chunk: n bytes of in (n >= GCM_TAG) into out (n - GCM_TAG bytes). 0, or
 * ERR_CRYPTO when it was altered, moved, or is not what last says. */
int gcm_stream_open(struct gcm_stream *g, bool last, const unsigned char *in, size_t n,
                    unsigned char *out);

#endif
