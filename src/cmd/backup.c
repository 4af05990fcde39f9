/* backup.c — `strata backup` and `strata restore`: the archive of backup/ written from, or read
 * into, the deployment the settings name. The archive's password comes from a file or from
 * STRATA_BACKUP_PASSWORD, never from the command line (where ps would show it). */
#include "backup/backup.h"
#include "app/app.h"
#include "app/settings.h"
#include "cmd/commands.h"
#include "cmd/services.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MIN_PASSWORD = 12 };

static int password_of(const char *file, char *out, size_t cap)
{
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f || !fgets(out, (int)cap, f)) {
            if (f) fclose(f);
            fprintf(stderr, "strata: cannot read the password from %s\n", file);
            return 1;
        }
        fclose(f);
        out[strcspn(out, "\r\n")] = 0;
    } else {
        const char *env = getenv("STRATA_BACKUP_PASSWORD");
        snprintf(out, cap, "%s", env ? env : "");
    }
    if (strlen(out) < MIN_PASSWORD) {
        fprintf(stderr,
                "strata: the archive's password (--password-file FILE or "
                "STRATA_BACKUP_PASSWORD) must have at least %d characters\n",
                MIN_PASSWORD);
        return 1;
    }
    return 0;
}

static int run(bool restore, const char *config, const char *archive, const char *pwfile)
{
    char password[1024];
    if (password_of(pwfile, password, sizeof password)) return 1;
    struct settings s;
    char err[1024];
    if (settings_load(config, &s, err, sizeof err)) {
        fprintf(stderr, "strata: %s\n", err);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct app app = {
        .settings = &s, .hostname = settings_str(&s, SETTING_HOSTNAME), .node_name = "admin-cli"};
    int rc = services_open_data(&s, &app, restore, err, sizeof err);
    struct backup_counts n = {0};
    if (!rc)
        rc = restore ? backup_restore(&app, settings_str(&s, SETTING_ENC_PASSWORD), archive,
                                      password, &n, err, sizeof err)
                     : backup_write(&app, archive, password, &n, err, sizeof err);
    if (rc)
        fprintf(stderr, "strata: %s\n", err);
    else
        printf("%s %s: %lld tables, %lld rows, %lld blobs (%lld bytes)\n",
               restore ? "restored from" : "backed up to", archive, (long long)n.tables,
               (long long)n.rows, (long long)n.blobs, (long long)n.blob_bytes);
    services_close(&app);
    settings_free(&s);
    sodium_memzero(password, sizeof password);
    curl_global_cleanup();
    return rc ? 1 : 0;
}

/* strata backup --config FILE --output ARCHIVE [--password-file FILE], and restore --input. */
static int command(int argc, char **argv, bool restore)
{
    const char *config = 0, *archive = 0, *pwfile = 0;
    const char *flag = restore ? "--input" : "--output";
    for (int i = 0; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--config"))
            config = argv[i + 1];
        else if (!strcmp(argv[i], flag))
            archive = argv[i + 1];
        else if (!strcmp(argv[i], "--password-file"))
            pwfile = argv[i + 1];
        else
            config = archive = 0, i = argc;
    }
    if (argc % 2 || !config || !archive) {
        fprintf(stderr, "usage: strata %s --config FILE %s ARCHIVE [--password-file FILE]\n",
                restore ? "restore" : "backup", flag);
        return 2;
    }
    if (sodium_init() < 0) return 1;
    return run(restore, config, archive, pwfile);
}

int cmd_backup(int argc, char **argv)
{
    return command(argc, argv, false);
}

int cmd_restore(int argc, char **argv)
{
    return command(argc, argv, true);
}
