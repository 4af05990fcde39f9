/* settings.c — parse with jansson, check every key against its form before anything starts. */
#include "app/settings.h"
#include "base/err.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct setting_row {
    const char *name;
    enum setting_form form;
    const char *def;
    const char *doc;
};

static const struct setting_row rows[SETTING_COUNT_] = {
#define SETTING_ROW(id, name, form, def, doc) [SETTING_##id] = {name, form, def, doc},
    SETTINGS_TABLE(SETTING_ROW)
#undef SETTING_ROW
};

/* Keys of the replicated.conf installer file that Strata reads or knowingly ignores. */
static const char *installer_ignored[] = {"DaemonAuthenticationType",
                                          "DaemonAuthenticationPassword",
                                          "BypassPreflightChecks",
                                          "LicenseFileLocation",
                                          "LicenseBootstrapAirgapPackagePath",
                                          "ReleaseSequence",
                                          "ImportSettingsFrom",
                                          "TlsBootstrapType",
                                          "TlsBootstrapCert",
                                          "TlsBootstrapKey",
                                          "TlsBootstrapHostname",
                                          "LogLevel",
                                          "Channel",
                                          0};

bool settings_is_secret(enum setting_id id)
{
    return rows[id].form == SETTING_SECRET;
}

const char *settings_name(enum setting_id id)
{
    return rows[id].name;
}

const char *settings_doc(enum setting_id id)
{
    return rows[id].doc;
}

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

static bool all_digits(const char *v)
{
    if (!*v) return false;
    for (; *v; v++)
        if (!isdigit((unsigned char)*v)) return false;
    return true;
}

static bool all_digits_n(const char *v, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)v[i])) return false;
    return true;
}

static bool parse_cidr(const char *c, unsigned char net[16], int *family, int *bits)
{
    char addr[64];
    const char *slash = strchr(c, '/');
    size_t n = slash ? (size_t)(slash - c) : strlen(c);
    if (n == 0 || n >= sizeof addr) return false;
    memcpy(addr, c, n);
    addr[n] = 0;
    *family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(*family, addr, net) != 1) return false;
    int max = *family == AF_INET ? 32 : 128;
    *bits = max;
    if (slash) {
        if (!all_digits(slash + 1)) return false;
        *bits = atoi(slash + 1);
        if (*bits > max) return false;
    }
    return true;
}

/* Calls fn on each trimmed comma-separated item; stops at the first false. */
static bool each_item(const char *list, bool (*fn)(const char *item, void *arg), void *arg)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        char item[128];
        size_t n = (size_t)(t - p);
        if (n >= sizeof item) return false;
        memcpy(item, p, n);
        item[n] = 0;
        if (!fn(item, arg)) return false;
        p = e;
    }
    return true;
}

static bool cidr_valid(const char *item, void *arg)
{
    (void)arg;
    unsigned char net[16];
    int fam, bits;
    return parse_cidr(item, net, &fam, &bits);
}

struct cidr_probe {
    unsigned char addr[16];
    int family;
    bool hit;
};

static bool cidr_probe(const char *item, void *arg)
{
    struct cidr_probe *p = arg;
    unsigned char net[16];
    int fam, bits;
    if (!parse_cidr(item, net, &fam, &bits) || fam != p->family) return true;
    for (int i = 0; i < bits; i++) {
        int byte = i / 8, mask = 0x80 >> (i % 8);
        if ((net[byte] & mask) != (p->addr[byte] & mask)) return true;
    }
    p->hit = true;
    return false;
}

bool settings_cidr_match(const char *cidrs, const char *addr)
{
    struct cidr_probe p = {.hit = false};
    const char *a = addr;
    if (strncmp(a, "::ffff:", 7) == 0 && strchr(a, '.')) a += 7; /* v4-mapped */
    p.family = strchr(a, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(p.family, a, p.addr) != 1) return false;
    each_item(cidrs, cidr_probe, &p);
    return p.hit;
}

