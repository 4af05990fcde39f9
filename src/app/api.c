/* api.c — request context, authentication and error answers shared by every handler. */
#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/fault.h"
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
    /* test builds only (base/fault.h): a request arms the fault its own calls walk into */
    const char *fault = fault_enabled() ? http_req_header(r, "X-Strata-Fault") : 0;
    if (fault && !fault_arm(fault)) log_warn("fault injection: cannot read %s", fault);
}

/* The routes a run's token may call: TFE's per-run token "can read and write state data for
 * the workspace associated with the run, can download modules from the private registry, and
 * may be granted access to read state from other workspaces ... Per-run tokens cannot make any
 * other calls" (docs/permissions.md). Which workspace and organization it reaches is authz.c's
 * to say; any other route answers 404, as if it did not exist. */
static const struct {
    enum http_verb method;
    const char *pattern;
} run_token_routes[] = {
    /* the cloud and remote backends: discovery of the organization and the workspace */
    {HTTP_M_GET, "/api/v2/ping"},
    {HTTP_M_GET, "/api/v2/organizations/:org/entitlement-set"},
    {HTTP_M_GET, "/api/v2/organizations/:org/workspaces/:name"},
    {HTTP_M_GET, "/api/v2/workspaces/:id"},
    {HTTP_M_GET, "/api/v2/workspaces/:id/vars"},
    /* state: its own read and written, a sharing workspace's read. No lock or unlock: the run
     * holds its workspace's lock, terraform takes none in a run (TFE_RUN_ID), and unlocking
     * would let the next run start beside this one */
    {HTTP_M_GET, "/api/v2/workspaces/:id/current-state-version"},
    {HTTP_M_GET, "/api/v2/workspaces/:id/current-state-version-outputs"},
    {HTTP_M_POST, "/api/v2/workspaces/:id/state-versions"},
    {HTTP_M_GET, "/api/v2/state-versions/:id"},
    {HTTP_M_GET, "/api/v2/state-versions/:id/download"},
    {HTTP_M_GET, "/api/v2/state-versions/:id/outputs"},
    {HTTP_M_GET, "/api/v2/state-version-outputs/:id"},
    /* terraform init: the organization's registry and the node's provider mirror */
    {HTTP_M_GET, "/api/registry/v1/modules/:ns/:name/:provider/versions"},
    {HTTP_M_GET, "/api/registry/v1/modules/:ns/:name/:provider/:version/download"},
    {HTTP_M_GET, "/api/registry/v1/providers/:ns/:type/versions"},
    {HTTP_M_GET, "/api/registry/v1/providers/:ns/:type/:version/download/:os/:arch"},
    {HTTP_M_GET, "/api/provider-mirror/v1/:host/:ns/:type/:file"},
};

static bool run_token_may(struct http_request *r)
{
    /* includes would answer what the routes keep back (a workspace's runs, configuration
     * versions and their upload links); only a state version's outputs (tfe_outputs) remain */
    const char *include = http_req_query(r, "include");
    if (include && strcmp(include, "outputs") != 0) return false;
    enum http_verb m = http_req_method(r);
    if (m == HTTP_M_HEAD) m = HTTP_M_GET;
    const char *names[8], *values[8];
    int n;
    for (size_t i = 0; i < sizeof run_token_routes / sizeof *run_token_routes; i++)
        if (run_token_routes[i].method == m &&
            http_route_match(run_token_routes[i].pattern, http_req_path(r), http_req_arena(r),
                             names, values, &n))
            return true;
    return false;
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
