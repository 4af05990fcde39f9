/* pool.c — the worker threads of offloaded routes. A complete request waits in a bounded FIFO;
 * a worker runs its handler (or its sink's finish) with the answer kept in the request, then
 * hands the connection back to its loop (conn_offload_done), which writes the answer. The loop
 * touches neither the request nor the parser meanwhile, so no lock guards them. */
#include "http/http_int.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct http_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn *head, *tail; /* waiting, oldest first */
    int queued, queue_max;
    int64_t budget_ms;
    bool stop;
    int nthreads;
    pthread_t *threads;
};

/* Runs one request on the calling worker. One that waited past the budget, or that the pool
 * drops while stopping, is answered 503: its client has likely given up, and running it late
 * only deepens the backlog. */
static void run(struct http_pool *p, struct conn *c, bool stopping)
{
    struct http_request *r = c->req;
    const struct http_server_config *cfg = &c->srv->cfg;
    log_set_request(r->request_id);
    r->on_worker = true;
    int64_t waited = codec_mono_ms() - c->queued_ms;
    if (stopping || waited > p->budget_ms) {
        if (r->has_sink) {
            r->has_sink = false;
            r->sink.abort(r->sink.arg);
        }
        log_warn("http: %s waited %lld ms for a worker: answered 503", r->path, (long long)waited);
        http_set_header(r, "Retry-After", "5");
        cfg->respond_error(r, ERR_UNAVAILABLE,
                           stopping ? "the node is stopping" : "the node is busy; try again");
    } else if (r->has_sink) {
        r->has_sink = false;
        r->sink.finish(r, r->sink.arg);
    } else {
        r->route->handler(r, cfg->app);
    }
    log_set_request(0);
    conn_offload_done(c); /* c and r belong to the loop again from here */
}

/* Workers run at a lower priority than the loops: their work is long and CPU-bound, a loop's is
 * short and someone waits on it, so on a busy node a loop wakes first (health within 50 ms). */
enum { WORKER_NICE = 10 };

static void *worker(void *arg)
{
    struct http_pool *p = arg;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE) != 0)
        log_warn("http: pool worker priority not lowered");
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        struct conn *c = p->head;
        if (!c) break; /* stopping and nothing waits */
        p->head = c->job_next;
        if (!p->head) p->tail = 0;
        p->queued--;
        bool stopping = p->stop;
        pthread_mutex_unlock(&p->mu);
        c->job_next = 0;
        run(p, c, stopping);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return 0;
}

int pool_submit(struct http_pool *p, struct conn *c)
{
    pthread_mutex_lock(&p->mu);
    bool room = !p->stop && p->queued < p->queue_max;
    if (room) {
        c->offloaded = true;
        c->queued_ms = codec_mono_ms();
        c->job_next = 0;
        if (p->tail)
            p->tail->job_next = c;
        else
            p->head = c;
        p->tail = c;
        p->queued++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return room ? 0 : ERR_UNAVAILABLE;
}

int http_pool_new(int threads, int queue_max, int64_t budget_ms, struct http_pool **out)
{
    *out = 0;
    if (threads < 1 || queue_max < 1 || budget_ms < 1) return ERR_CONFIG;
    struct http_pool *p = calloc(1, sizeof *p);
    if (!p) abort();
    pthread_mutex_init(&p->mu, 0);
    pthread_cond_init(&p->cv, 0);
    p->queue_max = queue_max;
    p->budget_ms = budget_ms;
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    if (!p->threads) abort();
    for (; p->nthreads < threads; p->nthreads++) {
        if (pthread_create(&p->threads[p->nthreads], 0, worker, p) != 0) {
            log_error("http: cannot start pool worker %d", p->nthreads);
            http_pool_free(p);
            return ERR_INTERNAL;
        }
    }
    *out = p;
    return 0;
}

void http_pool_stop(struct http_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], 0);
    p->nthreads = 0;
}

void http_pool_free(struct http_pool *p)
{
    if (!p) return;
    http_pool_stop(p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