/* Checks one value against its form; writes the expected form into err on failure. */
static int check_form(enum setting_id id, const char *v, char *err, size_t errlen)
{
    const char *name = rows[id].name;
    switch (rows[id].form) {
    case SETTING_PORT:
        if (!all_digits(v) || atoi(v) < 1 || atoi(v) > 65535)
            return fail(err, errlen,
                        "setting \"%s\": expected a port number as a string "
                        "(1-65535, e.g. {\"value\": \"8443\"}), got \"%s\"",
                        name, v);
        break;
    case SETTING_FLAG:
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return fail(err, errlen, "setting \"%s\": expected \"1\" or \"0\", got \"%s\"", name,
                        v);
        break;
    case SETTING_ENUM_PRODUCTION:
        if (strcmp(v, "disk") != 0 && strcmp(v, "external") != 0)
            return fail(err, errlen,
                        "setting \"%s\": expected \"disk\" or \"external\", got \"%s\"", name, v);
        break;
    case SETTING_CIDRS:
        if (!each_item(v, cidr_valid, 0))
            return fail(err, errlen,
                        "setting \"%s\": expected comma-separated CIDR ranges "
                        "(e.g. \"10.0.0.0/8,127.0.0.1/32\"), got \"%s\"",
                        name, v);
        break;
    case SETTING_MINUTES:
        if (strcmp(v, "unlimited") != 0 && !all_digits(v))
            return fail(err, errlen,
                        "setting \"%s\": expected a number of minutes as a string "
                        "or \"unlimited\", got \"%s\"",
                        name, v);
        break;
    case SETTING_HOST:
        for (const char *p = v; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
                return fail(err, errlen,
                            "setting \"%s\": expected a host name with an optional "
                            ":port (e.g. \"tfe.example.com\"), got \"%s\"",
                            name, v);
        break;
    case SETTING_COUNT:
        if (!all_digits(v) || atoi(v) < 1 || strlen(v) > 6)
            return fail(err, errlen,
                        "setting \"%s\": expected a positive whole number as a "
                        "string (e.g. {\"value\": \"10\"}), got \"%s\"",
                        name, v);
        break;
    case SETTING_PEM:
        if (*v && !strstr(v, "-----BEGIN CERTIFICATE-----"))
            return fail(err, errlen,
                        "setting \"%s\": expected PEM certificates "
                        "(-----BEGIN CERTIFICATE-----...)",
                        name);
        break;
    case SETTING_PARAMS:
        for (const char *p = v; *p;) {
            size_t n = strcspn(p, "&");
            const char *eq = memchr(p, '=', n);
            if (!eq || eq == p)
                return fail(err, errlen,
                            "setting \"%s\": expected key=value pairs joined by \"&\" "
                            "(e.g. \"sslmode=require&connect_timeout=5\"), got \"%s\"",
                            name, v);
            p += n + (p[n] == '&');
        }
        break;
    case SETTING_URL:
        if (*v && strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
            return fail(err, errlen,
                        "setting \"%s\": expected an http:// or https:// URL, got \"%s\"", name, v);
        break;
    case SETTING_SSE:
        if (*v && strcmp(v, "AES256") != 0 && strcmp(v, "aws:kms") != 0)
            return fail(err, errlen,
                        "setting \"%s\": expected \"\", \"AES256\" or \"aws:kms\", got \"%s\"",
                        name, v);
        break;
    case SETTING_HOSTS:
        for (const char *p = v; *p;) {
            size_t n = strcspn(p, ",");
            const char *colon = 0;
            for (size_t i = 0; i < n; i++)
                if (p[i] == ':') colon = p + i;
            if (!colon || colon == p || !all_digits_n(colon + 1, (size_t)(p + n - colon - 1)))
                return fail(err, errlen,
                            "setting \"%s\": expected comma-separated host:port "
                            "(e.g. \"10.0.0.5:26379,10.0.0.6:26379\"), got \"%s\"",
                            name, v);
            p += n + (p[n] == ',');
        }
        break;
    case SETTING_PORTS:
        for (const char *p = v; *p;) {
            size_t n = strcspn(p, ",");
            if (!all_digits_n(p, n) || n > 5 || atoi(p) < 1 || atoi(p) > 65535)
                return fail(err, errlen,
                            "setting \"%s\": expected comma-separated port numbers "
                            "(e.g. \"2222,8080\"), got \"%s\"",
                            name, v);
            p += n + (p[n] == ',');
        }
        break;
    case SETTING_PATH:
    case SETTING_SECRET:
    case SETTING_TEXT:
        break;
    }
    return 0;
}

static int find_key(const char *name)
{
    if (strcmp(name, "redis_password") == 0) name = "redis_pass"; /* the seed's GCP appendix */
    for (int i = 0; i < SETTING_COUNT_; i++)
        if (strcmp(rows[i].name, name) == 0) return i;
    return -1;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "a number";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Reads a ptfe-settings.json document into s->values. */
static int load_app_settings(json_t *doc, struct settings *s, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        int id = find_key(key);
        json_t *inner = json_is_object(v) ? json_object_get(v, "value") : 0;
        if (!inner) {
            if (id < 0) {
                log_warn("settings: unknown key \"%s\" ignored", key);
                continue;
            }
            return fail(err, errlen,
                        "setting \"%s\": expected an object {\"value\": \"...\"}, "
                        "found %s",
                        key, json_kind(v));
        }
        if (!json_is_string(inner))
            return fail(err, errlen,
                        "setting \"%s\": expected a string value "
                        "{\"value\": \"...\"}, found %s",
                        key, json_kind(inner));
        if (id < 0) {
            log_warn("settings: unknown key \"%s\" ignored", key);
            continue;
        }
        free(s->values[id]);
        s->values[id] = strdup(json_string_value(inner));
    }
    return 0;
}

static json_t *load_json_file(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        fail(err, errlen, "%s:%d: not valid JSON: %s", path, je.line, je.text);
        return 0;
    }
    if (!json_is_object(doc)) {
        fail(err, errlen, "%s: expected a JSON object at the top level", path);
        json_decref(doc);
        return 0;
    }
    return doc;
}

static bool is_installer(json_t *doc)
{
    return json_object_get(doc, "ImportSettingsFrom") || json_object_get(doc, "ReleaseSequence") ||
           json_object_get(doc, "TlsBootstrapType");
}

static int installer_string(json_t *doc, const char *key, const char **out, char *err,
                            size_t errlen)
{
    json_t *v = json_object_get(doc, key);
    *out = 0;
    if (!v) return 0;
    if (!json_is_string(v))
        return fail(err, errlen, "installer setting \"%s\": expected a string, found %s", key,
                    json_kind(v));
    *out = json_string_value(v);
    return 0;
}

/* Reads a replicated.conf-style document: plain values, ImportSettingsFrom names the settings. */
static int load_installer(json_t *doc, const char *base_dir, struct settings *s, char *err,
                          size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        bool known = false;
        for (int i = 0; installer_ignored[i]; i++)
            known |= strcmp(installer_ignored[i], key) == 0;
        if (!known) log_warn("installer settings: unknown key \"%s\" ignored", key);
    }
    json_t *seq = json_object_get(doc, "ReleaseSequence");
    if (seq) {
        if (!json_is_integer(seq))
            return fail(err, errlen,
                        "installer setting \"ReleaseSequence\": expected an integer "
                        "(e.g. %d), found %s",
                        STRATA_RELEASE_SEQUENCE, json_kind(seq));
        s->release_sequence = (int)json_integer_value(seq);
        if (s->release_sequence != 0 && s->release_sequence != STRATA_RELEASE_SEQUENCE)
            return fail(err, errlen,
                        "installer setting \"ReleaseSequence\": pinned to %d but this "
                        "binary is release sequence %d (%s); install the pinned release or update "
                        "the pin",
                        s->release_sequence, STRATA_RELEASE_SEQUENCE, STRATA_VERSION);
    }
    const char *import = 0, *type = 0, *cert = 0, *keyf = 0, *host = 0;
    int rc;
    if ((rc = installer_string(doc, "ImportSettingsFrom", &import, err, errlen)) ||
        (rc = installer_string(doc, "TlsBootstrapType", &type, err, errlen)) ||
        (rc = installer_string(doc, "TlsBootstrapCert", &cert, err, errlen)) ||
        (rc = installer_string(doc, "TlsBootstrapKey", &keyf, err, errlen)) ||
        (rc = installer_string(doc, "TlsBootstrapHostname", &host, err, errlen)))
        return rc;
    if (type && strcmp(type, "self-signed") != 0 && strcmp(type, "server-path") != 0)
        return fail(err, errlen,
                    "installer setting \"TlsBootstrapType\": expected \"self-signed\" "
                    "or \"server-path\", got \"%s\"",
                    type);
    if (import) {
        char path[4096];
        if (import[0] == '/' || !base_dir)
            snprintf(path, sizeof path, "%s", import);
        else
            snprintf(path, sizeof path, "%s/%s", base_dir, import);
        json_t *app = load_json_file(path, err, errlen);
        if (!app) return ERR_CONFIG;
        s->files[1] = strdup(path);
        rc = is_installer(app) ? fail(err, errlen,
                                      "%s: ImportSettingsFrom must name a settings "
                                      "file ({\"key\": {\"value\": \"...\"}}), not another "
                                      "installer file",
                                      path)
                               : load_app_settings(app, s, err, errlen);
        json_decref(app);
        if (rc) return rc;
    }
    /* installer TLS keys map onto the canonical settings unless self-signed is asked for */
    if (!type || strcmp(type, "server-path") == 0) {
        if (cert) {
            free(s->values[SETTING_TLS_CERT_FILE]);
            s->values[SETTING_TLS_CERT_FILE] = strdup(cert);
        }
        if (keyf) {
            free(s->values[SETTING_TLS_KEY_FILE]);
            s->values[SETTING_TLS_KEY_FILE] = strdup(keyf);
        }
    }
    if (host && !*s->values[SETTING_HOSTNAME]) {
        free(s->values[SETTING_HOSTNAME]);
        s->values[SETTING_HOSTNAME] = strdup(host);
    }
    return 0;
}

