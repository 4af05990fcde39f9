/* conn.c — listening, connections, parsing and dispatch. One request at a time per connection
 * (the parser is paused while a response is in flight), keep-alive, TCP_NODELAY so a response's
 * header and body writes do not wait on delayed ACKs. */
#include "http/http_int.h"
#include "http/proxy_proto.h"
#include "http/tls.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/codec.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <http_parser.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void conn_free(struct conn *c);
static void conn_process(struct conn *c);

/* ---- dispatch ---- */

static enum http_verb map_method(unsigned m)
{
    switch (m) {
    case HTTP_GET:
        return HTTP_M_GET;
    case HTTP_HEAD:
        return HTTP_M_HEAD;
    case HTTP_POST:
        return HTTP_M_POST;
    case HTTP_PUT:
        return HTTP_M_PUT;
    case HTTP_PATCH:
        return HTTP_M_PATCH;
    case HTTP_DELETE:
        return HTTP_M_DELETE;
    default:
        return HTTP_M_OTHER;
    }
}

static void fail_request(struct http_request *r, int err, const char *detail)
{
    if (!r->pending_error) {
        r->pending_error = err;
        r->error_detail = detail ? arena_strdup(r->arena, detail) : 0;
    }
}

static atomic_bool stopping;
static _Atomic int64_t last_request_ms, last_probe_ms;

void http_set_stopping(void)
{
    atomic_store(&stopping, true);
}

int64_t http_last_request_ms(void)
{
    return atomic_load(&last_request_ms);
}

int64_t http_last_probe_ms(void)
{
    return atomic_load(&last_probe_ms);
}

static char id_prefix[9];

static void make_id_prefix(void)
{
    codec_random_base62(id_prefix, 8);
}

/* The id a balancer or client sent (X-Request-Id, when it is a plain token), else a new one: it
 * is answered back and tags every log line written for the request. */
static void set_request_id(struct http_request *r)
{
    const char *given = http_req_header(r, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    bool ok = n > 0 && n < sizeof r->request_id;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)given[i]) || strchr("-_.:", given[i]);
    if (ok) {
        memcpy(r->request_id, given, n + 1);
        return;
    }
    /* a random prefix per process and a counter: unique, and no random draw per request */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static _Atomic uint64_t counter;
    pthread_once(&once, make_id_prefix);
    snprintf(r->request_id, sizeof r->request_id, "%s%012llx", id_prefix,
             (unsigned long long)atomic_fetch_add(&counter, 1));
}

/* Finds the route; a path that exists under another method is 405. */
static void route_request(struct http_request *r)
{
    bool path_known = false;
    enum http_verb m = r->method == HTTP_M_HEAD ? HTTP_M_GET : r->method;
    for (struct route_table *t = r->conn->srv->tables; t; t = t->next)
        for (const struct http_route *rt = t->routes; rt->pattern; rt++) {
            if (!http_route_match(rt->pattern, r->path, r->arena, r->pnames, r->pvalues,
                                  &r->nparams))
                continue;
            path_known = true;
            if (rt->method == m) {
                r->route = rt;
                return;
            }
        }
    fail_request(r, path_known ? ERR_METHOD : ERR_NOT_FOUND, 0);
}

static int on_message_begin(http_parser *p)
{
    struct conn *c = p->data;
    req_free(c->req);
    c->req = req_new(c);
    c->in_value = false;
    buf_reset(&c->hfield);
    buf_reset(&c->hvalue);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    if (buf_append(&c->req->url, at, n)) fail_request(c->req, ERR_TOO_LARGE, "URL too long");
    return 0;
}

/* A field name is a token (RFC 9110 5.1): "Transfer-Encoding :" with its space is refused, not
 * read as another header (the parser would honour it as chunked; a proxy in front may not). */
static bool is_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i])) return false;
    return n > 0;
}

