/* invitation.c — the e-mail of an organization's invitation (TFE sends one to every invited
 * address): through the admin SMTP settings, when they are enabled. The invitation stands
 * whatever happens to the e-mail; a failure is a warning in the answer and the log. */
#include "notifications/notification_int.h"
#include "base/log.h"

#include <curl/curl.h>

int notification_send_invitation(struct ctx *c, const char *org, const char *email,
                                 const char **warning)
{
    char err[CURL_ERROR_SIZE] = "";
    struct store_result s;
    *warning = 0;
    int rc = smtp_settings_read(c, &s, err);
    if (rc == ERR_UNAVAILABLE) return 0; /* no SMTP: the invitation is told by other means */
    if (rc) return rc;
    struct curl_slist *to = curl_slist_append(0, email);
    if (!to) return ERR_INTERNAL;
    const char *text = arena_printf(
        c->a,
        "From: %s\r\nTo: %s\r\nSubject: [Strata] You are invited to the organization %s\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "You are invited to join the organization %s on https://%s/.\r\n"
        "Once your account exists (a site administrator makes it with this e-mail address), sign "
        "in and accept the invitation.\r\n",
        store_cell(&s, 0, 2), email, org, org, c->app->hostname);
    long code = 0;
    rc = smtp_send(c, &s, to, text, &code, err);
    curl_slist_free_all(to);
    if (rc) {
        log_warn("invitation to %s for %s: the e-mail was not sent: %s", org, email, err);
        *warning = arena_printf(c->a, "the invitation e-mail was not sent: %s", err);
    }
    return 0;
}
