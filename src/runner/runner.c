/* runner.c — worker threads: claim a job, run its phase, report the outcome. */
#include "runner/runner.h"
#include "runner/runner_int.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/log.h"
#include "base/metrics.h"
#include "bus/bus.h"

#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char runner_work_root[4200];

/* Processes (and threads: terraform's runtime has a dozen) a run may have at once. */
enum { RUN_PROCESS_LIMIT = 1024 };

struct runner {
    struct app *app;
    struct bus *bus;
    struct sandbox_limits limits;
    int64_t timeout;
    char refusal[512]; /* why this node cannot execute runs; "" when it can */
    int nthreads;
    pthread_t *threads;
};

/* Argument vectors, NULL-terminated, in the arena. */
static const char **argv_new(struct arena *a, size_t cap)
{
    return arena_alloc(a, (cap + 1) * sizeof(char *));
}

/* "Plan: 1 to add, 2 to change, 3 to destroy." / "Resources: 1 added, 2 changed, 3 destroyed." */
static void parse_counts(const char *path, bool plan, struct run_result *res)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        /* colour codes out: "\x1b[0m" and the like */
        char clean[4096], *q = clean;
        for (char *p = line; *p; p++) {
            if (*p == 0x1b) {
                while (*p && *p != 'm')
                    p++;
                if (!*p) break;
                continue;
            }
            *q++ = *p;
        }
        *q = 0;
        long a, c, d;
        const char *hit;
        if (plan && (hit = strstr(clean, "Plan: ")) &&
            sscanf(hit, "Plan: %ld to add, %ld to change, %ld to destroy", &a, &c, &d) == 3) {
            res->add = a;
            res->change = c;
            res->destroy = d;
        } else if (!plan && (hit = strstr(clean, "Resources: ")) &&
                   sscanf(hit, "Resources: %ld added, %ld changed, %ld destroyed", &a, &c, &d) ==
                       3) {
            res->add = a;
            res->change = c;
            res->destroy = d;
        }
    }
    fclose(f);
}

/* Copies a captured file of wd->own into the log (init output, shown only when init fails). */
static void copy_into_log(const struct workdir *wd, const char *name, struct run_log *log)
{
    int fd;
    if (beneath_read(wd->own_fd, name, RUN_CAPTURE_MAX, &fd, 0)) return;
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        run_log_write(log, buf, (size_t)n);
    close(fd);
}

static int init(struct ctx *c, const struct run_job *job, const struct workdir *wd,
                struct run_log *log, struct run_result *res)
{
    const char *out = "init.log";
    const char *argv[] = {"terraform", "init", "-input=false", 0};
    struct process_result pr;
    int rc = process_run(c, job->run_id, wd, argv, log, out, &pr);
    res->canceled = pr.canceled;
    if (!rc && pr.exit_code != 0) {
        copy_into_log(wd, out, log);
        char msg[160];
        snprintf(msg, sizeof msg, "\nError: terraform init failed (%s %d) using %s\n",
                 pr.exit_code < 0 ? "killed, status" : "exit code", pr.exit_code, wd->terraform);
        run_log_write(log, msg, strlen(msg));
        rc = ERR_INVALID;
    }
    return rc;
}

/* For structured run output: the redacted JSON plan the CLI renders the plan from. Both
 * inputs are captured into the node's own folder and the result made there. */
static int keep_redacted_plan(struct ctx *c, const struct run_job *job, const struct workdir *wd,
                              struct run_log *log, const char *plan_file)
{
    const char *show[] = {"terraform", "show", "-json", plan_file, 0};
    const char *schema[] = {"terraform", "providers", "schema", "-json", 0};
    struct process_result pr;
    const char *step = "terraform show -json";
    int rc = process_run(c, job->run_id, wd, show, log, "plan.json", &pr);
    if (!rc && pr.exit_code != 0) rc = ERR_INVALID;
    if (!rc) {
        step = "terraform providers schema -json";
        rc = process_run(c, job->run_id, wd, schema, log, "schemas.json", &pr);
    }
    if (!rc && pr.exit_code != 0) rc = ERR_INVALID;
    if (!rc) step = "the redacted plan";
    int plan = -1, schemas = -1, out = -1;
    if (!rc) rc = beneath_read(wd->own_fd, "plan.json", RUN_CAPTURE_MAX, &plan, 0);
    if (!rc) rc = beneath_read(wd->own_fd, "schemas.json", RUN_CAPTURE_MAX, &schemas, 0);
    if (!rc) rc = beneath_create(wd->own_fd, "plan-redacted.json", 0600, &out);
    if (!rc) rc = redact_plan(plan, schemas, out);
    if (!rc && lseek(out, 0, SEEK_SET) != 0) rc = ERR_IO;
    if (out >= 0) close(out);
    if (!rc) rc = beneath_read(wd->own_fd, "plan-redacted.json", RUN_CAPTURE_MAX, &out, 0);
    if (!rc) rc = run_plan_redacted_put(c, job->run_id, out);
    if (plan >= 0) close(plan);
    if (schemas >= 0) close(schemas);
    if (out >= 0) close(out);
    if (rc)
        log_warn("run %s: the JSON plan: %s failed: %s (exit code %d)", job->run_id, step,
                 err_name(rc), pr.exit_code);
    return rc;
}

