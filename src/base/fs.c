/* fs.c — mkdir -p, rm -r and write-all, for the data folders under disk_path. */
#define _GNU_SOURCE /* nftw */
#include "base/fs.h"
#include "base/err.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *path)
{
    char p[4200];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) return ERR_IO;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return ERR_IO;
        *s = '/';
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST) return ERR_IO;
    return 0;
}

int fs_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ERR_IO;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fs_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
