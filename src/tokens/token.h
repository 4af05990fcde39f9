/* token.h — API tokens: user tokens (many per user), the organization token and team tokens
 * (one each, regenerating replaces). Only a SHA-256 hash of a token is stored; the plaintext is
 * shown once, when it is made. */
#ifndef STRATA_TOKEN_H
#define STRATA_TOKEN_H

struct app;
struct arena;
struct ctx;
#include "http/http.h"

#include <stdint.h>
struct principal;

enum token_kind { TOKEN_USER, TOKEN_ORG, TOKEN_TEAM };

struct token {
    const char *id, *kind, *description, *created_at, *last_used_at;
    const char *user_id, *organization, *team_id, *created_by;
    const char *plaintext; /* only right after creation */
    int64_t expires_at;    /* unix seconds; 0 = never */
};

/* The app->authenticate hook: resolves a bearer token. ERR_UNAUTHORIZED when unknown. */
int token_authenticate(struct app *app, struct arena *a, const char *token, struct principal *p);
/* Issues a token of kind for owner (a user id, organization name or team id) of organization
 * org (NULL for user tokens), valid until expires_at (unix seconds, 0 = never); replaces the
 * existing one for organization and team tokens. out->plaintext is set. */
int token_issue(struct ctx *c, enum token_kind kind, const char *owner, const char *org,
                const char *description, int64_t expires_at, struct token *out);

/* A run's token: acts in the run's workspace only, expires after ttl seconds, revoked when the
 * run's phase ends. *plaintext is arena memory. */
int token_issue_run(struct ctx *c, const char *run_id, const char *org, const char *workspace_id,
                    int64_t ttl, const char **plaintext);
int token_revoke_run(struct ctx *c, const char *run_id);

/* The organizations rename hook: this domain's rows follow the new name. */
int token_on_org_renamed(struct ctx *c, const char *from, const char *to);
extern const struct http_route token_routes[];

#endif
