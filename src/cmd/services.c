/* services.c — the embedded services (SQLite, local disk, in-process queue) or the external ones
 * (PostgreSQL, S3, Redis) behind the same interfaces. */
#include "cmd/services.h"
#include "app/app.h"
#include "app/node_cache.h"
#include "app/principal_cache.h"
#include "app/settings.h"
#include "base/err.h"
#include "base/fs.h"
#include "blob/blob.h"
#include "bus/bus.h"
#include "bus/redis.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "workspaces/workspace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PG_POOL_SIZE = 16 };

/* Appends key='value' to a libpq conninfo, quoting as libpq reads it. */
static void conninfo_add(char *out, size_t cap, const char *key, const char *value, size_t vlen)
{
    size_t len = strlen(out);
    len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%s%s='", len ? " " : "", key);
    for (size_t i = 0; i < vlen && len + 3 < cap; i++) {
        if (value[i] == '\'' || value[i] == '\\') out[len++] = '\\';
        out[len++] = value[i];
    }
    if (len + 2 < cap) {
        out[len++] = '\'';
        out[len] = 0;
    }
}

/* pg_netloc is host or host:port ([v6]:port); pg_extra_params is key=value&key=value. */
static void pg_conninfo(const struct settings *s, char *out, size_t cap)
{
    out[0] = 0;
    const char *netloc = settings_str(s, SETTING_PG_NETLOC);
    const char *colon = strrchr(netloc, ':');
    const char *bracket = strchr(netloc, ']');
    if (colon && bracket && colon < bracket) colon = 0;
    size_t hostlen = colon ? (size_t)(colon - netloc) : strlen(netloc);
    if (netloc[0] == '[' && bracket) {
        conninfo_add(out, cap, "host", netloc + 1, (size_t)(bracket - netloc - 1));
    } else {
        conninfo_add(out, cap, "host", netloc, hostlen);
    }
    if (colon) conninfo_add(out, cap, "port", colon + 1, strlen(colon + 1));
    const char *user = settings_str(s, SETTING_PG_USER), *pw = settings_str(s, SETTING_PG_PASSWORD),
               *db = settings_str(s, SETTING_PG_DBNAME);
    conninfo_add(out, cap, "user", user, strlen(user));
    if (*pw) conninfo_add(out, cap, "password", pw, strlen(pw));
    conninfo_add(out, cap, "dbname", db, strlen(db));
    conninfo_add(out, cap, "connect_timeout", "5", 1);
    conninfo_add(out, cap, "application_name", "strata", 6);
    for (const char *p = settings_str(s, SETTING_PG_EXTRA_PARAMS); *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        conninfo_add(out, cap, key, eq + 1, (size_t)(p + n - eq - 1));
        p += n + (p[n] == '&');
    }
}

