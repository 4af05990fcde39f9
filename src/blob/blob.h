/* blob.h — large objects (state files, later slugs and logs) as streams, behind one interface
 * with a local-disk and an S3 backend. Every blob is sealed on the way in and checked on
 * the way out (libsodium secretstream, 64 KiB chunks): a flipped or truncated byte is an error,
 * never data. No caller ever holds a whole blob in memory.
 * Keys are relative paths of [A-Za-z0-9._/-] without "..". */
#ifndef STRATA_BLOB_H
#define STRATA_BLOB_H

#include <stddef.h>
#include <stdint.h>

struct keyring;
struct blob_store;
struct http_request;
struct blob_writer;
struct blob_reader;

/* A raw-bytes backend; blob.c adds sealing on top. Handles are backend-owned. */
struct blob_backend {
    const char *name;
    int (*put_open)(void *impl, const char *key, void **handle);
    int (*put_write)(void *handle, const void *p, size_t n);
    int (*put_commit)(void *handle); /* visible atomically; frees handle */
    void (*put_abort)(void *handle); /* frees handle */
    int (*get_open)(void *impl, const char *key, void **handle);     /* ERR_NOT_FOUND */
    int (*get_read)(void *handle, void *buf, size_t cap, size_t *n); /* *n == 0 at end */
    void (*get_close)(void *handle);
    int (*remove)(void *impl, const char *key); /* absent is not an error */
    /* Calls fn for every stored object (key, stored size in bytes) until fn returns non-zero,
     * which list returns; objects being written are not listed. */
    int (*list)(void *impl, int (*fn)(void *arg, const char *key, int64_t size), void *arg);
    void (*free)(void *impl);
};

/* Local-disk blob store under root (created when missing). The keyring must outlive the store.
 * The caller frees *out with blob_store_free. */
int blob_open_disk(const char *root, const struct keyring *k, struct blob_store **out);
/* Objects in an S3 bucket (AWS, or an S3-compatible server at endpoint, path-style). Checks
 * that the bucket answers before returning. The caller frees *out with blob_store_free. */
struct blob_s3_config {
    const char *endpoint; /* "" or NULL: AWS S3 in region */
    const char *bucket, *region, *access_key, *secret_key;
    const char *sse, *kms_key_id; /* server-side encryption asked of the storage, or "" */
    const char *probe_name;       /* the node: its probe object at start */
};
int blob_open_s3(const struct blob_s3_config *cfg, const struct keyring *k,
                 struct blob_store **out);
void blob_store_free(struct blob_store *bs);
const char *blob_backend_name(const struct blob_store *bs);

/* Writing: open, write any number of times, then exactly one of commit (the blob replaces any
 * previous one with the key) or abort (nothing visible). Both free w. */
int blob_writer_open(struct blob_store *bs, const char *key, struct blob_writer **w);
int blob_writer_write(struct blob_writer *w, const void *p, size_t n);
int blob_writer_commit(struct blob_writer *w);
void blob_writer_abort(struct blob_writer *w);
/* Plaintext bytes written so far. */
int64_t blob_writer_size(const struct blob_writer *w);

/* Reading: ERR_NOT_FOUND when absent; read returns *n == 0 at the verified end, ERR_CRYPTO when
 * the stored bytes were altered or cut short. close frees r. */
int blob_reader_open(struct blob_store *bs, const char *key, struct blob_reader **r);
int blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n);
void blob_reader_close(struct blob_reader *r);
/* Answers r with the blob of key (200, content_type, size bytes or -1 when unknown), streamed
 * as the socket drains. 0 once answering; else the error of opening it, nothing answered. */
int blob_respond(struct blob_store *bs, struct http_request *r, const char *key,
                 const char *content_type, int64_t size);

int blob_delete(struct blob_store *bs, const char *key);

/* The backend under the sealing layer and its handle, for backup and restore, which move blobs'
 * sealed bytes as they are stored (and list them with backend->list). */
const struct blob_backend *blob_raw(struct blob_store *bs, void **impl);

/* Stores the file at path, or what is left to read of fd, as the blob key (streamed); or writes
 * the blob key out to fd (the caller's, not closed). */
int blob_put_file(struct blob_store *bs, const char *key, const char *path);
int blob_put_fd(struct blob_store *bs, const char *key, int fd);
int blob_get_fd(struct blob_store *bs, const char *key, int fd);

/* Health probe: writes and reads back a small blob named after who (a node: nodes sharing a
 * bucket never touch each other's probe). */
int blob_check(struct blob_store *bs, const char *who);

/* Bounds every request the calling thread makes to S3 from now on to ms in all (0: no bound
 * but the stall limit, a minute), for a thread whose calls are small and whose wait holds
 * others: the health monitor, which the node's stop joins. */
void blob_bound_thread(long ms);

#endif
