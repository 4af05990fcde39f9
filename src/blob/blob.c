/* blob.c — the sealing layer every blob passes through, whatever the backend.
 * Format 2 (written): "STB2" | salt | chunks of (64 KiB plaintext + 16 bytes) through
 * blob/gcm_stream.h, the last one shorter (possibly empty) and sealed as the last.
 * Format 1 (still read): "STB1" | secretstream header | chunks of (64 KiB plaintext + 17
 * bytes), the last one tagged FINAL. Either way truncation is detected as well as alteration. */
#include "blob/blob_int.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/fs.h" /* fs_write_all */
#include "base/readahead.h"
#include "blob/gcm_stream.h"
#include "http/http.h"
#include "keyring/keyring.h"

#include <sodium.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    CHUNK = 64 * 1024,
    AHEAD = 4,                                             /* chunks decrypted ahead of a reader */
    ABYTES = crypto_secretstream_xchacha20poly1305_ABYTES, /* format 1 */
    HEADER = crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    MAX_ABYTES = (int)ABYTES > (int)GCM_TAG ? (int)ABYTES : (int)GCM_TAG,
    MAX_HEADER = (int)HEADER > (int)GCM_SALT ? (int)HEADER : (int)GCM_SALT,
};
static const char MAGIC_V1[4] = {'S', 'T', 'B', '1'}, MAGIC[4] = {'S', 'T', 'B', '2'};

struct blob_store {
    const struct blob_backend *b;
    void *impl;
    const struct keyring *k;
};

struct blob_writer {
    struct blob_store *bs;
    void *h;
    struct gcm_stream *g;
    unsigned char *plain, *cipher; /* CHUNK and CHUNK + GCM_TAG */
    size_t fill;
    int64_t total;
};

struct blob_reader {
    struct blob_store *bs;
    void *h;
    struct gcm_stream *g;                           /* format 2 */
    crypto_secretstream_xchacha20poly1305_state st; /* format 1 */
    unsigned char *plain, *cipher;                  /* CHUNK and CHUNK + MAX_ABYTES */
    size_t len, pos;
    bool final;
    struct readahead *ahead; /* past the first chunk: decryption on a thread of its own */
};

struct blob_store *blob_wrap(const struct blob_backend *b, void *impl, const struct keyring *k)
{
    struct blob_store *bs = calloc(1, sizeof *bs);
    if (!bs) abort();
    bs->b = b;
    bs->impl = impl;
    bs->k = k;
    return bs;
}

void blob_store_free(struct blob_store *bs)
{
    if (!bs) return;
    bs->b->free(bs->impl);
    free(bs);
}

const char *blob_backend_name(const struct blob_store *bs)
{
    return bs->b->name;
}

bool blob_key_valid(const char *key)
{
    if (!*key || key[0] == '/' || strstr(key, "..")) return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._/-", *p)))
            return false;
    return true;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) abort();
    return p;
}

