/* signed_url.c — token = base64url("purpose|object|expiry") "." base64url(HMAC-SHA256). */
#include "app/signed_url.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "keyring/keyring.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mac(struct ctx *c, const char *payload, unsigned char out[32])
{
    unsigned char key[32];
    keyring_subkey(c->app->keyring, KEYRING_URLS, key);
    crypto_auth_hmacsha256(out, (const unsigned char *)payload, strlen(payload), key);
    sodium_memzero(key, sizeof key);
}

char *signed_url_make(struct ctx *c, const char *prefix, const char *purpose, const char *object,
                      int64_t ttl)
{
    char *payload =
        arena_printf(c->a, "%s|%s|%lld", purpose, object, (long long)(codec_now_unix() + ttl));
    unsigned char m[32];
    mac(c, payload, m);
    char *token = arena_printf(c->a, "%s.%s", codec_base64url(c->a, payload, strlen(payload)),
                               codec_base64url(c->a, m, sizeof m));
    return api_url(c, arena_printf(c->a, "%s/%s", prefix, token));
}

int signed_url_check(struct ctx *c, const char *purpose, const char *token, const char **object)
{
    const char *dot = strchr(token, '.');
    if (!dot) return ERR_NOT_FOUND;
    unsigned char *payload, *m;
    size_t plen, mlen;
    if (codec_base64_decode(c->a, arena_strndup(c->a, token, (size_t)(dot - token)), true, &payload,
                            &plen) ||
        codec_base64_decode(c->a, dot + 1, true, &m, &mlen) || mlen != 32)
        return ERR_NOT_FOUND;
    unsigned char want[32];
    mac(c, (const char *)payload, want);
    if (sodium_memcmp(want, m, 32) != 0) return ERR_NOT_FOUND;
    char *p = (char *)payload;
    char *bar1 = strchr(p, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : 0;
    if (!bar2) return ERR_NOT_FOUND;
    *bar1 = *bar2 = 0;
    if (strcmp(p, purpose) != 0) return ERR_NOT_FOUND;
    if (strtoll(bar2 + 1, 0, 10) < codec_now_unix()) return ERR_NOT_FOUND;
    *object = bar1 + 1;
    return 0;
}
