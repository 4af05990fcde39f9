/* smtp_settings.c — TFE API: Admin SMTP Settings
 * (developer.hashicorp.com/terraform/enterprise/api-docs/admin/settings): the server email
 * notifications go through, shared by every node (a row of the database; the password
 * sealed and write-only). Site admins only. */
#include "notifications/notification_int.h"
#include "jsonapi/jsonapi.h"
#include "keyring/keyring.h"

struct smtp {
    const char *host, *sender, *auth, *username, *sealed_password;
    int64_t port;
    bool enabled;
};

static int read_row(struct ctx *c, struct smtp *s)
{
    struct store_result r;
    *s = (struct smtp){.host = "", .sender = "", .auth = "none", .port = 25};
    int rc = store_query(c->app->store, c->a,
                         "SELECT host, port, sender, auth, username, sealed_password, enabled "
                         "FROM smtp_settings WHERE id = 'smtp'",
                         0, 0, &r);
    if (rc || !r.nrows) return rc;
    *s = (struct smtp){store_cell(&r, 0, 0),     store_cell(&r, 0, 2), store_cell(&r, 0, 3),
                       store_cell(&r, 0, 4),     store_cell(&r, 0, 5), store_cell_int(&r, 0, 1),
                       store_cell_bool(&r, 0, 6)};
    return 0;
}

static void respond(struct ctx *c, const struct smtp *s)
{
    json_t *attrs =
        json_pack("{s:b, s:s, s:I, s:s, s:s, s:o}", "enabled", s->enabled, "host", s->host, "port",
                  (json_int_t)s->port, "sender", s->sender, "auth", s->auth, "username",
                  s->username ? json_string(s->username) : json_null());
    jsonapi_respond(c->req, 200,
                    jsonapi_doc_new(jsonapi_resource_new("smtp-settings", "smtp", attrs, 0,
                                                         "/api/v2/admin/smtp-settings")));
}

static void show(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct smtp s;
    int rc = read_row(&c, &s);
    if (rc) return api_fail(&c, rc);
    respond(&c, &s);
}

static void update(struct http_request *r, void *app)
{
    struct ctx c;
    if (api_begin_site_admin(&c, r, app)) return;
    struct smtp s;
    struct jsonapi_body b;
    const char *password = 0;
    bool password_given = false;
    int rc = read_row(&c, &s);
    if (!rc && (rc = jsonapi_parse(r, "smtp-settings", false, &b)) == 0) {
        rc = jsonapi_attr_bool(&b, "enabled", &s.enabled, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "host", &s.host, 0);
        if (!rc) rc = jsonapi_attr_int(&b, "port", &s.port, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "sender", &s.sender, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "auth", &s.auth, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "username", &s.username, 0);
        if (!rc) rc = jsonapi_attr_string(&b, "password", &password, &password_given);
        if (rc) rc = ctx_fail_body(&c, rc, &b);
    }
    if (!rc && (s.port < 1 || s.port > 65535))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/port", "port must be 1-65535");
    if (!rc && strcmp(s.auth, "none") && strcmp(s.auth, "plain") && strcmp(s.auth, "login"))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes/auth",
                         "auth must be none, plain or login");
    if (!rc && s.enabled && (!*s.host || !strchr(s.sender, '@')))
        rc = ctx_fail_at(&c, ERR_INVALID, "/data/attributes",
                         "an enabled SMTP server needs a host and a sender address");
    if (!rc && password_given)
        s.sealed_password =
            password && *password
                ? keyring_seal_at(c.app->keyring, c.a, SMTP_PASSWORD_AT, password, strlen(password))
                : 0;
    if (!rc && !(rc = store_begin(c.app->store))) {
        rc = store_exec(c.app->store, "DELETE FROM smtp_settings WHERE id = 'smtp'", 0, 0, 0);
        if (!rc)
            rc = store_exec(c.app->store,
                            "INSERT INTO smtp_settings (id, enabled, host, port, sender, auth, "
                            "username, sealed_password, updated_at) VALUES ('smtp', $1, $2, $3, "
                            "$4, $5, $6, $7, $8)",
                            S_ARGS(S_BOOL(s.enabled), S_TEXT(s.host), S_INT(s.port),
                                   S_TEXT(s.sender), S_TEXT(s.auth), S_TEXT(s.username),
                                   S_TEXT(s.sealed_password), S_TEXT(codec_now_iso(c.a))),
                            0);
        rc = audit_end(&c, rc, 0, "smtp-settings", "smtp", "update");
    }
    if (rc) return api_fail(&c, rc);
    respond(&c, &s);
}

const struct http_route smtp_settings_routes[] = {
    {HTTP_M_GET, "/api/v2/admin/smtp-settings", show, 0, 0},
    {HTTP_M_PATCH, "/api/v2/admin/smtp-settings", update, 0, 0},
    {0, 0, 0, 0, 0},
};
