/* slug_test.c — configuration archives: what is refused (paths out of the tree, absolute
 * paths, links out, devices, not an archive) and that a good one unpacks. Archives are written
 * with libarchive into a real sealed blob store. */
#include "base/err.h"
#include "blob/blob.h"
#include "configversions/configversion.h"
#include "keyring/keyring.h"
#include "store/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct store *store;
static struct keyring *kr;
static struct blob_store *blobs;
static char dir[64];

static void setup(void)
{
    char err[256];
    cr_assert(sodium_init() >= 0);
    cr_assert_eq(store_open_sqlite(":memory:", &store), 0);
    cr_assert_eq(store_migrate(store, 0, 0), 0);
    cr_assert_eq(keyring_open(store, "pw", &kr, err, sizeof err), 0);
    strcpy(dir, "/tmp/strata-slug-XXXXXX");
    cr_assert(mkdtemp(dir));
    char root[128];
    snprintf(root, sizeof root, "%s/blobs", dir);
    cr_assert_eq(blob_open_disk(root, kr, &blobs), 0);
}

static void teardown(void)
{
    blob_store_free(blobs);
    keyring_free(kr);
    store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(slug, .init = setup, .fini = teardown);

struct entry {
    const char *name;
    int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, or 0 for a hard link */
    const char *data_or_target;
};

static int64_t written;

static la_ssize_t to_blob(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    written += (int64_t)n;
    return blob_writer_write(arg, p, n) ? -1 : (la_ssize_t)n;
}

/* Stores a tar.gz of entries as configuration version "cv-test". */
static void store_slug(const struct entry *entries, size_t n)
{
    struct blob_writer *w;
    cr_assert_eq(blob_writer_open(blobs, "configuration-versions/cv-test/slug", &w), 0);
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    archive_write_open(a, w, 0, to_blob, 0);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, entries[i].name);
        archive_entry_set_perm(e, 0644);
        if (entries[i].type == 0) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, entries[i].data_or_target);
        } else {
            archive_entry_set_filetype(e, (unsigned)entries[i].type);
        }
        if (entries[i].type == AE_IFLNK) archive_entry_set_symlink(e, entries[i].data_or_target);
        if (entries[i].type == AE_IFREG)
            archive_entry_set_size(e, (la_int64_t)strlen(entries[i].data_or_target));
        archive_write_header(a, e);
        if (entries[i].type == AE_IFREG)
            archive_write_data(a, entries[i].data_or_target, strlen(entries[i].data_or_target));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    cr_assert_eq(blob_writer_commit(w), 0);
}

static int check(const struct entry *entries, size_t n, char *why)
{
    store_slug(entries, n);
    why[0] = 0;
    return configversion_unpack(blobs, "cv-test", 0, why, 512);
}

#define CHECK(...)                                                                                 \
    check((const struct entry[]){__VA_ARGS__},                                                     \
          sizeof((const struct entry[]){__VA_ARGS__}) / sizeof(struct entry), why)

Test(slug, refuses_what_escapes)
{
    char why[512];
    cr_assert_eq(CHECK({"../x.tf", AE_IFREG, "x"}), ERR_INVALID);
    cr_assert(strstr(why, "leaves the tree"), "%s", why);
    cr_assert_eq(CHECK({"/abs.tf", AE_IFREG, "x"}), ERR_INVALID);
    cr_assert(strstr(why, "absolute"), "%s", why);
    cr_assert_eq(CHECK({"a/../../x", AE_IFREG, "x"}), ERR_INVALID);
    /* any ".." in a name is refused, even one that would stay inside */
    cr_assert_eq(CHECK({"d/../ok.tf", AE_IFREG, "x"}), ERR_INVALID);
    cr_assert_eq(CHECK({"l", AE_IFLNK, "/etc/passwd"}), ERR_INVALID);
    cr_assert_eq(CHECK({"d/l", AE_IFLNK, "../../x"}), ERR_INVALID);
    cr_assert(strstr(why, "out of the tree"), "%s", why);
    cr_assert_eq(CHECK({"h", 0, "../etc/passwd"}), ERR_INVALID);
    cr_assert_eq(CHECK({"dev", AE_IFCHR, ""}), ERR_INVALID);
    cr_assert(strstr(why, "not a file"), "%s", why);
}