static int open_store(const struct settings *s, struct store **store, char *err, size_t errlen)
{
    if (settings_external(s)) {
        char conninfo[4096];
        pg_conninfo(s, conninfo, sizeof conninfo);
        int rc = store_open_postgres(conninfo, PG_POOL_SIZE, store);
        if (rc)
            snprintf(err, errlen,
                     "cannot connect to PostgreSQL at \"%s\" (settings \"pg_netloc\", "
                     "\"pg_user\", \"pg_password\", \"pg_dbname\", \"pg_extra_params\"); the "
                     "log says why",
                     settings_str(s, SETTING_PG_NETLOC));
        return rc;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/strata.db", settings_str(s, SETTING_DISK_PATH));
    int rc = store_open_sqlite(path, store);
    if (rc) snprintf(err, errlen, "cannot open the database %s", path);
    return rc;
}

static int open_blobs(const struct settings *s, struct app *app, char *err, size_t errlen)
{
    if (settings_external(s)) {
        struct blob_s3_config cfg = {
            .endpoint = settings_str(s, SETTING_S3_ENDPOINT),
            .bucket = settings_str(s, SETTING_S3_BUCKET),
            .region = settings_str(s, SETTING_S3_REGION),
            .access_key = settings_str(s, SETTING_AWS_ACCESS_KEY_ID),
            .secret_key = settings_str(s, SETTING_AWS_SECRET_ACCESS_KEY),
            .sse = settings_str(s, SETTING_S3_SSE),
            .kms_key_id = settings_str(s, SETTING_S3_SSE_KMS_KEY_ID),
            .probe_name = app->node_name,
        };
        int rc = blob_open_s3(&cfg, app->keyring, &app->blobs);
        if (rc)
            snprintf(err, errlen,
                     "cannot write, read and delete an object in bucket \"%s\" at %s (settings "
                     "\"s3_bucket\", \"s3_endpoint\", \"s3_region\", \"aws_access_key_id\", "
                     "\"aws_secret_access_key\"); the log has the storage's answer",
                     cfg.bucket, *cfg.endpoint ? cfg.endpoint : "AWS S3");
        return rc;
    }
    char root[4200];
    snprintf(root, sizeof root, "%s/blobs", settings_str(s, SETTING_DISK_PATH));
    int rc = blob_open_disk(root, app->keyring, &app->blobs);
    if (rc) snprintf(err, errlen, "cannot open the blob store %s", root);
    return rc;
}

static int open_bus(const struct settings *s, struct bus **bus, char *err, size_t errlen)
{
    bool sentinel = settings_flag(s, SETTING_REDIS_SENTINEL_ENABLED);
    if (!*settings_str(s, SETTING_REDIS_HOST) && !sentinel) {
        *bus = bus_new_local();
        return 0;
    }
    struct redis_config cfg = {
        .host = settings_str(s, SETTING_REDIS_HOST),
        .port = (int)settings_int(s, SETTING_REDIS_PORT),
        .password = settings_flag(s, SETTING_REDIS_USE_PASSWORD_AUTH)
                        ? settings_str(s, SETTING_REDIS_PASS)
                        : "",
        .tls = settings_flag(s, SETTING_REDIS_USE_TLS),
        .ca_file = settings_str(s, SETTING_REDIS_CA_CERT_FILE),
        .sentinel = sentinel,
        .sentinel_hosts = settings_str(s, SETTING_REDIS_SENTINEL_HOSTS),
        .leader_name = settings_str(s, SETTING_REDIS_SENTINEL_LEADER_NAME),
        .sentinel_password = settings_str(s, SETTING_REDIS_SENTINEL_PASSWORD),
    };
    char why[512];
    int rc = bus_open_redis(&cfg, bus, why, sizeof why);
    if (rc)
        snprintf(err, errlen,
                 "%s (settings \"redis_host\", \"redis_port\", \"redis_use_tls\", "
                 "\"redis_use_password_auth\", \"redis_pass\"%s%s)",
                 why, cfg.tls ? ", \"redis_ca_cert_file\"" : "",
                 sentinel ? ", \"redis_sentinel_*\"" : "");
    return rc;
}

int services_open_data(const struct settings *s, struct app *app, bool migrate, char *err,
                       size_t errlen)
{
    const char *dir = settings_str(s, SETTING_DISK_PATH);
    err[0] = 0;
    if (fs_mkdirs(dir) != 0) {
        snprintf(err, errlen, "setting \"disk_path\": cannot create %s: %s", dir, strerror(errno));
        return ERR_CONFIG;
    }
    int rc = open_store(s, &app->store, err, errlen);
    if (rc) return rc;
    bool existing = false;
    rc = store_table_exists(app->store, "keyring", &existing);
    if (!rc && !existing && !migrate) {
        snprintf(err, errlen, "the database has no data yet: start a node with these settings");
        return ERR_CONFIG;
    }
    if (!rc && !existing) rc = store_migrate(app->store, err, errlen);
    if (!rc)
        rc = keyring_open(app->store, settings_str(s, SETTING_ENC_PASSWORD), &app->keyring, err,
                          errlen);
    if (!rc && existing && migrate) rc = store_migrate(app->store, err, errlen);
    /* runs under another account reach their folder in disk_path/work, nothing else */
    if (!rc && geteuid() == 0) chmod(dir, 0711);
    if (rc) {
        if (!err[0]) snprintf(err, errlen, "cannot prepare the database");
        return rc;
    }
    return open_blobs(s, app, err, errlen);
}

int services_open(const struct settings *s, struct app *app, char *err, size_t errlen)
{
    int rc = services_open_data(s, app, true, err, errlen);
    if (rc) return rc;
    if ((rc = open_bus(s, &app->bus, err, errlen))) return rc;
    rc = node_cache_new(app->bus, PRINCIPAL_CACHE_CHANNEL, PRINCIPAL_CACHE_MS, &app->principals);
    if (!rc)
        rc = node_cache_new(app->bus, WORKSPACE_CACHE_CHANNEL, WORKSPACE_CACHE_MS,
                            &app->workspace_cache);
    if (rc) snprintf(err, errlen, "cannot subscribe to the bus");
    return rc;
}

int services_open_database(const struct settings *s, struct store **store, char *err, size_t errlen)
{
    err[0] = 0;
    *store = 0;
    int rc = open_store(s, store, err, errlen);
    bool ready = false;
    if (!rc) rc = store_table_exists(*store, "nodes", &ready);
    if (!rc && !ready) {
        snprintf(err, errlen, "the database has no nodes yet: start a node with these settings");
        rc = ERR_CONFIG;
    }
    if (rc && *store) {
        store_close(*store);
        *store = 0;
    }
    if (rc && !err[0]) snprintf(err, errlen, "cannot read the database");
    return rc;
}

void services_close(struct app *app)
{
    bus_free(app->bus); /* first: it stops delivering to the cache */
    node_cache_free(app->principals);
    node_cache_free(app->workspace_cache);
    app->bus = 0;
    app->principals = 0;
    app->workspace_cache = 0;
    blob_store_free(app->blobs);
    keyring_free(app->keyring);
    store_close(app->store);
    app->blobs = 0;
    app->keyring = 0;
    app->store = 0;
}
