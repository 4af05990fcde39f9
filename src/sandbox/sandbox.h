/* sandbox.h — one program in a sandbox of its own: what a run (and later an agent) executes is a
 * customer's code, so it gets its own PID, mount, IPC and UTS namespaces (bubblewrap), the
 * system read-only, one writable folder plus a private /tmp, an account no other sandbox uses
 * (never the node's when the node is root), no new privileges, a new session, and limits on
 * memory and processes (a cgroup where the host lets the node make one, rlimits otherwise).
 * Its network is its own (net.c): the internet and the node's API, nothing else of the node
 * nor the cloud metadata address. docs/internals/sandbox.md. */
#ifndef STRATA_SANDBOX_H
#define STRATA_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct sandbox_config {
    /* Run programs without namespaces (the account, limits and session still apply) when the
     * host cannot make a sandbox, instead of refusing to run them. */
    bool allow_unsandboxed;
    /* Paths no sandbox may see even where they sit under a folder it sees (the node's
     * settings, keys and data); NULL-terminated, read during sandbox_init only. */
    const char *const *hidden;
    /* Run programs in the host's network (they reach its loopback services and the metadata
     * address) when the host cannot give them one of their own, instead of refusing them. */
    bool allow_shared_network;
    /* The node's API as runs reach it, "host[:port]" (the hostname setting): where it is this
     * host (loopback, or a name of one of its addresses) its port alone is forwarded onto the
     * sandbox's own loopback, and a name is shown there as loopback. */
    const char *api_hostname;
    /* Other addresses runs never reach, where they are not the node's own: the database and
     * Redis of a cluster, say. Comma-separated "host[:port]" (IPv6 in brackets), resolved at
     * start; NULL or "" for none. */
    const char *service_hosts;
    /* Comma-separated ports of the host's loopback sandboxes may reach besides the API's
     * (forwarded onto their own loopback); NULL or "" for none. */
    const char *host_ports;
};

/* Probes what the host allows, once, before any sandbox is made: bubblewrap present and able
 * to make namespaces for an unprivileged account; pasta and ip to give each its own network;
 * cgroups the node may create. Returns 0 when sandboxes can be made (or cfg->allow_unsandboxed
 * or cfg->allow_shared_network accepts the weaker mode; a warning is logged), or
 * ERR_UNAVAILABLE with the reason in why. Not thread-safe; call at start. */
int sandbox_init(const struct sandbox_config *cfg, char *why, size_t whylen);
/* What sandboxes are made with, for the log and health: "bubblewrap", "unsandboxed". */
const char *sandbox_mode(void);
/* What their network is: "own network (pasta)" or "the host's network". */
const char *sandbox_network_mode(void);
/* Frees what sandbox_init made. */
void sandbox_shutdown(void);

struct sandbox_limits {
    int64_t memory_mb; /* resident memory of everything in the sandbox */
    int64_t processes; /* processes and threads at once */
};

/* One sandbox: an account and a cgroup that one or more programs run in, one after another.
 * sandbox_new returns 0 or ERR_IO/ERR_UNAVAILABLE; the caller frees it with sandbox_free, which
 * kills anything left in it. Not shared between threads. */
struct sandbox;
int sandbox_new(const struct sandbox_limits *lim, struct sandbox **out);
void sandbox_free(struct sandbox *sb);
/* The limits sb was made with. */
const struct sandbox_limits *sandbox_limits_of(const struct sandbox *sb);
/* The account files in the writable folder must belong to; -1 when it is the node's own. */
int sandbox_uid(const struct sandbox *sb);
int sandbox_gid(const struct sandbox *sb);

struct sandbox_exec {
    int exe_fd;              /* the program, opened by the caller (read) */
    const char *const *argv; /* argv[0] is what the program sees as its name */
    const char *const *env;  /* the whole environment, NULL-terminated "K=V" */
    const char *folder;      /* the writable folder, seen at the same path inside */
    const char *cwd;         /* inside folder */
    int out_fd;              /* receives stdout and stderr; stdin is /dev/null */
    const char *passwd;      /* an account file naming the sandbox's account (ssh and others
                              * look it up): shown as /etc/passwd, or through nss_wrapper
                              * (libnss-wrapper) where no namespace can be made; NULL: the
                              * host's */
};

/* Starts ex in sb (one program at a time). 0 or ERR_IO. */
int sandbox_spawn(struct sandbox *sb, const struct sandbox_exec *ex);
/* Sends sig to the program and its process group (SIGINT: stop gracefully); SIGKILL ends every
 * process in the sandbox. */
void sandbox_signal(struct sandbox *sb, int sig);
/* Waits for the program to end (call once its output reached EOF), ends whatever it left, and
 * returns its exit code, or -1 when a signal ended it. */
int sandbox_wait(struct sandbox *sb);

enum sandbox_breach { SANDBOX_WITHIN_LIMITS, SANDBOX_OUT_OF_MEMORY, SANDBOX_TOO_MANY_PROCESSES };
/* Whether a limit was hit since sandbox_new (known only where a cgroup enforces it). */
enum sandbox_breach sandbox_breach(const struct sandbox *sb);

#endif
