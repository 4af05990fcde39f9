/* status.c — the node's status file, <disk_path>/node-status.json, and `strata app status`,
 * which prints it in replicatedctl's form (a JSON array of one application). A file left at
 * "started" by a node that died is reported "stopped": the file names the node's process. */
#include "cmd/status.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/fs.h"
#include "base/log.h"
#include "cmd/commands.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void status_path(const struct settings *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/node-status.json", settings_str(s, SETTING_DISK_PATH));
}

void status_write(const struct settings *s, const char *state, const char *desired,
                  const char *error)
{
    char path[4200], tmp[4300];
    status_path(s, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    fs_mkdirs(settings_str(s, SETTING_DISK_PATH)); /* a node failing early has not made it */
    struct arena *a = arena_new();
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:i}", "state", state, "desired", desired,
                            "error", error, "sequence", (json_int_t)STRATA_RELEASE_SEQUENCE,
                            "modified_at", codec_now_iso(a), "pid", (int)getpid());
    if (json_dump_file(doc, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0) {
        log_warn("cannot record the node's status in %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    json_decref(doc);
    arena_free(a);
}

static bool alive(json_int_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

const char *cmd_default_config(void)
{
    return access("/etc/replicated.conf", R_OK) == 0 ? "/etc/replicated.conf"
                                                     : "/etc/ptfe-settings.json";
}

static int app_status(const char *config)
{
    struct settings s;
    char err[1024];
    if (settings_load(config, &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 1;
    }
    char path[4200];
    status_path(&s, path, sizeof path);
    json_error_t je;
    json_t *file = json_load_file(path, 0, &je);
    const char *state = "stopped", *desired = "stopped", *error = "", *at = "";
    json_int_t sequence = STRATA_RELEASE_SEQUENCE;
    if (file) {
        state = json_string_value(json_object_get(file, "state"));
        desired = json_string_value(json_object_get(file, "desired"));
        error = json_string_value(json_object_get(file, "error"));
        at = json_string_value(json_object_get(file, "modified_at"));
        sequence = json_integer_value(json_object_get(file, "sequence"));
        if (!state || !desired || !error || !at) {
            fprintf(stderr, "strata: %s is not a node status file\n", path);
            json_decref(file);
            settings_free(&s);
            return 1;
        }
        /* a node that died without saying so: what it was doing ended with it */
        if (strcmp(state, "stopped") != 0 &&
            !alive(json_integer_value(json_object_get(file, "pid")))) {
            state = "stopped";
            if (!*error) error = "the node's process ended without stopping";
        }
    }
    struct arena *a = arena_new();
    char *app_id = codec_sha256_hex(a, settings_str(&s, SETTING_HOSTNAME),
                                    strlen(settings_str(&s, SETTING_HOSTNAME)));
    app_id[32] = 0; /* one id per deployment: the nodes of a cluster share the hostname */
    json_t *out = json_pack("[{s:s, s:I, s:i, s:s, s:s, s:s, s:b, s:b, s:s}]", "AppID", app_id,
                            "Sequence", sequence, "PatchSequence", 0, "State", state,
                            "DesiredState", desired, "Error", error, "IsCancellable", 0,
                            "IsTransitioning", strcmp(state, desired) != 0, "LastModifiedAt", at);
    char *text = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    json_decref(out);
    json_decref(file);
    arena_free(a);
    settings_free(&s);
    return 0;
}

int cmd_app(int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "status") == 0) return app_status(cmd_default_config());
    if (argc == 3 && strcmp(argv[0], "status") == 0 && strcmp(argv[1], "--config") == 0)
        return app_status(argv[2]);
    fprintf(stderr, "usage: strata app status [--config FILE]\n");
    return 2;
}
