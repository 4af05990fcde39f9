/* cgroup.c — a cgroup per sandbox, child of the node's own, for the memory and process limits.
 * cgroup v1 (one hierarchy per controller) and v2 (one tree; a cgroup with processes cannot give
 * its controllers to children, so the node moves itself into a leaf "strata-node" first). */
#define _GNU_SOURCE /* getline */
#include "sandbox/sandbox_int.h"
#include "base/err.h"
#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Parents of the sandboxes' cgroups per controller, and whether they are v2. */
static char memory_parent[4096], pids_parent[4096];
static bool memory_v2, pids_v2;

/* DIR/NAME into out; false when it does not fit (then nothing is done with it). */
static bool path_join(char *out, size_t outlen, const char *dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < outlen;
}

static bool has_token(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return true;
        p = end ? end + 1 : 0;
    }
    return false;
}

/* The node's own cgroup path in the hierarchy that has CONTROLLER ("" = the v2 one). */
static bool self_path(const char *controller, char *out, size_t outlen)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    char *line = 0;
    size_t cap = 0;
    bool found = false;
    while (f && !found && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;
        if (!c2) continue;
        *c2 = 0;
        bool match = *controller ? has_token(c1 + 1, controller) : (c1[1] == 0);
        if (match) found = snprintf(out, outlen, "%s", c2 + 1) < (int)outlen;
    }
    free(line);
    if (f) fclose(f);
    return found;
}

/* Where the hierarchy holding CONTROLLER is mounted ("" = cgroup2), and its root. */
static bool mount_of(const char *controller, char *point, char *root, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char *line = 0;
    size_t cap = 0;
    bool found = false;
    while (f && !found && getline(&line, &cap, f) > 0) {
        char r[4096], mp[4096], type[64], src[256], opts[1024];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", r, mp) != 2 ||
            sscanf(dash + 3, "%63s %255s %1023s", type, src, opts) != 3)
            continue;
        found = *controller ? strcmp(type, "cgroup") == 0 && has_token(opts, controller)
                            : strcmp(type, "cgroup2") == 0;
        if (found) {
            snprintf(point, len, "%s", mp);
            snprintf(root, len, "%s", r);
        }
    }
    free(line);
    if (f) fclose(f);
    return found;
}

static int write_text(const char *dir, const char *file, const char *text)
{
    char path[4600];
    if (!path_join(path, sizeof path, dir, file)) return ERR_IO;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ERR_IO;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : ERR_IO;
}

/* The folder of the node's cgroup in the hierarchy of CONTROLLER, if the node may make
 * children there. */
static bool find_parent(const char *controller, char *out, size_t outlen)
{
    char point[4096], root[4096], self[4096];
    if (!mount_of(controller, point, root, sizeof point) ||
        !self_path(controller, self, sizeof self))
        return false;
    const char *rel = self;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0 && strncmp(self, root, rl) == 0) rel = self + rl;
    if (snprintf(out, outlen, "%s%s", point, rel) >= (int)outlen) return false;
    char probe[4600];
    char name[64];
    snprintf(name, sizeof name, "strata-probe-%d", (int)getpid());
    if (!path_join(probe, sizeof probe, out, name) || mkdir(probe, 0755) != 0) return false;
    rmdir(probe);
    return true;
}

/* v2: controllers reach children only through cgroup.subtree_control, which a cgroup holding
 * processes cannot set (but the root): the node moves into a leaf of its own first. */
static bool enable_v2(const char *parent, const char *controller)
{
    char avail[4600], line[1024] = "";
    FILE *f = path_join(avail, sizeof avail, parent, "cgroup.controllers") ? fopen(avail, "r") : 0;
    if (!f) return false;
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    line[strcspn(line, "\n")] = 0;
    for (char *p = line; *p; p++)
        if (*p == ' ') *p = ',';
    if (!has_token(line, controller)) return false;
    char want[64];
    snprintf(want, sizeof want, "+%s", controller);
    if (write_text(parent, "cgroup.subtree_control", want) == 0) return true;
    if (errno != EBUSY) return false;
    char leaf[4600], pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (!path_join(leaf, sizeof leaf, parent, "strata-node") ||
        (mkdir(leaf, 0755) != 0 && errno != EEXIST) || write_text(leaf, "cgroup.procs", pid))
        return false;
    log_info("sandbox: the node moved into %s to give runs their own cgroups", leaf);
    return write_text(parent, "cgroup.subtree_control", want) == 0;
}

static void init_controller(const char *controller, char *parent, size_t len, bool *v2)
{
    *v2 = false;
    if (find_parent(controller, parent, len)) return;
    if (find_parent("", parent, len) && enable_v2(parent, controller)) {
        *v2 = true;
        return;
    }
    parent[0] = 0;
}

