/* iact.c — the initial admin creation token and the first admin. */
#include "admin/iact.h"
#include "app/api.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "http/http.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "tokens/token.h"
#include "users/user.h"
#include "jsonapi/jsonapi.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* where the token is sealed (keyring.h) */
#define IACT_PLACE KEYRING_AT("node_secrets", "sealed", "iact")

static int admin_exists(struct ctx *c, bool *exists)
{
    int64_t n = 0;
    int rc = user_count_admins(c, &n);
    *exists = n > 0;
    return rc;
}

int iact_ensure(struct app *app)
{
    struct ctx c = {.a = arena_new(), .app = app};
    bool exists;
    int rc = admin_exists(&c, &exists);
    if (!rc && !exists) {
        char token[33];
        codec_random_base62(token, 32);
        rc = store_exec(
            app->store,
            "INSERT INTO node_secrets (name, sealed, created_at) VALUES ('iact', $1, $2)",
            S_ARGS(S_TEXT(keyring_seal_at(app->keyring, c.a, IACT_PLACE, token, strlen(token))),
                   S_TEXT(codec_now_iso(c.a))),
            0);
        if (rc == ERR_CONFLICT) rc = 0; /* made earlier */
        sodium_memzero(token, sizeof token);
    }
    arena_free(c.a);
    return rc;
}

static void text(struct http_request *r, int status, const char *body)
{
    http_respond(r, status, "text/plain; charset=utf-8", body, strlen(body));
}

/* The stored token, or NULL when there is none. */
static const char *stored_token(struct ctx *c, int *rc)
{
    struct store_result res;
    *rc = store_query(c->app->store, c->a, "SELECT sealed FROM node_secrets WHERE name = 'iact'", 0,
                      0, &res);
    if (*rc || !res.nrows) return 0;
    unsigned char *plain;
    size_t n;
    *rc = keyring_unseal_at(c->app->keyring, c->a, IACT_PLACE, store_cell(&res, 0, 0), &plain, &n);
    return *rc ? 0 : (const char *)plain;
}

static void retrieve(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const struct settings *s = c.app->settings;
    if (!settings_cidr_match(settings_str(s, SETTING_IACT_SUBNET_LIST), http_req_remote(r)))
        return text(r, 403, "this address is not in iact_subnet_list\n");
    int64_t limit = settings_int(s, SETTING_IACT_SUBNET_TIME_LIMIT);
    if (limit >= 0 && codec_now_unix() - c.app->started_at > limit * 60)
        return text(r, 403, "iact_subnet_time_limit has passed since this node started\n");
    bool exists;
    int rc = admin_exists(&c, &exists);
    const char *token = rc || exists ? 0 : stored_token(&c, &rc);
    if (rc) return api_fail(&c, rc);
    if (!token) return text(r, 404, "the initial admin user has already been created\n");
    text(r, 200, token);
}

static void create_admin(struct http_request *r, void *appv)
{
    struct ctx c;
    api_begin_anonymous(&c, r, appv);
    const char *given = http_req_query(r, "token");
    int rc;
    const char *token = stored_token(&c, &rc);
    if (rc) return api_fail(&c, rc);
    if (!token) return text(r, 404, "the initial admin user has already been created\n");
    if (!given || strlen(given) != strlen(token) || sodium_memcmp(given, token, strlen(token)))
        return api_fail(&c, ctx_fail(&c, ERR_UNAUTHORIZED, "invalid initial admin creation token"));
    size_t len;
    const char *body = http_req_body(r, &len);
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    const char *username = 0, *email = 0, *password = 0;
    if (!doc || json_unpack(doc, "{s?s, s?s, s?s}", "username", &username, "email", &email,
                            "password", &password) != 0) {
        json_decref(doc);
        return api_fail(&c, ctx_fail(&c, ERR_BAD_REQUEST,
                                     "expected a JSON object with string "
                                     "username, email and password"));
    }
    struct user u;
    struct token t;
    int64_t claimed = 0;
    rc = store_begin(c.app->store);
    if (!rc)
        rc = store_exec(c.app->store, "DELETE FROM node_secrets WHERE name = 'iact'", 0, 0,
                        &claimed);
    if (!rc && claimed != 1) rc = ctx_fail(&c, ERR_CONFLICT, "the initial admin already exists");
    if (!rc) rc = user_create(&c, username, email, password, true, &u);
    if (!rc) {
        c.who = (struct principal){.kind = PRINCIPAL_USER, .user_id = u.id, .site_admin = true};
        rc = token_issue(&c, TOKEN_USER, u.id, 0, "initial admin token", 0, &t);
    }
    if (rc)
        store_rollback(c.app->store);
    else
        rc = store_commit(c.app->store);
    json_decref(doc);
    if (rc) return api_fail(&c, rc);
    log_info("iact: initial admin user %s created", u.username);
    json_t *out = json_pack("{s:s, s:s}", "status", "created", "token", t.plaintext);
    json_respond(r, 201, out);
}

const struct http_route iact_routes[] = {
    {HTTP_M_GET, "/admin/retrieve-iact", retrieve, 0, 0},
    {HTTP_M_POST, "/admin/initial-admin-user", create_admin, 0, 64 * 1024, .offload = true},
    {0, 0, 0, 0, 0},
};
