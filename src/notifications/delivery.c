/* delivery.c — what a notification says and how it is sent: TFE's generic payload (version 1)
 * signed with HMAC-SHA512 of the configuration's token (X-TFE-Notification-Signature), a Slack
 * message, or an email through the site's SMTP server; each attempt's answer is recorded. */
#include "notifications/notification_int.h"
#include "app/egress.h"
#include "app/settings.h"
#include "base/buf.h"
#include "base/log.h"
#include "bus/bus.h"
#include "keyring/keyring.h"
#include "runs/run.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const struct {
    const char *trigger, *message;
} messages[] = {
    {"run:created", "Run Created"},
    {"run:planning", "Run Planning"},
    {"run:needs_attention", "Needs Attention"},
    {"run:applying", "Run Applying"},
    {"run:completed", "Run Completed"},
    {"run:errored", "Run Errored"},
    {"verification", "Verification"},
};

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *notification_payload(struct ctx *c, const struct notification_config *cfg,
                             const struct run_event *e, const char *trigger)
{
    const char *message = trigger;
    for (size_t i = 0; i < sizeof messages / sizeof *messages; i++)
        if (strcmp(messages[i].trigger, trigger) == 0) message = messages[i].message;
    if (!e) message = arena_printf(c->a, "Verification of %s", cfg->name);
    const char *url = e ? api_url(c, arena_printf(c->a, "/app/%s/workspaces/%s/runs/%s",
                                                  e->organization, e->workspace_name, e->run_id))
                        : 0;
    json_t *note = json_pack("{s:s, s:s, s:o, s:o, s:n}", "message", message, "trigger", trigger,
                             "run_status", nullable(e ? e->status : 0), "run_updated_at",
                             nullable(e ? e->updated_at : 0), "run_updated_by");
    return json_pack(
        "{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:[o]}", "payload_version", 1,
        "notification_configuration_id", cfg->id, "run_url", nullable(url), "run_id",
        nullable(e ? e->run_id : 0), "run_message", nullable(e ? e->message : 0), "run_created_at",
        nullable(e ? e->created_at : 0), "run_created_by", nullable(e ? e->created_by : 0),
        "workspace_id", nullable(e ? e->workspace_id : 0), "workspace_name",
        nullable(e ? e->workspace_name : 0), "organization_name", nullable(e ? e->organization : 0),
        "notifications", note);
}

int delivery_create(struct ctx *c, const struct notification_config *cfg, const char *run_id,
                    const char *trigger, const char *payload, struct delivery *out)
{
    *out = (struct delivery){.id = codec_new_id(c->a, "nd"),
                             .configuration_id = cfg->id,
                             .trigger = trigger,
                             .payload = payload,
                             .status = "queued"};
    int rc = store_exec(c->app->store,
                        "INSERT INTO notification_deliveries (id, configuration_id, run_id, "
                        "trigger_name, payload, status, attempts, next_attempt_at, created_at) "
                        "VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7)",
                        S_ARGS(S_TEXT(out->id), S_TEXT(cfg->id), S_TEXT(run_id), S_TEXT(trigger),
                               S_TEXT(payload), S_INT(codec_now_ms()), S_TEXT(codec_now_iso(c->a))),
                        0);
    /* a job the notifier claims before this transaction commits is taken again later */
    return rc ? rc : bus_enqueue(c->app->bus, NOTIFY_QUEUE, out->id);
}

/* Keeps up to 1 KiB of an answer's body. */
static size_t keep_body(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = size * n, room = b->len < 1024 ? 1024 - b->len : 0;
    if (room && buf_append(b, p, len < room ? len : room)) return 0;
    return len;
}

/* POSTs body as JSON to url with the extra headers; *code is the answer's status (0: none).
 * Internal addresses are refused unless the allowed CIDRs list them (egress.h): then err says
 * which setting allows them, the same whether anything listens there or not, and
 * ERR_FORBIDDEN is returned. */
