/* signed_url.h — upload and download URLs for blobs that carry their own authorization
 * (TFE hands the CLI such "hosted" URLs): an HMAC over purpose, object and expiry, keyed from
 * the keyring, so any node can check a URL another node made. */
#ifndef STRATA_SIGNED_URL_H
#define STRATA_SIGNED_URL_H

#include <stdint.h>

struct ctx;

/* "https://<hostname><prefix>/<token>" valid for ttl seconds, in the arena. purpose and
 * object must not contain '|'. */
char *signed_url_make(struct ctx *c, const char *prefix, const char *purpose, const char *object,
                      int64_t ttl);
/* Checks a token from such a URL for purpose; sets *object (arena) and returns 0, or returns
 * ERR_NOT_FOUND when it is forged, for another purpose or expired. */
int signed_url_check(struct ctx *c, const char *purpose, const char *token, const char **object);

#endif
