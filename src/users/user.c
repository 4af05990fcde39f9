/* user.c — account rules: usernames, emails, password strength and hashing. */
#include "users/user_int.h"
#include "app/principal_cache.h"
#include "base/codec.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int (*password_changed_hook)(struct ctx *, const char *);
static int (*signed_up_hook)(struct ctx *, const char *);

void user_on_signed_up(int (*fn)(struct ctx *c, const char *user_id))
{
    if (signed_up_hook) abort(); /* one hook by design: never drop one silently */
    signed_up_hook = fn;
}

void user_on_password_changed(int (*fn)(struct ctx *c, const char *user_id))
{
    if (password_changed_hook) abort(); /* one hook by design: never drop one silently */
    password_changed_hook = fn;
}

int user_get(struct ctx *c, const char *id, struct user *out)
{
    int rc = user_db_get(c, id, out);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "user not found");
    return rc;
}

int user_get_by_username(struct ctx *c, const char *username, struct user *out)
{
    int rc = user_db_find(c, "username", username, out);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "user \"%s\" not found", username);
    return rc;
}

int user_get_by_email(struct ctx *c, const char *email, struct user *out)
{
    int rc = user_db_find(c, "email", email, out);
    if (rc == ERR_NOT_FOUND) return ctx_fail(c, rc, "no user has the email \"%s\"", email);
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

static bool valid_password(const char *p)
{
    return p && strlen(p) >= 10 && strlen(p) <= 1024;
}

/* An Argon2id hash of password in out (crypto_pwhash_STRBYTES). */
static int hash_password(const char *password, char *out);

static char decoy_hash[crypto_pwhash_STRBYTES];

static void make_decoy(void)
{
    hash_password("not a password anyone has", decoy_hash);
}

static int hash_password(const char *password, char *out)
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
               ? 0
               : ERR_INTERNAL;
}

int user_update(struct ctx *c, struct user *u, const char *username, const char *email)
{
    const char *name = username ? username : u->username, *mail = email ? email : u->email;
    if (!valid_username(name))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/username",
                           "username must be 1-60 letters, numbers, -, _ and .");
    if (!strchr(mail, '@') || strlen(mail) > 254)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/email", "email must be an address");
    bool name_taken = false, email_taken = false;
    int rc = user_db_taken(c, strcmp(name, u->username) ? name : "",
                           strcmp(mail, u->email) ? mail : "", &name_taken, &email_taken);
    if (rc) return rc;
    if (name_taken)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/username", "username is taken");
    if (email_taken) return ctx_fail_at(c, ERR_INVALID, "/data/attributes/email", "email is taken");
    u->username = arena_strdup(c->a, name);
    u->email = arena_strdup(c->a, mail);
    rc = user_db_update(c, u);
    if (!rc) principal_cache_invalidate(c->app); /* the username its tokens resolve to */
    if (rc == ERR_CONFLICT)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/username", "username is taken");
    return rc;
}

int user_check_password(struct ctx *c, const char *username, const char *password, struct user *out)
{
    /* an unknown name checks against a fixed hash, so timing does not tell names apart */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_decoy);
    const char *stored = decoy_hash;
    int rc = user_db_find(c, "username", username ? username : "", out);
    if (rc && rc != ERR_NOT_FOUND) return rc;
    bool known = rc == 0 && !out->invited_only;
    if (known && (rc = user_db_password_hash(c, out->id, &stored))) return rc;
    bool ok = password && crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
    return known && ok ? 0 : ERR_UNAUTHORIZED;
}

int user_change_password(struct ctx *c, const struct user *u, const char *current,
                         const char *password, const char *confirmation)
{
    const char *stored;
    int rc = user_db_password_hash(c, u->id, &stored);
    if (rc) return rc;
    if (!current || crypto_pwhash_str_verify(stored, current, strlen(current)) != 0)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/current_password",
                           "current_password is not the account's password");
    if (!valid_password(password))
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/password",
                           "password must be 10 to 1024 characters long");
    if (!confirmation || strcmp(password, confirmation) != 0)
        return ctx_fail_at(c, ERR_INVALID, "/data/attributes/password_confirmation",
                           "password_confirmation does not match password");
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(password, hash))) return rc;
    if ((rc = store_begin(c->app->store))) return rc;
    rc = user_db_set_password_hash(c, u->id, hash);
    if (!rc && password_changed_hook) rc = password_changed_hook(c, u->id);
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}

int user_get_or_invite(struct ctx *c, const char *email, struct user *out)
{
    if (!email || !strchr(email, '@') || strlen(email) > 254)
        return ctx_fail_at(c, ERR_INVALID, "/email", "email must be an address");
    int rc = user_db_find(c, "email", email, out);
    if (rc != ERR_NOT_FOUND) return rc;
    /* the id as username: unique, and nobody else can take it; "!" is no password hash, so
     * nothing verifies against it */
    out->id = codec_new_id(c->a, "user");
    out->username = out->id;
    out->email = arena_strdup(c->a, email);
    out->is_admin = false;
    out->invited_only = true;
    out->created_at = codec_now_iso(c->a);
    return user_db_insert(c, out, "!");
}

int user_create(struct ctx *c, const char *username, const char *email, const char *password,
                bool is_admin, struct user *out)
{
    if (!username || !valid_username(username))
        return ctx_fail_at(c, ERR_INVALID, "/username",
                           "username must be 1-60 letters, numbers, -, _ and .");
    if (!email || !strchr(email, '@') || strlen(email) > 254)
        return ctx_fail_at(c, ERR_INVALID, "/email", "email must be an address");
    if (!valid_password(password))
        return ctx_fail_at(c, ERR_INVALID, "/password",
                           "password must be 10 to 1024 characters long");
    bool name_taken, email_taken;
    int rc = user_db_taken(c, username, email, &name_taken, &email_taken);
    if (rc) return rc;
    if (name_taken) return ctx_fail_at(c, ERR_INVALID, "/username", "username is taken");
    struct user invited;
    if (email_taken && (rc = user_db_find(c, "email", email, &invited))) return rc;
    if (email_taken && !invited.invited_only)
        return ctx_fail_at(c, ERR_INVALID, "/email", "email is taken");
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(password, hash))) return rc;
    if (email_taken) { /* an invitation waits for this e-mail: the account takes its place */
        *out = invited;
        out->username = arena_strdup(c->a, username);
        out->is_admin = is_admin;
        out->invited_only = false;
        rc = user_db_take_over(c, out, hash);
        return !rc && signed_up_hook ? signed_up_hook(c, out->id) : rc;
    }
    out->id = codec_new_id(c->a, "user");
    out->username = arena_strdup(c->a, username);
    out->email = arena_strdup(c->a, email);
    out->is_admin = is_admin;
    out->created_at = codec_now_iso(c->a);
    rc = user_db_insert(c, out, hash);
    if (rc == ERR_CONFLICT) return ctx_fail_at(c, ERR_INVALID, "/username", "username is taken");
    return rc;
}
