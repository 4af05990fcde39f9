/* redis.c — the transport under hiredis' formatter and reader: sockets with deadlines, OpenSSL
 * for TLS, and the Sentinel protocol to find the leader. */
#include "bus/redis.h"
#include "base/err.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECT_TIMEOUT_MS = 3000, CALL_TIMEOUT_MS = 5000 };

struct redis {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
    char address[300];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return false;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return false;
    }
}

static int tcp_connect(const char *host, int port, int *out, char *err, size_t errlen)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = 0;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return ERR_UNAVAILABLE;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (wait_fd(fd, POLLOUT, now_ms() + CONNECT_TIMEOUT_MS) &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
                rc = 0;
            else
                errno = soerr ? soerr : ETIMEDOUT;
        }
        if (rc != 0) {
            snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return ERR_UNAVAILABLE;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *out = fd;
    return 0;
}

static int tls_start(struct redis *r, const char *host, const char *ca_file, char *err,
                     size_t errlen)
{
    r->ctx = SSL_CTX_new(TLS_client_method());
    if (!r->ctx) abort();
    SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, 0);
    int ok = ca_file && *ca_file ? SSL_CTX_load_verify_locations(r->ctx, ca_file, 0)
                                 : SSL_CTX_set_default_verify_paths(r->ctx);
    if (ok != 1) {
        snprintf(err, errlen, "cannot load the CA certificates %s",
                 ca_file && *ca_file ? ca_file : "of the system");
        return ERR_CONFIG;
    }
    r->ssl = SSL_new(r->ctx);
    SSL_set_fd(r->ssl, r->fd);
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), host);
    else {
        SSL_set_tlsext_host_name(r->ssl, host);
        SSL_set1_host(r->ssl, host);
    }
    int64_t deadline = now_ms() + CONNECT_TIMEOUT_MS;
    for (;;) {
        int rc = SSL_connect(r->ssl);
        if (rc == 1) return 0;
        int e = SSL_get_error(r->ssl, rc);
        if ((e == SSL_ERROR_WANT_READ && wait_fd(r->fd, POLLIN, deadline)) ||
            (e == SSL_ERROR_WANT_WRITE && wait_fd(r->fd, POLLOUT, deadline)))
            continue;
        long v = SSL_get_verify_result(r->ssl);
        snprintf(err, errlen, "TLS with Redis at %s failed: %s", r->address,
                 v != X509_V_OK ? X509_verify_cert_error_string(v)
                                : ERR_reason_error_string(ERR_get_error()));
        return ERR_UNAVAILABLE;
    }
}

