/* user_int.h — private to users/. */
#ifndef STRATA_USER_INT_H
#define STRATA_USER_INT_H

#include "app/api.h"
#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"
#include "users/user.h"

int user_db_get(struct ctx *c, const char *id, struct user *out);
/* column is "id", "username" or "email" (never caller input). */
int user_db_find(struct ctx *c, const char *column, const char *value, struct user *out);
int user_db_insert(struct ctx *c, const struct user *u, const char *password_hash);
/* Makes the invited-only account u->id a real one (username, password, admin flag). */
int user_db_take_over(struct ctx *c, const struct user *u, const char *password_hash);
int user_db_update(struct ctx *c, const struct user *u);
int user_db_password_hash(struct ctx *c, const char *id, const char **hash);
int user_db_set_password_hash(struct ctx *c, const char *id, const char *hash);
int user_db_taken(struct ctx *c, const char *username, const char *email, bool *name_taken,
                  bool *email_taken);

#endif
