/* tree_check.h — whether an archive's entries, unpacked in order, all stay inside the folder
 * they are unpacked into. A link is resolved step by step through the links the archive has
 * already made (so `a -> .` then `x -> a/a/../../etc` is refused), ".." is followed only out
 * of a real folder of the archive, a link never replaces an earlier entry nor is passed
 * through by a later one, and a hard link names an earlier regular file. Pure: no file is
 * touched (fuzz/fuzz_archive.c drives it). */
#ifndef STRATA_TREE_CHECK_H
#define STRATA_TREE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

struct archive_entry;
struct tree_check;

/* A checker for one archive; links false refuses every link (registry archives). Never NULL
 * (out of memory aborts); freed with tree_check_free. Not shared between threads. */
struct tree_check *tree_check_new(bool links);
void tree_check_free(struct tree_check *t);

/* Checks the next entry (in archive order) and records it. 0, or ERR_INVALID with the reason
 * in why (a path or link that leaves the tree, an absolute path, a device, a refused link). */
int tree_check_entry(struct tree_check *t, struct archive_entry *e, char *why, size_t whylen);

#endif
