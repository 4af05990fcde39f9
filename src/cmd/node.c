/* node.c — `strata node list` and `strata node drain|resume`: the cluster's nodes as the
 * database has them, and the drain request a node reads at its next heartbeat (within a second).
 * Like tfectl's, drain without --node drains the node of this machine. */
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "cluster/cluster.h"
#include "cmd/commands.h"
#include "cmd/services.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
    const char *config, *node;
    bool all, json, wait;
};

static int parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){.config = cmd_default_config()};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            o->config = argv[++i];
        else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc)
            o->node = argv[++i];
        else if (strcmp(argv[i], "--all") == 0)
            o->all = true;
        else if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--wait") == 0)
            o->wait = true;
        else
            return -1;
    }
    return o->node && o->all ? -1 : 0;
}

static void print_nodes(const struct cluster_node *nodes, size_t n, const char *only, bool json)
{
    int64_t now = codec_now_ms();
    json_t *list = json_array();
    if (!json)
        printf("%-28s %-28s %-12s %-8s %-9s %5s %s\n", "NAME", "ADDRESS", "VERSION", "STATE",
               "DRAIN", "JOBS", "LAST HEARTBEAT");
    for (size_t i = 0; i < n; i++) {
        const struct cluster_node *nd = &nodes[i];
        if (only && strcmp(only, nd->name) != 0) continue;
        double ago = (double)(now - nd->heartbeat_at) / 1000.0;
        if (json)
            json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:f}",
                                                  "name", nd->name, "address", nd->address,
                                                  "version", nd->version, "state", nd->state,
                                                  "drain_status", nd->drain_status, "active_jobs",
                                                  (json_int_t)nd->active_jobs, "started_at",
                                                  nd->started_at, "seconds_since_heartbeat", ago));
        else
            printf("%-28s %-28s %-12s %-8s %-9s %5lld %.1fs ago\n", nd->name, nd->address,
                   nd->version, nd->state, nd->drain_status, (long long)nd->active_jobs, ago);
    }
    if (json) {
        char *text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(text);
        free(text);
    }
    json_decref(list);
}

/* Lists the nodes; for drain, those asked (all when name is NULL) and whether any still runs. */
static int show(struct store *st, const char *only, bool json, bool *busy)
{
    struct arena *a = arena_new();
    struct cluster_node *nodes;
    size_t n;
    int rc = cluster_nodes(st, a, &nodes, &n);
    if (rc) {
        fprintf(stderr, "strata: cannot read the nodes\n");
    } else {
        print_nodes(nodes, n, only, json);
        *busy = false;
        for (size_t i = 0; i < n; i++)
            if ((!only || strcmp(only, nodes[i].name) == 0) && nodes[i].drain &&
                strcmp(nodes[i].drain_status, "draining") == 0)
                *busy = true;
    }
    arena_free(a);
    return rc ? 1 : 0;
}

static int drain(struct store *st, const struct settings *s, struct options *o, bool on)
{
    char own[300];
    if (!o->node && !o->all) {
        cluster_node_name(settings_str(s, SETTING_HTTPS_PORT), own, sizeof own);
        o->node = own;
    }
    int64_t found = 0;
    if (cluster_drain(st, o->all ? 0 : o->node, on, &found)) {
        fprintf(stderr, "strata: cannot record the request\n");
        return 1;
    }
    if (!found) {
        fprintf(stderr, "strata: no node %s (strata node list shows them)\n",
                o->all ? "is active" : o->node);
        return 1;
    }
    bool busy = false;
    int rc = show(st, o->all ? 0 : o->node, o->json, &busy);
    /* --wait: until every node asked has finished its jobs (the heartbeat is 1 s) */
    while (!rc && on && o->wait && busy) {
        sleep(1);
        rc = show(st, o->all ? 0 : o->node, o->json, &busy);
    }
    return rc;
}

int cmd_node(int argc, char **argv)
{
    struct options o;
    const char *verb = argc ? argv[0] : "";
    bool known = !strcmp(verb, "list") || !strcmp(verb, "drain") || !strcmp(verb, "resume");
    if (!known || parse(argc - 1, argv + 1, &o)) {
        fprintf(stderr, "usage: strata node list [--json] [--config FILE]\n"
                        "       strata node drain [--node NAME | --all] [--wait] [--json] "
                        "[--config FILE]\n"
                        "       strata node resume [--node NAME | --all] [--config FILE]\n");
        return 2;
    }
    struct settings s;
    char err[1024];
    if (settings_load(o.config, &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 1;
    }
    struct store *st;
    int rc = services_open_database(&s, &st, err, sizeof err);
    if (rc) {
        fprintf(stderr, "strata: %s\n", err);
        settings_free(&s);
        return 1;
    }
    bool busy;
    rc = !strcmp(verb, "list") ? show(st, 0, o.json, &busy)
                               : drain(st, &s, &o, !strcmp(verb, "drain"));
    store_close(st);
    settings_free(&s);
    return rc;
}
