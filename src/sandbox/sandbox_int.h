/* sandbox_int.h — private to sandbox/: the cgroup each sandbox is limited by. */
#ifndef STRATA_SANDBOX_INT_H
#define STRATA_SANDBOX_INT_H

#include "sandbox/sandbox.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* A sandbox's cgroup folders: with cgroup v1 one per controller, with v2 the same folder twice;
 * "" where the host gave the node no such controller. */
struct cgroup {
    char memory[4400];
    char pids[4400];
};

/* What sandbox_init found; read-only afterwards. */
struct sandbox_host {
    bool namespaces;    /* bubblewrap makes the namespaces (false: the weaker mode) */
    bool root;          /* the node is root: every sandbox gets an account of its own */
    bool memory_cgroup; /* limits by cgroup; rlimits where false */
    bool pids_cgroup;
    char bwrap[PATH_MAX];
    /* libnss_wrapper, which shows an unsandboxed program its account (ssh looks it up); ""
     * where it is not installed */
    char nss_wrapper[PATH_MAX];
    bool network;         /* each sandbox gets a network of its own (net.c) */
    char pasta[PATH_MAX]; /* the programs that make it */
    char ip[PATH_MAX];
    char forward[512];    /* pasta's -T: the ports forwarded to the host's loopback, "" for none */
    char hosts[PATH_MAX]; /* an /etc/hosts naming the API loopback, "" for the host's own */
    char service_routes[2048]; /* prohibit routes for the node's services (ip -batch lines) */
};
extern struct sandbox_host host;

struct sandbox {
    int uid, gid, lock_fd;
    struct cgroup cg;
    struct sandbox_limits lim;
    pid_t outer, program; /* bwrap (what the caller waits for), the program's host pid */
    int pasta;            /* pidfd of the program's pasta, -1 when none */
};

/* Kills what runs under a sandbox account no living sandbox holds (the pasta daemons of a
 * node killed with its runs); root only, at start. */
void sandbox_reap_leftovers(void);

/* Finds an executable NAME on the node's PATH; its path in out. */
bool sandbox_find_on_path(const char *name, char *out, size_t outlen);

/* net.c: finds pasta and ip and keeps the API's port; 0 or ERR_UNAVAILABLE with the reason. */
int net_init(const struct sandbox_config *cfg, char *why, size_t whylen);
/* Connects the network namespace of program (held by bubblewrap's --block-fd until this
 * returns) with pasta, run as the sandbox's account but outside its cgroup (the run's limits are
 * the run's: a run at its memory limit still gets its reason, not a failed start), and adds the
 * prohibit routes. 0, or ERR_IO with the reason in why (then nothing is left running). */
int net_attach(struct sandbox *sb, pid_t program, char *why, size_t whylen);
/* The prohibit routes of the node's services (comma-separated "host[:port]"), kept for every
 * sandbox; and every route a sandbox gets, as ip -batch lines (out: len bytes). */
void net_service_routes(const char *hosts);
void net_route_batch(char *out, size_t len);
/* Removes what net_init made. */
void net_shutdown(void);
/* Ends the program's pasta, if any. */
void net_detach(struct sandbox *sb);
/* Why the calling thread's last net_attach failed ("" when it did not). */
const char *net_last_error(void);

/* Makes the mount arguments every sandbox shares (hidden: paths to mask, NULL-terminated);
 * called once, before any sandbox. sandbox_mounts_free releases them. */
void sandbox_mounts_init(const char *const *hidden);
void sandbox_mounts_free(void);

/* Finds the cgroup folders the node may create children in (its own, per controller) and, on
 * cgroup v2, enables the memory and pids controllers for them. Returns which it found in
 * *memory and *pids; never fails: without cgroups, rlimits are the fallback. */
void cgroup_init(bool *memory, bool *pids);
/* Makes the cgroup NAME with the limits; absent controllers stay "". 0 or ERR_IO. */
int cgroup_create(const char *name, const struct sandbox_limits *lim, struct cgroup *cg);
/* Opens the cgroup.procs files a child writes "0" to so that it enters the cgroup before it
 * executes anything; fds[i] is -1 where there is none. The caller closes them. */
void cgroup_open_procs(const struct cgroup *cg, int fds[2]);
enum sandbox_breach cgroup_breach(const struct cgroup *cg);
/* SIGKILL to every process in the cgroup. */
void cgroup_kill(const struct cgroup *cg);
/* Kills what is left and removes the folders (waiting briefly for the processes to go). */
void cgroup_remove(struct cgroup *cg);

#endif
