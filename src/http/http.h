/* http.h — the HTTPS server: libevent bufferevents (OpenSSL) for I/O, http-parser for parsing,
 * and a route table. Request bodies are either buffered under a per-route cap or streamed to a
 * route's sink as they arrive; responses are either one buffer or pulled from a source as the
 * socket drains. A server and its connections live on one event-loop thread (several servers,
 * one per loop, share a listening socket: http_server_clone); handlers must not block for long:
 * a route whose handler can is marked offload and runs on a worker pool (http_pool_new).
 * (libevent's own evhttp reads whole request bodies into memory before any callback, which rules
 * it out for state files; see docs/internals/http.md.) */
#ifndef STRATA_HTTP_H
#define STRATA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct http_request;
struct http_server;
struct event_base;

enum http_verb {
    HTTP_M_GET,
    HTTP_M_HEAD,
    HTTP_M_POST,
    HTTP_M_PUT,
    HTTP_M_PATCH,
    HTTP_M_DELETE,
    HTTP_M_OTHER
};

/* A pull source for streamed responses. read sets *n == 0 at the end; a negative return aborts
 * the response (the connection is closed, the client sees a truncated body). close frees arg. */
struct http_source {
    int (*read)(void *arg, void *buf, size_t cap, size_t *n);
    void (*close)(void *arg);
    void *arg;
};

/* A push sink for streamed request bodies. write gets each piece as it arrives; finish is
 * called once the whole body is in and must respond; abort is called instead when the client
 * goes away or a write failed. The route's open function fills it in. */
struct http_sink {
    int (*write)(void *arg, const void *p, size_t n);
    void (*finish)(struct http_request *req, void *arg);
    void (*abort)(void *arg);
    void *arg;
};

typedef void (*http_handler)(struct http_request *req, void *app);
/* Called once the headers are in; returns 0 with *sink filled, or a negative ERR_* (the body is
 * then discarded and the error answered). */
typedef int (*http_upload_open)(struct http_request *req, void *app, struct http_sink *sink);

struct http_route {
    enum http_verb method;
    const char *pattern;     /* "/api/v2/workspaces/:id/actions/lock"; ":x" matches one segment */
    http_handler handler;    /* for buffered bodies */
    http_upload_open upload; /* for streamed bodies (handler unused) */
    int64_t max_body;        /* cap in bytes; 0 = the server default */
    /* the handler (or the sink's finish) runs on the worker pool, not on the event loop: for
     * anything that can take more than a millisecond or two (archives, hashing) */
    bool offload;
};

struct http_pool;

struct http_server_config {
    const char *bind_port;
    const char *cert_file, *key_file;
    void *app;
    /* renders an error in the application's format (JSON:API) */
    void (*respond_error)(struct http_request *req, int err, const char *detail);
    const char *const *default_headers; /* "Name: value" lines added to every response */
    int64_t default_max_body;
    /* runs the offload routes (shared by every loop's server); NULL runs them on the loop */
    struct http_pool *pool;
    /* whether a peer address is a balancer's (trusted_proxies): its connections must start
     * with a PROXY protocol header (v1 or v2) naming the client, whose address requests then
     * report; NULL trusts no one */
    bool (*peer_trusted)(void *app, const char *addr);
};

/* A pool of threads running offloaded handlers: at most queue_max requests wait, a request
 * that waited more than budget_ms is answered 503 instead of run, and so is one arriving when
 * the queue is full (both with Retry-After). Answers go back to each connection's own loop. */
int http_pool_new(int threads, int queue_max, int64_t budget_ms, struct http_pool **out);
/* Waits for the running handlers and answers the waiting requests 503 (through their loops, which
 * need not run any more); later offloaded requests are answered 503 at once. Call it before
 * freeing any server that uses the pool. */
void http_pool_stop(struct http_pool *p);
/* Stops the pool if needed and frees it, after every server using it is freed. NULL is ignored. */
void http_pool_free(struct http_pool *p);

/* Creates a server on base listening on all addresses at cfg->bind_port with TLS. Routes are
 * added with http_server_routes before the loop runs. Returns 0 or ERR_IO/ERR_CONFIG with a
 * message in err. */
int http_server_new(struct event_base *base, const struct http_server_config *cfg,
                    struct http_server **out, char *err, size_t errlen);
/* Another server on another event loop (thread) accepting from the same listening socket, with
 * the same TLS context and routes: each loop thread serves the connections it accepts. */
int http_server_clone(struct event_base *base, const struct http_server *from,
                      struct http_server **out);
/* Adds a NULL-pattern-terminated route table; the tables must outlive the server. */
void http_server_routes(struct http_server *s, const struct http_route *table);
/* Stops accepting: new connections are refused (a balancer retries them elsewhere) while the
 * node finishes stopping. */
void http_server_close_listener(struct http_server *s);
/* Stopping gracefully: every answer from now on closes its connection (clients reconnect,
 * through the balancer, to another node). Process-wide. */
void http_set_stopping(void);
/* When the last request other than a health probe arrived since http_set_stopping
 * (CLOCK_MONOTONIC milliseconds, 0: none): a stopping node waits until the balancer has stopped
 * sending it any. */
int64_t http_last_request_ms(void);
/* When the last health probe arrived (0: never): whether a balancer is watching. */
int64_t http_last_probe_ms(void);
void http_server_free(struct http_server *s);

/* Request accessors; strings are owned by the request's arena, valid until the response. */
struct arena *http_req_arena(struct http_request *r);
enum http_verb http_req_method(const struct http_request *r);
const char *http_req_path(const struct http_request *r);
const char *http_req_param(const struct http_request *r, const char *name);
const char *http_req_query(struct http_request *r, const char *name);
const char *http_req_header(const struct http_request *r, const char *name);
const char *http_req_remote(const struct http_request *r);
/* The request's id (a balancer's X-Request-Id or our own), as answered and logged. */
const char *http_req_id(const struct http_request *r);
const char *http_req_body(const struct http_request *r, size_t *len);
void *http_req_user(const struct http_request *r);
void http_req_set_user(struct http_request *r, void *user);

/* Adds a response header (copied). The three answer calls below may be made on a pool worker
 * for an offloaded route: the answer is then written by the connection's loop. */
void http_set_header(struct http_request *r, const char *name, const char *value);
/* Sends the whole response at once (copied). Exactly one respond call per request. */
void http_respond(struct http_request *r, int status, const char *content_type, const void *body,
                  size_t len);
/* Sends status and headers now and the body from src as the socket drains; length -1 uses
 * chunked encoding. Takes ownership of src. */
void http_respond_stream(struct http_request *r, int status, const char *content_type,
                         int64_t length, struct http_source src);

/* Route matching, exposed for tests: fills names/values (up to 8) and returns true on a match. */
bool http_route_match(const char *pattern, const char *path, struct arena *a, const char **names,
                      const char **values, int *n);

#endif
