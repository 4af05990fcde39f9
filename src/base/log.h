/* log.h — one line per event to stderr: time, level, message, and the node and request it
 * belongs to; as text or, for log shippers, as a JSON object per line. Never log secrets. */
#ifndef STRATA_LOG_H
#define STRATA_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set once at start, before threads (not thread-safe to change while serving). */
void log_set_level(enum log_level level);
void log_set_json(bool json);
void log_set_node(const char *node); /* copied */
/* The request the calling thread works for (NULL: none); id must outlive the call's scope. */
void log_set_request(const char *id);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
