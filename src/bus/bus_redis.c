/* bus_redis.c — the bus on Redis: queues are lists (LPUSH, BRPOP), live logs are strings
 * (APPEND, GETRANGE). Connections are pooled; one that fails is closed and the call is tried
 * once more on a new one, which asks the sentinels again: that is how a failover is followed. */
#include "bus/bus_int.h"
#include "base/err.h"
#include "base/log.h"
#include "base/metrics.h"
#include "bus/redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { POOL_MAX = 64, LOG_TTL = 24 * 3600 };

struct rbus {
    struct redis_config cfg;
    char *strings[6]; /* copies of cfg's strings */
    pthread_mutex_t mu;
    struct redis *idle[POOL_MAX];
    size_t nidle;
    bool down;
    /* the subscriber: one thread and connection, started by the first subscription */
    struct bus *bus;
    pthread_t listener;
    bool listening, stop_listening, resubscribe;
    /* what bus_caught_up reads: the subscriber's socket while subscribed (-1 otherwise), and
     * whether it is between taking bytes off that socket and delivering what they held */
    int sub_fd;
    bool delivering;
};

static char *dup_or_null(const char *s)
{
    if (!s) return 0;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

static int take(struct rbus *b, struct redis **out)
{
    pthread_mutex_lock(&b->mu);
    struct redis *r = b->nidle ? b->idle[--b->nidle] : 0;
    pthread_mutex_unlock(&b->mu);
    if (r) {
        *out = r;
        return 0;
    }
    char err[512];
    int rc = redis_open(&b->cfg, out, err, sizeof err);
    if (rc) log_warn("redis: %s", err);
    return rc;
}

static void give_back(struct rbus *b, struct redis *r)
{
    pthread_mutex_lock(&b->mu);
    if (b->nidle < POOL_MAX) {
        b->idle[b->nidle++] = r;
        r = 0;
    }
    pthread_mutex_unlock(&b->mu);
    redis_close(r);
}

/* Runs one command on a pooled connection, once more on a new one when the first fails. */
static int call(struct rbus *b, int timeout_ms, redisReply **reply, int argc, const char **argv,
                const size_t *lens)
{
    int rc = ERR_UNAVAILABLE;
    double t0 = metrics_now();
    for (int attempt = 0; attempt < 2 && rc == ERR_UNAVAILABLE; attempt++) {
        struct redis *r;
        if ((rc = take(b, &r))) continue;
        rc = redis_call(r, timeout_ms, reply, argc, argv, lens);
        if (rc)
            redis_close(r);
        else
            give_back(b, r);
    }
    if (strcmp(argv[0], "BRPOP") != 0) metrics_time(METRIC_REDIS, metrics_now() - t0);
    if (!rc && (*reply)->type == REDIS_REPLY_ERROR) {
        log_error("redis: %s: %s", argv[0], (*reply)->str);
        freeReplyObject(*reply);
        *reply = 0;
        rc = ERR_IO;
    }
    return rc;
}

static int callv(struct rbus *b, int timeout_ms, redisReply **reply, int argc,
                 const char *const *argv)
{
    return call(b, timeout_ms, reply, argc, (const char **)argv, 0); /* lengths: strlen */
}

/* A command whose reply is only its success. */
static int command(struct rbus *b, int timeout_ms, int argc, const char *const *argv)
{
    redisReply *rep;
    int rc = callv(b, timeout_ms, &rep, argc, argv);
    if (!rc) freeReplyObject(rep);
    return rc;
}

static void queue_key(char *out, size_t cap, const char *queue)
{
    snprintf(out, cap, "strata:queue:%s", queue);
}

static int rbus_enqueue(void *impl, const char *queue, const char *job)
{
    char key[128];
    queue_key(key, sizeof key, queue);
    const char *argv[] = {"LPUSH", key, job};
    return command(impl, 0, 3, argv);
}

static int rbus_claim(void *impl, const char *queue, int timeout_ms, char *job, size_t cap)
{
    struct rbus *b = impl;
    if (__atomic_load_n(&b->down, __ATOMIC_ACQUIRE)) return ERR_UNAVAILABLE;
    char key[128], secs[32];
    queue_key(key, sizeof key, queue);
    snprintf(secs, sizeof secs, "%.3f", timeout_ms > 0 ? timeout_ms / 1000.0 : 0.001);
    const char *argv[] = {"BRPOP", key, secs};
    redisReply *rep;
    int rc = callv(b, timeout_ms + 5000, &rep, 3, argv);
    if (rc) return ERR_IO; /* Redis is away (or failing over): the caller waits and retries */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        snprintf(job, cap, "%s", rep->element[1]->str);
    } else {
        rc = ERR_NOT_FOUND;
    }
    freeReplyObject(rep);
    return rc;
}

