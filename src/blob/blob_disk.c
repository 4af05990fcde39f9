/* blob_disk.c — blobs as files under a root folder; a write goes to a temporary file that is
 * renamed into place on commit, so readers never see half a blob. */
#include "blob/blob_int.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct disk {
    char root[4096];
};

struct disk_put {
    int fd;
    char tmp[4300], final[4200];
};

struct disk_get {
    int fd;
};

static int disk_put_open(void *impl, const char *key, void **handle)
{
    struct disk *d = impl;
    struct disk_put *h = calloc(1, sizeof *h);
    if (!h) abort();
    snprintf(h->final, sizeof h->final, "%s/%s", d->root, key);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", h->final);
    *strrchr(dir, '/') = 0;
    if (fs_mkdirs(dir)) {
        log_error("blob disk: cannot create %s: %s", dir, strerror(errno));
        free(h);
        return ERR_IO;
    }
    snprintf(h->tmp, sizeof h->tmp, "%s.tmp-XXXXXX", h->final);
    h->fd = mkstemp(h->tmp);
    if (h->fd < 0) {
        log_error("blob disk: cannot create %s: %s", h->tmp, strerror(errno));
        free(h);
        return ERR_IO;
    }
    *handle = h;
    return 0;
}

static int disk_put_write(void *handle, const void *p, size_t n)
{
    struct disk_put *h = handle;
    int rc = fs_write_all(h->fd, p, n);
    if (rc) log_error("blob disk: write %s: %s", h->tmp, strerror(errno));
    return rc;
}

static int disk_put_commit(void *handle)
{
    struct disk_put *h = handle;
    int rc = 0;
    if (fdatasync(h->fd) != 0 || close(h->fd) != 0 || rename(h->tmp, h->final) != 0) {
        log_error("blob disk: commit %s: %s", h->final, strerror(errno));
        unlink(h->tmp);
        rc = ERR_IO;
    }
    free(h);
    return rc;
}

static void disk_put_abort(void *handle)
{
    struct disk_put *h = handle;
    close(h->fd);
    unlink(h->tmp);
    free(h);
}

static int disk_get_open(void *impl, const char *key, void **handle)
{
    struct disk *d = impl;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", d->root, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    struct disk_get *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->fd = fd;
    *handle = h;
    return 0;
}

static int disk_get_read(void *handle, void *buf, size_t cap, size_t *n)
{
    struct disk_get *h = handle;
    for (;;) {
        ssize_t r = read(h->fd, buf, cap);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return ERR_IO;
        *n = (size_t)r;
        return 0;
    }
}

static void disk_get_close(void *handle)
{
    struct disk_get *h = handle;
    close(h->fd);
    free(h);
}

static int disk_remove(void *impl, const char *key)
{
    struct disk *d = impl;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", d->root, key);
    if (unlink(path) != 0 && errno != ENOENT) return ERR_IO;
    /* an emptied folder goes too (any other error, such as ENOTEMPTY, is expected) */
    *strrchr(path, '/') = 0;
    if (strlen(path) > strlen(d->root)) rmdir(path);
    return 0;
}

/* Walks folder (a path under root) depth first; temporary files of writes in progress and
 * names that are not keys are skipped. */
static int walk(const char *root, const char *folder,
                int (*fn)(void *arg, const char *key, int64_t size), void *arg)
{
    DIR *dir = opendir(folder);
    if (!dir) return errno == ENOENT ? 0 : ERR_IO;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || strstr(e->d_name, ".tmp-"))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) continue; /* removed meanwhile */
        if (S_ISDIR(st.st_mode))
            rc = walk(root, path, fn, arg);
        else if (S_ISREG(st.st_mode) && blob_key_valid(path + strlen(root) + 1))
            rc = fn(arg, path + strlen(root) + 1, (int64_t)st.st_size);
    }
    closedir(dir);
    return rc;
}

static int disk_list(void *impl, int (*fn)(void *arg, const char *key, int64_t size), void *arg)
{
    struct disk *d = impl;
    return walk(d->root, d->root, fn, arg);
}

static void disk_free(void *impl)
{
    free(impl);
}

const struct blob_backend blob_disk_backend = {
    .name = "disk",
    .put_open = disk_put_open,
    .put_write = disk_put_write,
    .put_commit = disk_put_commit,
    .put_abort = disk_put_abort,
    .get_open = disk_get_open,
    .get_read = disk_get_read,
    .get_close = disk_get_close,
    .remove = disk_remove,
    .list = disk_list,
    .free = disk_free,
};

int blob_open_disk(const char *root, const struct keyring *k, struct blob_store **out)
{
    if (fs_mkdirs(root)) {
        log_error("blob disk: cannot create %s: %s", root, strerror(errno));
        return ERR_IO;
    }
    struct disk *d = calloc(1, sizeof *d);
    if (!d) abort();
    snprintf(d->root, sizeof d->root, "%s", root);
    *out = blob_wrap(&blob_disk_backend, d, k);
    return 0;
}
