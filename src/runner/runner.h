/* runner.h — the workers inside `strata server`: capacity_concurrency threads take run jobs
 * from the bus, prepare a working folder, run terraform as a child process with its own
 * environment (no server secrets), a memory limit and a run token, ship its output to the run's
 * log, and report the outcome. They reach runs through runs/'s job functions and the API. */
#ifndef STRATA_RUNNER_H
#define STRATA_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct bus;
struct runner;
struct ctx;

/* Starts the workers. Returns 0 or ERR_* with a message in err. */
int runner_start(struct app *app, struct bus *bus, struct runner **out, char *err, size_t errlen);
/* Stops taking jobs, signals running terraform processes and waits for the workers. */
void runner_stop(struct runner *r);
/* app->terraform_version_known: "latest", the PATH terraform's version or an enabled registered
 * one; 0 or ERR_* from the store. */
int runner_terraform_known(struct ctx *c, const char *version, bool *known);

#endif