/* Sends all of p; false on a broken connection or at the deadline. */
static bool send_all(struct redis *r, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w;
        if (r->ssl) {
            size_t done = 0;
            int rc = SSL_write_ex(r->ssl, p, n, &done);
            if (rc != 1) {
                int e = SSL_get_error(r->ssl, rc);
                if ((e == SSL_ERROR_WANT_WRITE && wait_fd(r->fd, POLLOUT, deadline)) ||
                    (e == SSL_ERROR_WANT_READ && wait_fd(r->fd, POLLIN, deadline)))
                    continue;
                return false;
            }
            w = (ssize_t)done;
        } else {
            w = send(r->fd, p, n, MSG_NOSIGNAL);
            if (w < 0) {
                if ((errno == EAGAIN || errno == EINTR) && wait_fd(r->fd, POLLOUT, deadline))
                    continue;
                return false;
            }
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads what is there (waiting for something until the deadline); 0 at end or on error. */
static ssize_t recv_some(struct redis *r, char *buf, size_t cap, int64_t deadline)
{
    for (;;) {
        if (r->ssl) {
            size_t got = 0;
            int rc = SSL_read_ex(r->ssl, buf, cap, &got);
            if (rc == 1) return (ssize_t)got;
            int e = SSL_get_error(r->ssl, rc);
            if ((e == SSL_ERROR_WANT_READ && wait_fd(r->fd, POLLIN, deadline)) ||
                (e == SSL_ERROR_WANT_WRITE && wait_fd(r->fd, POLLOUT, deadline)))
                continue;
            return 0;
        }
        ssize_t n = recv(r->fd, buf, cap, 0);
        if (n > 0) return n;
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(r->fd, POLLIN, deadline))
            continue;
        return 0;
    }
}

/* Reads one reply. ERR_NOT_FOUND when nothing at all came before the deadline (the connection
 * is still good), ERR_UNAVAILABLE when it broke or a reply stopped halfway. */
static int read_reply(struct redis *r, int64_t deadline, redisReply **reply)
{
    void *got = 0;
    bool partial = false;
    while (!got) {
        if (redisReaderGetReply(r->reader, &got) != REDIS_OK) return ERR_UNAVAILABLE;
        if (got) break;
        if (!partial && !(r->ssl && SSL_pending(r->ssl) > 0) && !wait_fd(r->fd, POLLIN, deadline))
            return now_ms() >= deadline ? ERR_NOT_FOUND : ERR_UNAVAILABLE;
        char buf[16384];
        ssize_t n = recv_some(r, buf, sizeof buf, deadline);
        if (n <= 0 || redisReaderFeed(r->reader, buf, (size_t)n) != REDIS_OK)
            return ERR_UNAVAILABLE;
        partial = true;
    }
    *reply = got;
    return 0;
}

int redis_read(struct redis *r, int timeout_ms, redisReply **reply)
{
    *reply = 0;
    return read_reply(r, now_ms() + timeout_ms, reply);
}

int redis_call(struct redis *r, int timeout_ms, redisReply **reply, int argc, const char **argv,
               const size_t *lens)
{
    *reply = 0;
    char *cmd = 0;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0) abort();
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : CALL_TIMEOUT_MS);
    bool sent = send_all(r, cmd, (size_t)len, deadline);
    redisFreeCommand(cmd);
    if (!sent) return ERR_UNAVAILABLE;
    redisReply *rep = 0;
    int rc = read_reply(r, deadline, &rep);
    if (rc) return ERR_UNAVAILABLE; /* a reply that did not come: the connection is done */
    if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "READONLY", 8) == 0) {
        log_warn("redis %s: %s", r->address, rep->str);
        freeReplyObject(rep);
        return ERR_UNAVAILABLE;
    }
    *reply = rep;
    return 0;
}

int redis_callv(struct redis *r, int timeout_ms, redisReply **reply, int argc,
                const char *const *argv)
{
    /* hiredis takes the lengths of NUL-terminated arguments itself */
    return redis_call(r, timeout_ms, reply, argc, (const char **)argv, 0);
}

bool redis_buffered(const struct redis *r)
{
    return r->reader->pos < r->reader->len || (r->ssl && SSL_pending(r->ssl) > 0);
}

int redis_wait(struct redis *r, int timeout_ms)
{
    if (redis_buffered(r)) return 0;
    return wait_fd(r->fd, POLLIN, now_ms() + timeout_ms) ? 0 : ERR_NOT_FOUND;
}

int redis_fd(const struct redis *r)
{
    return r->fd;
}

const char *redis_address(const struct redis *r)
{
    return r->address;
}

void redis_close(struct redis *r)
{
    if (!r) return;
    if (r->ssl) SSL_free(r->ssl);
    if (r->ctx) SSL_CTX_free(r->ctx);
    if (r->fd >= 0) close(r->fd);
    if (r->reader) redisReaderFree(r->reader);
    free(r);
}

/* A command whose reply must be +OK (or any non-error); err gets the server's error. */
static int expect_ok(struct redis *r, int argc, const char *const *argv, char *err, size_t errlen)
{
    redisReply *rep;
    int rc = redis_callv(r, 0, &rep, argc, argv);
    if (rc) {
        snprintf(err, errlen, "Redis at %s closed the connection", r->address);
        return rc;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis at %s answered %s to %s", r->address, rep->str, argv[0]);
        rc = strstr(rep->str, "WRONGPASS") || strstr(rep->str, "NOAUTH") || strstr(rep->str, "AUTH")
                 ? ERR_CONFIG
                 : ERR_UNAVAILABLE;
    }
    freeReplyObject(rep);
    return rc;
}

