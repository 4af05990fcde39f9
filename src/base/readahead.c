/* readahead.c — the thread fills slots in a ring; the caller drains them in order. One mutex,
 * two condition variables, as in hasher.c with the roles swapped. */
#include "base/readahead.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 16 };

struct readahead {
    readahead_fill fill;
    void *arg;
    size_t size;
    int depth;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, emptied;
    char *slot[MAX_DEPTH];
    size_t len[MAX_DEPTH];
    int head, count; /* head: the slot the caller reads; count: filled slots from head */
    size_t pos;      /* bytes of slot[head] already read */
    int err;         /* the fill's error, after the filled slots */
    bool end, stop;  /* end: the fill returned its last bytes or an error */
};

static void *run(void *arg)
{
    struct readahead *ra = arg;
    pthread_mutex_lock(&ra->mu);
    while (!ra->end) {
        while (ra->count == ra->depth && !ra->stop)
            pthread_cond_wait(&ra->emptied, &ra->mu);
        if (ra->stop) break;
        int i = (ra->head + ra->count) % ra->depth;
        pthread_mutex_unlock(&ra->mu); /* the slot past the filled ones is the thread's alone */
        size_t n = 0;
        int rc = ra->fill(ra->arg, ra->slot[i], ra->size, &n);
        pthread_mutex_lock(&ra->mu);
        if (rc || n == 0) {
            ra->err = rc;
            ra->end = true;
        } else {
            ra->len[i] = n;
            ra->count++;
        }
        pthread_cond_signal(&ra->filled);
    }
    pthread_mutex_unlock(&ra->mu);
    return 0;
}

struct readahead *readahead_start(readahead_fill fill, void *arg, size_t size, int depth)
{
    struct readahead *ra = calloc(1, sizeof *ra);
    if (!ra) abort();
    ra->fill = fill;
    ra->arg = arg;
    ra->size = size;
    ra->depth = depth < 2 ? 2 : depth > MAX_DEPTH ? MAX_DEPTH : depth;
    for (int i = 0; i < ra->depth; i++)
        if (!(ra->slot[i] = malloc(size))) abort();
    pthread_mutex_init(&ra->mu, 0);
    pthread_cond_init(&ra->filled, 0);
    pthread_cond_init(&ra->emptied, 0);
    if (pthread_create(&ra->thread, 0, run, ra) != 0) abort();
    return ra;
}

int readahead_read(struct readahead *ra, void *buf, size_t cap, size_t *n)
{
    *n = 0;
    pthread_mutex_lock(&ra->mu);
    while (!ra->count && !ra->end)
        pthread_cond_wait(&ra->filled, &ra->mu);
    if (!ra->count) {
        pthread_mutex_unlock(&ra->mu);
        return ra->err;
    }
    int i = ra->head;
    pthread_mutex_unlock(&ra->mu); /* a filled slot is the caller's until it is handed back */
    size_t take = ra->len[i] - ra->pos < cap ? ra->len[i] - ra->pos : cap;
    memcpy(buf, ra->slot[i] + ra->pos, take);
    ra->pos += take;
    *n = take;
    if (ra->pos == ra->len[i]) {
        pthread_mutex_lock(&ra->mu);
        ra->pos = 0;
        ra->head = (ra->head + 1) % ra->depth;
        ra->count--;
        pthread_cond_signal(&ra->emptied);
        pthread_mutex_unlock(&ra->mu);
    }
    return 0;
}

void readahead_stop(struct readahead *ra)
{
    if (!ra) return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = true;
    pthread_cond_signal(&ra->emptied);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(ra->thread, 0);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->emptied);
    pthread_mutex_destroy(&ra->mu);
    for (int i = 0; i < ra->depth; i++)
        free(ra->slot[i]);
    free(ra);
}
