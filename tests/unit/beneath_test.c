/* beneath_test.c — opening inside a folder a run or an archive wrote: links (last component or
 * on the way), "..", absolute paths, FIFOs and oversized files are refused, and a write
 * replaces a link or a hard link instead of writing through it; with openat2 and with the
 * component walk alike. */
#include "base/beneath.h"
#include "base/err.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], outside[128];
static int root = -1;

static void put(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    cr_assert(f, "%s", p);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/strata-beneath-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(outside, sizeof outside, "%s.secret", dir);
    FILE *f = fopen(outside, "w");
    fputs("secret", f);
    fclose(f);
    char p[256];
    snprintf(p, sizeof p, "%s/sub", dir);
    cr_assert_eq(mkdir(p, 0700), 0);
    put("sub/a.tf", "hello");
    snprintf(p, sizeof p, "%s/link", dir);
    cr_assert_eq(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/up", dir);
    cr_assert_eq(symlink("..", p), 0);
    snprintf(p, sizeof p, "%s/self", dir);
    cr_assert_eq(symlink(".", p), 0);
    snprintf(p, sizeof p, "%s/fifo", dir);
    cr_assert_eq(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p, "%s/hard", dir);
    cr_assert_eq(link(outside, p), 0);
    cr_assert_eq(beneath_root(dir, &root), 0);
}

static void teardown(void)
{
    close(root);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, outside);
    cr_assert_eq(system(cmd), 0);
    beneath_force_walk(false);
}

static void outside_untouched(void)
{
    FILE *f = fopen(outside, "r");
    char buf[32] = "";
    cr_assert(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_assert_str_eq(buf, "secret");
}

static void both_ways(void (*fn)(void))
{
    fn();
    beneath_force_walk(true);
    fn();
}

static void reads(void)
{
    char *text;
    size_t n;
    cr_assert_eq(beneath_slurp(root, "sub/a.tf", 100, &text, &n), 0);
    cr_assert_str_eq(text, "hello");
    free(text);
    cr_assert_eq(beneath_slurp(root, "./sub//a.tf", 100, &text, &n), 0);
    free(text);
    cr_assert_eq(beneath_slurp(root, "sub/a.tf", 4, &text, &n), ERR_TOO_LARGE);
    cr_assert_eq(beneath_slurp(root, "link", 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, "self/sub/a.tf", 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, "up/x", 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, "sub/../sub/a.tf", 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, outside, 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, "fifo", 100, &text, &n), ERR_INVALID); /* no block */
    cr_assert_eq(beneath_slurp(root, "sub", 100, &text, &n), ERR_INVALID);
    cr_assert_eq(beneath_slurp(root, "none", 100, &text, &n), ERR_NOT_FOUND);
    int fd;
    cr_assert_eq(beneath_dir(root, "self", &fd), ERR_INVALID);
    cr_assert_eq(beneath_dir(root, "sub", &fd), 0);
    close(fd);
}

Test(beneath, reads_only_regular_files_inside_without_links, .init = setup, .fini = teardown)
{
    both_ways(reads);
}

static void writes(void)
{
    cr_assert_eq(beneath_write_file(root, "link", 0600, "x", 1), 0);
    cr_assert_eq(beneath_write_file(root, "hard", 0600, "x", 1), 0);
    outside_untouched();
    struct stat st;
    char p[256];
    snprintf(p, sizeof p, "%s/link", dir);
    cr_assert_eq(lstat(p, &st), 0);
    cr_assert(S_ISREG(st.st_mode) && st.st_nlink == 1);
    cr_assert_eq(beneath_write_file(root, "self/evil", 0600, "x", 1), ERR_INVALID);
    cr_assert_eq(beneath_write_file(root, "up/evil", 0600, "x", 1), ERR_INVALID);
    cr_assert_eq(beneath_write_file(root, "sub", 0600, "x", 1), ERR_INVALID);
    cr_assert_eq(beneath_mkdir(root, "sub/new", 0700), 0);
    cr_assert_eq(beneath_mkdir(root, "sub/new", 0700), 0);
    cr_assert_eq(beneath_mkdir(root, "self/new", 0700), ERR_INVALID);
    cr_assert_eq(beneath_write_file(root, "sub/new/f", 0600, "y", 1), 0);
    char *text;
    cr_assert_eq(beneath_slurp(root, "sub/new/f", 10, &text, 0), 0);
    cr_assert_str_eq(text, "y");
    free(text);
    /* ready for the second pass */
    snprintf(p, sizeof p, "%s/link", dir);
    unlink(p);
    cr_assert_eq(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/hard", dir);
    unlink(p);
    cr_assert_eq(link(outside, p), 0);
    snprintf(p, sizeof p, "%s/sub/new/f", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/sub/new", dir);
    rmdir(p);
}

Test(beneath, writes_replace_links_instead_of_following_them, .init = setup, .fini = teardown)
{
    both_ways(writes);
}
