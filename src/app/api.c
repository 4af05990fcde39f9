/* api.c — request context, authentication and error answers shared by every handler. */
#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void api_begin_anonymous(struct ctx *c, struct http_request *r, void *app)
{
    memset(c, 0, sizeof *c);
    c->a = http_req_arena(r);
    c->app = app;
    c->req = r;
}

/* A run's token reads, and writes state versions of its workspace (terraform's remote state);
 * nothing else: not runs, variables, settings or other workspaces (those answer 404). */
static bool run_token_may(struct http_request *r)
{
    enum http_verb m = http_req_method(r);
    const char *path = http_req_path(r);
    if (m == HTTP_M_GET || m == HTTP_M_HEAD) return strncmp(path, "/api/v2/admin/", 14) != 0;
    size_t n = strlen(path);
    const char *suffix = "/state-versions";
    return m == HTTP_M_POST && strncmp(path, "/api/v2/workspaces/", 19) == 0 &&
           n > strlen(suffix) && strcmp(path + n - strlen(suffix), suffix) == 0;
}

const char *api_cookie(struct ctx *c, const char *name)
{
    const char *h = http_req_header(c->req, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        if (!strncmp(p, name, n) && p[n] == '=')
            return arena_strndup(c->a, p + n + 1,
                                 end ? (size_t)(end - p - n - 1) : strlen(p + n + 1));
        p = end;
    }
    return 0;
}

bool api_token_equal(const char *given, const char *expected)
{
    /* the length is no secret (every token has the same); the bytes are compared in constant
     * time so the answer's timing does not tell how much of a guess was right */
    size_t n = expected ? strlen(expected) : 0;
    return given && n && strlen(given) == n && sodium_memcmp(given, expected, n) == 0;
}

/* A browser's session cookie instead of a token: a request that changes something must also
 * carry the session's CSRF token in X-CSRF-Token (another site's page cannot read it). */
static int session_auth(struct ctx *c)
{
    const char *session = c->app->authenticate_session ? api_cookie(c, "strata_session") : 0;
    if (!session || c->app->authenticate_session(c->app, c->a, session, &c->who, &c->csrf))
        return ERR_UNAUTHORIZED;
    enum http_verb m = http_req_method(c->req);
    const char *given = http_req_header(c->req, "X-CSRF-Token");
    if (m != HTTP_M_GET && m != HTTP_M_HEAD && !api_token_equal(given, c->csrf)) {
        c->who = (struct principal){0};
        c->csrf = 0;
        return ERR_FORBIDDEN;
    }
    return 0;
}

int api_begin(struct ctx *c, struct http_request *r, void *app)
{
    api_begin_anonymous(c, r, app);
    const char *auth = http_req_header(r, "Authorization");
    const char *token = 0;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) token = auth + 7;
    while (token && *token == ' ')
        token++;
    int rc = token && *token ? c->app->authenticate(c->app, c->a, token, &c->who) : session_auth(c);
    if (rc == ERR_FORBIDDEN) {
        jsonapi_error(r, ERR_FORBIDDEN, "a CSRF token (X-CSRF-Token) is required", 0);
        return rc;
    }
    if (rc) {
        jsonapi_error(r, ERR_UNAUTHORIZED, 0, 0);
        return rc;
    }
    if (c->who.kind == PRINCIPAL_RUN && !run_token_may(r)) {
        jsonapi_error(r, ERR_NOT_FOUND, 0, 0);
        return ERR_NOT_FOUND;
    }
    return 0;
}

int api_begin_site_admin(struct ctx *c, struct http_request *r, void *app)
{
    if (api_begin(c, r, app)) return -1;
    if (!authz_site_admin(c)) {
        api_fail(c, ctx_fail(c, ERR_NOT_FOUND, "not found"));
        return -1;
    }
    return 0;
}

int ctx_fail(struct ctx *c, int err, const char *fmt, ...)
{
    if (!c->detail[0] && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->detail, sizeof c->detail, fmt, ap);
        va_end(ap);
    }
    return err;
}

int ctx_fail_at(struct ctx *c, int err, const char *pointer, const char *fmt, ...)
{
    if (!c->detail[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->detail, sizeof c->detail, fmt, ap);
        va_end(ap);
        c->pointer = pointer ? arena_strdup(c->a, pointer) : 0;
    }
    return err;
}

int ctx_fail_body(struct ctx *c, int err, const struct jsonapi_body *b)
{
    return ctx_fail_at(c, err, b->pointer, "%s", b->detail);
}

void api_fail(struct ctx *c, int err)
{
    int status = err_http_status(err);
    if (status >= 500) {
        log_error("%s %s failed: %s %s", http_req_method(c->req) == HTTP_M_GET ? "GET" : "write",
                  http_req_path(c->req), err_name(err), c->detail);
        /* internal details stay in the log */
        jsonapi_error(c->req, err, 0, 0);
        return;
    }
    jsonapi_error(c->req, err, c->detail[0] ? c->detail : 0, c->pointer);
}

char *api_url(struct ctx *c, const char *path)
{
    return arena_printf(c->a, "https://%s%s", c->app->hostname, path);
}

bool api_name_valid(const char *name, size_t max)
{
    size_t len = strlen(name);
    if (len == 0 || len > max) return false;
    for (; *name; name++)
        if (!isalnum((unsigned char)*name) && *name != '-' && *name != '_') return false;
    return true;
}
