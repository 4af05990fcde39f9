/* throttle.c — the sign-in throttle (throttle.h). One row per (username, address) holds the
 * attempts of the current window; one INSERT ... ON CONFLICT DO UPDATE ... RETURNING both counts
 * the attempt and reads the count, so parallel attempts on any node each see their own number
 * (SQLite and PostgreSQL both run it as one atomic statement). The attempt is counted before the
 * password is checked and forgotten when it was right: a burst cannot get more tries than the
 * limit while the first ones are still hashing. */
#include "web/throttle.h"
#include "app/api.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "http/http.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <string.h>

const char *throttle_address(struct ctx *c)
{
    const char *peer = http_req_remote(c->req);
    struct in6_addr a6;
    if (inet_pton(AF_INET6, peer, &a6) != 1 || IN6_IS_ADDR_V4MAPPED(&a6))
        return arena_strdup(c->a, peer);
    memset(a6.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a6, text, sizeof text);
    return arena_printf(c->a, "%s/64", text);
}

int throttle_take(struct ctx *c, const char *username, int64_t *retry_after)
{
    int64_t now = codec_now_unix(), expired = now - THROTTLE_WINDOW;
    struct store_result r;
    int rc = store_query(
        c->app->store, c->a,
        "INSERT INTO login_throttle (username, address, attempts, window_start) "
        "VALUES ($1, $2, 1, $3) ON CONFLICT (username, address) DO UPDATE SET "
        "attempts = CASE WHEN login_throttle.window_start <= $4 THEN 1 "
        "ELSE login_throttle.attempts + 1 END, "
        "window_start = CASE WHEN login_throttle.window_start <= $4 THEN $3 "
        "ELSE login_throttle.window_start END "
        "RETURNING attempts, window_start",
        S_ARGS(S_TEXT(username), S_TEXT(throttle_address(c)), S_INT(now), S_INT(expired)), &r);
    if (rc) return rc;
    if (r.nrows != 1) return ERR_INTERNAL;
    if (store_cell_int(&r, 0, 0) <= THROTTLE_ATTEMPTS) return 0;
    int64_t wait = store_cell_int(&r, 0, 1) + THROTTLE_WINDOW - now;
    *retry_after = wait > 0 ? wait : 1;
    return ctx_fail(c, ERR_TOO_MANY,
                    "too many sign-in attempts for this account from your address: try again "
                    "in %lld seconds",
                    (long long)*retry_after);
}

int throttle_clear(struct ctx *c, const char *username)
{
    return store_exec(c->app->store,
                      "DELETE FROM login_throttle WHERE username = $1 AND address = $2",
                      S_ARGS(S_TEXT(username), S_TEXT(throttle_address(c))), 0);
}

int throttle_sweep(struct ctx *c)
{
    return store_exec(c->app->store, "DELETE FROM login_throttle WHERE window_start <= $1",
                      S_ARGS(S_INT(codec_now_unix() - THROTTLE_WINDOW)), 0);
}
