/* log.c — stderr logger; one fprintf per line so concurrent lines do not interleave. JSON lines
 * are made by jansson (messages carry paths and client text that need escaping). */
#include "base/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static bool as_json;
static char node[256];
static _Thread_local const char *request_id;

void log_set_level(enum log_level level)
{
    min_level = level;
}

void log_set_json(bool json)
{
    as_json = json;
}

void log_set_node(const char *name)
{
    snprintf(node, sizeof node, "%s", name ? name : "");
}

void log_set_request(const char *id)
{
    request_id = id;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char at[96];
    snprintf(at, sizeof at, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    if (!as_json) {
        fprintf(stderr, "%s %-5s %s%s%s%s\n", at, names[level], msg, request_id ? " [" : "",
                request_id ? request_id : "", request_id ? "]" : "");
        return;
    }
    json_t *line =
        json_pack("{s:s, s:s, s:s}", "@timestamp", at, "@level", names[level], "@message", msg);
    if (!line)
        line = json_pack("{s:s, s:s, s:s}", "@timestamp", at, "@level", names[level], "@message",
                         "(a message that is not UTF-8)");
    if (*node) json_object_set_new(line, "node", json_string(node));
    if (request_id) json_object_set_new(line, "request_id", json_string(request_id));
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fprintf(stderr, "%s\n", text ? text : "{}");
    free(text);
    json_decref(line);
}
