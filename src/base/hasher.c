/* hasher.c — a producer (the caller) and a consumer (the thread) around a ring of slots under
 * one mutex and two condition variables. */
#include "base/hasher.h"
#include "base/codec.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 8, SLOT_SIZE = 256 * 1024 };

struct hasher {
    struct codec_md5 *md5;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, emptied;
    char *slot[SLOTS];
    size_t len[SLOTS];
    size_t head, tail, count; /* head: next to hash; tail: the one filling */
    bool done;
};

static void *run(void *arg)
{
    struct hasher *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->count && !h->done)
            pthread_cond_wait(&h->filled, &h->mu);
        if (!h->count) break;
        size_t i = h->head;
        pthread_mutex_unlock(&h->mu);
        codec_md5_update(h->md5, h->slot[i], h->len[i]);
        pthread_mutex_lock(&h->mu);
        h->len[i] = 0;
        h->head = (h->head + 1) % SLOTS;
        h->count--;
        pthread_cond_signal(&h->emptied);
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

struct hasher *hasher_new(void)
{
    struct hasher *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->md5 = codec_md5_new();
    for (int i = 0; i < SLOTS; i++)
        if (!(h->slot[i] = malloc(SLOT_SIZE))) abort();
    pthread_mutex_init(&h->mu, 0);
    pthread_cond_init(&h->filled, 0);
    pthread_cond_init(&h->emptied, 0);
    if (pthread_create(&h->thread, 0, run, h) != 0) abort();
    return h;
}

/* Passes the filling slot to the thread (waiting for room first). Called with the mutex held. */
static void hand_over(struct hasher *h)
{
    h->tail = (h->tail + 1) % SLOTS;
    h->count++;
    pthread_cond_signal(&h->filled);
    while (h->count == SLOTS)
        pthread_cond_wait(&h->emptied, &h->mu);
}

void hasher_update(struct hasher *h, const void *p, size_t n)
{
    const char *src = p;
    pthread_mutex_lock(&h->mu);
    while (n) {
        size_t i = h->tail, take = SLOT_SIZE - h->len[i] < n ? SLOT_SIZE - h->len[i] : n;
        pthread_mutex_unlock(&h->mu); /* the filling slot is the caller's alone */
        memcpy(h->slot[i] + h->len[i], src, take);
        pthread_mutex_lock(&h->mu);
        h->len[i] += take;
        src += take;
        n -= take;
        if (h->len[i] == SLOT_SIZE) hand_over(h);
    }
    pthread_mutex_unlock(&h->mu);
}

static void stop(struct hasher *h)
{
    pthread_mutex_lock(&h->mu);
    if (h->len[h->tail]) {
        h->tail = (h->tail + 1) % SLOTS;
        h->count++;
    }
    h->done = true;
    pthread_cond_signal(&h->filled);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, 0);
    pthread_cond_destroy(&h->filled);
    pthread_cond_destroy(&h->emptied);
    pthread_mutex_destroy(&h->mu);
    for (int i = 0; i < SLOTS; i++)
        free(h->slot[i]);
}

void hasher_final(struct hasher *h, char out[33])
{
    stop(h);
    codec_md5_final(h->md5, out);
    free(h);
}

void hasher_free(struct hasher *h)
{
    stop(h);
    codec_md5_free(h->md5);
    free(h);
}
