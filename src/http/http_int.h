/* http_int.h — private to http/: the server, connection and request structures shared by
 * conn.c (sockets, parsing, dispatch) and request.c (accessors and responses). */
#ifndef STRATA_HTTP_INT_H
#define STRATA_HTTP_INT_H

#include "base/buf.h"
#include "http/http.h"

#include <event2/bufferevent.h>
#include <http_parser.h>
#include <openssl/ssl.h>
#include <time.h>

enum {
    MAX_HEADERS = 100,
    MAX_URL = 8192,
    STREAM_CHUNK = 64 * 1024,
    DISCARD_MAX = 64 * 1024 * 1024, /* body bytes read and dropped after an early refusal */
    WRITE_HIGH = 512 * 1024,        /* stop pulling from a source above this much queued output */
};

struct route_table {
    const struct http_route *routes;
    struct route_table *next;
};

struct http_server {
    struct conn *conns; /* open connections, freed with the server */
    struct event_base *base;
    struct evconnlistener *listener;
    SSL_CTX *ssl;
    struct http_server_config cfg;
    struct route_table *tables;
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
};

/* request.c */
struct http_request *req_new(struct conn *c);
/* Frees r, aborting an open sink. NULL is ignored. */
void req_free(struct http_request *r);
/* Pulls from the connection's response source until enough output is queued or it ends. */
void http_pump(struct conn *c);

#endif