static int rbus_queued(void *impl, const char *queue, const char *job, bool *queued)
{
    char key[128];
    queue_key(key, sizeof key, queue);
    const char *argv[] = {"LPOS", key, job};
    redisReply *rep;
    int rc = callv(impl, 0, &rep, 3, argv);
    if (rc) return rc;
    *queued = rep->type == REDIS_REPLY_INTEGER;
    freeReplyObject(rep);
    return 0;
}

static void rbus_shutdown(void *impl)
{
    struct rbus *b = impl;
    __atomic_store_n(&b->down, true, __ATOMIC_RELEASE);
}

static void log_key(char *out, size_t cap, const char *id)
{
    snprintf(out, cap, "strata:log:%s", id);
}

static int rbus_log_append(void *impl, const char *id, const void *p, size_t n, int64_t *total)
{
    char key[128];
    log_key(key, sizeof key, id);
    const char *argv[] = {"APPEND", key, p};
    size_t lens[] = {6, strlen(key), n};
    redisReply *rep;
    int rc = call(impl, 0, &rep, 3, argv, lens);
    if (rc) return rc;
    *total = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    if (*total == (int64_t)n) { /* a new log: it goes away by itself if its node dies */
        char ttl[32];
        snprintf(ttl, sizeof ttl, "%d", LOG_TTL);
        const char *ex[] = {"EXPIRE", key, ttl};
        command(impl, 0, 3, ex);
    }
    return 0;
}

static int rbus_log_drop(void *impl, const char *id)
{
    char key[128];
    log_key(key, sizeof key, id);
    const char *argv[] = {"DEL", key};
    return command(impl, 0, 2, argv);
}

static int rbus_log_read(void *impl, const char *id, int64_t offset, void *buf, size_t cap,
                         size_t *n)
{
    char key[128], from[32], to[32];
    log_key(key, sizeof key, id);
    snprintf(from, sizeof from, "%lld", (long long)offset);
    snprintf(to, sizeof to, "%lld", (long long)(offset + (int64_t)cap - 1));
    const char *argv[] = {"GETRANGE", key, from, to};
    redisReply *rep;
    int rc = callv(impl, 0, &rep, 4, argv);
    if (rc) return rc;
    *n = rep->type == REDIS_REPLY_STRING ? rep->len : 0;
    if (*n > cap) *n = cap;
    memcpy(buf, rep->str, *n);
    freeReplyObject(rep);
    if (*n) return 0;
    const char *ex[] = {"EXISTS", key};
    if ((rc = callv(impl, 0, &rep, 2, ex))) return rc;
    bool exists = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return exists ? 0 : ERR_NOT_FOUND;
}

static int rbus_publish(void *impl, const char *channel, const char *msg)
{
    char key[128];
    snprintf(key, sizeof key, "strata:%s", channel);
    const char *argv[] = {"PUBLISH", key, msg};
    return command(impl, 0, 3, argv);
}

/* Subscribes on r to every channel the bus has. */
static int subscribe_all(struct rbus *b, struct redis *r)
{
    struct bus_subscription subs[BUS_MAX_SUBSCRIPTIONS];
    size_t n = bus_subscriptions(b->bus, subs, BUS_MAX_SUBSCRIPTIONS);
    for (size_t i = 0; i < n; i++) {
        char key[128];
        snprintf(key, sizeof key, "strata:%.63s", subs[i].channel);
        const char *argv[] = {"SUBSCRIBE", key};
        redisReply *rep;
        int rc = redis_callv(r, 0, &rep, 2, argv);
        if (rc) return rc;
        freeReplyObject(rep);
    }
    return 0;
}

static bool listener_should_stop(struct rbus *b)
{
    return __atomic_load_n(&b->stop_listening, __ATOMIC_ACQUIRE);
}

/* Receives messages until stopped; after any gap (connecting again) tells every subscriber it
 * may have missed messages. */
