/* fuzz_archive.c — libFuzzer driver for the archive checker (configversions/tree_check.c): the
 * input is read as a tar (or tar.gz) and each entry checked in order, with links accepted and
 * without. The kernel is the oracle: an archive the checker accepts is unpacked into a fresh
 * folder, and every path in it, links followed, must resolve beneath that folder
 * (openat2 RESOLVE_BENEATH answers EXDEV otherwise); with links refused, an accepted archive
 * holds none. Either broken promise aborts. Build with clang -fsanitize=fuzzer to fuzz; CTest
 * replays the corpus (link chains among them) through replay.c. */
#define _GNU_SOURCE
#include "base/fs.h"
#include "configversions/tree_check.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { MAX_ENTRIES = 256 };

static struct archive *reader(const uint8_t *data, size_t size)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, data, size) != ARCHIVE_OK) {
        archive_read_free(a);
        return 0;
    }
    return a;
}

/* Whether every entry passes the checker; *links counts the links seen. */
static bool accepted(const uint8_t *data, size_t size, bool allow_links, int *links)
{
    struct archive *a = reader(data, size);
    if (!a) return false;
    struct tree_check *t = tree_check_new(allow_links);
    struct archive_entry *e;
    char why[512];
    bool ok = true;
    int n = 0, r;
    *links = 0;
    while (ok && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK && n++ < MAX_ENTRIES) {
        ok = tree_check_entry(t, e, why, sizeof why) == 0;
        *links += archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK;
    }
    ok = ok && r == ARCHIVE_EOF;
    tree_check_free(t);
    archive_read_free(a);
    return ok;
}

/* Unpacks as slug.c does (entries prefixed with dest, libarchive's secure flags) and asks the
 * kernel whether each path, links followed, stays beneath dest. */
static void unpack_and_verify(const uint8_t *data, size_t size)
{
    char dest[] = "/tmp/strata-fuzz-archive-XXXXXX";
    if (!mkdtemp(dest)) return;
    int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct archive *a = reader(data, size), *disk = archive_write_disk_new();
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                             ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    struct archive_entry *e;
    char names[MAX_ENTRIES][512];
    int n = 0;
    while (a && n < MAX_ENTRIES && archive_read_next_header(a, &e) == ARCHIVE_OK) {
        snprintf(names[n++], sizeof names[0], "%s", archive_entry_pathname(e));
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", dest, archive_entry_pathname(e));
        archive_entry_set_pathname(e, full);
        const char *hard = archive_entry_hardlink(e);
        if (hard) {
            snprintf(full, sizeof full, "%s/%s", dest, hard);
            archive_entry_set_hardlink(e, full);
        }
        if (archive_write_header(disk, e) == ARCHIVE_OK) {
            archive_read_data_skip(a);
            archive_write_finish_entry(disk);
        }
    }
    for (int i = 0; i < n; i++) {
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
        long fd = syscall(SYS_openat2, root, names[i], &how, sizeof how);
        if (fd >= 0) close((int)fd);
        if (fd < 0 && errno == EXDEV) {
            fprintf(stderr, "fuzz_archive: accepted \"%s\" resolves out of the tree\n", names[i]);
            abort();
        }
    }
    if (a) archive_read_free(a);
    archive_write_free(disk);
    close(root);
    fs_remove_tree(dest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int links;
    if (accepted(data, size, false, &links) && links) {
        fprintf(stderr, "fuzz_archive: a link was accepted where none may be\n");
        abort();
    }
    if (accepted(data, size, true, &links) && links) unpack_and_verify(data, size);
    return 0;
}