/* Stores the header just read; -1 (the parser stops, 400) for a field name that is no token. */
static int push_header(struct conn *c)
{
    struct http_request *r = c->req;
    if (!c->hfield.len) return 0;
    if (!is_token(c->hfield.data, c->hfield.len)) {
        fail_request(r, ERR_BAD_REQUEST,
                     "a header field name holds a character a token may not (RFC 9112 5.1: no "
                     "whitespace before the colon)");
        return -1;
    }
    if (r->nheaders < MAX_HEADERS) {
        r->headers[r->nheaders].name = arena_strndup(r->arena, c->hfield.data, c->hfield.len);
        r->headers[r->nheaders].value =
            arena_strndup(r->arena, c->hvalue.data ? c->hvalue.data : "", c->hvalue.len);
        r->nheaders++;
    } else {
        fail_request(r, ERR_HEADERS_TOO_LARGE, "too many header fields");
    }
    buf_reset(&c->hfield);
    buf_reset(&c->hvalue);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    if (c->in_value && push_header(c)) return -1;
    c->in_value = false;
    if (buf_append(&c->hfield, at, n))
        fail_request(c->req, ERR_HEADERS_TOO_LARGE, "a header field name is too long");
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    c->in_value = true;
    if (buf_append(&c->hvalue, at, n))
        fail_request(c->req, ERR_HEADERS_TOO_LARGE, "a header field value is too long");
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct conn *c = p->data;
    struct http_request *r = c->req;
    if (push_header(c)) return -1; /* anything but 0, 1 or 2 stops the parser */
    r->method = map_method(p->method);
    c->keep_alive = http_should_keep_alive(p) && !atomic_load(&stopping);
    struct evhttp_uri *u =
        evhttp_uri_parse_with_flags(r->url.data ? r->url.data : "/", EVHTTP_URI_NONCONFORMANT);
    const char *raw = u ? evhttp_uri_get_path(u) : 0;
    size_t dlen = 0;
    char *decoded = raw ? evhttp_uridecode(raw, 0, &dlen) : 0;
    r->path = arena_strdup(r->arena, decoded ? decoded : "/");
    /* a %00 would cut a path parameter short (acme%00 read as acme), other control characters
     * have no place in a name or an id either */
    bool control = false;
    for (size_t i = 0; decoded && i < dlen; i++)
        control |= (unsigned char)decoded[i] < 0x20 || decoded[i] == 0x7f;
    /* nor do bytes that are not UTF-8: PostgreSQL refuses them as text (a 500 on every route
     * with a path parameter, found by test_chaos); jansson's string check is the validator */
    json_t *utf8 = decoded ? json_stringn(decoded, dlen) : 0;
    bool not_utf8 = decoded && !utf8;
    json_decref(utf8);
    free(decoded);
    if (u) evhttp_uri_free(u);
    if (!u) fail_request(r, ERR_BAD_REQUEST, "malformed request URL");
    if (control) fail_request(r, ERR_BAD_REQUEST, "the path holds a control character");
    if (not_utf8) fail_request(r, ERR_BAD_REQUEST, "the path is not UTF-8");
    if (!r->pending_error) route_request(r);
    /* balancers' probes do not count as traffic: they go on after a node is out of rotation.
     * Traffic is only timed once stopping (the grace period looks no further back), so the
     * requests of a serving node write no shared memory. */
    bool probe =
        strncmp(r->path, "/_health_check", 14) == 0 || strncmp(r->path, "/api/v1/health/", 15) == 0;
    if (probe)
        atomic_store(&last_probe_ms, codec_mono_ms());
    else if (atomic_load(&stopping))
        atomic_store(&last_request_ms, codec_mono_ms());
    set_request_id(r);
    log_set_request(r->request_id);
    int64_t max =
        r->route && r->route->max_body ? r->route->max_body : c->srv->cfg.default_max_body;
    if (!r->pending_error && !(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX &&
        p->content_length > (uint64_t)max) {
        /* refused; the body is read and dropped (up to DISCARD_MAX) so that the client, which
         * may still be sending it, reads the answer; then the connection closes */
        fail_request(r, ERR_TOO_LARGE, "the request body is larger than this endpoint accepts");
        c->close_after = true;
    }
    r->body.max = (size_t)max;
    r->max_body = max;
    if (!r->pending_error && r->route->upload) {
        int rc = r->route->upload(r, c->srv->cfg.app, &r->sink);
        if (rc)
            fail_request(r, rc, 0);
        else
            r->has_sink = true;
    }
    const char *expect = http_req_header(r, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && !r->pending_error)
        evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
    log_set_request(0);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct conn *c = p->data;
    struct http_request *r = c->req;
    if (r->pending_error) {
        r->discarded += (int64_t)n;
        if (r->discarded <= DISCARD_MAX) return 0;
        /* enough: answer now and stop parsing (the rest is dropped while lingering) */
        c->close_after = c->linger = true;
        c->srv->cfg.respond_error(r, r->pending_error, r->error_detail);
        bufferevent_disable(c->bev, EV_READ);
        return 1; /* parser error: stop here */
    }
    r->received += (int64_t)n;
    if (r->has_sink && r->received > r->max_body) {
        /* a chunked body has no length up front: the cap is checked as it arrives */
        r->has_sink = false;
        r->sink.abort(r->sink.arg);
        fail_request(r, ERR_TOO_LARGE, "the request body is larger than this endpoint accepts");
        c->close_after = true;
    } else if (r->has_sink) {
        int rc = r->sink.write(r->sink.arg, at, n);
        if (rc) {
            r->has_sink = false;
            r->sink.abort(r->sink.arg);
            fail_request(r, rc, 0);
        }
    } else if (buf_append(&r->body, at, n)) {
        fail_request(r, ERR_TOO_LARGE, "the request body is larger than this endpoint accepts");
        c->close_after = true;
        buf_release(&r->body);
    }
    return 0;
}

/* Every request gets exactly one answer: a handler that gave none is a bug, answered 500. */
static void answer_missing(struct http_request *r)
{
    if (r->responded) return;
    log_error("http: %s answered nothing", r->path);
    r->conn->srv->cfg.respond_error(r, ERR_INTERNAL, 0);
}

/* The request is queued for the pool, or answered 503 at once when the pool is full. Reading
 * goes on meanwhile (a client that leaves is seen) but buffers at most OFFLOAD_READ_MAX. */
enum { OFFLOAD_READ_MAX = 64 * 1024 };

/* A buffered body this large goes to the pool whatever its route: parsing megabytes of JSON
 * takes its loop tens to hundreds of milliseconds (issue 29: 5 MB string values stalled every
 * connection of a loop), and every handler is thread-safe. */
enum { OFFLOAD_BODY_MIN = 256 * 1024 };
static bool offload(struct conn *c, struct http_request *r)
{
    bufferevent_setwatermark(c->bev, EV_READ, 0, OFFLOAD_READ_MAX);
    if (pool_submit(c->srv->cfg.pool, c) == 0) return true; /* r is the worker's now */
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    if (r->has_sink) {
        r->has_sink = false;
        r->sink.abort(r->sink.arg);
    }
    log_warn("http: %s: the worker pool is full: answered 503", r->path);
    http_set_header(r, "Retry-After", "5");
    c->srv->cfg.respond_error(r, ERR_UNAVAILABLE, "the node is busy; try again");
    return false;
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;
    struct http_request *r = c->req;
    http_parser_pause(p, 1);
    c->in_head = true; /* the next request's head is checked from its first byte */
    c->head_started = c->line_start = false;
    log_set_request(r->request_id);
    if (r->pending_error) {
        c->srv->cfg.respond_error(r, r->pending_error, r->error_detail);
    } else if ((r->route->offload || r->body.len >= OFFLOAD_BODY_MIN) && c->srv->cfg.pool) {
        if (offload(c, r)) {
            log_set_request(0);
            return 0;
        }
    } else if (r->has_sink) {
        r->has_sink = false;
        r->sink.finish(r, r->sink.arg);
    } else {
        r->route->handler(r, c->srv->cfg.app);
    }
    answer_missing(r);
    log_set_request(0);
    return 0;
}

void conn_offload_done(struct conn *c)
{
    struct http_server *s = c->srv;
    pthread_mutex_lock(&s->done_mu);
    c->job_next = s->done;
    s->done = c;
    pthread_mutex_unlock(&s->done_mu);
    event_active(s->wake, EV_READ, 1); /* s outlives the pool's workers: http_pool_stop first */
}

/* Back on the loop: the worker's answer is written, or dropped with the connection when its
 * client left meanwhile. */
static void offload_finish(struct conn *c)
{
    struct http_request *r = c->req;
    c->offloaded = false;
    r->on_worker = false;
    if (c->gone) {
        conn_free(c);
        return;
    }
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    log_set_request(r->request_id);
    req_answer_later(r);
    answer_missing(r);
    log_set_request(0);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_server *s = arg;
    pthread_mutex_lock(&s->done_mu);
    struct conn *c = s->done;
    s->done = 0;
    pthread_mutex_unlock(&s->done_mu);
    while (c) {
        struct conn *next = c->job_next;
        c->job_next = 0;
        offload_finish(c);
        c = next;
    }
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- connection ---- */

/* Checks the head's bytes as they arrive for obs-fold, a line starting with a space or a tab
 * (RFC 9112 5.2: a server rejects it; the parser would join the lines, and a proxy in front may
 * read them otherwise). Stops at the blank line ending the head; false on a fold. */
static bool head_scan(struct conn *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n && c->in_head; i++) {
        char b = p[i];
        if (b == '\r') continue; /* lines end at LF, as for the parser */
        if (b == '\n') {
            if (c->line_start && c->head_started) c->in_head = false; /* the blank line */
            c->line_start = true;
            continue;
        }
        if (c->line_start && c->head_started && (b == ' ' || b == '\t')) return false;
        c->line_start = false;
        c->head_started = true;
    }
    return true;
}

/* Answers a malformed request once (nothing was answered yet) and closes after it, dropping what
 * the client still sends meanwhile so that it reads the answer. */
static void refuse(struct conn *c, int err, const char *why)
{
    c->close_after = c->linger = true;
    bufferevent_disable(c->bev, EV_READ);
    if (!c->req) c->req = req_new(c);
    if (!c->req->responded) c->srv->cfg.respond_error(c->req, err, why);
}

/* Feeds buffered input to the parser until it pauses for a response or runs dry. */
static void conn_process(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    while (evbuffer_get_length(in) && HTTP_PARSER_ERRNO(&c->parser) == HPE_OK) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, 0, &v, 1) < 1) break;
        if (c->in_head && !head_scan(c, v.iov_base, v.iov_len)) {
            refuse(c, ERR_BAD_REQUEST,
                   "a header line starts with whitespace (obsolete line folding, RFC 9112 5.2)");
            return;
        }
        size_t used = http_parser_execute(&c->parser, &parser_settings, v.iov_base, v.iov_len);
        evbuffer_drain(in, used);
        if (!c->bev) return;
    }
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_OK || e == HPE_PAUSED) return;
    /* malformed input: the reason a callback gave, else the parser's */
    int err = e == HPE_HEADER_OVERFLOW ? ERR_HEADERS_TOO_LARGE : ERR_BAD_REQUEST;
    const char *why = e == HPE_HEADER_OVERFLOW ? "the request's head is larger than 80 KiB"
                                               : http_errno_description(e);
    if (c->req && c->req->pending_error) {
        err = c->req->pending_error;
        why = c->req->error_detail ? c->req->error_detail : why;
    }
    refuse(c, err, why);
}

