/* run_log.c — plan and apply logs. While a phase runs its log is a local file that grows (the
 * log-read URL serves it as it is); when the phase ends the log is framed with ETX, sealed into
 * the blob store and the file removed. Reads take ?offset=&limit= as the CLI sends them.
 * With several nodes the growing log is also appended to the bus, where the other nodes read it:
 * any node serves any phase's log, live. Sources, in order: this node's file, the bus, the
 * blob (the blob is stored before the bus copy is dropped, so a reader always finds one). */
#include "runs/run_int.h"
#include "app/pagination.h"
#include "app/settings.h"
#include "app/signed_url.h"
#include "base/fs.h"
#include "base/log.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "http/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { LOG_URL_TTL = 24 * 3600, READ_MAX = 1024 * 1024 };

struct run_log {
    struct app *app;
    char phase_id[64];
    char path[4200];
    int fd;
    int64_t written; /* bytes in the file, what the bus copy should hold */
};

/* The blob of a finished phase's log. */
static void blob_key(const char *phase_id, char key[128])
{
    snprintf(key, 128, "logs/%s", phase_id);
}

static void log_path(const struct app *app, const char *phase_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/logs/%s.log", settings_str(app->settings, SETTING_DISK_PATH), phase_id);
}

const char *run_log_url(struct ctx *c, const char *phase_id)
{
    return signed_url_make(c, "/_archivist/logs", "log-get", phase_id, LOG_URL_TTL);
}

int run_log_open(struct app *app, const char *phase_id, struct run_log **out)
{
    struct run_log *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->app = app;
    snprintf(l->phase_id, sizeof l->phase_id, "%s", phase_id);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/logs", settings_str(app->settings, SETTING_DISK_PATH));
    if (fs_mkdirs(dir)) {
        free(l);
        return ERR_IO;
    }
    log_path(app, phase_id, l->path, sizeof l->path);
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (l->fd < 0) {
        free(l);
        return ERR_IO;
    }
    bus_log_drop(app->bus, phase_id); /* what a node that died in this phase left */
    *out = l;
    return run_log_write(l, "\x02", 1);
}

/* Puts the whole file on the bus again after the bus lost its copy (Redis restarted). */
static void republish(struct run_log *l)
{
    if (bus_log_drop(l->app->bus, l->phase_id)) return;
    int fd = open(l->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[65536];
    ssize_t n;
    int64_t total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (bus_log_append(l->app->bus, l->phase_id, buf, (size_t)n, &total)) break;
    close(fd);
    log_info("log %s: put back on the bus (%lld bytes)", l->phase_id, (long long)total);
}

int run_log_write(struct run_log *l, const void *p, size_t n)
{
    int rc = fs_write_all(l->fd, p, n);
    if (rc) return rc;
    l->written += (int64_t)n;
    int64_t total = -1;
    /* the bus copy is for other nodes' readers: its trouble never fails the run */
    if (bus_log_append(l->app->bus, l->phase_id, p, n, &total) == 0 && total >= 0 &&
        total != l->written)
        republish(l);
    return 0;
}

int run_log_close(struct run_log *l)
{
    int rc = run_log_write(l, "\x03", 1);
    close(l->fd);
    char key[128];
    blob_key(l->phase_id, key);
    if (!rc) rc = blob_put_file(l->app->blobs, key, l->path);
    if (!rc) {
        unlink(l->path);
        bus_log_drop(l->app->bus, l->phase_id);
    } else {
        log_error("log %s: kept at %s, not stored: %s", l->phase_id, l->path, err_name(rc));
    }
    free(l);
    return rc;
}

/* Reads up to limit bytes from offset of the phase's log into out. */
static int read_log(struct ctx *c, const char *phase_id, int64_t offset, size_t limit, char *out,
                    size_t *got)
{
    char path[4200];
    log_path(c->app, phase_id, path, sizeof path);
    *got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = pread(fd, out, limit, offset);
        close(fd);
        if (n < 0) return ERR_IO;
        *got = (size_t)n;
        return 0;
    }
    int rc = bus_log_read(c->app->bus, phase_id, offset, out, limit, got);
    if (rc == 0) return 0;
    /* not on the bus, or the bus is away (failing over): the blob, else nothing yet; the
     * client asks again */
    *got = 0;
    struct blob_reader *r;
    char key[128];
    blob_key(phase_id, key);
    rc = blob_reader_open(c->app->blobs, key, &r);
    if (rc == ERR_NOT_FOUND) return 0; /* not started yet: an empty log */
    if (rc) return rc;
    char skip[65536];
    int64_t left = offset;
    size_t n = 0;
    while (!rc && left > 0) {
        rc =
            blob_reader_read(r, skip, left < (int64_t)sizeof skip ? (size_t)left : sizeof skip, &n);
        if (!n) break;
        left -= (int64_t)n;
    }
    while (!rc && *got < limit && !(rc = blob_reader_read(r, out + *got, limit - *got, &n)) && n)
        *got += n;
    blob_reader_close(r);
    return rc;
}

static void serve(struct http_request *r, void *app)
{
    struct ctx c;
    api_begin_anonymous(&c, r, app);
    const char *phase_id;
    int rc = signed_url_check(&c, "log-get", http_req_param(r, "token"), &phase_id);
    if (rc) return api_fail(&c, rc);
    int64_t offset, limit;
    /* the reader adds up to READ_MAX to offset (Redis' GETRANGE end) */
    rc = query_int(&c, "offset", 0, INT64_MAX - READ_MAX, 0, &offset);
    if (!rc) rc = query_int(&c, "limit", 0, INT64_MAX, READ_MAX, &limit);
    if (rc) return api_fail(&c, rc);
    if (limit == 0 || limit > READ_MAX) limit = READ_MAX; /* a larger ask reads what one read may */
    char *buf = arena_alloc(c.a, (size_t)limit);
    size_t got = 0;
    rc = read_log(&c, phase_id, offset, (size_t)limit, buf, &got);
    if (rc) return api_fail(&c, rc);
    http_respond(r, 200, "text/plain", buf, got);
}

const struct http_route run_log_routes[] = {
    {HTTP_M_GET, "/_archivist/logs/:token", serve, 0, 0},
    {0, 0, 0, 0, 0},
};

void run_log_printf(struct run_log *l, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0) run_log_write(l, msg, strlen(msg));
}

void run_log_salvage(struct app *app, const char *phase_id, const char *note)
{
    char key[128];
    blob_key(phase_id, key);
    struct blob_writer *w;
    if (blob_writer_open(app->blobs, key, &w)) return;
    char buf[65536];
    size_t n = 0;
    int64_t offset = 0;
    int rc = 0;
    bool any = false;
    while (!(rc = bus_log_read(app->bus, phase_id, offset, buf, sizeof buf, &n)) && n) {
        any = true;
        if ((rc = blob_writer_write(w, buf, n))) break;
        offset += (int64_t)n;
    }
    if (!any) rc = blob_writer_write(w, "\x02", 1); /* nothing reached the bus */
    if (!rc || rc == ERR_NOT_FOUND) rc = blob_writer_write(w, note, strlen(note));
    if (!rc) rc = blob_writer_write(w, "\x03", 1);
    if (rc) {
        blob_writer_abort(w);
        log_error("log %s: could not be salvaged: %s", phase_id, err_name(rc));
        return;
    }
    if (!blob_writer_commit(w)) bus_log_drop(app->bus, phase_id);
}
