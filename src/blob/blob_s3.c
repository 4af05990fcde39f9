/* blob_s3.c — blobs as objects of an S3 bucket (AWS S3 or any S3-compatible server), through
 * libcurl, which signs every request with AWS Signature Version 4 (CURLOPT_AWS_SIGV4).
 * Memory stays bounded whatever the blob's size: a write keeps two parts in memory (one filling,
 * one going up on a thread of its own) and becomes a multipart upload when a second part comes;
 * a read fetches the object a range at a time, the next range coming down while one is read.
 * An object appears only when its upload completes, so readers never see half a blob. */
#include "blob/blob_int.h"
#include "blob/s3_xml.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PART = 8 * 1024 * 1024, MAX_PARTS = 10000, XML_MAX = 1024 * 1024 };

struct s3 {
    char base[2048]; /* URL up to and including the bucket, no trailing slash */
    char sigv4[256], userpwd[1024];
    char sse[64], kms[512];
};

/* One request and what came back. */
struct req {
    const char *method, *key, *query;
    const char *body;
    size_t body_len;
    int64_t range_from; /* -1: no Range header */
    /* where the answer's body goes: buf (small XML answers) or a bounded area (ranged GETs) */
    struct buf *out;
    char *area;
    size_t area_cap, area_len;
    bool headers_sse; /* send the server-side encryption headers */
    /* from the answer */
    long status;
    char etag[128];
    int64_t total; /* from Content-Range, -1 when absent */
};

/* A transfer running on a thread of its own while the caller goes on: one part going up while
 * the next fills, or the next range coming down while this one is read. */
struct transfer {
    struct s3 *s3;
    const char *key, *upload_id;
    char *data;
    size_t len;
    int number;     /* a part's number */
    int64_t from;   /* a range's first byte */
    int64_t total;  /* the object's size, from the range's answer */
    char etag[128]; /* a part's ETag */
    int rc;
    pthread_t thread;
    bool running;
};

struct s3_put {
    struct s3 *s3;
    char key[1024];
    char *bufs[2]; /* PART bytes each, malloc'd: one filling, one going up */
    int fill;
    size_t len;
    char upload_id[512];
    struct buf etags; /* <Part> elements of the completion document */
    int parts;
    struct transfer up;
};

struct s3_get {
    struct s3 *s3;
    char key[1024];
    char *chunk, *spare; /* PART bytes each, malloc'd: one read, one coming down */
    size_t len, pos;
    int64_t offset, total; /* offset: the first byte after the chunk */
    struct transfer down;
};

/* Each thread keeps one curl handle, so a thread's requests reuse its connection (a part's or a
 * range's thread makes one request and takes its handle with it). */
static _Thread_local long thread_bound_ms; /* blob_bound_thread */

void blob_bound_thread(long ms)
{
    thread_bound_ms = ms;
}

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

static void handle_key_make(void)
{
    pthread_key_create(&handle_key, handle_free);
}

static CURL *thread_handle(void)
{
    pthread_once(&handle_once, handle_key_make);
    CURL *h = pthread_getspecific(handle_key);
    if (!h) {
        h = curl_easy_init();
        if (!h) abort();
        pthread_setspecific(handle_key, h);
    } else {
        curl_easy_reset(h);
    }
    return h;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct req *r = arg;
    size_t len = size * n;
    if (r->area) {
        if (r->area_len + len > r->area_cap) return 0; /* more than the range asked for */
        memcpy(r->area + r->area_len, p, len);
        r->area_len += len;
        return len;
    }
    if (r->out && buf_append(r->out, p, len)) return 0;
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct req *r = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
        const char *v = p + 5;
        while (*v == ' ')
            v++;
        size_t vl = (size_t)(p + len - v);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        snprintf(r->etag, sizeof r->etag, "%.*s", (int)vl, v);
    } else if (len > 14 && strncasecmp(p, "Content-Range:", 14) == 0) {
        const char *slash = memchr(p, '/', len);
        if (slash && slash[1] != '*') r->total = strtoll(slash + 1, 0, 10);
    }
    return len;
}