/* Cross-key rules, after every value has its form checked. */
/* Appends the name of every empty setting among ids to list; returns how many. */
static int missing(const struct settings *s, const enum setting_id *ids, size_t n, char *list,
                   size_t cap)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (!*s->values[ids[i]]) {
            size_t len = strlen(list);
            snprintf(list + len, cap - len, "%s\"%s\"", len ? ", " : "", rows[ids[i]].name);
            count++;
        }
    return count;
}

/* External services: what each needs, and what active/active needs of them. */
static int check_services(const struct settings *s, char *err, size_t errlen)
{
    bool external = settings_external(s);
    bool aa = settings_flag(s, SETTING_ENABLE_ACTIVE_ACTIVE);
    bool sentinel = settings_flag(s, SETTING_REDIS_SENTINEL_ENABLED);
    bool redis = *s->values[SETTING_REDIS_HOST] || sentinel;
    char list[512] = "";
    if (aa && !external)
        return fail(err, errlen,
                    "setting \"enable_active_active\": \"1\" needs the services every node "
                    "shares: set \"production_type\" to \"external\" with PostgreSQL "
                    "(\"pg_netloc\", \"pg_user\", \"pg_password\", \"pg_dbname\"), object "
                    "storage (\"s3_bucket\", \"aws_access_key_id\", "
                    "\"aws_secret_access_key\") and Redis (\"redis_host\"); SQLite and disk "
                    "storage belong to one node");
    if (external) {
        static const enum setting_id need[] = {
            SETTING_PG_NETLOC, SETTING_PG_USER,           SETTING_PG_DBNAME,
            SETTING_S3_BUCKET, SETTING_AWS_ACCESS_KEY_ID, SETTING_AWS_SECRET_ACCESS_KEY};
        if (missing(s, need, sizeof need / sizeof *need, list, sizeof list))
            return fail(err, errlen,
                        "production_type \"external\" needs PostgreSQL and object storage: "
                        "set %s",
                        list);
    }
    if (aa && !redis)
        return fail(err, errlen,
                    "setting \"enable_active_active\": \"1\" needs Redis, the nodes' cache and "
                    "job queue: set \"redis_host\" (and \"redis_port\") or the "
                    "\"redis_sentinel_*\" settings");
    if (redis && !external)
        return fail(err, errlen,
                    "setting \"redis_host\": Redis is used with production_type \"external\" "
                    "only; a disk-mode node keeps its queue in process");
    if (settings_flag(s, SETTING_REDIS_USE_PASSWORD_AUTH) && !*s->values[SETTING_REDIS_PASS])
        return fail(err, errlen,
                    "setting \"redis_pass\": required when \"redis_use_password_auth\" is "
                    "\"1\"");
    if (sentinel) {
        static const enum setting_id need[] = {SETTING_REDIS_SENTINEL_HOSTS,
                                               SETTING_REDIS_SENTINEL_LEADER_NAME};
        if (missing(s, need, 2, list, sizeof list))
            return fail(err, errlen, "setting \"redis_sentinel_enabled\": \"1\" needs %s", list);
    }
    if (strcmp(s->values[SETTING_S3_SSE], "aws:kms") == 0 && !*s->values[SETTING_S3_SSE_KMS_KEY_ID])
        return fail(err, errlen,
                    "setting \"s3_sse_kms_key_id\": required when \"s3_sse\" is \"aws:kms\"");
    return 0;
}

