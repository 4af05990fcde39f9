/* request.c — what a handler sees of a request, and the two ways to answer it: one buffer, or a
 * source pulled as the socket drains. */
#include "http/http_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"
#include "base/metrics.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_request *req_new(struct conn *c)
{
    struct arena *a = arena_new();
    struct http_request *r = arena_alloc(a, sizeof *r);
    r->arena = a;
    r->conn = c;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    buf_init(&r->url, MAX_URL);
    buf_init(&r->body, 0);
    buf_init(&r->resp_headers, 64 * 1024);
    return r;
}

void req_free(struct http_request *r)
{
    if (!r) return;
    if (r->has_sink) r->sink.abort(r->sink.arg);
    /* a worker's streamed answer never written: its client left */
    if (r->later.set && r->later.stream) r->later.src.close(r->later.src.arg);
    buf_release(&r->url);
    buf_release(&r->body);
    buf_release(&r->resp_headers);
    arena_free(r->arena);
}

struct arena *http_req_arena(struct http_request *r)
{
    return r->arena;
}

enum http_verb http_req_method(const struct http_request *r)
{
    return r->method;
}

const char *http_req_path(const struct http_request *r)
{
    return r->path ? r->path : "";
}

const char *http_req_param(const struct http_request *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->pnames[i], name) == 0) return r->pvalues[i];
    return 0;
}

/* A percent-decoded copy ('+' as space) in the request's arena. */
static char *decode(struct http_request *r, const char *s, size_t n)
{
    char *raw = arena_strndup(r->arena, s, n);
    size_t len = 0;
    char *d = evhttp_uridecode(raw, 1, &len);
    char *out = d ? arena_strndup(r->arena, d, len) : raw;
    free(d);
    return out;
}

/* Parses the query once; keys are decoded too (clients send "search%5Bname%5D"). */
static void parse_query(struct http_request *r)
{
    r->query_parsed = true;
    const char *q = strchr(r->url.data ? r->url.data : "", '?');
    if (!q) return;
    int max = 1;
    for (const char *p = q; *p; p++)
        max += *p == '&';
    r->query = arena_alloc(r->arena, (size_t)max * sizeof *r->query);
    for (const char *p = q + 1; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (n) {
            struct header *h = &r->query[r->nquery++];
            h->name = decode(r, p, eq ? (size_t)(eq - p) : n);
            h->value =
                eq ? decode(r, eq + 1, n - (size_t)(eq - p) - 1) : arena_strdup(r->arena, "");
        }
        p += n + (end ? 1 : 0);
    }
}

const char *http_req_query(struct http_request *r, const char *name)
{
    if (!r->query_parsed) parse_query(r);
    for (int i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].name, name) == 0) return r->query[i].value;
    return 0;
}

const char *http_req_header(const struct http_request *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return 0;
}

const char *http_req_remote(const struct http_request *r)
{
    return r->conn->remote;
}

const char *http_req_id(const struct http_request *r)
{
    return r->request_id;
}

const char *http_req_body(const struct http_request *r, size_t *len)
{
    *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

void *http_req_user(const struct http_request *r)
{
    return r->user;
}

void http_req_set_user(struct http_request *r, void *user)
{
    r->user = user;
}

void http_set_header(struct http_request *r, const char *name, const char *value)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s\r\n", name, value);
    if (n > 0 && (size_t)n < sizeof line) buf_append(&r->resp_headers, line, (size_t)n);
}

/* ---- response ---- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Status";
    }
}

static void write_head(struct http_request *r, int status, const char *ctype, int64_t length)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER"};
    struct conn *c = r->conn;
    r->status = status;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds =
        (double)(now.tv_sec - r->started.tv_sec) + (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
    metrics_request(r->route ? r->route->pattern : 0, methods[r->method], status, seconds);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, reason(status));
    for (const char *const *h = c->srv->cfg.default_headers; h && *h; h++)
        evbuffer_add_printf(out, "%s\r\n", *h);
    if (r->request_id[0]) evbuffer_add_printf(out, "X-Request-Id: %s\r\n", r->request_id);
    if (r->resp_headers.len) evbuffer_add(out, r->resp_headers.data, r->resp_headers.len);
    if (ctype) evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
    if (length >= 0)
        evbuffer_add_printf(out, "Content-Length: %lld\r\n", (long long)length);
    else
        evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
    if (!c->keep_alive || c->close_after) evbuffer_add_printf(out, "Connection: close\r\n");
    evbuffer_add(out, "\r\n", 2);
}

static void respond_now(struct http_request *r, int status, const char *content_type,
                        const void *body, size_t len)
{
    bool no_body = status == 204 || status == 304;
    write_head(r, status, no_body ? 0 : content_type, no_body ? 0 : (int64_t)len);
    if (!no_body && len && r->method != HTTP_M_HEAD)
        evbuffer_add(bufferevent_get_output(r->conn->bev), body, len);
    r->conn->done_writing = true;
}

void http_respond(struct http_request *r, int status, const char *content_type, const void *body,
                  size_t len)
{
    if (r->responded) {
        log_error("http: second response to %s ignored", r->path);
        return;
    }
    r->responded = true;
    if (!r->on_worker) {
        respond_now(r, status, content_type, body, len);
        return;
    }
    /* on a pool worker: the connection belongs to its loop, which writes this later */
    r->later.set = true;
    r->later.status = status;
    r->later.ctype = arena_strdup(r->arena, content_type);
    r->later.body = len ? arena_memdup(r->arena, body, len) : 0;
    r->later.len = len;
}

