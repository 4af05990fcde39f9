/* notification.h — run notifications: a workspace's notification configurations (generic
 * webhooks signed with HMAC-SHA512 as TFE signs them, Slack, email through the SMTP server a
 * site admin set) and their delivery. A run's status change makes one delivery per enabled
 * configuration whose triggers name it, in the change's transaction; a delivery is a job on
 * the bus, sent by whichever node's notifier claims it, retried with back-off (1, 2, 4, 8 s)
 * up to 5 attempts; every attempt's answer is kept (the configuration's delivery-responses).
 * The database is the source of truth: deliveries whose job was lost are queued again. */
#ifndef STRATA_NOTIFICATION_H
#define STRATA_NOTIFICATION_H

#include "http/http.h"

struct app;
struct ctx;
struct run_event;
struct notifier;

/* The runs/ status hook: makes the deliveries of a run event. */
int notification_on_run_status(struct ctx *c, const struct run_event *e);

/* The teams/ invited hook: e-mails the invitation to org when the admin SMTP settings are
 * enabled (blocks up to 30 s: its route runs on the worker pool). Never fails the invitation:
 * *warning says why no e-mail went (0 when sent, or SMTP is off); an error only from the store. */
int notification_send_invitation(struct ctx *c, const char *org, const char *email,
                                 const char **warning);
/* Starts the node's notifier thread (sends what it claims, re-queues what is due). */
int notifier_start(struct app *app, struct notifier **out);
/* Stops and joins it; NULL is fine. */
void notifier_stop(struct notifier *n);

extern const struct http_route notification_routes[];
/* Admin SMTP settings (TFE's /api/v2/admin/smtp-settings), for email notifications. */
extern const struct http_route smtp_settings_routes[];

#endif
