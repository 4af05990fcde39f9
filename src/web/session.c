/* session.c — signing in to the web UI: POST /session with a username and password makes a
 * session (12 hours) kept in the database, so any node serves its requests; the browser holds
 * it as a cookie it cannot read from script (HttpOnly), sends only to this site (SameSite=Strict,
 * Secure), and changes need the session's CSRF token as well (app/api.c). Signing in itself needs
 * a sign-in CSRF pair (GET /session/token: a __Host- cookie and the same value in X-CSRF-Token),
 * so another site cannot sign a browser in to an account of its choosing. Attempts are throttled
 * per account and client address (throttle.c). A password change ends the user's other sessions.
 */
#include "web/web.h"
#include "web/throttle.h"
#include "app/api.h"
#include "app/principal.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http.h"
#include "jsonapi/jsonapi.h"
#include "store/store.h"
#include "users/user.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum { SESSION_TTL = 12 * 3600, SIGNIN_TOKEN_TTL = 3600 };

/* __Host-: only this exact host over HTTPS can set it, so a sibling subdomain cannot plant a
 * pair of its own (cookie tossing) */
#define SIGNIN_COOKIE "__Host-strata_signin"

static char *random_token(struct arena *a)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    return codec_base64url(a, raw, sizeof raw);
}

/* The organizations' session settings (organizations/): the strictest of the user's active
 * memberships, in minutes; NULL when none sets it. Read here, beside the session, because
 * organizations/ is below the memberships of teams/. */
#define LIMITS_SQL                                                                                 \
    "(SELECT MIN(o.%s) FROM organizations o JOIN organization_memberships m ON m.organization = "  \
    "o.name WHERE m.user_id = u.id AND m.status = 'active')"

/* Whether the organizations' limits end the session: more than session-timeout minutes since
 * its last request, or session-remember minutes since sign-in. Sessions made before those
 * columns existed only have expires_at. */
static bool limits_end(const struct store_result *r, int64_t now)
{
    const char *started = store_cell(r, 0, 4), *seen = store_cell(r, 0, 5);
    const char *timeout = store_cell(r, 0, 6), *remember = store_cell(r, 0, 7);
    if (timeout && seen && now - store_cell_int(r, 0, 5) > store_cell_int(r, 0, 6) * 60)
        return true;
    return remember && started && now - store_cell_int(r, 0, 4) > store_cell_int(r, 0, 7) * 60;
}

int web_session_authenticate(struct app *app, struct arena *a, const char *session,
                             struct principal *p, const char **csrf)
{
    struct store_result r;
    const char *id = codec_sha256_hex(a, session, strlen(session));
    int64_t now = codec_now_unix();
    int rc = store_query(
        app->store, a,
        arena_printf(a,
                     "SELECT u.id, u.username, u.is_admin, s.csrf, s.started_at, s.last_seen_at, "
                     "%s, %s FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 "
                     "AND s.expires_at > $2",
                     arena_printf(a, LIMITS_SQL, "session_timeout"),
                     arena_printf(a, LIMITS_SQL, "session_remember")),
        S_ARGS(S_TEXT(id), S_INT(now)), &r);
    if (rc) return rc;
    if (!r.nrows) return ERR_UNAUTHORIZED;
    if (limits_end(&r, now)) {
        rc =
            store_exec(app->store, "DELETE FROM web_sessions WHERE id = $1", S_ARGS(S_TEXT(id)), 0);
        return rc ? rc : ERR_UNAUTHORIZED;
    }
    /* the idle clock: written at most once a minute (a quarter of a shorter timeout), not on
     * every request */
    int64_t every = store_cell(&r, 0, 6) ? store_cell_int(&r, 0, 6) * 15 : 60;
    if (store_cell(&r, 0, 5) && now - store_cell_int(&r, 0, 5) >= (every < 60 ? every : 60) &&
        (rc = store_exec(app->store, "UPDATE web_sessions SET last_seen_at = $2 WHERE id = $1",
                         S_ARGS(S_TEXT(id), S_INT(now)), 0)))
        return rc;
    *p = (struct principal){.kind = PRINCIPAL_USER,
                            .user_id = store_cell(&r, 0, 0),
                            .username = store_cell(&r, 0, 1),
                            .site_admin = store_cell_bool(&r, 0, 2)};
    *csrf = store_cell(&r, 0, 3);
    return 0;
}

static void respond_session(struct ctx *c, int status, const char *csrf)
{
    json_t *doc = json_pack("{s:{s:s, s:s, s:b}, s:s}", "user", "id", c->who.user_id, "username",
                            c->who.username, "is-admin", c->who.site_admin, "csrf-token", csrf);
    http_set_header(c->req, "Cache-Control", "no-store");
    json_respond(c->req, status, doc);
}

/* The sign-in CSRF pair: a random token in a cookie only this site's requests carry, and the
 * same token in a header only this site's script can set. */
static void signin_token(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *token = random_token(c.a);
    http_set_header(r, "Set-Cookie",
                    arena_printf(c.a,
                                 SIGNIN_COOKIE "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
                                               "SameSite=Strict",
                                 token, SIGNIN_TOKEN_TTL));
    http_set_header(r, "Cache-Control", "no-store");
    json_respond(r, 200, json_pack("{s:s}", "csrf-token", token));
}

