/* metrics.h — counters and latency histograms that every layer records into and the metrics
 * endpoint reads out in Prometheus' text format. Recording is a few atomic additions (no lock
 * once a series exists), cheap enough for every request and every database statement. */
#ifndef STRATA_METRICS_H
#define STRATA_METRICS_H

#include <stddef.h>

struct buf;

/* Latencies of the node's dependencies and the duration of run phases. */
enum metric_timer {
    METRIC_DB,          /* one SQL statement */
    METRIC_REDIS,       /* one Redis command (blocking queue pops excluded) */
    METRIC_BLOB_COMMIT, /* a written blob's last chunk and commit (S3: the upload's end) */
    METRIC_BLOB_OPEN,   /* a blob opened for reading (first chunk checked) */
    METRIC_RUN_PLAN,    /* a plan, from claim to outcome */
    METRIC_RUN_APPLY,
    METRIC_QUEUE_PLAN, /* a plan's wait in the queue, from queued to claimed */
    METRIC_QUEUE_APPLY,
    METRIC_TIMER_COUNT_
};

/* One answered request: route is the matched pattern ("/api/v2/workspaces/:id", a static
 * string) or NULL when no route matched; method is "GET", ... */
void metrics_request(const char *route, const char *method, int status, double seconds);
void metrics_time(enum metric_timer t, double seconds);

/* Appends every series in Prometheus' text format, each labelled node="<node>". */
void metrics_render(struct buf *out, const char *node);

/* Seconds since an arbitrary point (CLOCK_MONOTONIC), for timing. */
double metrics_now(void);

#endif
