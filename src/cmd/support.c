/* support.c — `strata support-bundle`: what HashiCorp support asks of a TFE operator, in one
 * tar.gz: the settings with every secret redacted, versions, the node's health and status, the
 * cluster's nodes, and the node's recent log (from the journal, under the systemd unit
 * install.sh writes). Nothing in it opens data: no password, no key, no row. */
#include "app/settings.h"
#include "base/arena.h"
#include "cluster/cluster.h"
#include "cmd/commands.h"
#include "cmd/services.h"
#include "store/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OUTPUT_MAX = 8 * 1024 * 1024 };

static void add(struct archive *ar, const char *name, const char *text, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, time(0), 0);
    archive_write_header(ar, e);
    archive_write_data(ar, text, len);
    archive_entry_free(e);
}

static void add_json(struct archive *ar, const char *name, json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (text) add(ar, name, text, strlen(text));
    free(text);
}

/* A command's output (at most OUTPUT_MAX bytes), or a line saying it could not run. */
static void add_command(struct archive *ar, const char *name, const char *cmd)
{
    char *out = malloc(OUTPUT_MAX);
    if (!out) abort();
    size_t len = 0;
    FILE *p = popen(cmd, "r");
    if (p) {
        size_t n;
        while (len < OUTPUT_MAX && (n = fread(out + len, 1, OUTPUT_MAX - len, p)) > 0)
            len += n;
        pclose(p);
    }
    if (!len) len = (size_t)snprintf(out, OUTPUT_MAX, "(%s: no output)\n", cmd);
    add(ar, name, out, len);
    free(out);
}

static json_t *settings_redacted(const struct settings *s)
{
    json_t *doc = json_object();
    for (int i = 0; i < SETTING_COUNT_; i++) {
        const char *v = settings_str(s, i);
        json_object_set_new(
            doc, settings_name(i),
            json_pack("{s:s}", "value", settings_is_secret(i) && *v ? "(redacted)" : v));
    }
    return doc;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct {
        char *buf;
        size_t len;
    } *b = arg;
    size_t take = size * n;
    if (b->len + take > 65536) take = 65536 - b->len;
    memcpy(b->buf + b->len, p, take);
    b->len += take;
    return size * n;
}

/* The node's own full health check, over loopback (its certificate names the public host). */
static void add_health(struct archive *ar, const struct settings *s)
{
    char url[256], buf[65536];
    struct {
        char *buf;
        size_t len;
    } b = {buf, 0};
    snprintf(url, sizeof url, "https://127.0.0.1:%s/_health_check?full=1",
             settings_str(s, SETTING_HTTPS_PORT));
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        b.len = (size_t)snprintf(buf, sizeof buf, "the node does not answer at %s: %s\n", url,
                                 curl_easy_strerror(cc));
    add(ar, "health.json", buf, b.len);
}

static void add_nodes(struct archive *ar, const struct settings *s)
{
    struct store *st;
    char err[1024];
    if (services_open_database(s, &st, err, sizeof err)) {
        add(ar, "nodes.txt", err, strlen(err));
        return;
    }
    struct arena *a = arena_new();
    struct cluster_node *nodes;
    size_t n;
    json_t *list = json_array();
    if (!cluster_nodes(st, a, &nodes, &n))
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", nodes[i].name,
                                "address", nodes[i].address, "version", nodes[i].version, "state",
                                nodes[i].state, "drain_status", nodes[i].drain_status,
                                "active_jobs", (json_int_t)nodes[i].active_jobs, "heartbeat_at_ms",
                                (json_int_t)nodes[i].heartbeat_at));
    add_json(ar, "nodes.json", list);
    arena_free(a);
    store_close(st);
}

int cmd_support_bundle(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[0], "--config") || strcmp(argv[2], "--output")) {
        fprintf(stderr, "usage: strata support-bundle --config FILE --output BUNDLE.tar.gz\n");
        return 2;
    }
    struct settings s;
    char err[1024];
    if (settings_load(argv[1], &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 1;
    }
    struct archive *ar = archive_write_new();
    archive_write_add_filter_gzip(ar);
    archive_write_set_format_pax_restricted(ar);
    if (archive_write_open_filename(ar, argv[3]) != ARCHIVE_OK) {
        fprintf(stderr, "strata: cannot write %s: %s\n", argv[3], archive_error_string(ar));
        archive_write_free(ar);
        settings_free(&s);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    add_json(ar, "settings.json", settings_redacted(&s));
    char versions[512];
    int n = snprintf(versions, sizeof versions, "strata %s (release sequence %d)\n", STRATA_VERSION,
                     STRATA_RELEASE_SEQUENCE);
    add(ar, "version.txt", versions, (size_t)n);
    add_command(ar, "terraform-version.txt", "terraform version 2>&1");
    add_command(ar, "os.txt", "uname -a; cat /etc/os-release 2>&1");
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "cat '%s/node-status.json' 2>&1",
             settings_str(&s, SETTING_DISK_PATH));
    add_command(ar, "node-status.json", cmd);
    add_health(ar, &s);
    add_nodes(ar, &s);
    add_command(ar, "strata.log",
                "journalctl -u strata --no-pager -n 5000 -o short-iso 2>&1 || echo '(no journal)'");
    int rc = archive_write_close(ar) == ARCHIVE_OK ? 0 : 1;
    archive_write_free(ar);
    curl_global_cleanup();
    settings_free(&s);
    if (rc)
        fprintf(stderr, "strata: cannot write %s\n", argv[3]);
    else
        printf("wrote %s (secrets redacted)\n", argv[3]);
    return rc;
}
