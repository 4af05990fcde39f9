/* principal_cache.c — a direct-mapped table of 4096 entries under one mutex; an entry is valid
 * while the cache's generation is the one it was stored in, and for TTL_MS at most. */
#include "app/principal_cache.h"
#include "app/app.h"
#include "app/principal.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "bus/bus.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 4096, TTL_MS = 60 * 1000, FIELD = 96 };

#define CHANNEL "principals"

struct entry {
    char hash[65];
    uint64_t generation;
    int64_t stored_ms, expires_at;
    enum principal_kind kind;
    bool site_admin;
    char token_id[FIELD], user_id[FIELD], username[FIELD], org[FIELD], team_id[FIELD],
        run_id[FIELD], workspace_id[FIELD];
};

struct principal_cache {
    pthread_mutex_t mu;
    uint64_t generation;
    struct entry slots[SLOTS];
};

static void forget_all(void *arg, const char *msg)
{
    (void)msg;
    struct principal_cache *pc = arg;
    pthread_mutex_lock(&pc->mu);
    pc->generation++;
    pthread_mutex_unlock(&pc->mu);
}

int principal_cache_new(struct app *app, struct principal_cache **out)
{
    struct principal_cache *pc = calloc(1, sizeof *pc);
    if (!pc) abort();
    pthread_mutex_init(&pc->mu, 0);
    pc->generation = 1; /* empty slots have generation 0 */
    int rc = bus_subscribe(app->bus, CHANNEL, forget_all, pc);
    if (rc) {
        principal_cache_free(pc);
        return rc;
    }
    *out = pc;
    return 0;
}

void principal_cache_free(struct principal_cache *pc)
{
    if (!pc) return;
    pthread_mutex_destroy(&pc->mu);
    free(pc);
}

static struct entry *slot_of(struct principal_cache *pc, const char *hash)
{
    return &pc->slots[strtoul((char[4]){hash[0], hash[1], hash[2], 0}, 0, 16) % SLOTS];
}

static const char *field(struct arena *a, const char *s)
{
    return *s ? arena_strdup(a, s) : 0;
}

int principal_cache_get(struct principal_cache *pc, struct arena *a, const char *hash,
                        struct principal *p, int64_t *expires_at)
{
    if (!pc || strlen(hash) != 64) return ERR_NOT_FOUND;
    int rc = ERR_NOT_FOUND;
    pthread_mutex_lock(&pc->mu);
    struct entry *e = slot_of(pc, hash);
    if (e->generation == pc->generation && strcmp(e->hash, hash) == 0 &&
        codec_now_ms() - e->stored_ms < TTL_MS) {
        memset(p, 0, sizeof *p);
        p->kind = e->kind;
        p->site_admin = e->site_admin;
        p->token_id = field(a, e->token_id);
        p->user_id = field(a, e->user_id);
        p->username = field(a, e->username);
        p->org = field(a, e->org);
        p->team_id = field(a, e->team_id);
        p->run_id = field(a, e->run_id);
        p->workspace_id = field(a, e->workspace_id);
        *expires_at = e->expires_at;
        rc = 0;
    }
    pthread_mutex_unlock(&pc->mu);
    return rc;
}

/* Copies s into a field; false when it does not fit (the principal is then not cached). */
static bool put_field(char dst[FIELD], const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= FIELD) return false;
    memcpy(dst, s ? s : "", n + 1);
    return true;
}

void principal_cache_put(struct principal_cache *pc, const char *hash, const struct principal *p,
                         int64_t expires_at)
{
    if (!pc || strlen(hash) != 64) return;
    struct entry e = {.stored_ms = codec_now_ms(),
                      .expires_at = expires_at,
                      .kind = p->kind,
                      .site_admin = p->site_admin};
    memcpy(e.hash, hash, 65);
    if (!put_field(e.token_id, p->token_id) || !put_field(e.user_id, p->user_id) ||
        !put_field(e.username, p->username) || !put_field(e.org, p->org) ||
        !put_field(e.team_id, p->team_id) || !put_field(e.run_id, p->run_id) ||
        !put_field(e.workspace_id, p->workspace_id))
        return;
    pthread_mutex_lock(&pc->mu);
    e.generation = pc->generation;
    *slot_of(pc, hash) = e;
    pthread_mutex_unlock(&pc->mu);
}

void principal_cache_invalidate(struct app *app)
{
    if (!app->principals) return;
    forget_all(app->principals, 0);           /* this node at once, before the answer goes out */
    bus_publish(app->bus, CHANNEL, "forget"); /* the others (and this one again) */
}
