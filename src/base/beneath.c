/* beneath.c — opening files inside a folder a run or an archive wrote (beneath.h). openat2 is
 * called through syscall(2): glibc 2.36 has no wrapper. Where the kernel or a seccomp filter
 * refuses it, each component is opened with O_NOFOLLOW from the one before, which gives the
 * same guarantee for paths without ".." (they are refused before either way). */
#define _GNU_SOURCE
#include "base/beneath.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { REL_MAX = 4096 };

static atomic_bool no_openat2;  /* learnt at the first ENOSYS (or a filter's EPERM) */
static atomic_bool forced_walk; /* tests */

void beneath_force_walk(bool on)
{
    atomic_store(&forced_walk, on);
}

static int err_of(int e)
{
    switch (e) {
    case ENOENT:
        return ERR_NOT_FOUND;
    case ELOOP:   /* a link on the way, or the last component is one */
    case EXDEV:   /* RESOLVE_BENEATH: the path would leave dirfd */
    case ENOTDIR: /* a file where a folder was expected */
    case EISDIR:
    case ENXIO: /* a FIFO without a reader */
    case EEXIST:
        return ERR_INVALID;
    default:
        return ERR_IO;
    }
}

/* Refuses what no caller means: absolute paths, "..", over-long names. */
static bool rel_ok(const char *rel)
{
    if (rel[0] == '/' || strlen(rel) >= REL_MAX) return false;
    for (const char *s = rel; (s = strstr(s, "..")); s += 2)
        if ((s == rel || s[-1] == '/') && (s[2] == 0 || s[2] == '/')) return false;
    return true;
}

/* The component walk: each folder opened with O_NOFOLLOW from the one before. */
static int walk(int dirfd, const char *rel, int flags, mode_t mode, int *fd)
{
    char copy[REL_MAX];
    snprintf(copy, sizeof copy, "%s", rel);
    int cur = dirfd;
    char *p = copy, *slash;
    while ((slash = strchr(p, '/'))) {
        *slash = 0;
        if (*p && strcmp(p, ".") != 0) {
            int next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int e = errno;
            if (cur != dirfd) close(cur);
            if (next < 0) return err_of(e);
            cur = next;
        }
        p = slash + 1;
    }
    int out = openat(cur, *p ? p : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
    int e = errno;
    if (cur != dirfd) close(cur);
    if (out < 0) return err_of(e);
    *fd = out;
    return 0;
}

static int open_beneath(int dirfd, const char *rel, int flags, mode_t mode, int *fd)
{
    if (!rel_ok(rel)) return ERR_INVALID;
    if (!atomic_load(&no_openat2) && !atomic_load(&forced_walk)) {
        struct open_how how = {.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
                               .mode = (flags & O_CREAT) ? mode : 0,
                               .resolve =
                                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
        long out = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof how);
        if (out >= 0) {
            *fd = (int)out;
            return 0;
        }
        if (errno != ENOSYS && errno != EPERM && errno != E2BIG) return err_of(errno);
        atomic_store(&no_openat2, true);
    }
    return walk(dirfd, rel, flags, mode, fd);
}

int beneath_root(const char *path, int *fd)
{
    int out = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (out < 0) return err_of(errno);
    *fd = out;
    return 0;
}

int beneath_dir(int dirfd, const char *rel, int *fd)
{
    return open_beneath(dirfd, rel, O_RDONLY | O_DIRECTORY, 0, fd);
}

int beneath_read(int dirfd, const char *rel, int64_t max, int *fd, int64_t *size)
{
    int out, rc = open_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &out);
    if (rc) return rc;
    struct stat st;
    if (fstat(out, &st) != 0)
        rc = ERR_IO;
    else if (!S_ISREG(st.st_mode))
        rc = ERR_INVALID;
    else if (st.st_size > max)
        rc = ERR_TOO_LARGE;
    else if (fcntl(out, F_SETFL, 0) != 0) /* O_NONBLOCK off: it was for FIFOs only */
        rc = ERR_IO;
    if (rc) {
        close(out);
        return rc;
    }
    if (size) *size = st.st_size;
    *fd = out;
    return 0;
}

/* Splits rel into its folder (opened) and last name; *base points into rel. */
static int parent_of(int dirfd, const char *rel, int *pfd, const char **base)
{
    if (!rel_ok(rel)) return ERR_INVALID;
    const char *slash = strrchr(rel, '/');
    *base = slash ? slash + 1 : rel;
    if (!**base || strcmp(*base, ".") == 0) return ERR_INVALID;
    char dir[REL_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - rel) : 0, rel);
    return beneath_dir(dirfd, dir, pfd);
}

int beneath_create(int dirfd, const char *rel, mode_t mode, int *fd)
{
    int pfd;
    const char *base;
    int rc = parent_of(dirfd, rel, &pfd, &base);
    if (rc) return rc;
    if (unlinkat(pfd, base, 0) != 0 && errno != ENOENT) rc = err_of(errno);
    int out =
        rc ? -1 : openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (!rc && out < 0) rc = err_of(errno);
    close(pfd);
    if (!rc) *fd = out;
    return rc;
}

int beneath_mkdir(int dirfd, const char *rel, mode_t mode)
{
    int pfd;
    const char *base;
    int rc = parent_of(dirfd, rel, &pfd, &base);
    if (rc) return rc;
    struct stat st;
    if (mkdirat(pfd, base, mode) != 0)
        rc = errno == EEXIST && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISDIR(st.st_mode)
                 ? 0
                 : err_of(errno);
    close(pfd);
    return rc;
}

int beneath_slurp(int dirfd, const char *rel, int64_t max, char **text, size_t *len)
{
    int fd;
    int64_t size;
    int rc = beneath_read(dirfd, rel, max, &fd, &size);
    if (rc) return rc;
    char *buf = malloc((size_t)size + 1);
    if (!buf) abort();
    size_t n = 0;
    while (n < (size_t)size) { /* a file that shrank meanwhile ends early */
        ssize_t r = read(fd, buf + n, (size_t)size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) rc = ERR_IO;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *text = buf;
    if (len) *len = n;
    return 0;
}

int beneath_write_file(int dirfd, const char *rel, mode_t mode, const void *p, size_t n)
{
    int fd, rc = beneath_create(dirfd, rel, mode, &fd);
    if (rc) return rc;
    rc = fs_write_all(fd, p, n);
    if (close(fd) != 0 && !rc) rc = ERR_IO;
    return rc;
}
