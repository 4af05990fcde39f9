/* redis.h — one connection to Redis: hiredis formats the commands and parses the replies (its
 * reader), the transport is ours (Debian's hiredis 0.14 has no TLS): a TCP socket, optionally
 * TLS 1.2+ through OpenSSL, password authentication, the leader found through Sentinel.
 * A connection is used by one thread at a time. */
#ifndef STRATA_REDIS_H
#define STRATA_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

struct redis_config {
    const char *host;
    int port;
    const char *password; /* NULL or "": no AUTH */
    bool tls;
    const char *ca_file; /* NULL or "": the system's CAs */
    /* Sentinel: host and port above are ignored; the leader is asked of the sentinels */
    bool sentinel;
    const char *sentinel_hosts; /* "host:port,host:port" */
    const char *leader_name;
    const char *sentinel_password;
};

struct redis;

/* Connects (through the sentinels when configured), authenticates and checks that the server
 * is a writable leader and not a Redis Cluster. On failure returns ERR_UNAVAILABLE, or
 * ERR_CONFIG for a setup Strata refuses, with the reason in err. The caller frees *out with
 * redis_close. */
int redis_open(const struct redis_config *cfg, struct redis **out, char *err, size_t errlen);
void redis_close(struct redis *r);

/* Sends one command (lens NULL: the arguments are NUL-terminated) and reads its reply, waiting up
 * to timeout_ms for it. The caller frees *reply with freeReplyObject. An error reply is returned as
 * a reply (type REDIS_REPLY_ERROR), except READONLY (a leader demoted by a failover) which, like a
 * broken connection, answers ERR_UNAVAILABLE: the connection is then unusable and must be closed.
 */
int redis_call(struct redis *r, int timeout_ms, redisReply **reply, int argc, const char **argv,
               const size_t *lens);

/* Reads one more reply without sending anything (a subscription's messages): ERR_NOT_FOUND
 * when none came within timeout_ms (the connection stays usable), ERR_UNAVAILABLE when it broke.
 */
int redis_read(struct redis *r, int timeout_ms, redisReply **reply);

/* Whether bytes of a reply already read from the socket wait in this connection's buffers. */
bool redis_buffered(const struct redis *r);
/* Waits up to timeout_ms for something to read: 0 when there is (or redis_buffered), else
 * ERR_NOT_FOUND. */
int redis_wait(struct redis *r, int timeout_ms);
/* The connection's socket, for asking the kernel what waits in it (never to read from it). */
int redis_fd(const struct redis *r);

/* The same with NUL-terminated arguments. */
int redis_callv(struct redis *r, int timeout_ms, redisReply **reply, int argc,
                const char *const *argv);

/* "host:port" of the server this connection reached. */
const char *redis_address(const struct redis *r);

#endif
