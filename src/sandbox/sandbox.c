/* sandbox.c — the account, the bubblewrap command line and the child process of a sandbox.
 * The node forks, puts the child in the sandbox's cgroup, drops to the sandbox's account and
 * executes bwrap, which (unprivileged, through a user namespace) makes the namespaces and the
 * mounts and executes the program as PID 1 of its PID namespace: when it ends, the kernel ends
 * everything it left behind. */
#define _GNU_SOURCE /* pipe2, close_range, fexecve */
#include "sandbox/sandbox_int.h"
#include "base/err.h"
#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Accounts of sandboxes when the node is root: a range no distribution hands out, each taken
 * by an flock in ACCOUNT_LOCKS for as long as its sandbox lives (also across nodes on a host). */
enum { ACCOUNT_BASE = 1900000000, ACCOUNT_RANGE = 4096 };
#define ACCOUNT_LOCKS "/run/strata-sandbox"

struct sandbox_host host;

static atomic_uint sandbox_counter;

const struct sandbox_limits *sandbox_limits_of(const struct sandbox *sb)
{
    return &sb->lim;
}

int sandbox_uid(const struct sandbox *sb)
{
    return sb->uid;
}

int sandbox_gid(const struct sandbox *sb)
{
    return sb->gid;
}

/* An account no running sandbox holds; uid = gid. */
static int account_take(struct sandbox *sb)
{
    sb->uid = sb->gid = sb->lock_fd = -1;
    if (!host.root) return 0;
    if (mkdir(ACCOUNT_LOCKS, 0700) != 0 && errno != EEXIST) return ERR_IO;
    /* a rotating start spreads consecutive runs over the range; the range bounds the lock files */
    unsigned start = (unsigned)getpid() * 7919u + atomic_fetch_add(&sandbox_counter, 1);
    for (unsigned i = 0; i < ACCOUNT_RANGE; i++) {
        unsigned uid = ACCOUNT_BASE + (start + i) % ACCOUNT_RANGE;
        char path[128];
        snprintf(path, sizeof path, ACCOUNT_LOCKS "/%u", uid);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) return ERR_IO;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            sb->uid = sb->gid = (int)uid;
            sb->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    return ERR_UNAVAILABLE;
}

/* The real uid of process pid, or -1. */
static long process_uid(const char *pid)
{
    char path[300], line[256]; /* pid: a /proc entry name, up to 255 bytes */
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    long uid = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Uid: %ld", &uid) == 1) break;
    if (f) fclose(f);
    return uid;
}

void sandbox_reap_leftovers(void)
{
    if (!host.root) return;
    DIR *proc = opendir("/proc");
    int reaped = 0;
    for (struct dirent *e; proc && (e = readdir(proc));) {
        long uid = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? process_uid(e->d_name) : -1;
        if (uid < ACCOUNT_BASE || uid >= ACCOUNT_BASE + ACCOUNT_RANGE) continue;
        char path[128];
        snprintf(path, sizeof path, ACCOUNT_LOCKS "/%ld", uid);
        mkdir(ACCOUNT_LOCKS, 0700);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        /* an account whose lock is free belongs to no living sandbox, on any node here: what
         * still runs under it was left by a node that was killed (a pasta daemon, say) */
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && kill(atoi(e->d_name), SIGKILL) == 0)
            reaped++;
        if (fd >= 0) close(fd); /* releases the lock */
    }
    if (proc) closedir(proc);
    if (reaped)
        log_info("sandbox: ended %d processes that killed nodes left in sandbox accounts", reaped);
}

int sandbox_new(const struct sandbox_limits *lim, struct sandbox **out)
{
    struct sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) abort();
    sb->lim = *lim;
    sb->outer = sb->program = -1;
    sb->pasta = -1;
    int rc = account_take(sb);
    if (!rc) {
        char name[64];
        snprintf(name, sizeof name, "strata-%d-%u", (int)getpid(),
                 atomic_fetch_add(&sandbox_counter, 1));
        rc = cgroup_create(name, lim, &sb->cg);
    }
    if (rc) {
        sandbox_free(sb);
        return rc;
    }
    *out = sb;
    return 0;
}

