/* tree_check.c — the archive checker (tree_check.h). Every path the archive made is kept in a
 * hash set with its kind; a link keeps where it resolves to. Why this is enough: a link only
 * ever appears at a path nothing used before and nothing passes through afterwards, so what a
 * path resolved to when checked stays true; ".." is allowed only out of a known folder (never
 * out of a link or a name not yet made, which a later link could turn into anything); so every
 * link lands inside, and names below an inside folder stay inside. */
#include "configversions/tree_check.h"
#include "base/err.h"

#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_NONE, K_DIR, K_FILE, K_LINK, K_UNKNOWN };
enum { PATH_CAP = 8192, HOPS_MAX = 40 };

struct slot {
    char *key;      /* normalized: "a/b", no ".", no empty component */
    char *resolved; /* links: where the link leads, normalized */
    enum kind kind;
};

struct tree_check {
    struct slot *slots;
    size_t cap, n;
    bool links;
};

struct tree_check *tree_check_new(bool links)
{
    struct tree_check *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->cap = 256;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots) abort();
    t->links = links;
    return t;
}

void tree_check_free(struct tree_check *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->cap; i++) {
        free(t->slots[i].key);
        free(t->slots[i].resolved);
    }
    free(t->slots);
    free(t);
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static struct slot *find(const struct tree_check *t, const char *key, size_t n)
{
    for (size_t i = hash(key, n) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct slot *s = &t->slots[i];
        if (!s->key || (strlen(s->key) == n && memcmp(s->key, key, n) == 0)) return s;
    }
}

static enum kind kind_of(const struct tree_check *t, const char *key, size_t n)
{
    return find(t, key, n)->kind;
}

static void grow(struct tree_check *t)
{
    struct tree_check big = {calloc(t->cap * 2, sizeof *t->slots), t->cap * 2, t->n, t->links};
    if (!big.slots) abort();
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].key) *find(&big, t->slots[i].key, strlen(t->slots[i].key)) = t->slots[i];
    free(t->slots);
    *t = big;
}

/* Records key (n bytes) as kind; resolved is taken (links). An existing entry keeps its kind
 * unless it was none. */
static void put(struct tree_check *t, const char *key, size_t n, enum kind kind, char *resolved)
{
    if ((t->n + 1) * 2 > t->cap) grow(t);
    struct slot *s = find(t, key, n);
    if (!s->key) {
        s->key = strndup(key, n);
        if (!s->key) abort();
        t->n++;
    }
    s->kind = kind;
    free(s->resolved);
    s->resolved = resolved;
}

static int fail(char *why, size_t whylen, const char *fmt, const char *what)
{
    snprintf(why, whylen, fmt, what);
    return ERR_INVALID;
}

/* Copies p without "." and empty components into out ("./a//b/" → "a/b"); false on "..",
 * an absolute path or one too long. */
static bool normalize(const char *p, char *out, size_t cap)
{
    if (p[0] == '/') return false;
    size_t o = 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        if (n && !(n == 1 && p[0] == '.')) {
            if (o + n + 2 > cap) return false;
            if (o) out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n + (p[n] == '/');
    }
    out[o] = 0;
    return true;
}

/* Where the link at path (normalized) with target leads, step by step; a new malloc'd string,
 * or NULL with the reason in why. */
