/* runner_int.h — private to runner/. */
#ifndef STRATA_RUNNER_INT_H
#define STRATA_RUNNER_INT_H

#include "app/api.h"
#include "runs/run.h"
#include "sandbox/sandbox.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct run_log;

/* A prepared working folder for one phase and how its processes execute. Strings in the job's
 * arena. */
struct workdir {
    struct sandbox *sandbox; /* every process of the phase runs in it; the folder is its own */
    int64_t timeout;         /* seconds the phase may run (run_phase_timeout) */
    int64_t deadline;        /* CLOCK_MONOTONIC second at which it is stopped */
    bool structured;         /* terraform's JSON log lines (sensitive output values are hidden) */
    const char *root;        /* disk_path/work/<phase-id>, removed afterwards */
    int root_fd;             /* root, opened once it is made (-1 before); beneath.h's dirfd */
    const char *own;         /* <root>.node: the node's alone (0700), for what it captures */
    int own_fd;              /* own, opened (-1 before) */
    const char *dir;         /* where terraform runs: root/config/<working_directory> */
    const char *terraform;
    const char **env;     /* NULL-terminated "K=V" */
    const char **secrets; /* sensitive values to mask in the log */
    const char *passwd;   /* the host's accounts and the run's, shown as /etc/passwd */
    size_t nsecrets;
};

/* Unpacks the configuration and writes the override, variables, CLI config and CA bundle into
 * a folder then handed to wd->sandbox's account (wd->sandbox, timeout and deadline are the
 * caller's, root_fd and own_fd start at -1; the rest is filled in). On failure the reason is
 * written to the log. */
int workdir_prepare(struct ctx *c, const struct run_job *job, struct run_log *log,
                    struct workdir *wd);
/* Closes the folders' descriptors and removes both folders. */
void workdir_remove(struct workdir *wd);

/* Caps on what the node reads back from a phase: the plan file terraform wrote in the run's
 * folder, and what it captured of terraform's output (init's log, the JSON plan, schemas). */
#define RUN_PLAN_FILE_MAX (1024LL * 1024 * 1024)
#define RUN_CAPTURE_MAX (512LL * 1024 * 1024)

/* The terraform binary for a version ("latest"/"" = the one on PATH). 0 with *path in the
 * arena, or ERR_NOT_FOUND with the reason in why. */
int terraform_resolve(struct ctx *c, const char *version, const char **path, char *why,
                      size_t whylen);
/* Downloads (once) a registered version; 0 with *path, or ERR_NOT_FOUND with why. */
int terraform_download(struct ctx *c, const char *version, const char *url, const char *sha,
                       const char **path, char *why, size_t whylen);
/* Records the PATH terraform and its version; called once at start. */
int terraform_detect(char *err, size_t errlen);

/* Where working folders are made: disk_path/work, or, when runs execute under accounts of their
 * own (the node is root), a fresh 0711 folder under /tmp (disk_path's ancestors need not be
 * reachable by those accounts). Set by runner_start. */
extern char runner_work_root[4200];

/* Writes TFE's json-output-redacted of a plan (see redact.c) to out_fd from `terraform show
 * -json` and `terraform providers schema -json` read from plan_fd and schemas_fd. 0,
 * ERR_INVALID for unreadable input, ERR_IO. */
int redact_plan(int plan_fd, int schemas_fd, int out_fd);

/* Once the node is stopping: running terraform processes are killed and their runs left for
 * recovery. process_stop_all is called once by runner_stop; any thread may ask. */
void process_stop_all(void);
bool process_stopping(void);

struct process_result {
    int exit_code; /* -1 when killed by a signal */
    bool canceled;
};

/* Runs argv in wd's sandbox, in wd->dir with wd->env; output goes to the log with secrets
 * masked (or, when capture is non-NULL, to the file of that name in wd->own instead, up to
 * RUN_CAPTURE_MAX bytes). Every 250 ms it asks whether the
 * run was canceled (SIGINT, then SIGKILL on force) and whether a limit was hit. */
int process_run(struct ctx *c, const char *run_id, const struct workdir *wd,
                const char *const *argv, struct run_log *log, const char *capture,
                struct process_result *res);

#endif
