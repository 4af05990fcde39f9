/* notifier.c — a node's notification sender: claims delivery jobs from the bus, sends one
 * attempt, and schedules the next with back-off; once a second it queues again the deliveries
 * that are due (a retry's time came, a job was lost with Redis or claimed before its run's
 * transaction committed, a node died while sending). Every node runs one; a delivery moves
 * between statuses with conditional updates, so it is sent by one node at a time. */
#include "notifications/notification_int.h"
#include "base/log.h"
#include "bus/bus.h"
#include "runs/run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct notifier {
    struct app *app;
    pthread_t thread;
    atomic_bool stop;
};

/* run status → TFE trigger; NULL: no notification */
static const char *trigger_of(const struct run_event *e)
{
    static const struct {
        const char *status, *trigger;
    } map[] = {
        {"pending", "run:created"},
        {"planning", "run:planning"},
        {"applying", "run:applying"},
        {"applied", "run:completed"},
        {"planned_and_finished", "run:completed"},
        {"errored", "run:errored"},
    };
    if (strcmp(e->status, "planned") == 0) return e->auto_apply ? 0 : "run:needs_attention";
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i].status, e->status) == 0) return map[i].trigger;
    return 0;
}

static bool wants(const struct notification_config *cfg, const char *trigger)
{
    json_t *t = json_loads(cfg->triggers, 0, 0);
    bool yes = false;
    size_t i;
    json_t *v;
    json_array_foreach(t, i, v) yes = yes || strcmp(json_string_value(v), trigger) == 0;
    json_decref(t);
    return yes;
}

int notification_on_run_status(struct ctx *c, const struct run_event *e)
{
    const char *trigger = trigger_of(e);
    if (!trigger) return 0;
    struct notification_config *cfgs;
    size_t n;
    int rc = notification_db_of_workspace(c, e->workspace_id, true, &cfgs, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!wants(&cfgs[i], trigger)) continue;
        json_t *p = notification_payload(c, &cfgs[i], e, trigger);
        char *text = json_dumps(p, JSON_COMPACT);
        struct delivery d;
        rc = delivery_create(c, &cfgs[i], e->run_id, trigger, arena_strdup(c->a, text), &d);
        free(text);
        json_decref(p);
    }
    return rc;
}

/* Takes a queued delivery for sending (false when another node has it, or it is not visible
 * yet: its run's transaction has not committed). */
static bool take(struct ctx *c, const char *id)
{
    int64_t n = 0;
    int rc = store_exec(c->app->store,
                        "UPDATE notification_deliveries SET status = 'sending', "
                        "next_attempt_at = $2 WHERE id = $1 AND status = 'queued'",
                        S_ARGS(S_TEXT(id), S_INT(codec_now_ms())), &n);
    return rc == 0 && n == 1;
}

static void send_one(struct notifier *nt, const char *id)
{
    struct ctx c = {.a = arena_new(), .app = nt->app};
    struct store_result r;
    bool taken = false;
    for (int i = 0; i < 5 && !(taken = take(&c, id)); i++)
        usleep(100 * 1000);
    int rc = taken ? 0 : ERR_NOT_FOUND;
    if (!rc)
        rc = store_query(c.app->store, c.a,
                         "SELECT configuration_id, trigger_name, payload, attempts FROM "
                         "notification_deliveries WHERE id = $1",
                         S_ARGS(S_TEXT(id)), &r);
    struct notification_config cfg;
    if (!rc && !r.nrows) rc = ERR_NOT_FOUND;
    if (!rc) rc = notification_db_get(&c, store_cell(&r, 0, 0), &cfg);
    if (rc) {
        arena_free(c.a);
        return;
    }
    struct delivery d = {.id = id,
                         .configuration_id = cfg.id,
                         .trigger = store_cell(&r, 0, 1),
                         .payload = store_cell(&r, 0, 2),
                         .attempts = store_cell_int(&r, 0, 3) + 1};
    bool ok = false;
    const char *refusal = 0;
    if ((rc = delivery_attempt(&c, &cfg, &d, &ok, &refusal)))
        log_warn("notification %s: cannot record its attempt: %s", id, err_name(rc));
    const char *status = ok                                             ? "delivered"
                         : refusal || d.attempts >= NOTIFY_MAX_ATTEMPTS ? "failed"
                                                                        : "retrying";
    int64_t next = codec_now_ms() + (1000LL << (d.attempts - 1)); /* 1, 2, 4, 8 s */
    rc = store_exec(c.app->store,
                    "UPDATE notification_deliveries SET status = $2, attempts = $3, "
                    "next_attempt_at = $4 WHERE id = $1",
                    S_ARGS(S_TEXT(id), S_TEXT(status), S_INT(d.attempts), S_INT(next)), 0);
    if (rc) log_warn("notification %s: cannot record its status: %s", id, err_name(rc));
    arena_free(c.a);
}

