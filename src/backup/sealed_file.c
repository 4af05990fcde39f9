/* sealed_file.c — format: "STBK1" | salt | opslimit | memlimit (8 bytes each, little endian) |
 * key check | secretstream header | chunks of (64 KiB + 17 bytes), the last tagged FINAL. The
 * key check (a keyed hash of nothing) tells a wrong password from an altered first chunk. */
#include "backup/sealed_file.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    CHUNK = 64 * 1024,
    ABYTES = crypto_secretstream_xchacha20poly1305_ABYTES,
    HEADER = crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    SALT = crypto_pwhash_SALTBYTES,
    CHECK = 16,
};
static const char MAGIC[5] = {'S', 'T', 'B', 'K', '1'};

struct sealed_out {
    int fd;
    char *path;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char plain[CHUNK], cipher[CHUNK + ABYTES];
    size_t fill;
};

struct sealed_in {
    int fd;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char plain[CHUNK], cipher[CHUNK + ABYTES];
    bool final;
};

static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ERR_IO;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to n bytes (fewer only at the end of the file). */
static int read_full(int fd, void *p, size_t n, size_t *got)
{
    unsigned char *b = p;
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, b + *got, n - *got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return ERR_IO;
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}

static int derive(const char *password, const unsigned char *salt, uint64_t ops, uint64_t mem,
                  unsigned char key[32])
{
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_MAX ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > (uint64_t)1 << 32)
        return ERR_CRYPTO; /* not limits we would have written */
    if (crypto_pwhash(key, 32, password, strlen(password), salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ERR_INTERNAL;
    return 0;
}

static void key_check(const unsigned char key[32], unsigned char out[CHECK])
{
    static const unsigned char what[] = "strata backup key check";
    crypto_generichash(out, CHECK, what, sizeof what, key, 32);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int sealed_out_open(const char *path, const char *password, struct sealed_out **out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("backup: cannot create %s: %s", path, strerror(errno));
        return errno == EEXIST ? ERR_CONFLICT : ERR_IO;
    }
    struct sealed_out *o = calloc(1, sizeof *o);
    if (!o || !(o->path = strdup(path))) abort();
    o->fd = fd;
    unsigned char head[sizeof MAGIC + SALT + 16 + CHECK + HEADER], key[32];
    memcpy(head, MAGIC, sizeof MAGIC);
    randombytes_buf(head + sizeof MAGIC, SALT);
    put_u64(head + sizeof MAGIC + SALT, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    put_u64(head + sizeof MAGIC + SALT + 8, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    int rc = derive(password, head + sizeof MAGIC, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                    crypto_pwhash_MEMLIMIT_INTERACTIVE, key);
    if (!rc) {
        key_check(key, head + sizeof MAGIC + SALT + 16);
        crypto_secretstream_xchacha20poly1305_init_push(
            &o->st, head + sizeof MAGIC + SALT + 16 + CHECK, key);
        rc = write_all(fd, head, sizeof head);
    }
    sodium_memzero(key, sizeof key);
    if (rc) {
        sealed_out_abort(o);
        return rc;
    }
    *out = o;
    return 0;
}

static int push(struct sealed_out *o, unsigned char tag)
{
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&o->st, o->cipher, &clen, o->plain, o->fill, 0, 0,
                                               tag);
    o->fill = 0;
    return write_all(o->fd, o->cipher, (size_t)clen);
}

int sealed_out_write(struct sealed_out *o, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        size_t take = CHUNK - o->fill < n ? CHUNK - o->fill : n;
        memcpy(o->plain + o->fill, b, take);
        o->fill += take;
        b += take;
        n -= take;
        if (o->fill == CHUNK) {
            int rc = push(o, 0);
            if (rc) return rc;
        }
    }
    return 0;
}

int sealed_out_close(struct sealed_out *o)
{
    int rc = push(o, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    if (!rc && fsync(o->fd) != 0) rc = ERR_IO;
    if (close(o->fd) != 0 && !rc) rc = ERR_IO;
    o->fd = -1;
    if (rc) unlink(o->path);
    sodium_memzero(o->plain, sizeof o->plain);
    free(o->path);
    free(o);
    return rc;
}

void sealed_out_abort(struct sealed_out *o)
{
    if (o->fd >= 0) close(o->fd);
    unlink(o->path);
    sodium_memzero(o->plain, sizeof o->plain);
    free(o->path);
    free(o);
}

int sealed_in_open(const char *path, const char *password, struct sealed_in **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    unsigned char head[sizeof MAGIC + SALT + 16 + CHECK + HEADER], key[32];
    size_t got = 0;
    int rc = read_full(fd, head, sizeof head, &got);
    if (!rc && (got != sizeof head || memcmp(head, MAGIC, sizeof MAGIC) != 0)) rc = ERR_CRYPTO;
    if (!rc)
        rc = derive(password, head + sizeof MAGIC, get_u64(head + sizeof MAGIC + SALT),
                    get_u64(head + sizeof MAGIC + SALT + 8), key);
    struct sealed_in *in = calloc(1, sizeof *in);
    if (!in) abort();
    in->fd = fd;
    unsigned char check[CHECK];
    if (!rc) key_check(key, check);
    if (!rc && sodium_memcmp(check, head + sizeof MAGIC + SALT + 16, CHECK) != 0)
        rc = ERR_FORBIDDEN; /* the password is not the archive's */
    if (!rc && crypto_secretstream_xchacha20poly1305_init_pull(
                   &in->st, head + sizeof MAGIC + SALT + 16 + CHECK, key) != 0)
        rc = ERR_CRYPTO;
    sodium_memzero(key, sizeof key);
    if (rc) {
        sealed_in_close(in);
        return rc;
    }
    *out = in;
    return 0;
}

int sealed_in_next(struct sealed_in *in, const void **p, size_t *n)
{
    *n = 0;
    *p = in->plain;
    while (!in->final && *n == 0) {
        size_t got = 0;
        int rc = read_full(in->fd, in->cipher, sizeof in->cipher, &got);
        if (rc) return rc;
        if (got < ABYTES) return ERR_CRYPTO; /* cut short before the final chunk */
        unsigned long long mlen = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&in->st, in->plain, &mlen, &tag, in->cipher,
                                                       got, 0, 0) != 0)
            return ERR_CRYPTO; /* a wrong password fails here, on the first chunk */
        if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
            unsigned char extra;
            if ((rc = read_full(in->fd, &extra, 1, &got))) return rc;
            if (got) return ERR_CRYPTO; /* bytes after the end */
            in->final = true;
        } else if (got < sizeof in->cipher) {
            return ERR_CRYPTO; /* a short chunk that is not the last */
        }
        *n = (size_t)mlen;
    }
    return 0;
}

void sealed_in_close(struct sealed_in *in)
{
    if (!in) return;
    close(in->fd);
    sodium_memzero(in->plain, sizeof in->plain);
    free(in);
}
