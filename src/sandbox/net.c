/* net.c — a sandbox's own network: bubblewrap makes an empty network namespace (--unshare-net)
 * and holds the program (--block-fd) while the node connects it: pasta (Debian's passt) joins
 * it and gives it the host's addresses and routes, carrying its connections out through
 * sockets of the sandbox's account; the gateway is the real one (--no-map-gw: not the host's
 * loopback), no port of the host is forwarded except the API's and those of run_host_ports
 * (-T, onto the namespace's own loopback, where the run finds the node at hostname), and
 * "prohibit" routes refuse the cloud metadata addresses, every address of the host's own
 * interfaces and those of the node's database and Redis. The program gets no
 * capability over the namespace (it lives in a user namespace nested below its owner), so it
 * cannot undo any of this. docs/internals/sandbox.md, "Network". */
#define _GNU_SOURCE
#include "sandbox/sandbox_int.h"
#include "base/err.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <linux/nsfs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Addresses runs never reach besides the host's own: the metadata services of the clouds
 * (169.254.169.254 and the rest of IPv4 link-local; AWS' IPv6 one; Alibaba's). */
static const char *const prohibited[] = {"169.254.0.0/16", "fd00:ec2::254/128",
                                         "100.100.100.200/32", 0};

/* The routes ip(8) adds in the namespace, one command a line: the list above, the node's
 * services (net_service_routes) and the host's interface addresses, read now (they may have
 * changed since start). */
void net_route_batch(char *out, size_t len)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; prohibited[i]; i++)
        n += (size_t)snprintf(out + n, len - n, "route add prohibit %s\n", prohibited[i]);
    n += (size_t)snprintf(out + n, len - n, "%s", host.service_routes);
    struct ifaddrs *list = 0;
    if (getifaddrs(&list) != 0) return;
    for (struct ifaddrs *i = list; i && n + 80 < len; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        int fam = i->ifa_addr->sa_family;
        char text[INET6_ADDRSTRLEN];
        const void *a = fam == AF_INET
                            ? (const void *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr
                        : fam == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr
                            : 0;
        if (!a || !inet_ntop(fam, a, text, sizeof text)) continue;
        /* loopback inside is the namespace's own; the API's port alone is forwarded there */
        if (strncmp(text, "127.", 4) == 0 || strcmp(text, "::1") == 0) continue;
        n += (size_t)snprintf(out + n, len - n, "route add prohibit %s/%d\n", text,
                              fam == AF_INET6 ? 128 : 32); /* the family is the address's */
    }
    freeifaddrs(list);
}

/* Whether sa is an address of one of this host's interfaces. */
static bool own_address(const struct sockaddr *sa)
{
    struct ifaddrs *list = 0;
    bool own = false;
    if (getifaddrs(&list) != 0) return false;
    for (struct ifaddrs *i = list; i && !own; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != sa->sa_family) continue;
        own = sa->sa_family == AF_INET
                  ? memcmp(&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
                           &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4) == 0
                  : memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
                           &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16) == 0;
    }
    freeifaddrs(list);
    return own;
}

/* In a child: takes the sandbox's account, as the program does. */
static void child_account(const struct sandbox *sb)
{
    if (sb->uid >= 0 &&
        (setgroups(0, 0) != 0 || setgid((gid_t)sb->gid) != 0 || setuid((uid_t)sb->uid) != 0))
        _exit(126);
}

