/* codec.h — encodings, digests and identifiers; thin wrappers over libsodium and OpenSSL. */
#ifndef STRATA_CODEC_H
#define STRATA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* Standard base64 with padding, owned by the arena. */
char *codec_base64(struct arena *a, const void *p, size_t n);
/* URL-safe base64 without padding. */
char *codec_base64url(struct arena *a, const void *p, size_t n);
/* Decodes standard (or, when url is true, URL-safe unpadded) base64 into arena memory;
 * returns 0 or ERR_BAD_REQUEST on malformed input. *out is NUL-terminated for convenience. */
int codec_base64_decode(struct arena *a, const char *s, bool url, unsigned char **out,
                        size_t *out_len);
char *codec_hex(struct arena *a, const void *p, size_t n);

/* Hex SHA-256 of the bytes, owned by the arena. */
char *codec_sha256_hex(struct arena *a, const void *p, size_t n);

/* Incremental MD5 (the checksum TFE's state versions carry). */
struct codec_md5;
struct codec_md5 *codec_md5_new(void);
void codec_md5_update(struct codec_md5 *m, const void *p, size_t n);
/* Writes 32 hex chars + NUL into out and frees m. */
void codec_md5_final(struct codec_md5 *m, char out[33]);
void codec_md5_free(struct codec_md5 *m);

/* Fills out with n random base62 chars from the CSPRNG and a NUL. */
void codec_random_base62(char *out, size_t n);
/* A TFE-style id: prefix + "-" + 16 base62 chars ("ws-3kPq..."), owned by the arena. */
char *codec_new_id(struct arena *a, const char *prefix);

/* Now as TFE prints it: "2026-11-25T20:55:15.123Z", owned by the arena. */
char *codec_now_iso(struct arena *a);
/* The same for the moment ms milliseconds ago. */
char *codec_iso_ms_ago(struct arena *a, int64_t ms);
/* Reads "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC) into unix seconds; false when it is not that form. */
bool codec_parse_iso(const char *s, int64_t *out);
/* The same, in unix milliseconds (the fraction of a second kept). */
bool codec_parse_iso_ms(const char *s, int64_t *out);
/* The same form for a unix time (whole seconds). */
char *codec_iso_of_unix(struct arena *a, int64_t t);
/* Seconds since the epoch. */
int64_t codec_now_unix(void);
/* Wall-clock unix milliseconds (shared between nodes, unlike a monotonic clock). */
int64_t codec_now_ms(void);
/* Milliseconds of a clock that never jumps (CLOCK_MONOTONIC), for durations. */
int64_t codec_mono_ms(void);

/* Whether s may stand as an e-mail address: an @, at most 254 bytes, and no space, control
 * character or <>,;" — the address goes into mail headers and SMTP commands, where a line
 * break would add headers, recipients or commands of the sender's choosing. */
bool codec_email_valid(const char *s);

#endif
