/* web.h — the web UI: pages and their assets served by the node itself (built into the
 * binary), over the same JSON:API the CLI uses; sign-in with a password into a session shared
 * by every node (a cookie: Secure, HttpOnly, SameSite=Strict), a CSRF token for every change
 * and for signing in, sign-in throttled per account and client address. */
#ifndef STRATA_WEB_H
#define STRATA_WEB_H

#include "http/http.h"

struct app;
struct arena;
struct ctx;
struct principal;

/* The app->authenticate_session hook. */
int web_session_authenticate(struct app *app, struct arena *a, const char *session,
                             struct principal *p, const char **csrf);

/* The users/ password-changed hook: ends the user's browser sessions but the caller's. */
int web_session_end_others(struct ctx *c, const char *user_id);

extern const struct http_route web_routes[];         /* pages.c */
extern const struct http_route web_session_routes[]; /* session.c */

#endif
