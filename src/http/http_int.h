/* http_int.h — private to http/: the server, connection and request structures shared by
 * conn.c (sockets, parsing, dispatch) and request.c (accessors and responses). */
#ifndef STRATA_HTTP_INT_H
#define STRATA_HTTP_INT_H

#include "base/buf.h"
#include "http/http.h"
#include "http/proxy_proto.h"

#include <event2/bufferevent.h>
#include <http_parser.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <time.h>

enum {
    MAX_HEADERS = 100,
    MAX_URL = 8192,
    STREAM_CHUNK = 64 * 1024,
    DISCARD_MAX = 64 * 1024 * 1024, /* body bytes read and dropped after an early refusal */
    WRITE_HIGH = 512 * 1024,        /* stop pulling from a source above this much queued output */
};

/* A connection from a trusted balancer whose PROXY protocol header is still being read (conn.c) */
struct proxy_wait {
    struct proxy_wait *prev, *next;
    struct http_server *srv;
    int fd;
    struct event *ev;
    unsigned char buf[PROXY_HEADER_MAX];
    size_t len;          /* header bytes consumed so far */
    int64_t deadline_ms; /* CLOCK_MONOTONIC: closed when the header is not complete by then */
    char peer[64];
};

struct route_table {
    const struct http_route *routes;
    struct route_table *next;
};

struct http_server {
    struct conn *conns;       /* open connections, freed with the server */
    struct proxy_wait *waits; /* balancers' connections before their header, freed with it */
    struct event_base *base;
    struct evconnlistener *listener;
    SSL_CTX *ssl;
    struct http_server_config cfg;
    struct route_table *tables;
    /* connections whose offloaded handler finished, posted by pool workers; wake runs
     * conn_offload_finish for them on this server's loop */
    pthread_mutex_t done_mu;
    struct conn *done;
    struct event *wake;
};

struct header {
    char *name, *value;
};

struct conn;

struct http_request {
    struct conn *conn;
    struct timespec started;
    int status;
    struct arena *arena;
    enum http_verb method;
    struct buf url;
    char *path;
    struct header *query; /* decoded key/value pairs, parsed lazily */
    int nquery;
    bool query_parsed;
    struct header headers[MAX_HEADERS];
    int nheaders;
    const struct http_route *route;
    const char *pnames[8], *pvalues[8];
    int nparams;
    struct buf body;
    struct http_sink sink;
    bool has_sink;
    int pending_error;          /* decided before the body was read; answered at its end */
    int64_t discarded;          /* body bytes dropped because of pending_error */
    int64_t received, max_body; /* body bytes so far and the route's cap */
    char *error_detail;
    struct buf resp_headers;
    bool responded;
    void *user;
    /* set while a pool worker runs the handler: answers are kept in later and written by the
     * connection's loop once the handler returns */
    bool on_worker;
    struct {
        bool set, stream;
        int status;
        const char *ctype; /* in the arena */
        const void *body;  /* in the arena */
        size_t len;
        int64_t length;
        struct http_source src;
    } later;
    char request_id[65]; /* the client's or balancer's X-Request-Id, or one made here */
};

struct conn {
    struct conn *prev, *next;
    struct http_server *srv;
    struct bufferevent *bev;
    http_parser parser;
    char remote[64];
    struct http_request *req;
    struct buf hfield, hvalue;
    bool in_value;
    bool keep_alive, close_after;
    struct http_source src;
    bool streaming, chunked, done_writing;
    /* offloaded: a pool worker holds req (the loop touches neither it nor the parser); gone:
     * the client left meanwhile and the connection is freed when the worker is done */
    bool offloaded, gone;
    /* the request head as it arrives, checked for obs-fold before the parser sees it (the
     * parser folds silently): in_head until the blank line, line_start after each LF */
    bool in_head, head_started, line_start;
    /* answered and closing while the client may still be sending: input is read and dropped
     * (up to LINGER_MS) so that the client reads the answer instead of a reset */
    bool linger, lingering;
    int64_t linger_since;
    struct conn *job_next; /* in the pool's queue, then in the server's done list */
    int64_t queued_ms;
};

/* request.c */
struct http_request *req_new(struct conn *c);
/* Frees r, aborting an open sink. NULL is ignored. */
void req_free(struct http_request *r);
/* Pulls from the connection's response source until enough output is queued or it ends. */
void http_pump(struct conn *c);
/* Writes the answer a pool worker kept in r->later (on the connection's loop). */
void req_answer_later(struct http_request *r);

/* pool.c: queues c (its request complete, the parser paused) for a worker; ERR_UNAVAILABLE
 * when the queue is full. */
int pool_submit(struct http_pool *p, struct conn *c);
/* conn.c: on a worker, once the handler returned: hands c back to its loop. */
void conn_offload_done(struct conn *c);

#endif