static void *listen_loop(void *arg)
{
    struct rbus *b = arg;
    while (!listener_should_stop(b)) {
        struct redis *r = 0;
        char err[512];
        if (redis_open(&b->cfg, &r, err, sizeof err) || subscribe_all(b, r)) {
            redis_close(r);
            usleep(500 * 1000);
            continue;
        }
        __atomic_store_n(&b->resubscribe, false, __ATOMIC_RELEASE);
        bus_deliver(b->bus, 0, 0);
        __atomic_store_n(&b->sub_fd, redis_fd(r), __ATOMIC_SEQ_CST);
        while (!listener_should_stop(b) && !__atomic_load_n(&b->resubscribe, __ATOMIC_ACQUIRE)) {
            if (!redis_buffered(r)) {
                __atomic_store_n(&b->delivering, false, __ATOMIC_SEQ_CST);
                if (redis_wait(r, 1000)) continue;
            }
            /* set before the socket is read: until the messages are delivered, a reader
             * sees either bytes in the socket or this flag */
            __atomic_store_n(&b->delivering, true, __ATOMIC_SEQ_CST);
            redisReply *rep = 0;
            int rc = redis_read(r, 1000, &rep);
            if (rc == ERR_NOT_FOUND) continue;
            if (rc) break;
            if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
                strcmp(rep->element[0]->str, "message") == 0 &&
                strncmp(rep->element[1]->str, "strata:", 7) == 0)
                bus_deliver(b->bus, rep->element[1]->str + 7, rep->element[2]->str);
            freeReplyObject(rep);
        }
        __atomic_store_n(&b->sub_fd, -1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&b->delivering, false, __ATOMIC_SEQ_CST);
        redis_close(r);
    }
    return 0;
}

static void rbus_subscribed(void *impl, struct bus *bus)
{
    struct rbus *b = impl;
    pthread_mutex_lock(&b->mu);
    b->bus = bus;
    bool start = !b->listening;
    b->listening = true;
    pthread_mutex_unlock(&b->mu);
    if (start) {
        if (pthread_create(&b->listener, 0, listen_loop, b) != 0) abort();
    } else {
        __atomic_store_n(&b->resubscribe, true, __ATOMIC_RELEASE);
    }
}

/* Caught up: subscribed, nothing unread in the subscriber's socket, nothing read and not yet
 * delivered. A node publishes an invalidation before it answers, and Redis writes a message to
 * every subscriber in the same turn as its reply to the publisher, so by the time that answer
 * has reached a client and the client's next request this node, the message is in this node's
 * socket or delivered: a read that trusts a cache after this check has seen it. */
static bool rbus_caught_up(void *impl)
{
    struct rbus *b = impl;
    int fd = __atomic_load_n(&b->sub_fd, __ATOMIC_SEQ_CST);
    int waiting = 0;
    if (fd < 0 || ioctl(fd, FIONREAD, &waiting) != 0 || waiting > 0) return false;
    return !__atomic_load_n(&b->delivering, __ATOMIC_SEQ_CST) &&
           __atomic_load_n(&b->sub_fd, __ATOMIC_SEQ_CST) == fd;
}

static int rbus_check(void *impl)
{
    const char *argv[] = {"PING"};
    return command(impl, 2000, 1, argv);
}

static void rbus_free(void *impl)
{
    struct rbus *b = impl;
    if (b->listening) {
        __atomic_store_n(&b->stop_listening, true, __ATOMIC_RELEASE);
        pthread_join(b->listener, 0);
    }
    for (size_t i = 0; i < b->nidle; i++)
        redis_close(b->idle[i]);
    for (size_t i = 0; i < 6; i++)
        free(b->strings[i]);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static const struct bus_ops redis_ops = {
    .name = "redis",
    .enqueue = rbus_enqueue,
    .claim = rbus_claim,
    .queued = rbus_queued,
    .shutdown = rbus_shutdown,
    .log_append = rbus_log_append,
    .log_read = rbus_log_read,
    .log_drop = rbus_log_drop,
    .publish = rbus_publish,
    .subscribed = rbus_subscribed,
    .check = rbus_check,
    .caught_up = rbus_caught_up,
    .free = rbus_free,
};

int bus_open_redis(const struct redis_config *cfg, struct bus **out, char *err, size_t errlen)
{
    struct redis *first;
    int rc = redis_open(cfg, &first, err, errlen);
    if (rc) return rc;
    struct rbus *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->cfg = *cfg;
    b->sub_fd = -1;
    b->cfg.host = b->strings[0] = dup_or_null(cfg->host);
    b->cfg.password = b->strings[1] = dup_or_null(cfg->password);
    b->cfg.ca_file = b->strings[2] = dup_or_null(cfg->ca_file);
    b->cfg.sentinel_hosts = b->strings[3] = dup_or_null(cfg->sentinel_hosts);
    b->cfg.leader_name = b->strings[4] = dup_or_null(cfg->leader_name);
    b->cfg.sentinel_password = b->strings[5] = dup_or_null(cfg->sentinel_password);
    pthread_mutex_init(&b->mu, 0);
    b->idle[b->nidle++] = first;
    log_info("redis: connected to %s", redis_address(first));
    *out = bus_wrap(&redis_ops, b);
    return 0;
}