static int post_json(const char *url, const char *body, struct curl_slist *headers,
                     const char *allowed, long *code, struct buf *answer, char *err)
{
    struct egress_guard guard;
    CURL *h = curl_easy_init();
    if (!h) {
        curl_slist_free_all(headers);
        return ERR_INTERNAL;
    }
    egress_guard_apply(h, &guard, allowed);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "User-Agent: Strata-Notifications");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    CURLcode cc = curl_easy_perform(h);
    *code = 0;
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    if (cc != CURLE_OK && guard.refused) {
        snprintf(err, CURL_ERROR_SIZE, "%s", guard.why);
        return ERR_FORBIDDEN;
    }
    return cc == CURLE_OK ? 0 : ERR_UNAVAILABLE;
}

static char *hmac_sha512_hex(struct arena *a, const char *key, const char *body)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha512(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac, &n);
    char *hex = arena_alloc(a, n * 2 + 1);
    for (unsigned int i = 0; i < n; i++)
        sprintf(hex + i * 2, "%02x", mac[i]);
    return hex;
}

/* Slack's incoming webhook form of the payload. */
static char *slack_body(struct ctx *c, json_t *p)
{
    json_t *note = json_array_get(json_object_get(p, "notifications"), 0);
    const char *ws = json_string_value(json_object_get(p, "workspace_name"));
    const char *url = json_string_value(json_object_get(p, "run_url"));
    const char *msg = json_string_value(json_object_get(note, "message"));
    const char *text =
        url ? arena_printf(c->a, "%s: <%s|%s> in workspace %s", msg, url,
                           json_string_value(json_object_get(p, "run_id")), ws ? ws : "")
            : arena_printf(c->a, "%s (Strata)", msg);
    json_t *doc = json_pack("{s:s}", "text", text);
    char *s = json_dumps(doc, JSON_COMPACT);
    char *out = arena_strdup(c->a, s);
    free(s);
    json_decref(doc);
    return out;
}

struct mail {
    const char *p;
    size_t left;
};

static size_t read_mail(char *out, size_t size, size_t n, void *arg)
{
    struct mail *m = arg;
    size_t k = size * n < m->left ? size * n : m->left;
    memcpy(out, m->p, k);
    m->p += k;
    m->left -= k;
    return k;
}

/* The recipients of an email configuration: its addresses and its users' emails. */
static struct curl_slist *recipients(struct ctx *c, const struct notification_config *cfg)
{
    struct curl_slist *to = 0;
    json_t *addrs = json_loads(cfg->email_addresses, 0, 0),
           *users = json_loads(cfg->email_user_ids, 0, 0);
    size_t i;
    json_t *v;
    json_array_foreach(addrs, i, v) to = curl_slist_append(to, json_string_value(v));
    json_array_foreach(users, i, v)
    {
        struct store_result r;
        if (store_query(c->app->store, c->a, "SELECT email FROM users WHERE id = $1",
                        S_ARGS(S_TEXT(json_string_value(v))), &r) == 0 &&
            r.nrows)
            to = curl_slist_append(to, store_cell(&r, 0, 0));
    }
    json_decref(addrs);
    json_decref(users);
    return to;
}

int smtp_settings_read(struct ctx *c, struct store_result *s, char *err)
{
    int rc = store_query(c->app->store, c->a,
                         "SELECT host, port, sender, auth, username, sealed_password, enabled "
                         "FROM smtp_settings WHERE id = 'smtp'",
                         0, 0, s);
    if (rc) return rc;
    if (!s->nrows || !store_cell_bool(s, 0, 6)) {
        snprintf(err, CURL_ERROR_SIZE, "SMTP is not enabled (admin SMTP settings)");
        return ERR_UNAVAILABLE;
    }
    return 0;
}

static int send_email(struct ctx *c, const struct notification_config *cfg, json_t *p, long *code,
                      char *err)
{
    struct store_result s;
    int rc = smtp_settings_read(c, &s, err);
    if (rc) return rc;
    struct curl_slist *to = recipients(c, cfg);
    if (!to) {
        snprintf(err, CURL_ERROR_SIZE, "no recipients");
        return ERR_INVALID;
    }
    json_t *note = json_array_get(json_object_get(p, "notifications"), 0);
    const char *msg = json_string_value(json_object_get(note, "message"));
    const char *ws = json_string_value(json_object_get(p, "workspace_name"));
    const char *url = json_string_value(json_object_get(p, "run_url"));
    const char *sender = store_cell(&s, 0, 2);
    const char *text =
        arena_printf(c->a,
                     "From: %s\r\nTo: %s\r\nSubject: [Strata] %s%s%s\r\nContent-Type: text/plain; "
                     "charset=utf-8\r\n\r\n%s\r\n%s%s\r\n",
                     sender, to->data, msg, ws ? " in " : "", ws ? ws : "", msg, url ? "Run: " : "",
                     url ? url : "");
    rc = smtp_send(c, &s, to, text, code, err);
    curl_slist_free_all(to);
    return rc;
}