void sandbox_free(struct sandbox *sb)
{
    if (!sb) return;
    if (sb->outer > 0) sandbox_wait(sb);
    cgroup_remove(&sb->cg);
    if (sb->lock_fd >= 0) close(sb->lock_fd); /* releases the account */
    free(sb);
}

/* A growable argument vector of strings it owns. */
struct args {
    char **v;
    size_t n, cap;
};

static void add(struct args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (!a->v) abort();
    }
    a->v[a->n] = strdup(s);
    if (!a->v[a->n]) abort();
    a->v[++a->n] = 0;
}

static void add3(struct args *a, const char *x, const char *y, const char *z)
{
    add(a, x);
    add(a, y);
    if (z) add(a, z);
}

static void args_free(struct args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* What every sandbox sees of the host, made once by sandbox_mounts_init: the system read-only
 * (/usr, /etc and the top-level links or folders of a merged or split /usr; the resolver's file
 * where /etc/resolv.conf points elsewhere, as with systemd-resolved), a new /proc and /dev, a
 * private /tmp, and the node's own files masked where they sit under a folder it sees. Read-only
 * once made: worker threads share it. */
static struct args mounts;

void sandbox_mounts_init(const char *const *hidden)
{
    static const char *top[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", 0};
    const char *bound[16] = {"/usr", "/etc"};
    size_t nb = 2;
    add3(&mounts, "--ro-bind", "/usr", "/usr");
    add3(&mounts, "--ro-bind", "/etc", "/etc");
    for (int i = 0; top[i]; i++) {
        char target[PATH_MAX];
        struct stat st;
        ssize_t n = readlink(top[i], target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            add3(&mounts, "--symlink", target, top[i]);
        } else if (stat(top[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            add3(&mounts, "--ro-bind", top[i], top[i]);
            bound[nb++] = top[i];
        }
    }
    char real[PATH_MAX];
    if (realpath("/etc/resolv.conf", real) && !under(real, "/etc") && !under(real, "/usr"))
        add3(&mounts, "--ro-bind-try", real, real);
    add3(&mounts, "--proc", "/proc", 0);
    add3(&mounts, "--dev", "/dev", 0);
    add3(&mounts, "--tmpfs", "/tmp", 0);
    for (const char *const *h = hidden; h && *h; h++) {
        struct stat st;
        if (!realpath(*h, real) || stat(real, &st) != 0) continue;
        bool visible = false;
        for (size_t k = 0; k < nb; k++)
            visible |= under(real, bound[k]);
        if (!visible) continue;
        if (S_ISDIR(st.st_mode))
            add3(&mounts, "--tmpfs", real, 0);
        else
            add3(&mounts, "--ro-bind", "/dev/null", real);
    }
}

void sandbox_mounts_free(void)
{
    args_free(&mounts);
    memset(&mounts, 0, sizeof mounts);
}

static void bwrap_args(const struct sandbox_exec *ex, struct args *a)
{
    add(a, "bwrap");
    add(a, "--unshare-user");
    if (host.network) {
        add(a, "--unshare-net");
        add3(a, "--block-fd", "5", 0); /* the program waits until net_attach connected it */
    }
    add(a, "--unshare-pid");
    add(a, "--unshare-ipc");
    add(a, "--unshare-uts");
    add(a, "--unshare-cgroup-try");
    add3(a, "--hostname", "strata-run", 0);
    add(a, "--disable-userns"); /* no nested namespaces to climb out of */
    add(a, "--die-with-parent");
    add(a, "--new-session");
    add(a, "--as-pid-1");
    for (size_t i = 0; i < mounts.n; i++)
        add(a, mounts.v[i]);
    if (ex->passwd) add3(a, "--ro-bind", ex->passwd, "/etc/passwd");
    if (host.network && host.hosts[0]) add3(a, "--ro-bind", host.hosts, "/etc/hosts");
    add3(a, "--bind", ex->folder, ex->folder);
    add3(a, "--chdir", ex->cwd, 0);
    add3(a, "--info-fd", "4", 0);
    add3(a, "--remount-ro", "/", 0);
    add(a, "--");
    add(a, "/proc/self/fd/3"); /* the node's descriptor: no path to it need be reachable */
    for (size_t i = 1; ex->argv[0] && ex->argv[i]; i++)
        add(a, ex->argv[i]);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const struct sandbox *sb, const struct sandbox_exec *ex, char *const *bwrap,
                  int cg_fds[2], int info_fd, int block_fd, int devnull)
{
    setsid();
    for (int i = 0; i < 2; i++)
        if (cg_fds[i] >= 0 && write(cg_fds[i], "0", 1) != 1) _exit(126);
    /* where no cgroup limits the sandbox, rlimits do (per process; per account for NPROC) */
    if (!host.memory_cgroup) {
        struct rlimit mem = {(rlim_t)sb->lim.memory_mb << 20, (rlim_t)sb->lim.memory_mb << 20};
        setrlimit(RLIMIT_DATA, &mem);
    }
    if (!host.pids_cgroup && sb->uid >= 0) {
        struct rlimit np = {(rlim_t)sb->lim.processes, (rlim_t)sb->lim.processes};
        setrlimit(RLIMIT_NPROC, &np);
    }
    dup2(ex->out_fd, 1);
    dup2(ex->out_fd, 2);
    dup2(devnull, 0);
    dup2(ex->exe_fd, 3);
    if (info_fd >= 0) dup2(info_fd, 4);
    if (block_fd >= 0) dup2(block_fd, 5);
    close_range(block_fd >= 0 ? 6 : info_fd >= 0 ? 5 : 4, ~0U, 0);
    if (sb->uid >= 0 &&
        (setgroups(0, 0) != 0 || setgid((gid_t)sb->gid) != 0 || setuid((uid_t)sb->uid) != 0))
        _exit(126); /* never run a customer's code as the node's account */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* after setuid, which clears it */
    signal(SIGPIPE, SIG_DFL);
    if (bwrap) {
        execve(host.bwrap, bwrap, (char *const *)ex->env);
    } else if (chdir(ex->cwd) == 0) {
        fexecve(3, (char *const *)ex->argv, (char *const *)ex->env);
    }
    static const char msg[] = "strata: cannot start the sandbox\n";
    if (write(1, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
}

/* bwrap reports the program's host pid as {"child-pid": N} on the info descriptor. */
static pid_t read_program_pid(int fd)
{
    char buf[1024];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) break;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        if (len == sizeof buf - 1) break;
    }
    buf[len] = 0;
    json_t *doc = json_loads(buf, JSON_DISABLE_EOF_CHECK, 0);
    pid_t pid = (pid_t)json_integer_value(json_object_get(doc, "child-pid"));
    json_decref(doc);
    return pid > 0 ? pid : -1;
}

/* Without namespaces the account file cannot be shown as /etc/passwd: nss_wrapper shows it to
 * the programs that look their account up. A new environment (malloc'd, freed with
 * env_free) or NULL. */
static char **env_with_account(const struct sandbox_exec *ex)
{
    if (host.namespaces || !ex->passwd || !host.nss_wrapper[0]) return 0;
    size_t n = 0;
    while (ex->env[n])
        n++;
    char **env = calloc(n + 4, sizeof *env);
    if (!env) abort();
    for (size_t i = 0; i < n; i++)
        env[i] = (char *)ex->env[i];
    size_t len = strlen(host.nss_wrapper) + strlen(ex->passwd) + 32;
    char *block = malloc(3 * len);
    if (!block) abort();
    snprintf(block, len, "LD_PRELOAD=%s", host.nss_wrapper);
    snprintf(block + len, len, "NSS_WRAPPER_PASSWD=%s", ex->passwd);
    snprintf(block + 2 * len, len, "NSS_WRAPPER_GROUP=/etc/group");
    env[n] = block, env[n + 1] = block + len, env[n + 2] = block + 2 * len;
    return env;
}

static void env_free(char **env, const struct sandbox_exec *given)
{
    size_t n = 0;
    while (given->env[n])
        n++;
    free(env[n]); /* the block of the three added */
    free(env);
}

/* Connects the held program's network (net.c) and lets it go; on failure ends it (nothing of
 * the program ran then: the caller may try again). */
static int release(struct sandbox *sb, int block_fd)
{
    char why[640] = "";
    int rc = sb->program != sb->outer ? net_attach(sb, sb->program, why, sizeof why)
                                      : ERR_IO; /* no pid: nothing to connect */
    if (rc) {
        log_warn("sandbox: %s", why[0] ? why : "bubblewrap reported no program to connect");
        kill(-sb->outer, SIGKILL); /* before the block descriptor closes: EOF lets it go too */
        sandbox_wait(sb);
    } else if (write(block_fd, "x", 1) != 1) {
        log_warn("sandbox: the program ended before its network was ready (%s)", strerror(errno));
        /* ended for sure before another attempt: two copies of one program never run */
        kill(-sb->outer, SIGKILL);
        sandbox_wait(sb);
        rc = ERR_IO;
    }
    close(block_fd);
    return rc;
}

static int spawn_once(struct sandbox *sb, const struct sandbox_exec *given, bool *held)
{
    struct args a = {0};
    int info[2] = {-1, -1}, block[2] = {-1, -1}, cg_fds[2];
    struct sandbox_exec copy = *given, *ex = &copy;
    char **env = env_with_account(given);
    if (env) copy.env = (const char *const *)env;
    if (host.namespaces) {
        bwrap_args(ex, &a);
        if (pipe2(info, O_CLOEXEC) != 0 || (host.network && pipe2(block, O_CLOEXEC) != 0)) {
            for (int i = 0; i < 2; i++)
                if (info[i] >= 0) close(info[i]);
            args_free(&a);
            if (env) env_free(env, given);
            return ERR_IO;
        }
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cgroup_open_procs(&sb->cg, cg_fds);
    pid_t p = devnull < 0 ? -1 : fork();
    if (p == 0) child(sb, ex, host.namespaces ? a.v : 0, cg_fds, info[1], block[0], devnull);
    for (int i = 0; i < 2; i++)
        if (cg_fds[i] >= 0) close(cg_fds[i]);
    if (devnull >= 0) close(devnull);
    if (info[1] >= 0) close(info[1]);
    if (block[0] >= 0) close(block[0]);
    args_free(&a);
    if (env) env_free(env, given);
    int rc = 0;
    if (p < 0) {
        if (info[0] >= 0) close(info[0]);
        if (block[1] >= 0) close(block[1]);
        rc = ERR_IO;
    } else {
        sb->outer = p;
        sb->program = p;
        if (info[0] >= 0) {
            pid_t inner = read_program_pid(info[0]);
            close(info[0]);
            if (inner > 0) sb->program = inner;
        }
        if (block[1] >= 0) {
            rc = release(sb, block[1]);
            *held = rc != 0;
        }
    }
    return rc;
}

int sandbox_spawn(struct sandbox *sb, const struct sandbox_exec *given)
{
    /* a sandbox that failed while held never ran the program: under load bwrap's own set-up of
     * the new namespace (or ours) fails now and then here (gVisor), so it is made again */
    bool held = false;
    int rc = spawn_once(sb, given, &held);
    for (int attempt = 1; rc && held && attempt < 3; attempt++) {
        held = false;
        log_info("sandbox: starting the program again (attempt %d)", attempt + 1);
        rc = spawn_once(sb, given, &held);
    }
    return rc;
}

void sandbox_signal(struct sandbox *sb, int sig)
{
    if (sig != SIGKILL) {
        if (sb->program > 0) kill(-sb->program, sig);
        return;
    }
    /* bwrap's death takes the program (--die-with-parent), PID 1 of its namespace, and so every
     * process in it; the cgroup catches what an unsandboxed program left */
    if (sb->outer > 0) kill(-sb->outer, SIGKILL);
    cgroup_kill(&sb->cg);
}

int sandbox_wait(struct sandbox *sb)
{
    int status = 0;
    if (sb->outer <= 0) return -1;
    kill(-sb->outer, SIGKILL); /* leftovers of the group; the exited leader keeps its status */
    while (waitpid(sb->outer, &status, 0) < 0 && errno == EINTR) {
    }
    net_detach(sb);
    cgroup_kill(&sb->cg);
    sb->outer = sb->program = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

enum sandbox_breach sandbox_breach(const struct sandbox *sb)
{
    return cgroup_breach(&sb->cg);
}
