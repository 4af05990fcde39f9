/* user.h — user accounts. Passwords are stored as Argon2id hashes (libsodium's pwhash_str). */
#ifndef STRATA_USER_H
#define STRATA_USER_H

#include <stdbool.h>
#include <stdint.h>

struct ctx;
#include "http/http.h"

#include <jansson.h>

struct user {
    const char *id, *username, *email, *created_at;
    bool is_admin;
    bool invited_only; /* an e-mail invited to an organization before it had an account */
};

/* The user as a JSON:API resource (a new reference): email and permissions only for the user
 * itself and site admins. */
json_t *user_encode(struct ctx *c, const struct user *u);
/* Reads a user by id; ERR_NOT_FOUND when absent. */
int user_get(struct ctx *c, const char *id, struct user *out);
/* Reads a user by username or by email (case as stored); ERR_NOT_FOUND when absent. */
int user_get_by_username(struct ctx *c, const char *username, struct user *out);
int user_get_by_email(struct ctx *c, const char *email, struct user *out);
/* Creates a user; ERR_INVALID naming the attribute for a bad or taken username/email or a
 * password shorter than 10 characters. out->id is arena memory. */
int user_create(struct ctx *c, const char *username, const char *email, const char *password,
                bool is_admin, struct user *out);
/* The account of email, made as an invited-only placeholder when there is none (an organization
 * invites someone without an account): nobody signs in to it; user_create with that e-mail later
 * takes it over, memberships included. Call inside a transaction. */
int user_get_or_invite(struct ctx *c, const char *email, struct user *out);
/* The one hook called when user_create takes over an invited-only account (teams/: its invited
 * memberships become active), in the same transaction. Set once at start; a second call aborts. */
void user_on_signed_up(int (*fn)(struct ctx *c, const char *user_id));
/* Changes username and/or email (NULL keeps one); ERR_INVALID naming the attribute for a bad
 * or taken value. u is updated. */
int user_update(struct ctx *c, struct user *u, const char *username, const char *email);
/* Changes the password after checking the current one; ERR_INVALID naming the attribute.
 * The password_changed hook runs in the same transaction (web/ ends the other sessions). */
int user_change_password(struct ctx *c, const struct user *u, const char *current,
                         const char *password, const char *confirmation);
/* Signs a user in: *out when username and password match; ERR_UNAUTHORIZED otherwise (the
 * same answer for an unknown name and a wrong password, and the same work: a hash check). */
int user_check_password(struct ctx *c, const char *username, const char *password,
                        struct user *out);
/* The one hook called when a user's password changed (web/: end the user's browser sessions
 * but the caller's). Set once at start; a second call aborts. Its error undoes the change. */
void user_on_password_changed(int (*fn)(struct ctx *c, const char *user_id));
/* Number of site administrators. */
int user_count_admins(struct ctx *c, int64_t *n);

extern const struct http_route user_routes[];

#endif