/* Cgroups "strata-<pid>-<n>" of a node that died (kill -9) are removed by the next one. */
static void remove_orphans(const char *parent)
{
    DIR *d = parent[0] ? opendir(parent) : 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid;
        unsigned n;
        if (sscanf(e->d_name, "strata-%d-%u", &pid, &n) != 2 || pid <= 0) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue;
        char path[4600];
        if (path_join(path, sizeof path, parent, e->d_name)) rmdir(path);
    }
    if (d) closedir(d);
}

void cgroup_init(bool *memory, bool *pids)
{
    init_controller("memory", memory_parent, sizeof memory_parent, &memory_v2);
    init_controller("pids", pids_parent, sizeof pids_parent, &pids_v2);
    remove_orphans(memory_parent);
    if (strcmp(pids_parent, memory_parent) != 0) remove_orphans(pids_parent);
    *memory = memory_parent[0] != 0;
    *pids = pids_parent[0] != 0;
}

int cgroup_create(const char *name, const struct sandbox_limits *lim, struct cgroup *cg)
{
    char value[32];
    memset(cg, 0, sizeof *cg);
    if (memory_parent[0]) {
        if (!path_join(cg->memory, sizeof cg->memory, memory_parent, name)) return ERR_IO;
        snprintf(value, sizeof value, "%lld", (long long)lim->memory_mb * 1024 * 1024);
        if (mkdir(cg->memory, 0755) != 0 ||
            write_text(cg->memory, memory_v2 ? "memory.max" : "memory.limit_in_bytes", value)) {
            cgroup_remove(cg);
            return ERR_IO;
        }
        /* no swap beyond the limit, where the kernel accounts it (best effort) */
        if (memory_v2)
            write_text(cg->memory, "memory.swap.max", "0");
        else
            write_text(cg->memory, "memory.memsw.limit_in_bytes", value);
    }
    if (pids_parent[0]) {
        if (!path_join(cg->pids, sizeof cg->pids, pids_parent, name)) {
            cgroup_remove(cg);
            return ERR_IO;
        }
        bool same = strcmp(cg->pids, cg->memory) == 0;
        snprintf(value, sizeof value, "%lld", (long long)lim->processes);
        if ((!same && mkdir(cg->pids, 0755) != 0) || write_text(cg->pids, "pids.max", value)) {
            cgroup_remove(cg);
            return ERR_IO;
        }
    }
    return 0;
}

void cgroup_open_procs(const struct cgroup *cg, int fds[2])
{
    const char *dirs[2] = {cg->memory, strcmp(cg->pids, cg->memory) ? cg->pids : ""};
    for (int i = 0; i < 2; i++) {
        char path[4600];
        bool ok = dirs[i][0] && path_join(path, sizeof path, dirs[i], "cgroup.procs");
        fds[i] = ok ? open(path, O_WRONLY | O_CLOEXEC) : -1;
    }
}

/* The number after KEY in a "key value" file of the cgroup; 0 when absent. */
static long long counter(const char *dir, const char *file, const char *key)
{
    char path[4600], k[64];
    long long v, found = 0;
    FILE *f = dir[0] && path_join(path, sizeof path, dir, file) ? fopen(path, "r") : 0;
    while (f && fscanf(f, "%63s %lld", k, &v) == 2)
        if (strcmp(k, key) == 0) found = v;
    if (f) fclose(f);
    return found;
}

enum sandbox_breach cgroup_breach(const struct cgroup *cg)
{
    if (counter(cg->memory, memory_v2 ? "memory.events" : "memory.oom_control", "oom_kill") > 0)
        return SANDBOX_OUT_OF_MEMORY;
    if (counter(cg->pids, "pids.events", "max") > 0) return SANDBOX_TOO_MANY_PROCESSES;
    return SANDBOX_WITHIN_LIMITS;
}

/* Signals every process listed; returns how many there were. */
static int kill_listed(const char *dir)
{
    char path[4600];
    FILE *f = dir[0] && path_join(path, sizeof path, dir, "cgroup.procs") ? fopen(path, "r") : 0;
    int pid, n = 0;
    while (f && fscanf(f, "%d", &pid) == 1) {
        kill(pid, SIGKILL);
        n++;
    }
    if (f) fclose(f);
    return n;
}

void cgroup_kill(const struct cgroup *cg)
{
    /* a fork bomb adds processes while they are killed: repeat until none is left */
    for (int round = 0; round < 100; round++)
        if (kill_listed(cg->pids) + kill_listed(cg->memory) == 0) return;
}

void cgroup_remove(struct cgroup *cg)
{
    char *dirs[2] = {cg->memory, cg->pids};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0]) continue;
        /* the processes of a killed sandbox take a moment to be gone */
        for (int tries = 0; tries < 300 && rmdir(dirs[i]) != 0 && errno == EBUSY; tries++) {
            kill_listed(dirs[i]);
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, 0);
        }
        if (i == 0 && strcmp(cg->pids, cg->memory) == 0) cg->pids[0] = 0;
        dirs[i][0] = 0;
    }
}
