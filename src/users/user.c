/* user.c — account rules: usernames, emails, password strength and hashing. */
#include "users/user_int.h"
#include "base/codec.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

int user_get(struct ctx *c, const char *id, struct user *out)
{
    int rc = user_db_get(c, id, out);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "user not found");
    return rc;
}

static bool valid_username(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 60) return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("-_.", *n)) return false;
    return true;
}

int user_create(struct ctx *c, const char *username, const char *email, const char *password,
                bool is_admin, struct user *out)
{
    if (!username || !valid_username(username))
        return ctx_fail_at(c, ERR_INVALID, "/username",
                           "username must be 1-60 letters, numbers, -, _ and .");
    if (!email || !strchr(email, '@') || strlen(email) > 254)
        return ctx_fail_at(c, ERR_INVALID, "/email", "email must be an address");
    if (!password || strlen(password) < 10 || strlen(password) > 1024)
        return ctx_fail_at(c, ERR_INVALID, "/password",
                           "password must be 10 to 1024 characters long");
    bool name_taken, email_taken;
    int rc = user_db_taken(c, username, email, &name_taken, &email_taken);
    if (rc) return rc;
    if (name_taken) return ctx_fail_at(c, ERR_INVALID, "/username", "username is taken");
    if (email_taken) return ctx_fail_at(c, ERR_INVALID, "/email", "email is taken");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return ERR_INTERNAL;
    out->id = codec_new_id(c->a, "user");
    out->username = arena_strdup(c->a, username);
    out->email = arena_strdup(c->a, email);
    out->is_admin = is_admin;
    out->created_at = codec_now_iso(c->a);
    rc = user_db_insert(c, out, hash);
    if (rc == ERR_CONFLICT) return ctx_fail_at(c, ERR_INVALID, "/username", "username is taken");
    return rc;
}