static char *resolve(const struct tree_check *t, const char *path, const char *target, char *why,
                     size_t whylen)
{
    char cur[PATH_CAP], pending[PATH_CAP];
    enum kind kinds[PATH_CAP / 2];
    size_t ends[PATH_CAP / 2], depth = 0, len = 0;
    int hops = 0;
    /* start in the link's folder: its components are folders (checked by the caller) */
    const char *slash = strrchr(path, '/');
    len = slash ? (size_t)(slash - path) : 0;
    memcpy(cur, path, len);
    for (size_t i = 0; i <= len && len; i++)
        if (i == len || cur[i] == '/') {
            kinds[depth] = K_DIR;
            ends[depth++] = i;
        }
    if (snprintf(pending, sizeof pending, "%s", target) >= (int)sizeof pending) {
        fail(why, whylen, "link \"%s\" has too long a target", path);
        return 0;
    }
    char *p = pending;
    while (*p) {
        size_t n = strcspn(p, "/");
        const char *name = p;
        p += n + (p[n] == '/');
        if (!n || (n == 1 && name[0] == '.')) continue;
        if (n == 2 && name[0] == '.' && name[1] == '.') {
            if (!depth) {
                fail(why, whylen, "link \"%s\" points out of the tree", path);
                return 0;
            }
            if (kinds[depth - 1] != K_DIR) {
                fail(why, whylen,
                     "link \"%s\" follows \"..\" out of a link or a name not in the archive yet",
                     path);
                return 0;
            }
            depth--;
            len = depth ? ends[depth - 1] : 0;
            continue;
        }
        if (len + n + 2 > sizeof cur || depth + 1 >= sizeof ends / sizeof *ends) {
            fail(why, whylen, "link \"%s\" has too long a target", path);
            return 0;
        }
        if (len) cur[len++] = '/';
        memcpy(cur + len, name, n);
        len += n;
        struct slot *s = find(t, cur, len);
        if (s->kind == K_LINK) { /* start again from the top with where that link leads */
            char rest[PATH_CAP];
            if (++hops > HOPS_MAX ||
                snprintf(rest, sizeof rest, "%s/%s", s->resolved, p) >= (int)sizeof rest) {
                fail(why, whylen, "link \"%s\" goes through too many links", path);
                return 0;
            }
            memcpy(pending, rest, strlen(rest) + 1);
            p = pending;
            depth = len = 0;
            continue;
        }
        kinds[depth] = s->kind == K_NONE ? K_UNKNOWN : s->kind;
        ends[depth++] = len;
    }
    cur[len] = 0;
    char *out = strdup(cur);
    if (!out) abort();
    return out;
}

int tree_check_entry(struct tree_check *t, struct archive_entry *e, char *why, size_t whylen)
{
    const char *raw = archive_entry_pathname(e), *hard = archive_entry_hardlink(e);
    char path[PATH_CAP];
    if (!raw || !*raw) return fail(why, whylen, "an entry has no name%s", "");
    if (raw[0] == '/') return fail(why, whylen, "absolute path \"%s\" refused", raw);
    if (!normalize(raw, path, sizeof path))
        return fail(why, whylen, "path \"%s\" leaves the tree", raw);
    mode_t type = archive_entry_filetype(e);
    bool symlink = !hard && type == AE_IFLNK;
    if (!hard && type != AE_IFREG && type != AE_IFDIR && !symlink)
        return fail(why, whylen, "\"%s\" is not a file, folder or link", raw);
    if ((hard || symlink) && !t->links)
        return fail(why, whylen, "link \"%s\" refused: this kind of archive takes no links", raw);
    if (!*path) /* the top folder itself ("./") */
        return type == AE_IFDIR && !hard ? 0 : fail(why, whylen, "entry \"%s\" has no name", raw);
    /* nothing is written through a link or a file the archive made */
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '/' && kind_of(t, path, i) != K_NONE && kind_of(t, path, i) != K_DIR)
            return fail(why, whylen, "\"%s\" is under a link or a file of the archive", raw);
    enum kind was = kind_of(t, path, strlen(path));
    if (was == K_LINK || ((hard || symlink) && was != K_NONE))
        return fail(why, whylen, "link \"%s\" would replace another entry", raw);
    if (was != K_NONE && (was == K_DIR) != (type == AE_IFDIR && !hard))
        return fail(why, whylen, "\"%s\" changes from a file to a folder or back", raw);
    char *resolved = 0;
    enum kind kind = type == AE_IFDIR ? K_DIR : K_FILE;
    if (hard) { /* an earlier regular file, named as it was written */
        char target[PATH_CAP];
        if (hard[0] == '/' || !normalize(hard, target, sizeof target))
            return fail(why, whylen, "hard link \"%s\" points out of the tree", raw);
        if (kind_of(t, target, strlen(target)) != K_FILE)
            return fail(why, whylen, "hard link \"%s\" names no earlier file of the archive", raw);
        kind = K_FILE;
    } else if (symlink) {
        const char *target = archive_entry_symlink(e);
        if (!target || !*target || target[0] == '/')
            return fail(why, whylen, "link \"%s\" points to an absolute path", raw);
        if (!(resolved = resolve(t, path, target, why, whylen))) return ERR_INVALID;
        kind = K_LINK;
    }
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '/' && kind_of(t, path, i) == K_NONE) put(t, path, i, K_DIR, 0);
    put(t, path, strlen(path), kind, resolved);
    return 0;
}
