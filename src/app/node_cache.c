/* node_cache.c — a direct-mapped table of malloc'd entries under one mutex. Two counters: the
 * epoch, which "forget everything" moves on (entries of an older epoch are dead), and the
 * generation, which every forgetting moves on (a ticket older than it puts nothing). */
#include "app/node_cache.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "bus/bus.h"
#include "store/store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 8192, MAX_KEY = 200 };

#define EVERYTHING "*"

struct entry {
    uint64_t epoch;
    int64_t stored_ms;
    size_t klen, vlen;
    char data[]; /* the key, then the value */
};

struct node_cache {
    struct bus *bus;
    char channel[64];
    int ttl_ms;
    pthread_mutex_t mu;
    uint64_t epoch, generation;
    struct entry *slots[SLOTS];
};

static struct entry **slot_of(struct node_cache *nc, const char *key, size_t klen)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < klen; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    return &nc->slots[h % SLOTS];
}

/* This node forgets key (NULL or "*": everything). */
static void forget_here(struct node_cache *nc, const char *key)
{
    bool all = !key || strcmp(key, EVERYTHING) == 0;
    pthread_mutex_lock(&nc->mu);
    nc->generation++;
    if (all) {
        nc->epoch++;
    } else {
        size_t klen = strlen(key);
        struct entry **s = slot_of(nc, key, klen);
        if (*s && (*s)->klen == klen && memcmp((*s)->data, key, klen) == 0) {
            free(*s);
            *s = 0;
        }
    }
    pthread_mutex_unlock(&nc->mu);
}

static void on_message(void *arg, const char *msg)
{
    forget_here(arg, msg); /* NULL: messages may have been missed */
}

int node_cache_new(struct bus *bus, const char *channel, int ttl_ms, struct node_cache **out)
{
    struct node_cache *nc = calloc(1, sizeof *nc);
    if (!nc) abort();
    nc->bus = bus;
    snprintf(nc->channel, sizeof nc->channel, "%s", channel);
    nc->ttl_ms = ttl_ms;
    nc->epoch = nc->generation = 1; /* a ticket of 0 never matches */
    pthread_mutex_init(&nc->mu, 0);
    int rc = bus_subscribe(bus, nc->channel, on_message, nc);
    if (rc) {
        node_cache_free(nc);
        return rc;
    }
    *out = nc;
    return 0;
}

void node_cache_free(struct node_cache *nc)
{
    if (!nc) return;
    for (size_t i = 0; i < SLOTS; i++)
        free(nc->slots[i]);
    pthread_mutex_destroy(&nc->mu);
    free(nc);
}

int node_cache_get(struct node_cache *nc, struct arena *a, const char *key, const void **val,
                   size_t *len, uint64_t *ticket)
{
    *ticket = 0;
    if (!nc || !bus_caught_up(nc->bus)) return ERR_NOT_FOUND;
    size_t klen = strlen(key);
    int rc = ERR_NOT_FOUND;
    int64_t now = codec_now_ms();
    pthread_mutex_lock(&nc->mu);
    *ticket = nc->generation;
    struct entry *e = *slot_of(nc, key, klen);
    if (e && e->epoch == nc->epoch && now - e->stored_ms < nc->ttl_ms && e->klen == klen &&
        memcmp(e->data, key, klen) == 0) {
        *val = arena_memdup(a, e->data + klen, e->vlen);
        *len = e->vlen;
        rc = 0;
    }
    pthread_mutex_unlock(&nc->mu);
    return rc;
}

void node_cache_put(struct node_cache *nc, uint64_t ticket, const char *key, const void *val,
                    size_t len)
{
    size_t klen = strlen(key);
    if (!nc || !ticket || klen > MAX_KEY) return;
    struct entry *e = malloc(sizeof *e + klen + len);
    if (!e) abort();
    e->stored_ms = codec_now_ms();
    e->klen = klen;
    e->vlen = len;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, val, len);
    pthread_mutex_lock(&nc->mu);
    if (ticket == nc->generation) {
        e->epoch = nc->epoch;
        struct entry **s = slot_of(nc, key, klen);
        free(*s);
        *s = e;
        e = 0;
    }
    pthread_mutex_unlock(&nc->mu);
    free(e);
}

/* After the commit: this node at once, then the others (and this one again) through the bus. */
static void forget_everywhere(void *arg, const char *key)
{
    struct node_cache *nc = arg;
    forget_here(nc, key);
    if (bus_publish(nc->bus, nc->channel, key ? key : EVERYTHING))
        log_warn("cache %s: other nodes not told to forget %s; theirs expires by itself",
                 nc->channel, key ? key : "everything");
}

void node_cache_forget(struct node_cache *nc, struct store *store, const char *key)
{
    if (nc) store_after_commit(store, forget_everywhere, nc, key);
}
