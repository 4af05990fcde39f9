/* notification_int.h — private to notifications/. */
#ifndef STRATA_NOTIFICATION_INT_H
#define STRATA_NOTIFICATION_INT_H

#include "app/api.h"
#include "app/audit.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "notifications/notification.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* where secrets are sealed (keyring.h) */
#define NOTIFICATION_TOKEN_AT(id) KEYRING_AT("notification_configurations", "sealed_token", (id))
#define SMTP_PASSWORD_AT KEYRING_AT("smtp_settings", "sealed_password", "smtp")

#define NOTIFY_QUEUE "notifications"
enum { NOTIFY_MAX_ATTEMPTS = 5 };

struct notification_config {
    const char *id, *workspace_id, *name, *destination_type, *url, *sealed_token;
    const char *triggers, *email_addresses, *email_user_ids; /* JSON arrays of strings */
    const char *created_at, *updated_at;
    bool enabled;
};

int notification_db_get(struct ctx *c, const char *id, struct notification_config *out);
/* The enabled configurations of a workspace. */
int notification_db_of_workspace(struct ctx *c, const char *workspace_id, bool enabled_only,
                                 struct notification_config **out, size_t *n);

/* A delivery: one message to one configuration. */
struct delivery {
    const char *id, *configuration_id, *trigger, *payload, *status;
    int64_t attempts;
};

/* Adds a queued delivery of payload (JSON text) for configuration cfg, and its job. */
int delivery_create(struct ctx *c, const struct notification_config *cfg, const char *run_id,
                    const char *trigger, const char *payload, struct delivery *out);
/* Sends one attempt of d now (any destination), records its answer as an attempt; *ok when
 * the destination accepted it. *refusal (arena; NULL otherwise) says why when the destination
 * is an internal address no setting allows: nothing was sent, and retrying cannot help. */
int delivery_attempt(struct ctx *c, const struct notification_config *cfg, const struct delivery *d,
                     bool *ok, const char **refusal);

/* The admin SMTP settings' row (host, port, sender, auth, username, sealed_password, enabled);
 * ERR_UNAVAILABLE with the reason in err (CURL_ERROR_SIZE) when SMTP is not enabled. */
int smtp_settings_read(struct ctx *c, struct store_result *s, char *err);
/* Sends text (headers and body) to the recipients through the SMTP settings s; *code is the
 * server's last answer, err (CURL_ERROR_SIZE) the reason of a failure. Blocks up to 30 s. */
struct curl_slist;
int smtp_send(struct ctx *c, const struct store_result *s, struct curl_slist *to, const char *text,
              long *code, char *err);

/* The TFE payload (generic webhooks) of an event; a new reference. trigger
 * "verification" makes the verify action's test message. */
json_t *notification_payload(struct ctx *c, const struct notification_config *cfg,
                             const struct run_event *e, const char *trigger);

#endif
