/* workspace_cache.c — workspace reads through the node's cache (app/node_cache.h): every CLI
 * command and every page starts by reading its workspace. Entries: "i:<id>" holds the row and
 * its tags, "n:<organization>/<name>" the id of that name (checked against the row it leads to,
 * so a renamed or deleted workspace's name leads nowhere). Every write of workspace_db.c
 * forgets its workspace. Reads inside a transaction go to the database: they must see the
 * transaction's own changes. */
#include "workspaces/workspace_int.h"
#include "app/app.h"
#include "app/node_cache.h"
#include "base/pack.h"

#include <stddef.h>

/* A row is kept as its strings (base/pack.h), its booleans (a byte each), then its tags (packed,
 * ended by a NULL). */
static const size_t STRINGS[] = {
    offsetof(struct workspace, id),
    offsetof(struct workspace, organization),
    offsetof(struct workspace, name),
    offsetof(struct workspace, description),
    offsetof(struct workspace, execution_mode),
    offsetof(struct workspace, terraform_version),
    offsetof(struct workspace, working_directory),
    offsetof(struct workspace, created_at),
    offsetof(struct workspace, updated_at),
    offsetof(struct workspace, trigger_prefixes),
    offsetof(struct workspace, source_name),
    offsetof(struct workspace, source_url),
    offsetof(struct workspace, locked_by_kind),
    offsetof(struct workspace, locked_by_id),
    offsetof(struct workspace, lock_reason),
    offsetof(struct workspace, current_state_version_id),
    offsetof(struct workspace, current_run_id),
    offsetof(struct workspace, ssh_key_id),
};
static const size_t BOOLS[] = {
    offsetof(struct workspace, auto_apply),
    offsetof(struct workspace, allow_destroy_plan),
    offsetof(struct workspace, file_triggers_enabled),
    offsetof(struct workspace, queue_all_runs),
    offsetof(struct workspace, speculative_enabled),
    offsetof(struct workspace, global_remote_state),
    offsetof(struct workspace, structured_run_output_enabled),
};
enum { NSTRINGS = sizeof STRINGS / sizeof *STRINGS, NBOOLS = sizeof BOOLS / sizeof *BOOLS };
/* fails when struct workspace gains a field: add it to the lists above (x86-64 and arm64) */
_Static_assert(sizeof(struct workspace) == 18 * sizeof(char *) + 8 + 3 * 8,
               "struct workspace changed: keep workspace_cache.c's lists in step");

#define FIELD(w, off) (*(const char **)((char *)(w) + (off)))
#define FLAG(w, off) (*(bool *)((char *)(w) + (off)))

/* The row as kept (arena memory). */
static char *encode(struct ctx *c, struct workspace *w, size_t *len)
{
    size_t n = NBOOLS + 1;
    for (size_t i = 0; i < NSTRINGS; i++)
        n += pack_size(FIELD(w, STRINGS[i]));
    for (size_t i = 0; i < w->ntags; i++)
        n += pack_size(w->tags[i]);
    char *out = arena_alloc(c->a, n), *p = out;
    for (size_t i = 0; i < NSTRINGS; i++)
        p = pack_text(p, FIELD(w, STRINGS[i]));
    for (size_t i = 0; i < NBOOLS; i++)
        *p++ = FLAG(w, BOOLS[i]);
    for (size_t i = 0; i < w->ntags; i++)
        p = pack_text(p, w->tags[i]);
    *p++ = 0;
    *len = (size_t)(p - out);
    return out;
}

/* The row back from what was kept (pointing into v, arena memory); false when malformed. */
static bool decode(struct ctx *c, const char *v, size_t len, struct workspace *w)
{
    const char *p = v, *end = v + len;
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < NSTRINGS; i++)
        if (!unpack_text(&p, end, &FIELD(w, STRINGS[i]))) return false;
    if ((size_t)(end - p) < NBOOLS) return false;
    for (size_t i = 0; i < NBOOLS; i++)
        FLAG(w, BOOLS[i]) = *p++ != 0;
    /* a tag takes two bytes at least */
    w->tags = arena_alloc(c->a, ((size_t)(end - p) / 2 + 1) * sizeof *w->tags);
    const char *tag = 0;
    while (unpack_text(&p, end, &tag) && tag)
        w->tags[w->ntags++] = tag;
    return p == end && !tag && w->id && w->organization && w->name;
}

static const char *id_key(struct ctx *c, const char *id)
{
    return arena_printf(c->a, "i:%s", id);
}

static const char *name_key(struct ctx *c, const char *org, const char *name)
{
    return arena_printf(c->a, "n:%s/%s", org, name);
}

/* The cache, when this read may use it. */
static struct node_cache *cache(struct ctx *c)
{
    return store_in_transaction(c->app->store) ? 0 : c->app->workspace_cache;
}

/* Looks the row of id up in the cache: true with *w filled. */
static bool cached(struct ctx *c, struct node_cache *nc, const char *id, struct workspace *w,
                   uint64_t *ticket)
{
    const void *v;
    size_t len;
    return node_cache_get(nc, c->a, id_key(c, id), &v, &len, ticket) == 0 && decode(c, v, len, w) &&
           strcmp(w->id, id) == 0;
}

static void keep(struct ctx *c, struct node_cache *nc, uint64_t ticket, struct workspace *w)
{
    size_t len;
    const char *v = encode(c, w, &len);
    node_cache_put(nc, ticket, id_key(c, w->id), v, len);
    node_cache_put(nc, ticket, name_key(c, w->organization, w->name), w->id, strlen(w->id) + 1);
}

int workspace_read(struct ctx *c, const char *id, struct workspace *out)
{
    struct node_cache *nc = cache(c);
    uint64_t ticket;
    if (nc && cached(c, nc, id, out, &ticket)) return 0;
    int rc = workspace_db_get(c, "id = $1", S_ARGS(S_TEXT(id)), out);
    if (!rc && nc) keep(c, nc, ticket, out);
    return rc;
}

int workspace_read_by_name(struct ctx *c, const char *org, const char *name, struct workspace *out)
{
    struct node_cache *nc = cache(c);
    uint64_t ticket = 0, unused;
    const void *id;
    size_t len;
    if (nc && node_cache_get(nc, c->a, name_key(c, org, name), &id, &len, &ticket) == 0 && len &&
        ((const char *)id)[len - 1] == 0 && cached(c, nc, id, out, &unused) &&
        strcmp(out->organization, org) == 0 && strcmp(out->name, name) == 0)
        return 0;
    int rc = workspace_db_get(c, "organization = $1 AND name = $2",
                              S_ARGS(S_TEXT(org), S_TEXT(name)), out);
    if (!rc && nc) keep(c, nc, ticket, out);
    return rc;
}

void workspace_forget(struct ctx *c, const char *id)
{
    node_cache_forget(c->app->workspace_cache, c->app->store, id ? id_key(c, id) : 0);
}
