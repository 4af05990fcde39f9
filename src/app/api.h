/* api.h — what an API handler shares: the request context (arena, app, caller, first error),
 * authentication at the start, TFE-shaped errors at the end, and authorization by organization.
 * Domains take a struct ctx * as their first argument and report errors with ctx_fail. */
#ifndef STRATA_API_H
#define STRATA_API_H

#include "app/app.h"
#include "app/authz.h"
#include "app/principal.h"

#include <stdbool.h>
#include <stddef.h>

struct http_request;
struct jsonapi_body;

struct ctx {
    struct arena *a;
    struct app *app;
    struct principal who;
    struct http_request *req; /* NULL outside HTTP (tests, CLI) */
    const char *csrf;         /* the CSRF token of the browser session calling; NULL otherwise */
    /* the first error's detail for the client; code is what the domain returned */
    char detail[512];
    const char *pointer;
};

/* Sets up c for a request and authenticates the bearer token. On failure answers 401 and
 * returns non-zero: the handler just returns. */
int api_begin(struct ctx *c, struct http_request *r, void *app);
/* Same, for site administrators only: anyone else gets 404 (the admin API's existence is not
 * revealed) and -1. */
int api_begin_site_admin(struct ctx *c, struct http_request *r, void *app);
/* Same without requiring a token (discovery, ping, IACT, signed URLs). */
void api_begin_anonymous(struct ctx *c, struct http_request *r, void *app);

/* Records detail (printf-style) as the first error and returns err, so a domain can write
 * `return ctx_fail(c, ERR_CONFLICT, "...")`. */
int ctx_fail(struct ctx *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like ctx_fail with a JSON pointer (a body attribute) as the error's source. */
int ctx_fail_at(struct ctx *c, int err, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Copies a parse error from a request document into c and returns its code. */
int ctx_fail_body(struct ctx *c, int err, const struct jsonapi_body *b);

/* Answers the request with err in TFE's error shape, using c's detail. */
void api_fail(struct ctx *c, int err);

/* True for a name of 1 to max letters, digits, - and _ (organizations, workspaces, teams). */
bool api_name_valid(const char *name, size_t max);

/* The value of cookie name in the request, or NULL (arena memory). */
const char *api_cookie(struct ctx *c, const char *name);
/* Whether a secret token given by a client equals the expected one (both NUL-terminated; an
 * empty or absent expected token matches nothing), compared in constant time. */
bool api_token_equal(const char *given, const char *expected);

/* "https://<hostname><path>" in the arena. */
char *api_url(struct ctx *c, const char *path);

#endif