/* Buffers of STREAM_CHUNK bytes that streamed answers are read into and handed to libevent by
 * reference, kept for the next chunk once sent. Reading into space libevent reserves instead
 * makes it allocate and free a chain per chunk, and glibc returns such freed memory to the
 * kernel: every chunk of a 100 MB download faulted its pages in again (a fifth of the node's
 * CPU for it, measured). */
enum { POOL_KEEP = 64 };
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static void *pool[POOL_KEEP];
static int pool_count;

static void *chunk_take(void)
{
    pthread_mutex_lock(&pool_mu);
    void *p = pool_count ? pool[--pool_count] : 0;
    pthread_mutex_unlock(&pool_mu);
    if (!p && !(p = malloc(STREAM_CHUNK))) abort();
    return p;
}

static void chunk_give(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    void *p = (void *)data;
    pthread_mutex_lock(&pool_mu);
    if (pool_count < POOL_KEEP) {
        pool[pool_count++] = p;
        p = 0;
    }
    pthread_mutex_unlock(&pool_mu);
    free(p);
}

/* Pulls from the source until enough output is queued or the source ends. */
void http_pump(struct conn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    while (c->streaming && evbuffer_get_length(out) < WRITE_HIGH) {
        size_t n = 0;
        char *chunk = chunk_take();
        int rc = c->src.read(c->src.arg, chunk, STREAM_CHUNK, &n);
        if (rc || n == 0) chunk_give(chunk, 0, 0);
        if (rc) {
            log_error("http: stream aborted: %s", err_name(rc));
            c->src.close(c->src.arg);
            c->streaming = false;
            c->close_after = true;
            c->keep_alive = false;
            c->done_writing = true;
            bufferevent_disable(c->bev, EV_READ);
            return;
        }
        if (n == 0) {
            if (c->chunked) evbuffer_add(out, "0\r\n\r\n", 5);
            c->src.close(c->src.arg);
            c->streaming = false;
            c->done_writing = true;
            break;
        }
        if (c->chunked) evbuffer_add_printf(out, "%zx\r\n", n);
        if (evbuffer_add_reference(out, chunk, n, chunk_give, 0) != 0) abort();
        if (c->chunked) evbuffer_add(out, "\r\n", 2);
    }
}

static void stream_now(struct http_request *r, int status, const char *content_type, int64_t length,
                       struct http_source src)
{
    struct conn *c = r->conn;
    write_head(r, status, content_type, length);
    if (r->method == HTTP_M_HEAD) {
        src.close(src.arg);
        c->done_writing = true;
        return;
    }
    c->src = src;
    c->streaming = true;
    c->chunked = length < 0;
    http_pump(c);
}

void http_respond_stream(struct http_request *r, int status, const char *content_type,
                         int64_t length, struct http_source src)
{
    if (r->responded) {
        src.close(src.arg);
        return;
    }
    r->responded = true;
    if (!r->on_worker) {
        stream_now(r, status, content_type, length, src);
        return;
    }
    r->later.set = r->later.stream = true;
    r->later.status = status;
    r->later.ctype = arena_strdup(r->arena, content_type);
    r->later.length = length;
    r->later.src = src;
}

void req_answer_later(struct http_request *r)
{
    if (!r->later.set) return;
    r->later.set = false;
    if (r->later.stream)
        stream_now(r, r->later.status, r->later.ctype, r->later.length, r->later.src);
    else
        respond_now(r, r->later.status, r->later.ctype, r->later.body, r->later.len);
}
