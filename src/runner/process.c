/* process.c — terraform in the phase's sandbox (sandbox/): its output streamed to the run's log
 * with secrets masked; a cancel (SIGINT, then SIGKILL), a limit hit or the phase time limit
 * ends it with the reason in the log. */
#define _GNU_SOURCE /* pipe2, memmem */
#include "runner/runner_int.h"
#include "base/arena.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_bool stopping;

void process_stop_all(void)
{
    atomic_store(&stopping, true);
}

bool process_stopping(void)
{
    return atomic_load(&stopping);
}

/* Seconds terraform gets to stop after SIGINT before it is killed. */
enum { CANCEL_GRACE = 10 };

/* Writes complete lines with every secret replaced; keeps a partial line for later. */
struct masker {
    const struct workdir *wd;
    struct run_log *log;
    int capture_fd;
    int64_t captured;       /* bytes written to capture_fd, up to RUN_CAPTURE_MAX */
    char line[1024 * 1024]; /* a JSON log line (outputs, a diff) stays whole up to 1 MiB; untouched
                               pages cost nothing */
    size_t len;
};

/* terraform -json prints every output's value in its "outputs" message, sensitive ones too:
 * those become null before the line reaches the log (the CLI shows them as sensitive). A new
 * malloc'd line, or NULL when the line is not such a message. */
static char *hide_sensitive_outputs(const char *p, size_t n, size_t *outn)
{
    static const char tag[] = "\"type\":\"outputs\"";
    if (!memmem(p, n, tag, sizeof tag - 1)) return 0;
    json_t *doc = json_loadb(p, n, 0, 0), *outputs = json_object_get(doc, "outputs"), *o;
    const char *name;
    char *text = 0;
    json_object_foreach(outputs, name, o) if (json_is_true(json_object_get(o, "sensitive")))
        json_object_set_new(o, "value", json_null());
    if (json_is_object(outputs)) text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return 0;
    *outn = strlen(text) + 1;
    char *line = malloc(*outn + 1);
    if (!line) abort();
    memcpy(line, text, *outn - 1);
    line[*outn - 1] = '\n';
    line[*outn] = 0;
    free(text);
    return line;
}

static int emit(struct masker *m, const char *p, size_t n)
{
    if (m->capture_fd >= 0) {
        if ((m->captured += (int64_t)n) > RUN_CAPTURE_MAX) return ERR_TOO_LARGE;
        return write(m->capture_fd, p, n) == (ssize_t)n ? 0 : ERR_IO;
    }
    char *copy = m->wd->structured ? hide_sensitive_outputs(p, n, &n) : 0;
    if (!copy) {
        copy = malloc(n + 1);
        if (!copy) abort();
        memcpy(copy, p, n);
        copy[n] = 0;
    }
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

/* Why a limit ended the phase, in the log; true when one did. */
static bool limit_hit(const struct workdir *wd, struct run_log *log)
{
    switch (sandbox_breach(wd->sandbox)) {
    case SANDBOX_OUT_OF_MEMORY:
        run_log_printf(
            log,
            "\nError: the run used more memory than its limit (capacity_memory = %lld MB) and "
            "was stopped\n",
            (long long)sandbox_limits_of(wd->sandbox)->memory_mb);
        return true;
    case SANDBOX_TOO_MANY_PROCESSES:
        run_log_printf(
            log, "\nError: the run started more than %lld processes at once and was stopped\n",
            (long long)sandbox_limits_of(wd->sandbox)->processes);
        return true;
    case SANDBOX_WITHIN_LIMITS:
        break;
    }
    return false;
}

int process_run(struct ctx *c, const char *run_id, const struct workdir *wd,
                const char *const *argv, struct run_log *log, const char *capture,
                struct process_result *res)
{
    int fds[2];
    memset(res, 0, sizeof *res);
    /* the binary is opened here, by the node, and handed to the sandbox by descriptor */
    int exe = open(wd->terraform, O_RDONLY | O_CLOEXEC);
    if (exe < 0) return ERR_IO;
    /* a capture goes to the node's own folder, which no run can reach */
    int capture_fd = -1;
    if (capture && beneath_create(wd->own_fd, capture, 0600, &capture_fd)) {
        close(exe);
        return ERR_IO;
    }
    if (pipe2(fds, O_CLOEXEC) != 0) {
        close(exe);
        if (capture_fd >= 0) close(capture_fd);
        return ERR_IO;
    }
    struct masker *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->wd = wd;
    m->log = log;
    m->capture_fd = capture_fd;
    struct sandbox_exec ex = {exe, argv, wd->env, wd->root, wd->dir, fds[1], wd->passwd};
    int rc = sandbox_spawn(wd->sandbox, &ex);
    close(fds[1]);
    close(exe);
    if (rc) {
        close(fds[0]);
        if (m->capture_fd >= 0) close(m->capture_fd);
        free(m);
        return rc;
    }
    int signaled = 0;
    bool stopped = false; /* a limit or the node ended it */
    struct timespec sigint_at = {0};
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
        if (stopped) continue;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec >= wd->deadline) {
            run_log_printf(log,
                           "\nError: the phase ran longer than its limit of %lld seconds and was "
                           "stopped\n",
                           (long long)wd->timeout);
            stopped = true;
        } else if (limit_hit(wd, log) || process_stopping()) {
            stopped = true;
        }
        if (stopped) {
            sandbox_signal(wd->sandbox, SIGKILL);
            continue;
        }
        int want = run_cancel_requested(c, run_id);
        if (signaled == 1 && now.tv_sec - sigint_at.tv_sec >= CANCEL_GRACE) want = 2;
        if (want == 1 && signaled == 0) sigint_at = now;
        if (want > signaled) {
            sandbox_signal(wd->sandbox, want == 2 ? SIGKILL : SIGINT);
            log_info("run %s: sent %s to terraform", run_id, want == 2 ? "SIGKILL" : "SIGINT");
            signaled = want;
            res->canceled = true;
        }
    }
    if (!rc && m->len) rc = emit(m, m->line, m->len);
    close(fds[0]);
    if (m->capture_fd >= 0) close(m->capture_fd);
    free(m);
    res->exit_code = sandbox_wait(wd->sandbox);
    if (!stopped) limit_hit(wd, log); /* a limit hit at the very end */
    if (run_cancel_requested(c, run_id)) res->canceled = true;
    return rc;
}
