/* runner_int.h — private to runner/. */
#ifndef STRATA_RUNNER_INT_H
#define STRATA_RUNNER_INT_H

#include "app/api.h"
#include "runs/run.h"

#include <stdbool.h>
#include <stdint.h>

struct run_log;

/* A prepared working folder for one phase. Strings in the job's arena. */
struct workdir {
    const char *root; /* disk_path/work/<phase-id>, removed afterwards */
    const char *dir;  /* where terraform runs: root/config/<working_directory> */
    const char *terraform;
    const char **env;     /* NULL-terminated "K=V" */
    const char **secrets; /* sensitive values to mask in the log */
    size_t nsecrets;
};

/* Unpacks the configuration and writes the override, variables, CLI config and CA bundle.
 * On failure the reason is written to the log. */
int workdir_prepare(struct ctx *c, const struct run_job *job, struct run_log *log,
                    struct workdir *wd);
void workdir_remove(const struct workdir *wd);

/* The terraform binary for a version ("latest"/"" = the one on PATH). 0 with *path in the
 * arena, or ERR_NOT_FOUND with the reason in why. */
int terraform_resolve(struct ctx *c, const char *version, const char **path, char *why,
                      size_t whylen);
/* Downloads (once) a registered version; 0 with *path, or ERR_NOT_FOUND with why. */
int terraform_download(struct ctx *c, const char *version, const char *url, const char *sha,
                       const char **path, char *why, size_t whylen);
/* Records the PATH terraform and its version; called once at start. */
int terraform_detect(char *err, size_t errlen);

/* The unprivileged account runs execute as when the node runs as root (nobody), or -1 when the
 * node is unprivileged already and runs keep its own account. Set by runner_start. */
extern int runner_run_uid, runner_run_gid;
/* Where working folders are made: disk_path/work, or, when runs execute under another account,
 * a fresh 0711 folder under /tmp (disk_path's ancestors need not be reachable by that account).
 * Set by runner_start. */
extern char runner_work_root[4200];

/* True once the node is stopping: running terraform processes are killed and their runs left
 * for recovery. */
bool runner_stopping(void);

struct process_result {
    int exit_code; /* -1 when killed by a signal */
    bool canceled;
};

/* Runs argv in dir with env and a memory limit (MB); output goes to the log with secrets
 * masked (or, when capture is non-NULL, to that file instead). Every 250 ms it asks whether the
 * run was canceled and signals the process group (SIGINT, then SIGKILL on force). */
int process_run(struct ctx *c, const char *run_id, const struct workdir *wd,
                const char *const *argv, int64_t memory_mb, struct run_log *log,
                const char *capture, struct process_result *res);

#endif