/* Queues again what is due: retries whose time came, queued deliveries without a job for 10 s,
 * sends a dead node left unfinished for 2 minutes. */
static void sweep(struct notifier *nt)
{
    struct ctx c = {.a = arena_new(), .app = nt->app};
    int64_t now = codec_now_ms();
    struct store_result r;
    int rc = store_query(c.app->store, c.a,
                         "SELECT id, status, next_attempt_at FROM notification_deliveries WHERE "
                         "(status = 'retrying' AND next_attempt_at <= $1) OR (status = 'queued' "
                         "AND next_attempt_at <= $2) OR (status = 'sending' AND "
                         "next_attempt_at <= $3) LIMIT 100",
                         S_ARGS(S_INT(now), S_INT(now - 10000), S_INT(now - 120000)), &r);
    for (size_t i = 0; !rc && i < r.nrows; i++) {
        int64_t n = 0;
        rc = store_exec(c.app->store,
                        "UPDATE notification_deliveries SET status = 'queued', next_attempt_at = "
                        "$4 WHERE id = $1 AND status = $2 AND next_attempt_at = $3",
                        S_ARGS(S_TEXT(store_cell(&r, i, 0)), S_TEXT(store_cell(&r, i, 1)),
                               S_INT(store_cell_int(&r, i, 2)), S_INT(now)),
                        &n);
        if (!rc && n == 1) rc = bus_enqueue(c.app->bus, NOTIFY_QUEUE, store_cell(&r, i, 0));
    }
    arena_free(c.a);
}

/* Deliveries that ended, and attempts, are kept 30 days (the history a configuration shows is
 * its last 10 attempts). */
static void forget_old(struct notifier *nt)
{
    struct ctx c = {.a = arena_new(), .app = nt->app};
    int64_t days30 = 30LL * 86400 * 1000;
    store_exec(c.app->store,
               "DELETE FROM notification_deliveries WHERE status IN ('delivered', 'failed') AND "
               "next_attempt_at < $1",
               S_ARGS(S_INT(codec_now_ms() - days30)), 0);
    store_exec(c.app->store, "DELETE FROM notification_attempts WHERE sent_at < $1",
               S_ARGS(S_TEXT(codec_iso_ms_ago(c.a, days30))), 0);
    arena_free(c.a);
}

static void *loop(void *arg)
{
    struct notifier *nt = arg;
    char job[256];
    int64_t last_sweep = 0, last_forget = 0;
    while (!atomic_load(&nt->stop)) {
        int rc = bus_claim(nt->app->bus, NOTIFY_QUEUE, 500, job, sizeof job);
        if (rc == ERR_UNAVAILABLE) break;
        if (rc == ERR_IO) usleep(500 * 1000);
        if (!rc) send_one(nt, job);
        if (codec_mono_ms() - last_sweep >= 1000) {
            sweep(nt);
            last_sweep = codec_mono_ms();
        }
        if (codec_mono_ms() - last_forget >= 3600 * 1000) {
            forget_old(nt);
            last_forget = codec_mono_ms();
        }
    }
    return 0;
}

int notifier_start(struct app *app, struct notifier **out)
{
    struct notifier *nt = calloc(1, sizeof *nt);
    if (!nt) return ERR_INTERNAL;
    nt->app = app;
    if (pthread_create(&nt->thread, 0, loop, nt) != 0) {
        free(nt);
        return ERR_INTERNAL;
    }
    *out = nt;
    return 0;
}

void notifier_stop(struct notifier *nt)
{
    if (!nt) return;
    atomic_store(&nt->stop, true);
    pthread_join(nt->thread, 0);
    free(nt);
}