static int check_rules(struct settings *s, char *err, size_t errlen)
{
    for (int i = 0; i < SETTING_COUNT_; i++) {
        int rc = check_form(i, s->values[i], err, errlen);
        if (rc && s->origin[i]) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", err);
            snprintf(err, errlen, "environment variable %s: %s", s->origin[i], msg);
        }
        if (rc) return rc;
    }
    if (!*s->values[SETTING_ENC_PASSWORD])
        return fail(err, errlen,
                    "setting \"enc_password\": required; set it to a long random "
                    "string and never change it (it opens the encrypted data)");
    if (strcmp(s->values[SETTING_LOG_FORMAT], "text") &&
        strcmp(s->values[SETTING_LOG_FORMAT], "json"))
        return fail(err, errlen,
                    "setting \"log_format\": expected \"text\" or \"json\", got \"%s\"",
                    s->values[SETTING_LOG_FORMAT]);
    int rc = check_services(s, err, errlen);
    if (rc) return rc;
    if (!*s->values[SETTING_DISK_PATH])
        return fail(err, errlen, "setting \"disk_path\": required in disk mode");
    if (!*s->values[SETTING_TLS_CERT_FILE] != !*s->values[SETTING_TLS_KEY_FILE])
        return fail(err, errlen,
                    "settings \"tls_cert_file\" and \"tls_key_file\": set both or "
                    "neither");
    if (!*s->values[SETTING_HOSTNAME]) {
        free(s->values[SETTING_HOSTNAME]);
        char host[300];
        const char *port = s->values[SETTING_HTTPS_PORT];
        if (strcmp(port, "443") == 0)
            snprintf(host, sizeof host, "localhost");
        else
            snprintf(host, sizeof host, "localhost:%s", port);
        s->values[SETTING_HOSTNAME] = strdup(host);
    }
    return 0;
}

