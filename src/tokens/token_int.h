/* token_int.h — private to tokens/. */
#ifndef STRATA_TOKEN_INT_H
#define STRATA_TOKEN_INT_H

#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"
#include "tokens/token.h"

#include <string.h>

int token_db_principal(struct app *app, struct arena *a, const char *hash, struct principal *p,
                       int64_t *expires_at);
int token_db_insert(struct ctx *c, const struct token *t, const char *hash);
/* The organization's or team's token (kind "organization" or "team"); *found says whether one
 * was deleted. */
int token_db_delete_owned(struct ctx *c, const char *kind, const char *org, const char *team_id,
                          bool *found);
int token_db_get_owned(struct ctx *c, const char *kind, const char *org, const char *team_id,
                       struct token *out);
int token_db_get(struct ctx *c, const char *id, struct token *out);
int token_db_delete(struct ctx *c, const char *id);
int token_db_list_user(struct ctx *c, const char *user_id, struct token **out, size_t *n);

#endif
