/* principal_cache.c — a principal kept as its kind, whether a site admin, its token's expiry
 * (8 bytes), then its texts (base/pack.h). */
#include "app/principal_cache.h"
#include "app/app.h"
#include "app/node_cache.h"
#include "app/principal.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/pack.h"

#include <string.h>

enum { FIXED = 2 + sizeof(int64_t) };

/* The texts of a principal, in the order they are kept. */
#define TEXTS(p)                                                                                   \
    {                                                                                              \
        &(p)->token_id, &(p)->user_id, &(p)->username, &(p)->org, &(p)->team_id, &(p)->run_id,     \
            &(p)->workspace_id                                                                     \
    }
enum { NTEXTS = 7 };

int principal_cache_get(struct node_cache *nc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at, uint64_t *ticket)
{
    *ticket = 0;
    const void *v;
    size_t len;
    if (node_cache_get(nc, a, hash, &v, &len, ticket) || len < FIXED) return ERR_NOT_FOUND;
    const char *b = v, *end = b + len;
    memset(p, 0, sizeof *p);
    p->kind = (enum principal_kind)b[0];
    p->site_admin = b[1] != 0;
    memcpy(expires_at, b + 2, sizeof *expires_at);
    const char **texts[NTEXTS] = TEXTS(p);
    b += FIXED;
    for (size_t i = 0; i < NTEXTS; i++)
        if (!unpack_text(&b, end, texts[i])) return ERR_NOT_FOUND;
    return b == end ? 0 : ERR_NOT_FOUND;
}

void principal_cache_put(struct node_cache *nc, struct arena *a, uint64_t ticket, const char *hash,
                         const struct principal *p, int64_t expires_at)
{
    if (!nc) return;
    const char *const *texts[NTEXTS] = TEXTS(p);
    size_t len = FIXED;
    for (size_t i = 0; i < NTEXTS; i++)
        len += pack_size(*texts[i]);
    char *v = arena_alloc(a, len), *q = v + FIXED;
    v[0] = (char)p->kind;
    v[1] = p->site_admin;
    memcpy(v + 2, &expires_at, sizeof expires_at);
    for (size_t i = 0; i < NTEXTS; i++)
        q = pack_text(q, *texts[i]);
    node_cache_put(nc, ticket, hash, v, len);
}

void principal_cache_invalidate(struct app *app)
{
    node_cache_forget(app->principals, app->store, 0);
}
