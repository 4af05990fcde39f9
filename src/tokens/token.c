/* token.c — making and checking tokens. A token looks like TFE's: 14 characters, ".atlasv1.",
 * 67 characters, all from the CSPRNG (about 480 bits). */
#include "tokens/token_int.h"
#include "base/codec.h"
#include "teams/team.h"

int token_authenticate(struct app *app, struct arena *a, const char *token, struct principal *p)
{
    size_t len = strlen(token);
    if (len < 20 || len > 200) return ERR_UNAUTHORIZED;
    return token_db_principal(app, a, codec_sha256_hex(a, token, len), p);
}

int token_issue(struct ctx *c, enum token_kind kind, const char *owner, const char *description,
                struct token *out)
{
    static const char *kinds[] = {"user", "organization", "team"};
    char head[15], tail[68];
    codec_random_base62(head, 14);
    codec_random_base62(tail, 67);
    memset(out, 0, sizeof *out);
    out->plaintext = arena_printf(c->a, "%s.atlasv1.%s", head, tail);
    out->id = codec_new_id(c->a, "at");
    out->kind = kinds[kind];
    out->description = description ? description : "";
    out->created_at = codec_now_iso(c->a);
    out->created_by = c->who.user_id;
    if (kind == TOKEN_USER) out->user_id = owner;
    if (kind == TOKEN_ORG) out->organization = owner;
    if (kind == TOKEN_TEAM) out->team_id = owner;
    const char *hash = codec_sha256_hex(c->a, out->plaintext, strlen(out->plaintext));
    if (kind == TOKEN_USER) return token_db_insert(c, out, hash);
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    rc = token_db_delete_owned(c, out->kind, out->organization, out->team_id);
    if (!rc) rc = token_db_insert(c, out, hash);
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    return store_commit(c->app->store);
}
