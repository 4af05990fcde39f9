/* settings_env.c — settings from the environment variables Terraform Enterprise's Flexible
 * Deployment Options read (developer.hashicorp.com/terraform/enterprise/deploy/reference/
 * configuration), so automation written for today's TFE starts Strata unchanged. A variable
 * overrides the same setting from a file; TFE's "true"/"false" become "1"/"0". */
#include "app/settings.h"
#include "base/err.h"
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

enum conv {
    AS_IS,
    BOOL,     /* true/false (and 1/0) */
    HOSTPORT, /* host[:port] into the setting and, for Redis, redis_port */
    PEM_FILE, /* a file whose PEM text is the setting */
};

static const struct {
    const char *env;
    enum setting_id id;
    enum conv conv;
} map[] = {
    {"TFE_HOSTNAME", SETTING_HOSTNAME, AS_IS},
    {"TFE_HTTPS_PORT", SETTING_HTTPS_PORT, AS_IS},
    {"TFE_ENCRYPTION_PASSWORD", SETTING_ENC_PASSWORD, AS_IS},
    {"TFE_DISK_PATH", SETTING_DISK_PATH, AS_IS},
    {"TFE_CAPACITY_CONCURRENCY", SETTING_CAPACITY_CONCURRENCY, AS_IS},
    {"TFE_CAPACITY_MEMORY", SETTING_CAPACITY_MEMORY, AS_IS},
    {"TFE_IACT_SUBNETS", SETTING_IACT_SUBNET_LIST, AS_IS},
    {"TFE_IACT_TIME_LIMIT", SETTING_IACT_SUBNET_TIME_LIMIT, AS_IS},
    {"TFE_TLS_CERT_FILE", SETTING_TLS_CERT_FILE, AS_IS},
    {"TFE_TLS_KEY_FILE", SETTING_TLS_KEY_FILE, AS_IS},
    {"TFE_TLS_CA_BUNDLE_FILE", SETTING_CA_CERTS, PEM_FILE},
    {"TFE_DATABASE_HOST", SETTING_PG_NETLOC, AS_IS},
    {"TFE_DATABASE_NAME", SETTING_PG_DBNAME, AS_IS},
    {"TFE_DATABASE_USER", SETTING_PG_USER, AS_IS},
    {"TFE_DATABASE_PASSWORD", SETTING_PG_PASSWORD, AS_IS},
    {"TFE_DATABASE_PARAMETERS", SETTING_PG_EXTRA_PARAMS, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_BUCKET", SETTING_S3_BUCKET, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_REGION", SETTING_S3_REGION, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_ENDPOINT", SETTING_S3_ENDPOINT, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_ACCESS_KEY_ID", SETTING_AWS_ACCESS_KEY_ID, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_SECRET_ACCESS_KEY", SETTING_AWS_SECRET_ACCESS_KEY, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_SERVER_SIDE_ENCRYPTION", SETTING_S3_SSE, AS_IS},
    {"TFE_OBJECT_STORAGE_S3_SERVER_SIDE_ENCRYPTION_KMS_KEY_ID", SETTING_S3_SSE_KMS_KEY_ID, AS_IS},
    {"TFE_REDIS_HOST", SETTING_REDIS_HOST, HOSTPORT},
    {"TFE_REDIS_USE_AUTH", SETTING_REDIS_USE_PASSWORD_AUTH, BOOL},
    {"TFE_REDIS_PASSWORD", SETTING_REDIS_PASS, AS_IS},
    {"TFE_REDIS_USE_TLS", SETTING_REDIS_USE_TLS, BOOL},
    {"TFE_REDIS_SENTINEL_ENABLED", SETTING_REDIS_SENTINEL_ENABLED, BOOL},
    {"TFE_REDIS_SENTINEL_HOSTS", SETTING_REDIS_SENTINEL_HOSTS, AS_IS},
    {"TFE_REDIS_SENTINEL_LEADER_NAME", SETTING_REDIS_SENTINEL_LEADER_NAME, AS_IS},
    {"TFE_REDIS_SENTINEL_PASSWORD", SETTING_REDIS_SENTINEL_PASSWORD, AS_IS},
    {"TFE_METRICS_ENABLE", SETTING_METRICS_ENDPOINT_ENABLED, BOOL},
    {"TFE_METRICS_HTTP_PORT", SETTING_METRICS_ENDPOINT_PORT_HTTP, AS_IS},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ERR_CONFIG;
}

static void set(struct settings *s, enum setting_id id, const char *value, const char *env)
{
    free(s->values[id]);
    if (!(s->values[id] = strdup(value))) abort();
    s->origin[id] = env;
}