/* Stores the plan file terraform wrote in the run's folder: read through beneath.h, a regular
 * file within RUN_PLAN_FILE_MAX, whatever the run left at that name. */
static int keep_plan_file(struct ctx *c, const struct run_job *job, const struct workdir *wd,
                          struct run_log *log)
{
    int fd;
    int rc = beneath_read(wd->root_fd, "plan.bin", RUN_PLAN_FILE_MAX, &fd, 0);
    if (rc == ERR_INVALID || rc == ERR_NOT_FOUND || rc == ERR_TOO_LARGE)
        run_log_printf(log, "Error: the plan file is not a regular file of at most %lld bytes\n",
                       RUN_PLAN_FILE_MAX);
    if (rc) return rc;
    rc = run_plan_file_put(c, job->run_id, fd);
    close(fd);
    return rc;
}

static void run_plan(struct ctx *c, const struct run_job *job, const struct workdir *wd,
                     struct run_log *log, struct run_result *res)
{
    const char **argv = argv_new(c->a, 16 + job->ntargets + job->nreplaces);
    size_t n = 0;
    const char *plan_file = arena_printf(c->a, "%s/plan.bin", wd->root);
    argv[n++] = "terraform";
    argv[n++] = "plan";
    argv[n++] = "-input=false";
    argv[n++] = "-lock=false"; /* the run holds the workspace lock on the server */
    argv[n++] = "-detailed-exitcode";
    if (job->structured) argv[n++] = "-json";
    argv[n++] = arena_printf(c->a, "-out=%s", plan_file);
    if (job->is_destroy) argv[n++] = "-destroy";
    if (job->refresh_only) argv[n++] = "-refresh-only";
    if (!job->refresh) argv[n++] = "-refresh=false";
    for (size_t i = 0; i < job->ntargets; i++)
        argv[n++] = arena_printf(c->a, "-target=%s", job->target_addrs[i]);
    for (size_t i = 0; i < job->nreplaces; i++)
        argv[n++] = arena_printf(c->a, "-replace=%s", job->replace_addrs[i]);
    argv[n] = 0;
    struct process_result pr;
    /* the output goes to the log; a copy is read back for the resource counts */
    int rc = process_run(c, job->run_id, wd, argv, log, 0, &pr);
    res->canceled = pr.canceled;
    if (rc || pr.canceled || (pr.exit_code != 0 && pr.exit_code != 2)) return;
    res->ok = true;
    res->has_changes = pr.exit_code == 2;
    /* preparing it asks terraform twice more, in sandboxes of their own, and stores a blob: a
     * transient failure of one of them (seen now and then under load, each cause logged) is
     * given one more try before the plan is errored */
    if (job->structured && keep_redacted_plan(c, job, wd, log, plan_file) &&
        (process_stopping() || run_cancel_requested(c, job->run_id) ||
         keep_redacted_plan(c, job, wd, log, plan_file))) {
        run_log_printf(log, "Error: the JSON plan could not be prepared\n");
        res->ok = false;
        return;
    }
    if (res->has_changes && !job->speculative) {
        rc = keep_plan_file(c, job, wd, log);
        if (rc) {
            run_log_write(log, "Error: the plan could not be saved\n", 35);
            res->ok = false;
        }
    }
}

static void run_apply(struct ctx *c, const struct run_job *job, const struct workdir *wd,
                      struct run_log *log, struct run_result *res)
{
    const char *plan_file = arena_printf(c->a, "%s/plan.bin", wd->root);
    int uid = sandbox_uid(wd->sandbox), gid = sandbox_gid(wd->sandbox);
    /* init has run in the folder: whatever it left at that name is replaced, not followed */
    int fd = -1;
    int rc = beneath_create(wd->root_fd, "plan.bin", 0600, &fd);
    if (!rc) rc = run_plan_file_get(c, job->run_id, fd);
    if (!rc && uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) rc = ERR_IO;
    if (fd >= 0 && close(fd) != 0 && !rc) rc = ERR_IO;
    if (rc) {
        run_log_write(log, "Error: the saved plan of this run is missing\n", 45);
        return;
    }
    const char *argv[] = {"terraform", "apply", "-input=false", "-lock=false", plan_file, 0, 0};
    if (job->structured) {
        argv[4] = "-json";
        argv[5] = plan_file;
    }
    struct process_result pr;
    rc = process_run(c, job->run_id, wd, argv, log, 0, &pr);
    res->canceled = pr.canceled;
    res->ok = !rc && !pr.canceled && pr.exit_code == 0;
}

