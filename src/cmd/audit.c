/* audit.c — `strata audit-trail`: the audit trail exported as JSON lines (TFE's audit trail
 * objects, oldest first), for a log archive or a SIEM; read from the database the settings
 * name, without a running node. */
#include "admin/admin.h"
#include "app/api.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/codec.h"
#include "base/err.h"
#include "cmd/commands.h"
#include "cmd/services.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int export(struct store *db, const char *org, const char *since)
{
    struct app app = {.store = db};
    struct ctx c = {.a = arena_new(), .app = &app};
    const char *org_id = 0;
    int rc = 0;
    if (org) {
        struct store_result r;
        rc = store_query(db, c.a, "SELECT external_id FROM organizations WHERE name = $1",
                         S_ARGS(S_TEXT(org)), &r);
        if (!rc && !r.nrows) {
            fprintf(stderr, "strata: no organization is named \"%s\"\n", org);
            rc = ERR_NOT_FOUND;
        }
        if (!rc) org_id = store_cell(&r, 0, 0);
    }
    for (int64_t page = 1; !rc; page++) {
        json_t *events;
        int64_t total;
        if ((rc = audit_trail_read(&c, org_id, since, page, 1000, &events, &total))) break;
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            char *line = json_dumps(e, JSON_COMPACT);
            if (line) puts(line);
            free(line);
        }
        bool last = json_array_size(events) < 1000;
        json_decref(events);
        if (last) break;
    }
    arena_free(c.a);
    return rc;
}

/* strata audit-trail --config FILE [--organization NAME] [--since TIME] */
int cmd_audit_trail(int argc, char **argv)
{
    const char *config = cmd_default_config(), *org = 0, *since = 0;
    int64_t t;
    bool bad = argc % 2 != 0;
    for (int i = 0; !bad && i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--config"))
            config = argv[i + 1];
        else if (!strcmp(argv[i], "--organization"))
            org = argv[i + 1];
        else if (!strcmp(argv[i], "--since"))
            since = argv[i + 1];
        else
            bad = true;
    }
    if (bad || (since && !codec_parse_iso(since, &t))) {
        fprintf(stderr, "usage: strata audit-trail [--config FILE] [--organization NAME] "
                        "[--since 2026-01-31T00:00:00Z]\n");
        return 2;
    }
    struct arena *a = arena_new();
    if (since) since = codec_iso_of_unix(a, t);
    struct settings s;
    char err[1024];
    struct store *db = 0;
    int rc = settings_load(config, &s, err, sizeof err);
    if (!rc) {
        rc = services_open_database(&s, &db, err, sizeof err);
        settings_free(&s);
    }
    if (rc)
        fprintf(stderr, "strata: %s\n", err);
    else
        rc = export(db, org, since);
    if (db) store_close(db);
    arena_free(a);
    return rc ? 1 : 0;
}
