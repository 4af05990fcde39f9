/* process.c — terraform as a child process: its own process group (so a cancel reaches the
 * provisioners it started), its own environment, a data-segment limit (RLIMIT_DATA; an address-
 * space limit would stop Go's runtime from starting), no inherited descriptors but its output. */
#define _GNU_SOURCE /* pipe2, close_range */
#include "runner/runner_int.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Seconds terraform gets to stop after SIGINT before it is killed, and the longest a phase may
 * run (TFE's own plan and apply limit is two hours; a hung process never hangs its run). */
enum { CANCEL_GRACE = 10, PHASE_LIMIT = 4 * 3600 };

/* Writes complete lines with every secret replaced; keeps a partial line for later. */
struct masker {
    const struct workdir *wd;
    struct run_log *log;
    int capture_fd;
    char line[64 * 1024];
    size_t len;
};

static int emit(struct masker *m, const char *p, size_t n)
{
    if (m->capture_fd >= 0) return write(m->capture_fd, p, n) == (ssize_t)n ? 0 : ERR_IO;
    char *copy = malloc(n + 1);
    if (!copy) abort();
    memcpy(copy, p, n);
    copy[n] = 0;
    for (size_t i = 0; i < m->wd->nsecrets; i++) {
        const char *s = m->wd->secrets[i];
        size_t sl = strlen(s);
        for (char *hit = strstr(copy, s); sl && hit; hit = strstr(hit + 1, s))
            memset(hit, '*', sl); /* same length: offsets readers hold stay valid */
    }
    int rc = run_log_write(m->log, copy, n);
    free(copy);
    return rc;
}

static int feed(struct masker *m, const char *p, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        m->line[m->len++] = p[i];
        if (p[i] == '\n' || m->len == sizeof m->line) {
            rc = emit(m, m->line, m->len);
            m->len = 0;
        }
    }
    return rc;
}

/* The binary is opened here, by the node, and executed by descriptor: the run's account needs
 * the file's execute bit, not a path through disk_path. */
static pid_t spawn(const struct workdir *wd, const char *const *argv, int64_t memory_mb, int out)
{
    int exe = open(wd->terraform, O_RDONLY);
    if (exe < 0) return -1;
    pid_t pid = fork();
    if (pid != 0) {
        close(exe);
        return pid;
    }
    /* child: only async-signal-safe calls until exec */
    setpgid(0, 0);
    dup2(out, 1);
    dup2(out, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(exe, 3);
    close_range(4, ~0U, 0);
    struct rlimit lim = {(rlim_t)memory_mb * 1024 * 1024, (rlim_t)memory_mb * 1024 * 1024};
    setrlimit(RLIMIT_DATA, &lim);
    if (runner_run_uid >= 0 && (setgroups(0, 0) != 0 || setgid((gid_t)runner_run_gid) != 0 ||
                                setuid((uid_t)runner_run_uid) != 0))
        _exit(126); /* never run as root by accident */
    signal(SIGPIPE, SIG_DFL);
    if (chdir(wd->dir) != 0) _exit(126);
    fexecve(3, (char *const *)argv, (char *const *)wd->env);
    static const char msg[] = "strata: cannot execute terraform\n";
    if (write(1, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
}

int process_run(struct ctx *c, const char *run_id, const struct workdir *wd,
                const char *const *argv, int64_t memory_mb, struct run_log *log,
                const char *capture, struct process_result *res)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ERR_IO;
    struct masker *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->wd = wd;
    m->log = log;
    m->capture_fd = capture ? open(capture, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    pid_t pid = spawn(wd, argv, memory_mb, fds[1]);
    close(fds[1]);
    memset(res, 0, sizeof *res);
    if (pid < 0) {
        close(fds[0]);
        free(m);
        return ERR_IO;
    }
    int signaled = 0, rc = 0;
    struct timespec sigint_at = {0}, started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    char buf[16384];
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        int ready = poll(&p, 1, 250);
        if (ready > 0) {
            ssize_t n = read(fds[0], buf, sizeof buf);
            if (n == 0) break;
            if (n > 0 && !rc) rc = feed(m, buf, (size_t)n);
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;
            continue;
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - started.tv_sec > PHASE_LIMIT && signaled < 3) {
            static const char msg[] =
                "\nError: the phase ran longer than 4 hours and was stopped\n";
            run_log_write(log, msg, sizeof msg - 1);
            kill(-pid, SIGKILL);
            signaled = 3;
            continue;
        }
        if (runner_stopping() && signaled < 3) {
            kill(-pid, SIGKILL);
            signaled = 3;
            continue;
        }
        int want = signaled == 3 ? 0 : run_cancel_requested(c, run_id);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (signaled == 1 && now.tv_sec - sigint_at.tv_sec >= CANCEL_GRACE) want = 2;
        if (want == 1 && signaled == 0) sigint_at = now;
        if (want > signaled) {
            kill(-pid, want == 2 ? SIGKILL : SIGINT);
            log_info("run %s: sent %s to terraform", run_id, want == 2 ? "SIGKILL" : "SIGINT");
            signaled = want;
            res->canceled = true;
        }
    }
    if (!rc && m->len) rc = emit(m, m->line, m->len);
    close(fds[0]);
    if (m->capture_fd >= 0) close(m->capture_fd);
    free(m);
    /* the group's leftovers (the zombie leader keeps the id from being reused) */
    kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (run_cancel_requested(c, run_id)) res->canceled = true;
    return rc;
}