int blob_writer_open(struct blob_store *bs, const char *key, struct blob_writer **out)
{
    if (!blob_key_valid(key)) return ERR_BAD_REQUEST;
    if (fault_hit(FAULT_BLOB)) return ERR_IO;
    struct blob_writer *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->bs = bs;
    int rc = bs->b->put_open(bs->impl, key, &w->h);
    if (rc) {
        free(w);
        return rc;
    }
    w->plain = xmalloc(CHUNK);
    w->cipher = xmalloc(CHUNK + GCM_TAG);
    unsigned char key32[32], salt[GCM_SALT];
    keyring_subkey(bs->k, KEYRING_BLOBS, key32);
    randombytes_buf(salt, sizeof salt);
    w->g = gcm_stream_new(key32, salt);
    sodium_memzero(key32, sizeof key32);
    if ((rc = bs->b->put_write(w->h, MAGIC, sizeof MAGIC)) ||
        (rc = bs->b->put_write(w->h, salt, sizeof salt))) {
        blob_writer_abort(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int push_chunk(struct blob_writer *w, bool last)
{
    size_t n = w->fill;
    gcm_stream_seal(w->g, last, w->plain, n, w->cipher);
    w->fill = 0;
    return w->bs->b->put_write(w->h, w->cipher, n + GCM_TAG);
}

int blob_writer_write(struct blob_writer *w, const void *p, size_t n)
{
    if (fault_hit(FAULT_BLOB)) return ERR_IO;
    const unsigned char *src = p;
    while (n) {
        size_t take = CHUNK - w->fill < n ? CHUNK - w->fill : n;
        memcpy(w->plain + w->fill, src, take);
        w->fill += take;
        w->total += (int64_t)take;
        src += take;
        n -= take;
        if (w->fill == CHUNK) {
            int rc = push_chunk(w, false);
            if (rc) return rc;
        }
    }
    return 0;
}

static void writer_free(struct blob_writer *w)
{
    gcm_stream_free(w->g);
    free(w->plain);
    free(w->cipher);
    free(w);
}

int blob_writer_commit(struct blob_writer *w)
{
    double t0 = metrics_now();
    int rc = fault_hit(FAULT_BLOB) ? ERR_IO : push_chunk(w, true);
    if (rc)
        w->bs->b->put_abort(w->h);
    else
        rc = w->bs->b->put_commit(w->h);
    metrics_time(METRIC_BLOB_COMMIT, metrics_now() - t0);
    writer_free(w);
    return rc;
}

void blob_writer_abort(struct blob_writer *w)
{
    w->bs->b->put_abort(w->h);
    writer_free(w);
}

int64_t blob_writer_size(const struct blob_writer *w)
{
    return w->total;
}

/* Reads until buf is full or the backend reports its end. */
static int read_full(struct blob_reader *r, unsigned char *buf, size_t cap, size_t *got)
{
    *got = 0;
    while (*got < cap) {
        size_t n = 0;
        int rc = r->bs->b->get_read(r->h, buf + *got, cap - *got, &n);
        if (rc) return rc;
        if (n == 0) break;
        *got += n;
    }
    return 0;
}

/* Opens a format 1 chunk of got bytes; *last when it was tagged FINAL. */
static int open_v1(struct blob_reader *r, size_t got, unsigned char *plain, size_t *len, bool *last)
{
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&r->st, plain, &mlen, &tag, r->cipher, got, 0,
                                                   0) != 0)
        return ERR_CRYPTO;
    *last = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (!*last && got < CHUNK + ABYTES) return ERR_CRYPTO; /* a short chunk that is not the last */
    *len = (size_t)mlen;
    return 0;
}

/* Decrypts the next chunk into plain (CHUNK bytes); *len 0 after the last chunk was read. */
static int pull_chunk(struct blob_reader *r, unsigned char *plain, size_t *len)
{
    *len = 0;
    if (r->final) return 0;
    size_t abytes = r->g ? GCM_TAG : ABYTES, got = 0;
    int rc = read_full(r, r->cipher, CHUNK + abytes, &got);
    if (rc) return rc;
    if (got < abytes) return ERR_CRYPTO; /* cut short before the last chunk */
    bool last = got < CHUNK + abytes;    /* format 2: only the last chunk is short */
    if (r->g) {
        if ((rc = gcm_stream_open(r->g, last, r->cipher, got, plain))) return rc;
        *len = got - GCM_TAG;
    } else if ((rc = open_v1(r, got, plain, len, &last))) {
        return rc;
    }
    if (last) {
        unsigned char extra;
        if ((rc = read_full(r, &extra, 1, &got))) return rc;
        if (got) return ERR_CRYPTO; /* bytes after the end */
        r->final = true;
    }
    return 0;
}

/* Reads the header and sets up the reader's format. */
static int open_stream(struct blob_reader *r)
{
    unsigned char magic[sizeof MAGIC], head[MAX_HEADER], key32[32];
    size_t got = 0;
    int rc = read_full(r, magic, sizeof magic, &got);
    if (rc) return rc;
    bool v2 = got == sizeof magic && memcmp(magic, MAGIC, sizeof magic) == 0;
    if (!v2 && (got != sizeof magic || memcmp(magic, MAGIC_V1, sizeof magic) != 0))
        return ERR_CRYPTO;
    size_t want = v2 ? GCM_SALT : HEADER;
    if ((rc = read_full(r, head, want, &got))) return rc;
    if (got != want) return ERR_CRYPTO;
    keyring_subkey(r->bs->k, KEYRING_BLOBS, key32);
    if (v2)
        r->g = gcm_stream_new(key32, head);
    else if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, head, key32))
        rc = ERR_CRYPTO;
    sodium_memzero(key32, sizeof key32);
    return rc;
}

/* The read-ahead thread's fill: whole chunks, an empty FINAL chunk skipped. */
static int fill_ahead(void *arg, void *buf, size_t cap, size_t *n)
{
    (void)cap; /* the thread's slots are CHUNK bytes */
    struct blob_reader *r = arg;
    int rc;
    do
        rc = pull_chunk(r, buf, n);
    while (!rc && *n == 0 && !r->final);
    return rc;
}

