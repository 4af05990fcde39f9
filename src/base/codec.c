/* codec.c — base64/hex through libsodium, digests through OpenSSL's EVP. */
#include "base/codec.h"
#include "base/arena.h"
#include "base/err.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *b64(struct arena *a, const void *p, size_t n, int variant)
{
    size_t cap = sodium_base64_encoded_len(n, variant);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, p, n, variant);
    return out;
}

char *codec_base64(struct arena *a, const void *p, size_t n)
{
    return b64(a, p, n, sodium_base64_VARIANT_ORIGINAL);
}

char *codec_base64url(struct arena *a, const void *p, size_t n)
{
    return b64(a, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int codec_base64_decode(struct arena *a, const char *s, bool url, unsigned char **out,
                        size_t *out_len)
{
    size_t len = strlen(s);
    unsigned char *bin = arena_alloc(a, len / 4 * 3 + 4);
    size_t n = 0;
    const char *end = 0;
    int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
    if (sodium_base642bin(bin, len / 4 * 3 + 3, s, len, "\n\r ", &n, &end, variant) != 0 ||
        (end && *end))
        return ERR_BAD_REQUEST;
    bin[n] = 0;
    *out = bin;
    *out_len = n;
    return 0;
}

char *codec_hex(struct arena *a, const void *p, size_t n)
{
    char *out = arena_alloc(a, n * 2 + 1);
    sodium_bin2hex(out, n * 2 + 1, p, n);
    return out;
}

char *codec_sha256_hex(struct arena *a, const void *p, size_t n)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(p, n, md, &mdlen, EVP_sha256(), 0);
    return codec_hex(a, md, mdlen);
}

struct codec_md5 *codec_md5_new(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_md5(), 0) != 1) abort();
    return (struct codec_md5 *)c;
}

void codec_md5_update(struct codec_md5 *m, const void *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)m, p, n);
}

void codec_md5_final(struct codec_md5 *m, char out[33])
{
    unsigned char md[16];
    unsigned int n = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)m, md, &n);
    sodium_bin2hex(out, 33, md, 16);
    EVP_MD_CTX_free((EVP_MD_CTX *)m);
}

void codec_md5_free(struct codec_md5 *m)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)m);
}

void codec_random_base62(char *out, size_t n)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(62)];
    out[n] = 0;
}

char *codec_new_id(struct arena *a, const char *prefix)
{
    char rnd[17];
    codec_random_base62(rnd, 16);
    return arena_printf(a, "%s-%s", prefix, rnd);
}

char *codec_now_iso(struct arena *a)
{
    return codec_iso_ms_ago(a, 0);
}

char *codec_iso_ms_ago(struct arena *a, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - ms;
    ts.tv_sec = (time_t)(t / 1000);
    ts.tv_nsec = (long)(t % 1000) * 1000000L;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

bool codec_parse_iso(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *rest = s + n;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
        }
    if (strcmp(rest, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return true;
}

bool codec_parse_iso_ms(const char *s, int64_t *out)
{
    int64_t secs;
    if (!codec_parse_iso(s, &secs)) return false;
    const char *dot = strchr(s, '.');
    int64_t ms = 0, scale = 100;
    for (const char *p = dot ? dot + 1 : ""; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
        ms += (*p - '0') * scale;
    *out = secs * 1000 + ms;
    return true;
}

char *codec_iso_of_unix(struct arena *a, int64_t t)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int64_t codec_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t codec_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t codec_now_unix(void)
{
    return (int64_t)time(0);
}

bool codec_email_valid(const char *s)
{
    if (!s || !strchr(s, '@') || strlen(s) > 254) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("<>,;\"", *s)) return false;
    return true;
}