Test(slug, accepts_and_unpacks_a_good_tree)
{
    char why[512];
    cr_assert_eq(CHECK({"main.tf", AE_IFREG, "output \"x\" { value = 1 }\n"},
                       {"modules", AE_IFDIR, ""}, {"modules/a.tf", AE_IFREG, "# a\n"},
                       {"modules/l", AE_IFLNK, "../main.tf"}),
                 0, "%s", why);
    char dest[128], path[256];
    snprintf(dest, sizeof dest, "%s/out", dir);
    cr_assert_eq(mkdir(dest, 0700), 0);
    cr_assert_eq(configversion_unpack(blobs, "cv-test", dest, why, sizeof why), 0, "%s", why);
    snprintf(path, sizeof path, "%s/modules/a.tf", dest);
    cr_assert_eq(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/modules/l", dest);
    char target[64] = "";
    cr_assert(readlink(path, target, sizeof target) > 0);
    cr_assert_str_eq(target, "../main.tf");
}

Test(slug, refuses_what_is_not_an_archive)
{
    struct blob_writer *w;
    cr_assert_eq(blob_writer_open(blobs, "configuration-versions/cv-test/slug", &w), 0);
    cr_assert_eq(blob_writer_write(w, "hello, not gzip", 15), 0);
    cr_assert_eq(blob_writer_commit(w), 0);
    char why[512];
    cr_assert_eq(configversion_unpack(blobs, "cv-test", 0, why, sizeof why), ERR_INVALID);
    cr_assert(strstr(why, "not"), "%s", why);
}

static int check_kind(const struct entry *entries, size_t n, const struct slug_kind *kind,
                      char *why)
{
    store_slug(entries, n);
    why[0] = 0;
    return slug_unpack(blobs, "configuration-versions/cv-test/slug", kind, 0, 0, why, 512);
}

/* issue 22: each link checked alone stays inside, but resolved through the links before it
 * the last one leads out */
Test(slug, refuses_link_chains_that_lead_out)
{
    char why[512];
    cr_assert_eq(CHECK({"a", AE_IFLNK, "."}, {"x", AE_IFLNK, "a/a/a/../../../etc/passwd"}),
                 ERR_INVALID);
    cr_assert(strstr(why, "\"x\""), "%s", why);
    cr_assert_eq(CHECK({"d", AE_IFDIR, ""}, {"d/up", AE_IFLNK, ".."},
                       {"zzz_strata.auto.tfvars", AE_IFLNK, "d/up/../etc/cron.d/x"}),
                 ERR_INVALID);
    /* a name not made yet could become a link later: no ".." out of it */
    cr_assert_eq(CHECK({"l", AE_IFLNK, "n/.."}, {"n", AE_IFLNK, "."}), ERR_INVALID);
    cr_assert_eq(CHECK({"l", AE_IFLNK, "n/../main.tf"}), ERR_INVALID);
    /* nothing replaces a link, nothing is written through one, a link replaces nothing */
    cr_assert_eq(CHECK({"d", AE_IFLNK, "."}, {"d/x.tf", AE_IFREG, "x"}), ERR_INVALID);
    cr_assert_eq(CHECK({"l", AE_IFLNK, "a.tf"}, {"l", AE_IFLNK, "b.tf"}), ERR_INVALID);
    cr_assert_eq(CHECK({"d/x.tf", AE_IFREG, "x"}, {"d", AE_IFLNK, "."}), ERR_INVALID);
    /* hard links name an earlier file: not a link (it would be a link in another folder) */
    cr_assert_eq(CHECK({"d/l", AE_IFLNK, "../main.tf"}, {"h", 0, "d/l"}), ERR_INVALID);
    cr_assert_eq(CHECK({"h", 0, "main.tf"}), ERR_INVALID);
    cr_assert_eq(CHECK({"a", AE_IFLNK, "."}, {"main.tf", AE_IFREG, "x"}, {"h", 0, "a/main.tf"}),
                 ERR_INVALID);
    /* loops end */
    cr_assert_eq(CHECK({"p", AE_IFLNK, "q"}, {"q", AE_IFLNK, "p"}, {"r", AE_IFLNK, "q/.."}),
                 ERR_INVALID);
}

Test(slug, accepts_links_that_stay_inside)
{
    char why[512];
    cr_assert_eq(CHECK({"main.tf", AE_IFREG, "x"}, {"a", AE_IFLNK, "."}, {"m", AE_IFDIR, ""},
                       {"m/b", AE_IFLNK, "../a/a/main.tf"}, {"m/c", AE_IFLNK, "../m/b"},
                       {"later", AE_IFLNK, "n/x.tf"}, {"n/x.tf", AE_IFREG, "y"},
                       {"h", 0, "./main.tf"}),
                 0, "%s", why);
}

Test(slug, registry_archives_take_no_links_and_have_caps)
{
    char why[512];
    cr_assert_eq(check_kind((const struct entry[]){{"README.md", AE_IFLNK, "main.tf"}}, 1,
                            &slug_module, why),
                 ERR_INVALID);
    cr_assert(strstr(why, "takes no links"), "%s", why);
    cr_assert_eq(check_kind((const struct entry[]){{"main.tf", AE_IFREG, "x"}, {"h", 0, "main.tf"}},
                            2, &slug_mirror, why),
                 ERR_INVALID);
    struct slug_kind small = {"module", 2, 1000, false};
    cr_assert_eq(check_kind((const struct entry[]){{"a", AE_IFREG, "x"},
                                                   {"b", AE_IFREG, "x"},
                                                   {"c", AE_IFREG, "x"}},
                            3, &small, why),
                 ERR_INVALID);
    cr_assert(strstr(why, "at most 2 entries"), "%s", why);
    cr_assert_eq(check_kind((const struct entry[]){{"a", AE_IFREG, "x"}, {"b", AE_IFREG, "x"}}, 2,
                            &small, why),
                 0, "%s", why);
}