static int wait_exit(pid_t p)
{
    int status = 0;
    while (waitpid(p, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What a failed tool wrote on fd (without blocking), lines joined, but those about syslog,
 * which pasta tries first; "" when nothing. */
static void tool_said(int fd, char *out, size_t len)
{
    char buf[4096], *save = 0;
    struct pollfd pf = {fd, POLLIN, 0};
    ssize_t n = poll(&pf, 1, 0) > 0 ? read(fd, buf, sizeof buf - 1) : 0;
    buf[n > 0 ? n : 0] = 0;
    out[0] = 0;
    size_t k = 0;
    for (char *line = strtok_r(buf, "\n", &save); line && k + 1 < len;
         line = strtok_r(0, "\n", &save))
        if (!strstr(line, "syslog")) /* ip adds which line failed: "Command failed -:3" */
            k += (size_t)snprintf(out + k, len - k, "%s%s", k ? "; " : "", line);
}

/* Starts pasta on the namespace (fds: its network and the user namespace owning it); it
 * returns once the namespace is configured, leaving its daemon, whose pidfd goes to
 * sb->pasta. */
static int start_pasta(struct sandbox *sb, int netns, int userns, char *why, size_t whylen)
{
    char dir[] = "/tmp/strata-net-XXXXXX", pidfile[64], said[512] = "";
    int err[2] = {-1, -1}, rc = ERR_IO;
    if (!mkdtemp(dir) || pipe2(err, O_CLOEXEC) != 0) {
        snprintf(why, whylen, "cannot prepare pasta (/tmp)");
        goto done;
    }
    /* the pid file sits where only pasta's account writes, in no folder a sandbox sees */
    if (sb->uid >= 0 && chown(dir, (uid_t)sb->uid, (gid_t)sb->gid) != 0) goto done;
    snprintf(pidfile, sizeof pidfile, "%s/pasta.pid", dir);
    const char *argv[] = {"pasta",    "--config-net",
                          "--quiet",  "--no-map-gw",
                          "-t",       "none",
                          "-u",       "none",
                          "-U",       "none",
                          "-T",       host.forward[0] ? host.forward : "none",
                          "--netns",  "/proc/self/fd/3",
                          "--userns", "/proc/self/fd/4",
                          "--pid",    pidfile,
                          0};
    pid_t p = fork();
    if (p == 0) {
        int devnull = open("/dev/null", O_RDWR);
        child_account(sb);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(err[1], 2);
        dup2(netns, 3);
        dup2(userns, 4);
        close_range(5, ~0U, 0);
        /* this pasta takes an inherited ignored SIGPIPE for a failure to set it up */
        signal(SIGPIPE, SIG_DFL);
        execv(host.pasta, (char *const *)argv);
        _exit(127);
    }
    close(err[1]);
    err[1] = -1;
    int code = p < 0 ? -1 : wait_exit(p);
    if (code != 0) {
        tool_said(err[0], said, sizeof said);
        snprintf(why, whylen, "pasta cannot connect the sandbox's network (%s)",
                 said[0] ? said : "no message");
        goto done;
    }
    FILE *f = fopen(pidfile, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
        snprintf(why, whylen, "pasta wrote no pid file");
    } else if ((sb->pasta = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
        snprintf(why, whylen, "pasta ended at once");
    } else {
        rc = 0;
    }
    if (f) fclose(f);
    unlink(pidfile);
done:
    for (int i = 0; i < 2; i++)
        if (err[i] >= 0) close(err[i]);
    rmdir(dir);
    return rc;
}

/* Runs ip -batch on the routes in the namespace (as root where the node is, else entered as
 * its owner); its exit code, and what it said in said. */
static int run_ip(int netns, int userns, const char *batch, char *said, size_t saidlen)
{
    int in[2], err[2];
    said[0] = 0;
    if (pipe2(in, O_CLOEXEC) != 0) return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    size_t len = strlen(batch); /* a few lines: the pipe holds them all */
    bool written = write(in[1], batch, len) == (ssize_t)len;
    close(in[1]);
    pid_t p = written ? fork() : -1;
    if (p == 0) {
        /* a root node needs no user namespace to manage the network one (entering bwrap's
         * raced its set-up: "Operation not permitted" now and then); otherwise the node's
         * account owns the namespaces and enters them */
        if (!host.root && setns(userns, CLONE_NEWUSER) != 0) _exit(125);
        if (setns(netns, CLONE_NEWNET) != 0) _exit(125);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(in[0], 0);
        dup2(devnull, 1);
        dup2(err[1], 2);
        close_range(3, ~0U, 0);
        const char *argv[] = {"ip", "-batch", "-", 0};
        execv(host.ip, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(err[1]);
    int code = p < 0 ? -1 : wait_exit(p);
    if (code != 0) tool_said(err[0], said, saidlen);
    close(err[0]);
    return code;
}

/* Adds the prohibit routes. */
static int add_routes(int netns, int userns, char *why, size_t whylen)
{
    char batch[8192], said[256];
    net_route_batch(batch, sizeof batch);
    int code = run_ip(netns, userns, batch, said, sizeof said);
    if (code != 0) {
        snprintf(why, whylen, "ip cannot add the sandbox's routes (exit %d: %s)", code, said);
        return ERR_IO;
    }
    return 0;
}

static _Thread_local char last_error[640];

const char *net_last_error(void)
{
    return last_error;
}

int net_attach(struct sandbox *sb, pid_t program, char *why, size_t whylen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)program);
    int netns = open(path, O_RDONLY | O_CLOEXEC), rc = ERR_IO;
    /* the user namespace that owns the network one: bubblewrap's outer one, the program's
     * parent namespace */
    int userns = netns < 0 ? -1 : ioctl(netns, NS_GET_USERNS);
    if (userns < 0) {
        snprintf(why, whylen, "cannot open the sandbox's network namespace");
    } else if (!(rc = start_pasta(sb, netns, userns, why, whylen))) {
        rc = add_routes(netns, userns, why, whylen);
    }
    if (netns >= 0) close(netns);
    if (userns >= 0) close(userns);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_debug("sandbox: network of pid %d %s in %.1f ms", (int)program, rc ? "failed" : "ready",
              (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    if (rc) net_detach(sb);
    snprintf(last_error, sizeof last_error, "%s", rc ? why : "");
    return rc;
}

void net_detach(struct sandbox *sb)
{
    if (sb->pasta < 0) return;
    syscall(SYS_pidfd_send_signal, sb->pasta, SIGKILL, 0, 0);
    close(sb->pasta);
    sb->pasta = -1;
}

/* ip is often in an sbin folder a service's PATH lacks */
static bool find_ip(char *out, size_t outlen)
{
    if (sandbox_find_on_path("ip", out, outlen)) return true;
    static const char *const known[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", 0};
    for (int i = 0; known[i]; i++)
        if (access(known[i], X_OK) == 0) {
            snprintf(out, outlen, "%s", known[i]);
            return true;
        }
    return false;
}

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ((const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)
                    ->sin_addr)[0] == 127;
    return sa->sa_family == AF_INET6 &&
           IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

/* Whether addr is loopback or an address of one of this host's interfaces. */
static bool this_host(const struct sockaddr *addr)
{
    return is_loopback(addr) || own_address(addr);
}

/* An /etc/hosts for sandboxes: name on loopback first, then the host's own lines. */
static int write_hosts(const char *name)
{
    char path[] = "/tmp/strata-hosts-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return ERR_IO;
    FILE *out = fdopen(fd, "w"), *in = fopen("/etc/hosts", "r");
    if (!out) {
        close(fd);
        unlink(path);
        if (in) fclose(in);
        return ERR_IO;
    }
    fprintf(out,
            "# the node's API, forwarded to it from the sandbox's loopback\n"
            "127.0.0.1 %s\n::1 %s\n",
            name, name);
    char line[1024];
    while (in && fgets(line, sizeof line, in))
        fputs(line, out);
    if (in) fclose(in);
    bool ok = fchmod(fd, 0644) == 0; /* bwrap, as the sandbox's account, opens it */
    if (fclose(out) != 0 || !ok) {
        unlink(path);
        return ERR_IO;
    }
    snprintf(host.hosts, sizeof host.hosts, "%s", path);
    return 0;
}

/* From "host[:port]" (brackets around IPv6): whether the host is this one and the port to
 * forward; a name of one of this host's own addresses is shown to sandboxes as loopback (inside
 * their namespace the address would be theirs). */
/* The host of "host[:port]" (IPv6 in brackets) of length len into name; its port, or dflt. */
static const char *split_host(const char *hostname, size_t len, char *name, size_t namelen,
                              const char *dflt)
{
    const char *end, *stop = hostname + len;
    if (hostname[0] == '[' && (end = memchr(hostname, ']', len))) {
        snprintf(name, namelen, "%.*s", (int)(end - hostname - 1), hostname + 1);
        return end + 1 < stop && end[1] == ':' ? end + 2 : dflt;
    }
    end = memchr(hostname, ':', len);
    snprintf(name, namelen, "%.*s", (int)((end ? end : stop) - hostname), hostname);
    return end ? end + 1 : dflt;
}

void net_service_routes(const char *hosts)
{
    size_t n = 0, cap = sizeof host.service_routes;
    host.service_routes[0] = 0;
    for (const char *p = hosts ? hosts : ""; *p;) {
        size_t len = strcspn(p, ",");
        char name[256];
        split_host(p, len, name, sizeof name, 0);
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = 0;
        if (name[0] && getaddrinfo(name, 0, &hints, &res) == 0) {
            for (struct addrinfo *a = res; a; a = a->ai_next) {
                char text[INET6_ADDRSTRLEN];
                int fam = a->ai_addr->sa_family;
                const void *addr =
                    fam == AF_INET
                        ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
                /* loopback is the namespace's own; the host's own addresses come at each start */
                char line[96];
                if (this_host(a->ai_addr) || !inet_ntop(fam, addr, text, sizeof text)) continue;
                snprintf(line, sizeof line, "route add prohibit %s/%d\n", text,
                         fam == AF_INET6 ? 128 : 32);
                if (n + strlen(line) < cap && !strstr(host.service_routes, line))
                    n += (size_t)snprintf(host.service_routes + n, cap - n, "%s", line);
            }
            freeaddrinfo(res);
        } else if (name[0]) {
            log_warn("sandbox: cannot resolve %s: runs are not kept from it", name);
        }
        p += len;
        if (*p) p++;
    }
}

static int api_forward(const char *hostname)
{
    char name[256];
    if (!hostname || !*hostname) return 0;
    const char *port = split_host(hostname, strlen(hostname), name, sizeof name, "443");
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = 0;
    bool local = false;
    if (getaddrinfo(name, 0, &hints, &res) != 0) return 0; /* not resolved: not this host */
    for (struct addrinfo *a = res; a && !local; a = a->ai_next)
        local = this_host(a->ai_addr);
    unsigned char bin[16];
    bool literal = inet_pton(AF_INET, name, bin) == 1 || inet_pton(AF_INET6, name, bin) == 1;
    bool loopback = false;
    for (struct addrinfo *a = res; a; a = a->ai_next)
        loopback |= is_loopback(a->ai_addr);
    freeaddrinfo(res);
    if (!local) return 0;
    char list[sizeof host.forward + 2], item[16];
    snprintf(list, sizeof list, ",%s,", host.forward);
    snprintf(item, sizeof item, ",%d,", atoi(port));
    size_t n = strlen(host.forward);
    if (!strstr(list, item)) /* pasta refuses a port given twice */
        snprintf(host.forward + n, sizeof host.forward - n, "%s%d", n ? "," : "", atoi(port));
    if (loopback) return 0;
    if (literal) {
        log_warn("sandbox: hostname %s is this node's own address: runs, in a network of their "
                 "own, cannot reach it there; name the node (or its load balancer) instead",
                 hostname);
        return 0;
    }
    return write_hosts(name);
}

int net_init(const struct sandbox_config *cfg, char *why, size_t whylen)
{
    snprintf(host.forward, sizeof host.forward, "%s", cfg->host_ports ? cfg->host_ports : "");
    host.hosts[0] = 0;
    if (!sandbox_find_on_path("pasta", host.pasta, sizeof host.pasta)) {
        snprintf(why, whylen,
                 "pasta is not installed (apt-get install passt); runs need it to reach the "
                 "internet from a network of their own");
        return ERR_UNAVAILABLE;
    }
    if (!find_ip(host.ip, sizeof host.ip)) {
        snprintf(why, whylen, "ip is not installed (apt-get install iproute2)");
        return ERR_UNAVAILABLE;
    }
    net_service_routes(cfg->service_hosts);
    if (api_forward(cfg->api_hostname)) {
        snprintf(why, whylen, "cannot write a hosts file for runs under /tmp");
        return ERR_UNAVAILABLE;
    }
    return 0;
}

void net_shutdown(void)
{
    if (host.hosts[0]) unlink(host.hosts);
    host.hosts[0] = 0;
}