/* A PEM file's text (at most 1 MiB); NULL when unreadable. The caller frees it. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char *text = calloc(1, (1 << 20) + 1);
    if (!text) abort();
    size_t n = fread(text, 1, 1 << 20, f);
    fclose(f);
    text[n] = 0;
    return text;
}

static int apply(struct settings *s, size_t i, const char *v, char *err, size_t errlen)
{
    const char *env = map[i].env;
    switch (map[i].conv) {
    case AS_IS:
        set(s, map[i].id, v, env);
        return 0;
    case BOOL:
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0"))
            return fail(err, errlen, "environment variable %s: expected true or false, got \"%s\"",
                        env, v);
        set(s, map[i].id, !strcmp(v, "true") || !strcmp(v, "1") ? "1" : "0", env);
        return 0;
    case HOSTPORT: {
        const char *colon = strrchr(v, ':');
        if (!colon || strchr(v, ']') > colon || strchr(v, ':') != colon) {
            set(s, map[i].id, v, env); /* a host alone (or an IPv6 address without a port) */
            return 0;
        }
        char host[512];
        snprintf(host, sizeof host, "%.*s", (int)(colon - v), v);
        set(s, map[i].id, host, env);
        set(s, SETTING_REDIS_PORT, colon + 1, env);
        return 0;
    }
    case PEM_FILE: {
        char *text = read_text(v);
        if (!text) return fail(err, errlen, "environment variable %s: cannot read %s", env, v);
        set(s, map[i].id, text, env);
        free(text);
        return 0;
    }
    }
    return 0;
}

/* TFE_OPERATIONAL_MODE and TFE_OBJECT_STORAGE_TYPE, which map onto more than one setting. */
static int apply_modes(struct settings *s, char *err, size_t errlen)
{
    const char *mode = getenv("TFE_OPERATIONAL_MODE");
    if (mode) {
        if (strcmp(mode, "disk") && strcmp(mode, "external") && strcmp(mode, "active-active"))
            return fail(err, errlen,
                        "environment variable TFE_OPERATIONAL_MODE: expected disk, external or "
                        "active-active, got \"%s\"",
                        mode);
        set(s, SETTING_PRODUCTION_TYPE, strcmp(mode, "disk") ? "external" : "disk",
            "TFE_OPERATIONAL_MODE");
        set(s, SETTING_ENABLE_ACTIVE_ACTIVE, strcmp(mode, "active-active") ? "0" : "1",
            "TFE_OPERATIONAL_MODE");
    }
    const char *storage = getenv("TFE_OBJECT_STORAGE_TYPE");
    if (storage && strcmp(storage, "s3") != 0)
        return fail(err, errlen,
                    "environment variable TFE_OBJECT_STORAGE_TYPE: \"%s\" is not supported; "
                    "Strata speaks S3 (AWS or any S3-compatible storage)",
                    storage);
    const char *profile = getenv("TFE_OBJECT_STORAGE_S3_USE_INSTANCE_PROFILE");
    if (profile && strcmp(profile, "true") == 0)
        return fail(err, errlen,
                    "environment variable TFE_OBJECT_STORAGE_S3_USE_INSTANCE_PROFILE: instance "
                    "profiles are not supported; set TFE_OBJECT_STORAGE_S3_ACCESS_KEY_ID and "
                    "TFE_OBJECT_STORAGE_S3_SECRET_ACCESS_KEY");
    return 0;
}

bool settings_env_present(void)
{
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "TFE_", 4) == 0) return true;
    return false;
}

int settings_apply_env(struct settings *s, char *err, size_t errlen)
{
    int rc = apply_modes(s, err, errlen);
    for (size_t i = 0; !rc && i < sizeof map / sizeof *map; i++) {
        const char *v = getenv(map[i].env);
        if (v) rc = apply(s, i, v, err, errlen);
    }
    for (char **e = environ; !rc && e && *e; e++) {
        if (strncmp(*e, "TFE_", 4) != 0) continue;
        size_t len = strcspn(*e, "=");
        bool known = false;
        for (size_t i = 0; i < sizeof map / sizeof *map && !known; i++)
            known = strlen(map[i].env) == len && strncmp(map[i].env, *e, len) == 0;
        known = known || !strncmp(*e, "TFE_OPERATIONAL_MODE=", 21) ||
                !strncmp(*e, "TFE_OBJECT_STORAGE_TYPE=", 24) ||
                !strncmp(*e, "TFE_OBJECT_STORAGE_S3_USE_INSTANCE_PROFILE=", 43);
        if (!known) log_warn("settings: environment variable %.*s ignored", (int)len, *e);
    }
    return rc;
}
