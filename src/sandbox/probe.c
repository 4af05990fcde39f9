/* probe.c — what the host allows, found once at start by making a real sandbox and running
 * /bin/true in it: a node that cannot sandbox says why before it takes any run. */
#define _GNU_SOURCE
#include "sandbox/sandbox_int.h"
#include "base/err.h"
#include "base/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool sandbox_find_on_path(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = 0;
    bool found = false;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(0, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        found = access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* Runs true in a sandbox; 0, or ERR_UNAVAILABLE with what bwrap said in why. */
static int try_sandbox(char *why, size_t whylen)
{
    char folder[] = "/tmp/strata-probe-XXXXXX";
    struct sandbox *sb = 0;
    struct sandbox_limits lim = {256, 64};
    int out[2] = {-1, -1}, exe = open("/bin/true", O_RDONLY | O_CLOEXEC), rc = ERR_UNAVAILABLE;
    if (exe < 0 || !mkdtemp(folder) || pipe(out) != 0) {
        snprintf(why, whylen, "cannot prepare a probe (/bin/true, /tmp)");
        goto done;
    }
    if ((rc = sandbox_new(&lim, &sb))) {
        snprintf(why, whylen, "cannot take an account or a cgroup for a sandbox");
        goto done;
    }
    if (sandbox_uid(sb) >= 0 && chown(folder, (uid_t)sandbox_uid(sb), (gid_t)sandbox_gid(sb))) {
        rc = ERR_IO;
        goto done;
    }
    const char *argv[] = {"true", 0}, *env[] = {"PATH=/usr/bin:/bin", 0};
    struct sandbox_exec ex = {exe, argv, env, folder, folder, out[1]};
    rc = sandbox_spawn(sb, &ex);
    close(out[1]);
    out[1] = -1;
    char said[512] = "";
    ssize_t n = rc ? 0 : read(out[0], said, sizeof said - 1);
    said[n > 0 ? n : 0] = 0;
    said[strcspn(said, "\n")] = 0;
    char *more = strstr(said, ". ");
    if (more) *more = 0; /* its first sentence: what follows is a pointer to its docs */
    int code = rc ? -1 : sandbox_wait(sb);
    if (code != 0) {
        snprintf(why, whylen, "bubblewrap cannot make a sandbox on this host (%s)",
                 said[0]               ? said
                 : net_last_error()[0] ? net_last_error()
                                       : "no message");
        rc = ERR_UNAVAILABLE;
    }
done:
    sandbox_free(sb);
    if (out[0] >= 0) close(out[0]);
    if (out[1] >= 0) close(out[1]);
    if (exe >= 0) close(exe);
    rmdir(folder);
    return rc;
}

int sandbox_init(const struct sandbox_config *cfg, char *why, size_t whylen)
{
    host.root = geteuid() == 0;
    static const char *const nss[] = {"/usr/lib/x86_64-linux-gnu/libnss_wrapper.so",
                                      "/usr/lib/aarch64-linux-gnu/libnss_wrapper.so",
                                      "/usr/lib64/libnss_wrapper.so", "/usr/lib/libnss_wrapper.so",
                                      0};
    for (int i = 0; nss[i] && !host.nss_wrapper[0]; i++)
        if (access(nss[i], R_OK) == 0)
            snprintf(host.nss_wrapper, sizeof host.nss_wrapper, "%s", nss[i]);
    sandbox_mounts_init(cfg->hidden);
    sandbox_reap_leftovers();
    cgroup_init(&host.memory_cgroup, &host.pids_cgroup);
    int rc = ERR_UNAVAILABLE;
    if (!sandbox_find_on_path("bwrap", host.bwrap, sizeof host.bwrap)) {
        snprintf(why, whylen,
                 "bubblewrap is not installed (apt-get install bubblewrap); runs need it to "
                 "execute apart from each other and from the node");
    } else {
        host.namespaces = true;
        char netwhy[640] = "";
        host.network = net_init(cfg, netwhy, sizeof netwhy) == 0;
        rc = try_sandbox(why, whylen);
        if (rc && host.network) { /* is it the network? a sandbox without one tells */
            snprintf(netwhy, sizeof netwhy, "%s", why);
            host.network = false;
            rc = try_sandbox(why, whylen);
        }
        host.namespaces = rc == 0;
        if (!rc && !host.network && !cfg->allow_shared_network) {
            snprintf(why, whylen,
                     "%s; runs need a network of their own so that they reach neither the "
                     "node's loopback services nor the cloud metadata address",
                     netwhy);
            return ERR_UNAVAILABLE;
        }
        if (!rc && !host.network)
            log_warn("sandbox: %s; allow_shared_run_network is \"1\", so runs share the node's "
                     "network: they reach its loopback services (Redis, PostgreSQL, metrics) and "
                     "the cloud metadata address",
                     netwhy);
    }
    if (rc && cfg->allow_unsandboxed) {
        log_warn(
            "sandbox: %s; allow_unsandboxed_runs is \"1\", so runs execute WITHOUT a "
            "sandbox, in the node's network: they can see each other's processes and files and "
            "reach the node's loopback services",
            why);
        rc = 0;
    }
    if (!rc)
        log_info("sandbox: %s, %s, %s, memory limit by %s, process limit by %s", sandbox_mode(),
                 sandbox_network_mode(),
                 host.root ? "an account per run" : "the node's account (not root)",
                 host.memory_cgroup ? "cgroup" : "rlimit",
                 host.pids_cgroup ? "cgroup"
                 : host.root      ? "rlimit"
                                  : "nothing");
    return rc;
}

const char *sandbox_mode(void)
{
    return host.namespaces ? "bubblewrap" : "unsandboxed";
}

const char *sandbox_network_mode(void)
{
    if (!host.network) return "the host's network";
    static char mode[600];
    snprintf(mode, sizeof mode, "a network of its own (pasta%s%s)",
             host.forward[0] ? "; this host's loopback ports forwarded: " : "", host.forward);
    return mode;
}

void sandbox_shutdown(void)
{
    net_shutdown();
    sandbox_mounts_free();
}