/* A failed check of the password: logged, and ended windows swept. */
static int sign_in_failed(struct ctx *c, const char *username)
{
    int rc = throttle_sweep(c);
    if (rc) return rc;
    log_info("web: failed sign-in for %s from %s", username, http_req_remote(c->req));
    return ctx_fail(c, ERR_UNAUTHORIZED, "wrong username or password");
}

/* Checks the attempt: the sign-in CSRF pair, the throttle, then the password. */
static int check_sign_in(struct ctx *c, const char *username, const char *password, struct user *u)
{
    if (!api_token_equal(http_req_header(c->req, "X-CSRF-Token"), api_cookie(c, SIGNIN_COOKIE)))
        return ctx_fail(c, ERR_FORBIDDEN,
                        "a sign-in CSRF token is required: GET /session/token, then send its "
                        "csrf-token in X-CSRF-Token with the cookie it set");
    int64_t retry_after = 0;
    int rc = throttle_take(c, username, &retry_after);
    if (rc == ERR_TOO_MANY)
        http_set_header(c->req, "Retry-After", arena_printf(c->a, "%lld", (long long)retry_after));
    if (rc) return rc;
    rc = user_check_password(c, username, password, u);
    if (rc == ERR_UNAUTHORIZED) return sign_in_failed(c, username);
    if (!rc) rc = throttle_clear(c, username);
    return rc;
}

static void sign_in(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    size_t len;
    const char *body = http_req_body(r, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    const char *username = json_string_value(json_object_get(doc, "username"));
    const char *password = json_string_value(json_object_get(doc, "password"));
    username = username ? arena_strdup(c.a, username) : 0;
    password = password ? arena_strdup(c.a, password) : 0;
    json_decref(doc);
    if (!username || !password)
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST,
                                     "the body must be {\"username\": …, \"password\": …}"));
    if (strlen(username) > 256)
        return api_fail(&c, ctx_fail(&c, ERR_UNAUTHORIZED, "wrong username or password"));
    struct user u;
    int rc = check_sign_in(&c, username, password, &u);
    if (rc) return api_fail(&c, rc);
    const char *token = random_token(c.a), *csrf = random_token(c.a);
    store_exec(c.app->store, "DELETE FROM web_sessions WHERE expires_at < $1", /* expired ones */
               S_ARGS(S_INT(codec_now_unix())), 0);
    rc = store_exec(c.app->store,
                    "INSERT INTO web_sessions (id, user_id, csrf, created_at, expires_at, "
                    "started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    S_ARGS(S_TEXT(codec_sha256_hex(c.a, token, strlen(token))), S_TEXT(u.id),
                           S_TEXT(csrf), S_TEXT(codec_now_iso(c.a)),
                           S_INT(codec_now_unix() + SESSION_TTL), S_INT(codec_now_unix())),
                    0);
    if (rc) return api_fail(&c, rc);
    c.who = (struct principal){
        .kind = PRINCIPAL_USER, .user_id = u.id, .username = u.username, .site_admin = u.is_admin};
    http_set_header(r, "Set-Cookie",
                    arena_printf(c.a,
                                 "strata_session=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
                                 "SameSite=Strict",
                                 token, SESSION_TTL));
    http_set_header(r, "Set-Cookie",
                    SIGNIN_COOKIE "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    respond_session(&c, 201, csrf);
}

/* The signed-in user and the CSRF token, for a page that loads anew. */
static void current(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    if (!c.csrf) return api_fail(&c, ctx_fail(&c, ERR_NOT_FOUND, "no browser session"));
    respond_session(&c, 200, c.csrf);
}

static void sign_out(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin(&c, r, app)) return;
    const char *token = api_cookie(&c, "strata_session");
    if (token) {
        int rc = store_exec(c.app->store, "DELETE FROM web_sessions WHERE id = $1",
                            S_ARGS(S_TEXT(codec_sha256_hex(c.a, token, strlen(token)))), 0);
        if (rc) return api_fail(&c, rc);
    }
    http_set_header(r, "Set-Cookie",
                    "strata_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    http_respond(r, 204, 0, 0, 0);
}

int web_session_end_others(struct ctx *c, const char *user_id)
{
    /* the caller's own browser session stays (it just proved the current password) */
    const char *token = c->csrf ? api_cookie(c, "strata_session") : 0;
    const char *keep = token ? codec_sha256_hex(c->a, token, strlen(token)) : "";
    return store_exec(c->app->store, "DELETE FROM web_sessions WHERE user_id = $1 AND id <> $2",
                      S_ARGS(S_TEXT(user_id), S_TEXT(keep)), 0);
}

const struct http_route web_session_routes[] = {
    {HTTP_M_GET, "/session/token", signin_token, 0, 0},
    {HTTP_M_POST, "/session", sign_in, 0, 4096, .offload = true}, /* Argon2id: off the loop */
    {HTTP_M_GET, "/session", current, 0, 0},
    {HTTP_M_DELETE, "/session", sign_out, 0, 0},
    {0, 0, 0, 0, 0},
};