static void conn_free(struct conn *c)
{
    if (c->offloaded) {
        /* a worker holds the request: the connection goes when it hands it back */
        c->gone = true;
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        return;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->streaming) c->src.close(c->src.arg);
    req_free(c->req);
    buf_release(&c->hfield);
    buf_release(&c->hvalue);
    bufferevent_free(c->bev);
    free(c);
}

/* One debug line per request: method, URL (only the path under /admin/: the query may carry the
 * IACT), status, time. */
static void access_log(const struct http_request *r)
{
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER"};
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - r->started.tv_sec) * 1e3 +
                (double)(now.tv_nsec - r->started.tv_nsec) / 1e6;
    const char *url =
        r->url.data && strncmp(r->url.data, "/admin/", 7) != 0 ? r->url.data : r->path;
    log_set_request(r->request_id);
    log_debug("%s %s %d %.1fms", names[r->method], url ? url : "-", r->status, ms);
    log_set_request(0);
}

/* Lingering close (as nginx's lingering_close): a client still sending a refused body or head
 * would get a reset, which destroys the answer queued for it, were the socket closed now. */
enum { LINGER_MS = 30000, LINGER_IDLE_S = 2 };

static void linger_start(struct conn *c)
{
    c->lingering = true;
    c->linger_since = codec_mono_ms();
    struct timeval idle = {LINGER_IDLE_S, 0};
    bufferevent_set_timeouts(c->bev, &idle, &idle);
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    bufferevent_enable(c->bev, EV_READ);
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (!c->lingering) {
        conn_process(c);
        return;
    }
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
    if (codec_mono_ms() - c->linger_since > LINGER_MS) conn_free(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *out = bufferevent_get_output(bev);
    if (c->lingering) return;
    if (c->streaming) {
        http_pump(c);
        if (c->streaming) return;
    }
    if (!c->done_writing || evbuffer_get_length(out) > 0) {
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        return;
    }
    /* the response is on the wire: log it, then the next request or close */
    c->done_writing = false;
    access_log(c->req);
    req_free(c->req);
    c->req = 0;
    if (c->close_after || !c->keep_alive) {
        if (c->linger)
            linger_start(c);
        else
            conn_free(c);
        return;
    }
    bufferevent_setwatermark(bev, EV_WRITE, WRITE_HIGH / 2, 0);
    http_parser_pause(&c->parser, 0);
    conn_process(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) conn_free(c);
}

/* Serves fd with TLS; remote is the client's address as requests report it. */
static void conn_start(struct http_server *s, evutil_socket_t fd, const char *remote)
{
    SSL *ssl = SSL_new(s->ssl);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
            : 0;
    if (!bev) {
        if (ssl) SSL_free(ssl);
        close(fd);
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    struct conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->srv = s;
    c->bev = bev;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    buf_init(&c->hfield, 1024);
    buf_init(&c->hvalue, 16 * 1024);
    snprintf(c->remote, sizeof c->remote, "%s", remote);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->in_head = true;
    struct timeval tv = {300, 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_setwatermark(bev, EV_WRITE, WRITE_HIGH / 2, 0);
    bufferevent_setcb(bev, on_read, on_write, on_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ---- PROXY protocol: a trusted balancer's header, read before TLS ---- */

/* HAProxy writes the header as it connects: a peer this slow is stuck or hostile */
enum { PROXY_TIMEOUT_S = 5 };

static void proxy_drop(struct proxy_wait *w, bool close_fd)
{
    struct http_server *s = w->srv;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->waits = w->next;
    if (w->next) w->next->prev = w->prev;
    event_free(w->ev);
    if (close_fd) close(w->fd);
    free(w);
}

/* Reads the header without ever taking a byte past it (those are TLS's): the bytes waiting are
 * peeked, and only the header's own are consumed. A header still incomplete is all header, so
 * everything peeked is taken; the loop never waits on the peer. */
static void on_proxy_read(evutil_socket_t fd, short what, void *arg)
{
    struct proxy_wait *w = arg;
    if (what & EV_TIMEOUT) {
        log_warn("http: %s: no PROXY protocol header within %d s: closed", w->peer,
                 PROXY_TIMEOUT_S);
        proxy_drop(w, true);
        return;
    }
    ssize_t got = recv(fd, w->buf + w->len, sizeof w->buf - w->len, MSG_PEEK);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (got <= 0) {
        proxy_drop(w, true);
        return;
    }
    struct proxy_header h;
    const char *why;
    int n = proxy_parse(w->buf, w->len + (size_t)got, &h, &why);
    if (n < 0) {
        log_warn("http: %s: refused: %s", w->peer, why);
        proxy_drop(w, true);
        return;
    }
    size_t take = n ? (size_t)n - w->len : (size_t)got;
    if (recv(fd, w->buf + w->len, take, 0) != (ssize_t)take) {
        proxy_drop(w, true);
        return;
    }
    w->len += take;
    if (!n) {
        /* the time limit is the whole header's: a peer sending it a byte at a time gains none */
        int64_t left = w->deadline_ms - codec_mono_ms();
        struct timeval tv = {left > 0 ? left / 1000 : 0, left > 0 ? (left % 1000) * 1000 : 0};
        event_add(w->ev, &tv);
        return;
    }
    struct http_server *s = w->srv;
    char remote[64];
    snprintf(remote, sizeof remote, "%s", h.source[0] ? h.source : w->peer);
    proxy_drop(w, false);
    conn_start(s, fd, remote);
}

static void proxy_wait(struct http_server *s, evutil_socket_t fd, const char *peer)
{
    struct proxy_wait *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->srv = s;
    w->fd = fd;
    snprintf(w->peer, sizeof w->peer, "%s", peer);
    w->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_proxy_read, w);
    if (!w->ev) abort();
    w->next = s->waits;
    if (s->waits) s->waits->prev = w;
    s->waits = w;
    w->deadline_ms = codec_mono_ms() + PROXY_TIMEOUT_S * 1000;
    struct timeval tv = {PROXY_TIMEOUT_S, 0};
    event_add(w->ev, &tv);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    (void)l;
    (void)salen;
    struct http_server *s = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char peer[64];
    if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, peer, sizeof peer);
    /* a trusted balancer's connections start with the client's address; anyone else's are TLS
     * from their first byte, so no client can claim another address */
    if (s->cfg.peer_trusted && s->cfg.peer_trusted(s->cfg.app, peer))
        proxy_wait(s, fd, peer);
    else
        conn_start(s, fd, peer);
}

/* A dual-stack listening socket when IPv6 is there, IPv4 otherwise. A port another program
 * holds is an error, never a reason to listen on IPv4 alone (clients of "localhost" would reach
 * that program over IPv6). */
static int listen_socket(const char *port, char *err, size_t errlen)
{
    int one = 1, zero = 0, p = atoi(port);
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct sockaddr_in6 a6 = {
            .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p), .sin6_addr = in6addr_any};
        if (bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0 && listen(fd, 512) == 0) return fd;
        int e = errno;
        close(fd);
        if (e == EADDRINUSE) {
            snprintf(err, errlen, "https_port %s: cannot listen: %s", port, strerror(e));
            return -1;
        }
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "https_port %s: socket: %s", port, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a4 = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)p), .sin_addr = {htonl(INADDR_ANY)}};
    if (bind(fd, (struct sockaddr *)&a4, sizeof a4) != 0 || listen(fd, 512) != 0) {
        snprintf(err, errlen, "https_port %s: cannot listen: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* A server on base accepting from fd with ssl; takes fd and the reference to ssl, both given
 * back (closed, released) on failure. */
static int server_on(struct event_base *base, const struct http_server_config *cfg, SSL_CTX *ssl,
                     int fd, struct http_server **out)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->base = base;
    s->ssl = ssl;
    s->cfg = *cfg;
    pthread_mutex_init(&s->done_mu, 0);
    s->wake = event_new(base, -1, 0, on_wake, s);
    if (!s->wake) abort();
    s->listener = evconnlistener_new(base, on_accept, s,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!s->listener) {
        close(fd);
        SSL_CTX_free(ssl);
        event_free(s->wake);
        pthread_mutex_destroy(&s->done_mu);
        free(s);
        return ERR_IO;
    }
    *out = s;
    return 0;
}

int http_server_new(struct event_base *base, const struct http_server_config *cfg,
                    struct http_server **out, char *err, size_t errlen)
{
    SSL_CTX *ssl = tls_server_ctx(cfg->cert_file, cfg->key_file, err, errlen);
    if (!ssl) return ERR_CONFIG;
    int fd = listen_socket(cfg->bind_port, err, errlen);
    if (fd < 0) {
        SSL_CTX_free(ssl);
        return ERR_IO;
    }
    int rc = server_on(base, cfg, ssl, fd, out);
    if (rc) snprintf(err, errlen, "https_port %s: cannot listen", cfg->bind_port);
    return rc;
}

int http_server_clone(struct event_base *base, const struct http_server *from,
                      struct http_server **out)
{
    int fd = dup(evconnlistener_get_fd(from->listener));
    if (fd < 0) return ERR_IO;
    evutil_make_socket_nonblocking(fd);
    evutil_make_socket_closeonexec(fd);
    SSL_CTX_up_ref(from->ssl);
    int rc = server_on(base, &from->cfg, from->ssl, fd, out);
    for (const struct route_table *t = from->tables; !rc && t; t = t->next)
        http_server_routes(*out, t->routes);
    return rc;
}

void http_server_routes(struct http_server *s, const struct http_route *table)
{
    struct route_table *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->routes = table;
    struct route_table **tail = &s->tables;
    while (*tail)
        tail = &(*tail)->next;
    *tail = t;
}

void http_server_close_listener(struct http_server *s)
{
    if (s && s->listener) evconnlistener_free(s->listener);
    if (s) s->listener = 0;
}

void http_server_free(struct http_server *s)
{
    if (!s) return;
    /* the pool is stopped (its workers have handed every connection back): the answers that
     * were not written yet are dropped with their connections */
    for (struct conn *c = s->done; c; c = c->job_next)
        c->offloaded = false;
    s->done = 0;
    while (s->conns) {
        if (s->conns->offloaded) abort(); /* http_pool_stop was not called first */
        conn_free(s->conns);
    }
    while (s->waits)
        proxy_drop(s->waits, true);
    event_free(s->wake);
    pthread_mutex_destroy(&s->done_mu);
    http_server_close_listener(s);
    SSL_CTX_free(s->ssl);
    while (s->tables) {
        struct route_table *t = s->tables;
        s->tables = t->next;
        free(t);
    }
    free(s);
}
