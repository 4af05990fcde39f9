/* fs.h — small file-system helpers the disk-backed parts share. */
#ifndef STRATA_FS_H
#define STRATA_FS_H

#include <stddef.h>

/* Creates path and its missing parents (mode 0700). Returns 0 or ERR_IO (errno kept). */
int fs_mkdirs(const char *path);

/* Removes path and everything under it, without following links (best effort). */
void fs_remove_tree(const char *path);

/* Writes all n bytes to fd, retrying on EINTR and short writes. 0 or ERR_IO (errno kept). */
int fs_write_all(int fd, const void *p, size_t n);

#endif