int blob_reader_open(struct blob_store *bs, const char *key, struct blob_reader **out)
{
    if (!blob_key_valid(key)) return ERR_NOT_FOUND;
    if (fault_hit(FAULT_BLOB)) return ERR_IO;
    double t0 = metrics_now();
    struct blob_reader *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->bs = bs;
    int rc = bs->b->get_open(bs->impl, key, &r->h);
    if (rc) {
        free(r);
        return rc;
    }
    r->plain = xmalloc(CHUNK);
    r->cipher = xmalloc(CHUNK + MAX_ABYTES);
    rc = open_stream(r);
    /* the first chunk is checked now, so a damaged small blob fails before a reply starts */
    if (!rc) rc = pull_chunk(r, r->plain, &r->len);
    if (rc) {
        blob_reader_close(r);
        if (rc == ERR_CRYPTO) log_error("blob %s: failed its integrity check", key);
        return rc;
    }
    *out = r;
    metrics_time(METRIC_BLOB_OPEN, metrics_now() - t0);
    return 0;
}

int blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n)
{
    *n = 0;
    if (fault_hit(FAULT_BLOB)) return ERR_IO;
    if (r->pos == r->len && !r->final && !r->ahead)
        r->ahead = readahead_start(fill_ahead, r, CHUNK, AHEAD);
    if (r->pos == r->len) return r->ahead ? readahead_read(r->ahead, buf, cap, n) : 0;
    size_t take = r->len - r->pos < cap ? r->len - r->pos : cap;
    memcpy(buf, r->plain + r->pos, take);
    r->pos += take;
    *n = take;
    return 0;
}

void blob_reader_close(struct blob_reader *r)
{
    if (!r) return;
    readahead_stop(r->ahead);
    r->bs->b->get_close(r->h);
    gcm_stream_free(r->g);
    free(r->plain);
    free(r->cipher);
    free(r);
}

const struct blob_backend *blob_raw(struct blob_store *bs, void **impl)
{
    *impl = bs->impl;
    return bs->b;
}

int blob_delete(struct blob_store *bs, const char *key)
{
    if (!blob_key_valid(key)) return ERR_BAD_REQUEST;
    if (fault_hit(FAULT_BLOB)) return ERR_IO;
    return bs->b->remove(bs->impl, key);
}

int blob_put_fd(struct blob_store *bs, const char *key, int fd)
{
    struct blob_writer *w;
    int rc = blob_writer_open(bs, key, &w);
    if (rc) return rc;
    char buf[65536];
    ssize_t n;
    while (!rc && ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0) rc = blob_writer_write(w, buf, (size_t)n);
    if (!rc && n < 0) rc = ERR_IO;
    if (rc) {
        blob_writer_abort(w);
        return rc;
    }
    return blob_writer_commit(w);
}

int blob_get_fd(struct blob_store *bs, const char *key, int fd)
{
    struct blob_reader *r;
    int rc = blob_reader_open(bs, key, &r);
    if (rc) return rc;
    char buf[65536];
    size_t n = 0;
    while (!(rc = blob_reader_read(r, buf, sizeof buf, &n)) && n)
        if ((rc = fs_write_all(fd, buf, n))) break;
    blob_reader_close(r);
    return rc;
}

int blob_put_file(struct blob_store *bs, const char *key, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ERR_IO;
    int rc = blob_put_fd(bs, key, fd);
    close(fd);
    return rc;
}

int blob_check(struct blob_store *bs, const char *who)
{
    static const char probe[] = "strata health probe";
    char key[300];
    snprintf(key, sizeof key, "health/%s", who);
    for (char *p = key + 7; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_') *p = '-';
    struct blob_writer *w;
    int rc = blob_writer_open(bs, key, &w);
    if (rc) return rc;
    if ((rc = blob_writer_write(w, probe, sizeof probe))) {
        blob_writer_abort(w);
        return rc;
    }
    if ((rc = blob_writer_commit(w))) return rc;
    struct blob_reader *r;
    if ((rc = blob_reader_open(bs, key, &r))) return rc;
    char back[sizeof probe];
    size_t n = 0;
    rc = blob_reader_read(r, back, sizeof back, &n);
    blob_reader_close(r);
    if (!rc && (n != sizeof probe || memcmp(back, probe, n) != 0)) rc = ERR_IO;
    return rc;
}

static int source_read(void *arg, void *buf, size_t cap, size_t *n)
{
    return blob_reader_read(arg, buf, cap, n);
}

static void source_close(void *arg)
{
    blob_reader_close(arg);
}

int blob_respond(struct blob_store *bs, struct http_request *r, const char *key,
                 const char *content_type, int64_t size)
{
    struct blob_reader *br;
    int rc = blob_reader_open(bs, key, &br);
    if (rc) return rc;
    http_respond_stream(r, 200, content_type, size,
                        (struct http_source){source_read, source_close, br});
    return 0;
}