int smtp_send(struct ctx *c, const struct store_result *s, struct curl_slist *to, const char *text,
              long *code, char *err)
{
    const char *sender = store_cell(s, 0, 2);
    struct mail m = {text, strlen(text)};
    CURL *h = curl_easy_init();
    if (!h) return ERR_INTERNAL;
    curl_easy_setopt(h, CURLOPT_URL,
                     arena_printf(c->a, "smtp://%s:%s", store_cell(s, 0, 0), store_cell(s, 0, 1)));
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, sender);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_mail);
    curl_easy_setopt(h, CURLOPT_READDATA, &m);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    unsigned char *password = 0;
    size_t plen;
    if (strcmp(store_cell(s, 0, 3), "none") != 0 && store_cell(s, 0, 5) &&
        keyring_unseal_at(c->app->keyring, c->a, SMTP_PASSWORD_AT, store_cell(s, 0, 5), &password,
                          &plen) == 0) {
        curl_easy_setopt(h, CURLOPT_USERNAME, store_cell(s, 0, 4));
        curl_easy_setopt(h, CURLOPT_PASSWORD, (const char *)password);
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
    curl_easy_cleanup(h);
    return cc == CURLE_OK ? 0 : ERR_UNAVAILABLE;
}

int delivery_attempt(struct ctx *c, const struct notification_config *cfg, const struct delivery *d,
                     bool *ok, const char **refusal)
{
    *refusal = 0;
    char err[CURL_ERROR_SIZE] = "";
    long code = 0;
    struct buf answer;
    buf_init(&answer, 2048);
    json_t *p = json_loads(d->payload, 0, 0);
    int rc;
    if (!p) return ERR_INTERNAL;
    if (strcmp(cfg->destination_type, "email") == 0) {
        rc = send_email(c, cfg, p, &code, err);
        *ok = rc == 0 && code >= 200 && code < 400;
    } else {
        struct curl_slist *headers = 0;
        const char *body = d->payload;
        /* Slack and Microsoft Teams incoming webhooks both take {"text"} */
        if (strcmp(cfg->destination_type, "generic") != 0) body = slack_body(c, p);
        unsigned char *token = 0;
        size_t tlen;
        if (cfg->sealed_token && *cfg->sealed_token &&
            keyring_unseal_at(c->app->keyring, c->a, NOTIFICATION_TOKEN_AT(cfg->id),
                              cfg->sealed_token, &token, &tlen) == 0 &&
            tlen)
            headers = curl_slist_append(
                headers, arena_printf(c->a, "X-TFE-Notification-Signature: %s",
                                      hmac_sha512_hex(c->a, (const char *)token, body)));
        rc = post_json(cfg->url, body, headers,
                       settings_str(c->app->settings, SETTING_ALLOWED_INTERNAL_CIDRS), &code,
                       &answer, err);
        *ok = rc == 0 && code >= 200 && code < 300;
    }
    json_decref(p);
    const char *text = answer.len ? arena_strndup(c->a, answer.data, answer.len) : err;
    buf_release(&answer);
    if (rc) log_info("notification %s to %s: %s", d->id, cfg->name, err);
    if (rc == ERR_FORBIDDEN) *refusal = arena_strdup(c->a, err);
    return store_exec(c->app->store,
                      "INSERT INTO notification_attempts (id, configuration_id, delivery_id, "
                      "url, code, body, successful, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                      "$8)",
                      S_ARGS(S_TEXT(codec_new_id(c->a, "na")), S_TEXT(cfg->id), S_TEXT(d->id),
                             S_TEXT(cfg->url), S_INT(code), S_TEXT(text), S_BOOL(*ok),
                             S_TEXT(codec_now_iso(c->a))),
                      0);
}