/* One connection to host:port, TLS and AUTH done. */
static int open_one(const char *host, int port, const char *password, bool tls, const char *ca_file,
                    struct redis **out, char *err, size_t errlen)
{
    struct redis *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->fd = -1;
    r->reader = redisReaderCreate();
    snprintf(r->address, sizeof r->address, "%s:%d", host, port);
    int rc = tcp_connect(host, port, &r->fd, err, errlen);
    if (!rc && tls) rc = tls_start(r, host, ca_file, err, errlen);
    if (!rc && password && *password) {
        const char *argv[] = {"AUTH", password};
        rc = expect_ok(r, 2, argv, err, errlen);
    }
    if (rc) {
        redis_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Asks the sentinels, in turn, where the leader is. */
static int ask_sentinels(const struct redis_config *cfg, char *host, size_t hostcap, int *port,
                         char *err, size_t errlen)
{
    char list[2048];
    snprintf(list, sizeof list, "%s", cfg->sentinel_hosts);
    char *save = 0;
    for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(0, ",", &save)) {
        char *colon = strrchr(item, ':');
        if (!colon) continue;
        *colon = 0;
        struct redis *s;
        if (open_one(item, atoi(colon + 1), cfg->sentinel_password, cfg->tls, cfg->ca_file, &s, err,
                     errlen))
            continue;
        const char *argv[] = {"SENTINEL", "get-master-addr-by-name", cfg->leader_name};
        redisReply *rep = 0;
        int rc = redis_callv(s, 0, &rep, 3, argv);
        redis_close(s);
        if (!rc && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
            snprintf(host, hostcap, "%s", rep->element[0]->str);
            *port = atoi(rep->element[1]->str);
            freeReplyObject(rep);
            return 0;
        }
        snprintf(err, errlen, "sentinel %s:%s does not know a leader named \"%s\"", item, colon + 1,
                 cfg->leader_name);
        if (rep) freeReplyObject(rep);
    }
    return ERR_UNAVAILABLE;
}

/* Refuses a server that is not a writable standalone leader. */
static int check_role(struct redis *r, char *err, size_t errlen)
{
    const char *info[] = {"INFO", "cluster"};
    redisReply *rep;
    int rc = redis_callv(r, 0, &rep, 2, info);
    if (rc) {
        snprintf(err, errlen, "Redis at %s closed the connection", r->address);
        return rc;
    }
    bool cluster = rep->type == REDIS_REPLY_STRING && strstr(rep->str, "cluster_enabled:1");
    freeReplyObject(rep);
    if (cluster) {
        snprintf(err, errlen,
                 "Redis at %s is a Redis Cluster, which Strata does not support (as Terraform "
                 "Enterprise does not): use a standalone Redis, or Redis Sentinel for failover",
                 r->address);
        return ERR_CONFIG;
    }
    const char *role[] = {"ROLE"};
    if ((rc = redis_callv(r, 0, &rep, 1, role))) return rc;
    bool leader = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                  rep->element[0]->type == REDIS_REPLY_STRING &&
                  strcmp(rep->element[0]->str, "master") == 0;
    freeReplyObject(rep);
    if (!leader) {
        snprintf(err, errlen, "Redis at %s is a replica, not the leader", r->address);
        return ERR_UNAVAILABLE;
    }
    return 0;
}

int redis_open(const struct redis_config *cfg, struct redis **out, char *err, size_t errlen)
{
    char host[256];
    int port = cfg->port;
    snprintf(host, sizeof host, "%s", cfg->host ? cfg->host : "");
    int rc = cfg->sentinel ? ask_sentinels(cfg, host, sizeof host, &port, err, errlen) : 0;
    if (!rc) rc = open_one(host, port, cfg->password, cfg->tls, cfg->ca_file, out, err, errlen);
    if (!rc && (rc = check_role(*out, err, errlen))) {
        redis_close(*out);
        *out = 0;
    }
    return rc;
}