int settings_load_text(const char *text, const char *base_dir, struct settings *out, char *err,
                       size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!doc) return fail(err, errlen, "line %d: not valid JSON: %s", je.line, je.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return fail(err, errlen, "expected a JSON object at the top level");
    }
    memset(out, 0, sizeof *out);
    for (int i = 0; i < SETTING_COUNT_; i++)
        out->values[i] = strdup(rows[i].def);
    int rc = is_installer(doc) ? load_installer(doc, base_dir, out, err, errlen)
                               : load_app_settings(doc, out, err, errlen);
    json_decref(doc);
    if (!rc) rc = settings_apply_env(out, err, errlen);
    if (!rc) rc = check_rules(out, err, errlen);
    if (rc) settings_free(out);
    return rc;
}

int settings_load_env(struct settings *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < SETTING_COUNT_; i++)
        out->values[i] = strdup(rows[i].def);
    int rc = settings_apply_env(out, err, errlen);
    if (!rc) rc = check_rules(out, err, errlen);
    if (rc) settings_free(out);
    return rc;
}

int settings_load(const char *path, struct settings *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errlen, "%s: cannot open settings file", path);
    char *text = 0;
    size_t len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > 1 << 20) {
            fclose(f);
            free(text);
            return fail(err, errlen, "%s: settings file larger than 1 MiB", path);
        }
        char *t = realloc(text, len + n + 1);
        if (!t) abort();
        text = t;
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!text) return fail(err, errlen, "%s: empty settings file", path);
    text[len] = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    char msg[1024];
    int rc = settings_load_text(text, dir, out, msg, sizeof msg);
    free(text);
    if (rc) snprintf(err, errlen, "%s: %s", path, msg);
    if (!rc && !(out->files[0] = strdup(path))) abort();
    return rc;
}

void settings_free(struct settings *s)
{
    for (int i = 0; i < SETTING_COUNT_; i++) {
        free(s->values[i]);
        s->values[i] = 0;
    }
    for (int i = 0; i < 2; i++) {
        free(s->files[i]);
        s->files[i] = 0;
    }
}

const char *settings_str(const struct settings *s, enum setting_id id)
{
    return s->values[id];
}

int64_t settings_int(const struct settings *s, enum setting_id id)
{
    const char *v = s->values[id];
    if (strcmp(v, "unlimited") == 0) return -1;
    return strtoll(v, 0, 10);
}

bool settings_external(const struct settings *s)
{
    return strcmp(s->values[SETTING_PRODUCTION_TYPE], "external") == 0;
}

bool settings_flag(const struct settings *s, enum setting_id id)
{
    return strcmp(s->values[id], "1") == 0;
}
