/* beneath.h — the one way the node opens a file inside a folder that a run or an archive wrote
 * (an unpacked configuration, a run's working folder): relative to the folder's descriptor,
 * never through a link and never out of it (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS where the kernel has it, else a walk of O_NOFOLLOW components), and
 * never blocking on a FIFO a run left there. scripts/check_safe_open.py keeps every other open
 * out of runner/, configversions/ and registry/. */
#ifndef STRATA_BENEATH_H
#define STRATA_BENEATH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Every function takes rel, a path relative to dirfd ("a/b.tf"; no leading '/', no ".."
 * component, no link anywhere on it) and returns 0 or a negative ERR_*: ERR_NOT_FOUND (nothing
 * there), ERR_INVALID (a link, a "..", an absolute path, or not the expected kind of file),
 * ERR_TOO_LARGE (over the caller's limit), ERR_IO (errno kept). The descriptor returned in *fd
 * is the caller's to close (O_CLOEXEC). Thread-safe. */

/* Opens a folder the node made itself (an absolute path, its last component not a link), as
 * the dirfd of the calls below. */
int beneath_root(const char *path, int *fd);
/* Opens the folder rel under dirfd ("" or "." is dirfd's own folder, duplicated). */
int beneath_dir(int dirfd, const char *rel, int *fd);
/* Opens the regular file rel for reading when it holds at most max bytes; *size (optional)
 * gets its size. A FIFO, device or folder is ERR_INVALID, without blocking. */
int beneath_read(int dirfd, const char *rel, int64_t max, int *fd, int64_t *size);
/* Creates rel afresh for writing with mode: whatever was at that name (a file, a link, a hard
 * link to another file) is removed first and the new file is made with O_EXCL, so nothing the
 * old name pointed at is truncated or written. */
int beneath_create(int dirfd, const char *rel, mode_t mode, int *fd);
/* Makes the folder rel (its parent must exist); an existing folder is fine. */
int beneath_mkdir(int dirfd, const char *rel, mode_t mode);
/* Reads all of rel (at most max bytes) into a new malloc'd NUL-terminated buffer, the caller's
 * to free; *len (optional) gets its length. */
int beneath_slurp(int dirfd, const char *rel, int64_t max, char **text, size_t *len);
/* Writes n bytes as rel, created as by beneath_create. */
int beneath_write_file(int dirfd, const char *rel, mode_t mode, const void *p, size_t n);

/* Tests only: use the component walk even where the kernel has openat2. */
void beneath_force_walk(bool on);

#endif