/* Runs one request; 0 when curl completed it (r->status says how), ERR_IO otherwise. */
static int perform(struct s3 *s3, struct req *r)
{
    CURL *h = thread_handle();
    char url[4096], hdr[1024];
    snprintf(url, sizeof url, "%s/%s%s%s", s3->base, r->key ? r->key : "", r->query ? "?" : "",
             r->query ? r->query : "");
    struct curl_slist *headers = 0;
    /* the payload is not hashed: TLS protects it on the way, sealing at rest */
    headers = curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    /* no "Expect:" header to turn 100-continue off: curl 7.88 would sign the header it
     * removes, and every server would refuse the signature */
    if (r->range_from >= 0) {
        snprintf(hdr, sizeof hdr, "Range: bytes=%lld-%lld", (long long)r->range_from,
                 (long long)(r->range_from + (int64_t)r->area_cap - 1));
        headers = curl_slist_append(headers, hdr);
    }
    if (r->headers_sse && s3->sse[0]) {
        snprintf(hdr, sizeof hdr, "x-amz-server-side-encryption: %s", s3->sse);
        headers = curl_slist_append(headers, hdr);
        if (s3->kms[0]) {
            snprintf(hdr, sizeof hdr, "x-amz-server-side-encryption-aws-kms-key-id: %s", s3->kms);
            headers = curl_slist_append(headers, hdr);
        }
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s3->sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, s3->userpwd);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a server that stalls for a minute */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    if (thread_bound_ms) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, thread_bound_ms);
    if (r->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    r->etag[0] = 0;
    r->total = -1;
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (cc != CURLE_OK) {
        log_error("s3: %s %s: %s", r->method, url, curl_easy_strerror(cc));
        return ERR_IO;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    return 0;
}

/* Logs an answer that is not a success, with the server's error document. */
static int refused(const struct req *r, const struct buf *body)
{
    log_error("s3: %s %s%s%s answered %ld: %.300s", r->method, r->key ? r->key : "",
              r->query ? "?" : "", r->query ? r->query : "", r->status,
              body && body->data ? body->data : "");
    return ERR_IO;
}

static int s3_put_open(void *impl, const char *key, void **handle)
{
    struct s3_put *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->s3 = impl;
    snprintf(h->key, sizeof h->key, "%s", key);
    h->bufs[0] = malloc(PART);
    if (!h->bufs[0]) abort();
    buf_init(&h->etags, 0);
    *handle = h;
    return 0;
}

static int put_part(struct transfer *t)
{
    char query[700];
    snprintf(query, sizeof query, "partNumber=%d&uploadId=%s", t->number, t->upload_id);
    struct buf x;
    buf_init(&x, XML_MAX);
    struct req r = {.method = "PUT",
                    .key = t->key,
                    .query = query,
                    .body = t->data,
                    .body_len = t->len,
                    .range_from = -1,
                    .out = &x};
    int rc = perform(t->s3, &r);
    if (!rc && (r.status != 200 || !r.etag[0])) rc = refused(&r, &x);
    buf_release(&x);
    if (!rc) snprintf(t->etag, sizeof t->etag, "%s", r.etag);
    return rc;
}

/* Fetches up to PART bytes from t->from into t->data; t->len and t->total say what came and
 * how big the object is. */
static int get_range(struct transfer *t)
{
    struct req r = {
        .method = "GET", .key = t->key, .range_from = t->from, .area = t->data, .area_cap = PART};
    int rc = perform(t->s3, &r);
    if (rc) return rc;
    if (r.status == 404) return ERR_NOT_FOUND;
    if (r.status == 416 && t->from == 0) r.status = 206, r.total = 0; /* an empty object */
    if (r.status == 200) r.total = (int64_t)r.area_len;               /* the whole object fitted */
    if (r.status != 206 && r.status != 200) return refused(&r, 0);
    t->len = r.area_len;
    t->total = r.total >= 0 ? r.total : t->from + (int64_t)r.area_len;
    return 0;
}

static void *part_main(void *arg)
{
    struct transfer *t = arg;
    t->rc = put_part(t);
    return 0;
}

static void *range_main(void *arg)
{
    struct transfer *t = arg;
    t->rc = get_range(t);
    return 0;
}

static void transfer_start(struct transfer *t, void *(*fn)(void *))
{
    t->running = true;
    if (pthread_create(&t->thread, 0, fn, t) != 0) abort();
}

/* Waits for the transfer (0 when none is running) and returns its result. */
static int transfer_wait(struct transfer *t)
{
    if (!t->running) return 0;
    pthread_join(t->thread, 0);
    t->running = false;
    return t->rc;
}

static int initiate(struct s3_put *h)
{
    struct buf x;
    buf_init(&x, XML_MAX);
    struct req r = {.method = "POST",
                    .key = h->key,
                    /* "uploads=": curl 7.88 signs the query as written, and
                     * the canonical form of a key without a value has the "=" */
                    .query = "uploads=",
                    .range_from = -1,
                    .out = &x,
                    .headers_sse = true};
    int rc = perform(h->s3, &r);
    if (!rc &&
        (r.status != 200 || !s3_xml_text(x.data, "UploadId", h->upload_id, sizeof h->upload_id)))
        rc = refused(&r, &x);
    buf_release(&x);
    return rc;
}

/* Waits for the part going up and records its ETag for the completion document. */
static int part_done(struct s3_put *h)
{
    if (!h->up.running) return 0;
    int rc = transfer_wait(&h->up);
    if (rc) return rc;
    char part[256];
    int n = snprintf(part, sizeof part, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
                     h->up.number, h->up.etag);
    buf_append(&h->etags, part, (size_t)n);
    return 0;
}

/* Sends the filled buffer up as the next part, in the background; the other buffer fills. */
static int send_part(struct s3_put *h)
{
    int rc = part_done(h);
    if (!rc && !h->upload_id[0]) rc = initiate(h);
    if (!rc && h->parts == MAX_PARTS) rc = ERR_TOO_LARGE;
    if (rc) return rc;
    h->up = (struct transfer){.s3 = h->s3,
                              .key = h->key,
                              .upload_id = h->upload_id,
                              .data = h->bufs[h->fill],
                              .len = h->len,
                              .number = ++h->parts};
    transfer_start(&h->up, part_main);
    h->fill ^= 1;
    if (!h->bufs[h->fill] && !(h->bufs[h->fill] = malloc(PART))) abort();
    h->len = 0;
    return 0;
}

static int s3_put_write(void *handle, const void *p, size_t n)
{
    struct s3_put *h = handle;
    const char *src = p;
    while (n) {
        if (h->len == PART) {
            int rc = send_part(h);
            if (rc) return rc;
        }
        size_t take = PART - h->len < n ? PART - h->len : n;
        memcpy(h->bufs[h->fill] + h->len, src, take);
        h->len += take;
        src += take;
        n -= take;
    }
    return 0;
}

static void put_free(struct s3_put *h)
{
    buf_release(&h->etags);
    free(h->bufs[0]);
    free(h->bufs[1]);
    free(h);
}

static void s3_put_abort(void *handle)
{
    struct s3_put *h = handle;
    transfer_wait(&h->up);
    if (h->upload_id[0]) {
        char query[600];
        snprintf(query, sizeof query, "uploadId=%s", h->upload_id);
        struct req r = {.method = "DELETE", .key = h->key, .query = query, .range_from = -1};
        if (!perform(h->s3, &r) && r.status / 100 != 2) refused(&r, 0);
    }
    put_free(h);
}

/* Makes the object visible: one PUT when it fits one part, else the last part and the
 * completion of the multipart upload. */
static int finish(struct s3_put *h)
{
    struct buf x;
    buf_init(&x, XML_MAX);
    if (!h->upload_id[0]) {
        struct req r = {.method = "PUT",
                        .key = h->key,
                        .body = h->bufs[h->fill],
                        .body_len = h->len,
                        .range_from = -1,
                        .out = &x,
                        .headers_sse = true};
        int rc = perform(h->s3, &r);
        if (!rc && r.status != 200) rc = refused(&r, &x);
        buf_release(&x);
        return rc;
    }
    int rc = h->len ? send_part(h) : 0;
    if (!rc) rc = part_done(h);
    if (rc) return rc;
    struct buf doc;
    buf_init(&doc, 0);
    const char *open = "<CompleteMultipartUpload>", *close = "</CompleteMultipartUpload>";
    buf_append(&doc, open, strlen(open));
    buf_append(&doc, h->etags.data, h->etags.len);
    buf_append(&doc, close, strlen(close));
    char query[600];
    snprintf(query, sizeof query, "uploadId=%s", h->upload_id);
    struct req r = {.method = "POST",
                    .key = h->key,
                    .query = query,
                    .body = doc.data,
                    .body_len = doc.len,
                    .range_from = -1,
                    .out = &x};
    rc = perform(h->s3, &r);
    /* a completion can fail after its 200 status: the error is then the document */
    if (!rc && (r.status != 200 || (x.data && strstr(x.data, "<Error>")))) rc = refused(&r, &x);
    buf_release(&doc);
    buf_release(&x);
    return rc;
}

static int s3_put_commit(void *handle)
{
    struct s3_put *h = handle;
    int rc = finish(h);
    if (rc)
        s3_put_abort(h);
    else
        put_free(h);
    return rc;
}

/* Starts fetching the range after the chunk into the spare buffer, when the object goes on. */
static void prefetch(struct s3_get *g)
{
    if (g->offset >= g->total) return;
    g->down = (struct transfer){.s3 = g->s3, .key = g->key, .data = g->spare, .from = g->offset};
    transfer_start(&g->down, range_main);
}

static void get_free(struct s3_get *g)
{
    transfer_wait(&g->down);
    free(g->chunk);
    free(g->spare);
    free(g);
}

static int s3_get_open(void *impl, const char *key, void **handle)
{
    struct s3_get *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->s3 = impl;
    snprintf(g->key, sizeof g->key, "%s", key);
    g->chunk = malloc(PART);
    g->spare = malloc(PART);
    if (!g->chunk || !g->spare) abort();
    struct transfer first = {.s3 = g->s3, .key = g->key, .data = g->chunk, .from = 0};
    int rc = get_range(&first);
    if (rc) {
        get_free(g);
        return rc;
    }
    g->len = first.len;
    g->total = first.total;
    g->offset = (int64_t)first.len;
    prefetch(g);
    *handle = g;
    return 0;
}

static int s3_get_read(void *handle, void *buf, size_t cap, size_t *n)
{
    struct s3_get *g = handle;
    if (g->pos == g->len && g->offset < g->total) {
        int rc = transfer_wait(&g->down);
        if (rc) return rc == ERR_NOT_FOUND ? ERR_IO : rc; /* deleted while being read */
        char *t = g->chunk;
        g->chunk = g->spare;
        g->spare = t;
        g->len = g->down.len;
        g->pos = 0;
        g->offset += (int64_t)g->down.len;
        if (!g->down.len) return ERR_IO; /* the object shrank under us */
        prefetch(g);
    }
    size_t take = g->len - g->pos < cap ? g->len - g->pos : cap;
    memcpy(buf, g->chunk + g->pos, take);
    g->pos += take;
    *n = take;
    return 0;
}

static void s3_get_close(void *handle)
{
    get_free(handle);
}

static int s3_remove(void *impl, const char *key)
{
    struct req r = {.method = "DELETE", .key = key, .range_from = -1};
    int rc = perform(impl, &r);
    if (!rc && r.status / 100 != 2 && r.status != 404) rc = refused(&r, 0);
    return rc;
}

/* ListObjectsV2, a page of up to 500 objects at a time (s3_xml.c reads each). */
static int s3_list(void *impl, int (*fn)(void *arg, const char *key, int64_t size), void *arg)
{
    struct s3 *s3 = impl;
    char token[1024] = "", query[2048];
    int rc = 0;
    do {
        char *escaped = *token ? curl_easy_escape(thread_handle(), token, 0) : 0;
        /* parameters in the canonical (sorted) order: curl signs the query as written */
        snprintf(query, sizeof query, "%s%s%slist-type=2&max-keys=500",
                 escaped ? "continuation-token=" : "", escaped ? escaped : "", escaped ? "&" : "");
        curl_free(escaped);
        struct buf x;
        buf_init(&x, XML_MAX);
        struct req r = {.method = "GET", .key = "", .query = query, .range_from = -1, .out = &x};
        rc = perform(s3, &r);
        if (!rc && r.status != 200) rc = refused(&r, &x);
        token[0] = 0;
        if (!rc) rc = s3_xml_list_page(x.data, fn, arg, token, sizeof token);
        buf_release(&x);
    } while (!rc && *token);
    return rc;
}

static void s3_free(void *impl)
{
    free(impl);
}

const struct blob_backend blob_s3_backend = {
    .name = "s3",
    .put_open = s3_put_open,
    .put_write = s3_put_write,
    .put_commit = s3_put_commit,
    .put_abort = s3_put_abort,
    .get_open = s3_get_open,
    .get_read = s3_get_read,
    .get_close = s3_get_close,
    .remove = s3_remove,
    .list = s3_list,
    .free = s3_free,
};

int blob_open_s3(const struct blob_s3_config *cfg, const struct keyring *k, struct blob_store **out)
{
    struct s3 *s3 = calloc(1, sizeof *s3);
    if (!s3) abort();
    const char *region = cfg->region && *cfg->region ? cfg->region : "us-east-1";
    if (cfg->endpoint && *cfg->endpoint) { /* S3-compatible servers: path-style addressing */
        size_t n = strlen(cfg->endpoint);
        while (n && cfg->endpoint[n - 1] == '/')
            n--;
        snprintf(s3->base, sizeof s3->base, "%.*s/%s", (int)n, cfg->endpoint, cfg->bucket);
    } else {
        snprintf(s3->base, sizeof s3->base, "https://%s.s3.%s.amazonaws.com", cfg->bucket, region);
    }
    snprintf(s3->sigv4, sizeof s3->sigv4, "aws:amz:%s:s3", region);
    snprintf(s3->userpwd, sizeof s3->userpwd, "%s:%s", cfg->access_key, cfg->secret_key);
    snprintf(s3->sse, sizeof s3->sse, "%s", cfg->sse ? cfg->sse : "");
    snprintf(s3->kms, sizeof s3->kms, "%s", cfg->kms_key_id ? cfg->kms_key_id : "");
    *out = blob_wrap(&blob_s3_backend, s3, k);
    /* reach the bucket now: a wrong endpoint, bucket or key stops the node at start */
    int rc = blob_check(*out, cfg->probe_name);
    if (rc) {
        blob_store_free(*out);
        *out = 0;
    }
    return rc;
}