static void execute(struct runner *rn, const char *run_id, enum run_phase phase)
{
    struct ctx c = {.a = arena_new(), .app = rn->app};
    struct run_job job;
    struct run_result res = {0};
    struct run_log *log = 0;
    struct workdir wd = {.root_fd = -1, .own_fd = -1};
    int rc = run_job_begin(&c, run_id, phase, &job);
    if (rc) {
        if (rc != ERR_CONFLICT) log_error("run %s: cannot start: %s", run_id, err_name(rc));
        arena_free(c.a);
        return;
    }
    double started = metrics_now();
    metrics_time(phase == RUN_PLAN ? METRIC_QUEUE_PLAN : METRIC_QUEUE_APPLY,
                 (double)job.queued_ms / 1000.0);
    log_info("run %s: %s started", run_id, phase == RUN_PLAN ? "plan" : "apply");
    rc = run_log_open(rn->app, job.phase_id, &log);
    if (!rc && rn->refusal[0]) {
        run_log_printf(log, "Error: this node cannot execute runs: %s\n", rn->refusal);
        rc = ERR_UNAVAILABLE;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    wd.timeout = rn->timeout;
    wd.deadline = now.tv_sec + rn->timeout;
    wd.structured = job.structured;
    if (!rc && (rc = sandbox_new(&rn->limits, &wd.sandbox)))
        run_log_printf(log, "Error: this node cannot make a sandbox for the run\n");
    if (!rc) rc = workdir_prepare(&c, &job, log, &wd);
    if (!rc) {
        const char *hello = "Terraform runs on Strata " STRATA_VERSION "\n"
                            "Initializing plugins and modules...\n";
        run_log_write(log, hello, strlen(hello));
        rc = init(&c, &job, &wd, log, &res);
    }
    if (!rc) {
        if (phase == RUN_PLAN)
            run_plan(&c, &job, &wd, log, &res);
        else
            run_apply(&c, &job, &wd, log, &res);
    }
    if (res.ok || phase == RUN_APPLY) {
        /* counts come from the log the phase just wrote (read back from the local file) */
        char path[4200];
        snprintf(path, sizeof path, "%s/logs/%s.log",
                 settings_str(rn->app->settings, SETTING_DISK_PATH), job.phase_id);
        parse_counts(path, phase == RUN_PLAN, &res);
    }
    if (log) run_log_close(log);
    sandbox_free(wd.sandbox);
    workdir_remove(&wd);
    if (process_stopping()) {
        /* the node is stopping: the run stays as it is and the next start picks it up */
        log_info("run %s: left for recovery at the next start", run_id);
        arena_free(c.a);
        return;
    }
    /* a storage error here would leave the run planning or applying, holding its workspace
     * until the node restarts: the outcome is recorded again, as the store comes back */
    rc = run_job_finish(&c, &job, phase, &res);
    for (int i = 0; rc == ERR_IO && i < 8 && !process_stopping(); i++) {
        usleep((useconds_t)(100000 << (i < 5 ? i : 5)));
        rc = run_job_finish(&c, &job, phase, &res);
    }
    metrics_time(phase == RUN_PLAN ? METRIC_RUN_PLAN : METRIC_RUN_APPLY, metrics_now() - started);
    if (rc) log_error("run %s: cannot record the outcome: %s", run_id, err_name(rc));
    log_info("run %s: %s %s", run_id, phase == RUN_PLAN ? "plan" : "apply",
             res.ok         ? "finished"
             : res.canceled ? "canceled"
                            : "errored");
    arena_free(c.a);
}

static void *worker(void *arg)
{
    struct runner *rn = arg;
    char job[256];
    for (;;) {
        if (atomic_load(&rn->app->draining)) {
            if (process_stopping()) break;
            usleep(250 * 1000); /* drained: the jobs stay queued for the other nodes */
            continue;
        }
        int rc = bus_claim(rn->bus, RUN_QUEUE, 1000, job, sizeof job);
        if (rc == ERR_UNAVAILABLE) break;
        if (rc == ERR_IO) usleep(500 * 1000); /* the bus is away: the janitor requeues */
        if (rc) continue;
        char *colon = strrchr(job, ':');
        if (!colon) continue;
        *colon = 0;
        execute(rn, job, strcmp(colon + 1, "apply") == 0 ? RUN_APPLY : RUN_PLAN);
    }
    return 0;
}

/* The node's own files, never visible in a sandbox (where they sit under /etc, say). */
static void hidden_paths(const struct settings *s, const char *out[8])
{
    size_t n = 0;
    out[n++] = settings_str(s, SETTING_DISK_PATH);
    for (int i = 0; i < 2; i++)
        if (s->files[i]) out[n++] = s->files[i];
    if (*settings_str(s, SETTING_TLS_CERT_FILE)) out[n++] = settings_str(s, SETTING_TLS_CERT_FILE);
    if (*settings_str(s, SETTING_TLS_KEY_FILE)) out[n++] = settings_str(s, SETTING_TLS_KEY_FILE);
    out[n] = 0;
}

/* The node's services that runs never reach (a cluster's PostgreSQL and Redis), as the
 * sandbox's comma-separated list; static, read at start only. */
static const char *service_hosts(const struct settings *s)
{
    static char list[2048];
    snprintf(list, sizeof list, "%s,%s,%s", settings_str(s, SETTING_PG_NETLOC),
             settings_str(s, SETTING_REDIS_HOST), settings_str(s, SETTING_REDIS_SENTINEL_HOSTS));
    return list;
}

int runner_start(struct app *app, struct bus *bus, struct runner **out, char *err, size_t errlen)
{
    int rc = terraform_detect(err, errlen);
    if (rc) return rc;
    char refusal[512] = "";
    const char *hidden[8];
    hidden_paths(app->settings, hidden);
    struct sandbox_config sc = {
        .allow_unsandboxed = settings_flag(app->settings, SETTING_ALLOW_UNSANDBOXED_RUNS),
        .hidden = hidden,
        .allow_shared_network = settings_flag(app->settings, SETTING_ALLOW_SHARED_RUN_NETWORK),
        .api_hostname = app->hostname,
        .service_hosts = service_hosts(app->settings),
        .host_ports = settings_str(app->settings, SETTING_RUN_HOST_PORTS)};
    if (sandbox_init(&sc, refusal, sizeof refusal) == 0)
        refusal[0] = 0; /* sandboxed, or the weaker mode accepted */
    else
        log_error("runner: remote runs are refused on this node: %s (state, the API and local "
                  "runs keep working; allow_unsandboxed_runs or allow_shared_run_network \"1\" "
                  "accepts the weaker mode)",
                  refusal);
    if (geteuid() == 0) {
        /* runs get accounts of their own, which reach their folder here and nothing else */
        snprintf(runner_work_root, sizeof runner_work_root, "/tmp/strata-runs-XXXXXX");
        if (!mkdtemp(runner_work_root) || chmod(runner_work_root, 0711) != 0) {
            snprintf(err, errlen, "runner: cannot create a working folder under /tmp");
            return ERR_IO;
        }
    } else {
        snprintf(runner_work_root, sizeof runner_work_root, "%s/work",
                 settings_str(app->settings, SETTING_DISK_PATH));
    }
    struct runner *rn = calloc(1, sizeof *rn);
    if (!rn) abort();
    rn->app = app;
    rn->bus = bus;
    rn->limits.memory_mb = settings_int(app->settings, SETTING_CAPACITY_MEMORY);
    rn->limits.processes = RUN_PROCESS_LIMIT;
    rn->timeout = settings_int(app->settings, SETTING_RUN_PHASE_TIMEOUT);
    snprintf(rn->refusal, sizeof rn->refusal, "%s", refusal);
    rn->nthreads = (int)settings_int(app->settings, SETTING_CAPACITY_CONCURRENCY);
    rn->threads = calloc((size_t)rn->nthreads, sizeof *rn->threads);
    if (!rn->threads) abort();
    for (int i = 0; i < rn->nthreads; i++)
        if (pthread_create(&rn->threads[i], 0, worker, rn) != 0) {
            snprintf(err, errlen, "runner: cannot start worker threads");
            rn->nthreads = i;
            runner_stop(rn);
            return ERR_INTERNAL;
        }
    *out = rn;
    return 0;
}

void runner_stop(struct runner *rn)
{
    if (!rn) return;
    process_stop_all();
    bus_shutdown(rn->bus);
    for (int i = 0; i < rn->nthreads; i++)
        pthread_join(rn->threads[i], 0);
    free(rn->threads);
    free(rn);
    if (geteuid() == 0) rmdir(runner_work_root); /* empty: each run removed its folder */
    sandbox_shutdown();
}
