/* principal_cache.c — a principal kept as its kind, whether a site admin, its token's expiry
 * (8 bytes), then its texts (base/pack.h). */
#include "app/principal_cache.h"
#include "app/app.h"
#include "app/node_cache.h"
#include "app/principal.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/pack.h"

#include <stdlib.h>
#include <string.h>

enum { TTL_MS = 60 * 1000, FIXED = 2 + sizeof(int64_t) };

struct principal_cache {
    struct node_cache *nc;
};

/* The texts of a principal, in the order they are kept. */
#define TEXTS(p)                                                                                   \
    {                                                                                              \
        &(p)->token_id, &(p)->user_id, &(p)->username, &(p)->org, &(p)->team_id, &(p)->run_id,     \
            &(p)->workspace_id                                                                     \
    }
enum { NTEXTS = 7 };

int principal_cache_new(struct app *app, struct principal_cache **out)
{
    struct principal_cache *pc = calloc(1, sizeof *pc);
    if (!pc) abort();
    int rc = node_cache_new(app->bus, "principals", TTL_MS, &pc->nc);
    if (rc) {
        free(pc);
        return rc;
    }
    *out = pc;
    return 0;
}

void principal_cache_free(struct principal_cache *pc)
{
    if (!pc) return;
    node_cache_free(pc->nc);
    free(pc);
}

int principal_cache_get(struct principal_cache *pc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at, uint64_t *ticket)
{
    *ticket = 0;
    const void *v;
    size_t len;
    if (!pc || node_cache_get(pc->nc, a, hash, &v, &len, ticket) || len < FIXED)
        return ERR_NOT_FOUND;
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

void principal_cache_put(struct principal_cache *pc, struct arena *a, uint64_t ticket,
                         const char *hash, const struct principal *p, int64_t expires_at)
{
    if (!pc) return;
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
    node_cache_put(pc->nc, ticket, hash, v, len);
}

void principal_cache_invalidate(struct app *app)
{
    if (app->principals) node_cache_forget(app->principals->nc, app->store, 0);
}
