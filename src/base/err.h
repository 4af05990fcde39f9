/* err.h — error codes shared by every layer: negative ints, each mapped to an HTTP status and a
 * JSON:API title in one X-macro table so a domain error becomes the right answer without a switch.
 */
#ifndef STRATA_ERR_H
#define STRATA_ERR_H

/* X(name, http status, title) */
#define ERR_TABLE(X)                                                                               \
    X(ERR_BAD_REQUEST, 400, "bad request")                                                         \
    X(ERR_UNAUTHORIZED, 401, "unauthorized")                                                       \
    X(ERR_FORBIDDEN, 403, "forbidden")                                                             \
    X(ERR_NOT_FOUND, 404, "not found")                                                             \
    X(ERR_METHOD, 405, "method not allowed")                                                       \
    X(ERR_CONFLICT, 409, "conflict")                                                               \
    X(ERR_TOO_LARGE, 413, "payload too large")                                                     \
    X(ERR_UNSUPPORTED_MEDIA, 415, "unsupported media type")                                        \
    X(ERR_INVALID, 422, "invalid attribute")                                                       \
    X(ERR_TOO_MANY, 429, "too many requests")                                                      \
    X(ERR_INTERNAL, 500, "internal server error")                                                  \
    X(ERR_UNAVAILABLE, 503, "service unavailable")                                                 \
    X(ERR_IO, 500, "storage error")                                                                \
    X(ERR_CRYPTO, 500, "integrity check failed")                                                   \
    X(ERR_CONFIG, 500, "invalid configuration")                                                    \
    X(ERR_HEADERS_TOO_LARGE, 431, "request header fields too large")

enum err_code {
    ERR_OK = 0,
#define ERR_ENUM(name, status, title) name##_,
    ERR_FIRST_ = 0,
    ERR_TABLE(ERR_ENUM) ERR_LAST_
#undef ERR_ENUM
};

/* Error values are the negated enum positions so that 0 stays "ok" and every failure is < 0. */
#define ERR_ENUM_NEG(name, status, title) enum { name = -(int)name##_ };
ERR_TABLE(ERR_ENUM_NEG)
#undef ERR_ENUM_NEG

/* HTTP status for an error value (500 for unknown values). */
int err_http_status(int err);
/* JSON:API title for an error value; a static string. */
const char *err_title(int err);
/* Symbolic name ("ERR_CONFLICT") for logs; a static string. */
const char *err_name(int err);

#endif
