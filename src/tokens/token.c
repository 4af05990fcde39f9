/* token.c — making and checking tokens. A token looks like TFE's: 14 characters, ".atlasv1.",
 * 67 characters, all from the CSPRNG (about 480 bits). */
#include "tokens/token_int.h"
#include "app/audit.h"
#include "app/principal_cache.h"
#include "base/codec.h"
#include "teams/team.h"

int token_authenticate(struct app *app, struct arena *a, const char *token, struct principal *p)
{
    size_t len = strlen(token);
    if (len < 20 || len > 200) return ERR_UNAUTHORIZED;
    const char *hash = codec_sha256_hex(a, token, len);
    int64_t expires_at = 0;
    uint64_t ticket;
    if (principal_cache_get(app->principals, a, hash, p, &expires_at, &ticket) != 0) {
        int rc = token_db_principal(app, a, hash, p, &expires_at);
        if (rc) return rc;
        principal_cache_put(app->principals, a, ticket, hash, p, expires_at);
    }
    /* an expired token (runs' always expire), remembered or not */
    return expires_at && expires_at < codec_now_unix() ? ERR_UNAUTHORIZED : 0;
}

static char *new_secret(struct ctx *c)
{
    char head[15], tail[68];
    codec_random_base62(head, 14);
    codec_random_base62(tail, 67);
    return arena_printf(c->a, "%s.atlasv1.%s", head, tail);
}

int token_issue_run(struct ctx *c, const char *run_id, const char *org, const char *workspace_id,
                    int64_t ttl, const char **plaintext)
{
    *plaintext = new_secret(c);
    return store_exec(c->app->store,
                      "INSERT INTO tokens (id, kind, hash, organization, run_id, workspace_id, "
                      "expires_at, created_at) VALUES ($1, 'run', $2, $3, $4, $5, $6, $7)",
                      S_ARGS(S_TEXT(codec_new_id(c->a, "at")),
                             S_TEXT(codec_sha256_hex(c->a, *plaintext, strlen(*plaintext))),
                             S_TEXT(org), S_TEXT(run_id), S_TEXT(workspace_id),
                             S_INT(codec_now_unix() + ttl), S_TEXT(codec_now_iso(c->a))),
                      0);
}

int token_revoke_run(struct ctx *c, const char *run_id)
{
    int rc = store_exec(c->app->store, "DELETE FROM tokens WHERE kind = 'run' AND run_id = $1",
                        S_ARGS(S_TEXT(run_id)), 0);
    if (!rc) principal_cache_invalidate(c->app);
    return rc;
}

int token_issue(struct ctx *c, enum token_kind kind, const char *owner, const char *org,
                const char *description, int64_t expires_at, struct token *out)
{
    static const char *kinds[] = {"user", "organization", "team"};
    memset(out, 0, sizeof *out);
    out->plaintext = new_secret(c);
    out->id = codec_new_id(c->a, "at");
    out->kind = kinds[kind];
    out->description = description ? description : "";
    out->created_at = codec_now_iso(c->a);
    out->created_by = c->who.user_id;
    out->expires_at = expires_at;
    if (kind == TOKEN_USER) out->user_id = owner;
    if (kind == TOKEN_ORG) out->organization = owner;
    if (kind == TOKEN_TEAM) out->team_id = owner;
    const char *hash = codec_sha256_hex(c->a, out->plaintext, strlen(out->plaintext));
    int rc = store_begin(c->app->store);
    if (rc) return rc;
    if (kind != TOKEN_USER)
        rc = token_db_delete_owned(c, out->kind, out->organization, out->team_id, 0);
    if (!rc) rc = token_db_insert(c, out, hash);
    if (!rc) rc = audit_record(c, org, "authentication-token", out->id, "create");
    if (rc) {
        store_rollback(c->app->store);
        return rc;
    }
    rc = store_commit(c->app->store);
    if (!rc && kind != TOKEN_USER) principal_cache_invalidate(c->app); /* the one it replaced */
    return rc;
}
