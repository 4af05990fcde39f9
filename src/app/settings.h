/* settings.h — the settings schema (one row per key: name, form, default, doc) and the loader for
 * both file forms the seed shows: ptfe-settings.json ({"key": {"value": "..."}}) and the
 * replicated.conf-style installer file whose ImportSettingsFrom names the settings file. */
#ifndef STRATA_SETTINGS_H
#define STRATA_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The release sequence this binary is; an installer file pinning another one is refused. */
#define STRATA_RELEASE_SEQUENCE 1
#define STRATA_VERSION "v202611-1"

#define SETTINGS_TABLE(X)                                                                          \
    X(HOSTNAME, "hostname", SETTING_HOST, "",                                                      \
      "address clients use, with :port when not 443; every absolute URL is built from it")         \
    X(HTTPS_PORT, "https_port", SETTING_PORT, "443", "TCP port this node listens on for HTTPS")    \
    X(TLS_CERT_FILE, "tls_cert_file", SETTING_PATH, "",                                            \
      "PEM certificate chain; a self-signed one is generated under disk_path when empty")          \
    X(TLS_KEY_FILE, "tls_key_file", SETTING_PATH, "", "PEM private key for tls_cert_file")         \
    X(PRODUCTION_TYPE, "production_type", SETTING_ENUM_PRODUCTION, "disk",                         \
      "disk (embedded services) or external")                                                      \
    X(DISK_PATH, "disk_path", SETTING_PATH, "/var/lib/strata",                                     \
      "data folder in disk mode: database, blobs, generated certificate")                          \
    X(ENC_PASSWORD, "enc_password", SETTING_SECRET, "",                                            \
      "password the encryption keys are derived from; required, never changes")                    \
    X(IACT_SUBNET_LIST, "iact_subnet_list", SETTING_CIDRS, "127.0.0.1/32,::1/128",                 \
      "comma-separated CIDR ranges allowed to fetch the initial admin creation token")             \
    X(IACT_SUBNET_TIME_LIMIT, "iact_subnet_time_limit", SETTING_MINUTES, "60",                     \
      "minutes after first start during which the token may be fetched (\"unlimited\" allowed)")   \
    X(ENABLE_ACTIVE_ACTIVE, "enable_active_active", SETTING_FLAG, "0",                             \
      "\"1\" lets several nodes share external services")                                          \
    X(CAPACITY_CONCURRENCY, "capacity_concurrency", SETTING_COUNT, "10",                           \
      "runs (plans and applies) this node executes at once")                                       \
    X(CAPACITY_MEMORY, "capacity_memory", SETTING_COUNT, "512",                                    \
      "memory limit of each run (terraform and what it starts), in MB")                            \
    X(RUN_PHASE_TIMEOUT, "run_phase_timeout", SETTING_COUNT, "14400",                              \
      "seconds a plan or an apply may run before it is stopped and errored")                       \
    X(ALLOW_UNSANDBOXED_RUNS, "allow_unsandboxed_runs", SETTING_FLAG, "0",                         \
      "\"1\" runs terraform without a sandbox on a host that cannot make one (runs can then "      \
      "see each other); \"0\" refuses runs there")                                                 \
    X(CA_CERTS, "ca_certs", SETTING_PEM, "",                                                       \
      "PEM certificates runs trust besides the system's (the CA of a private tls_cert_file)")

enum setting_form {
    SETTING_HOST,
    SETTING_PORT,
    SETTING_PATH,
    SETTING_ENUM_PRODUCTION,
    SETTING_SECRET,
    SETTING_CIDRS,
    SETTING_MINUTES,
    SETTING_FLAG,
    SETTING_COUNT,
    SETTING_PEM,
};

enum setting_id {
#define SETTING_ENUM(id, name, form, def, doc) SETTING_##id,
    SETTINGS_TABLE(SETTING_ENUM)
#undef SETTING_ENUM
        SETTING_COUNT_
};

struct settings {
    char *values[SETTING_COUNT_]; /* malloc'd; defaults filled in */
    int release_sequence;         /* from the installer file, 0 when not pinned */
    char *files[2];               /* the file(s) read: the named one, the imported one; malloc'd */
};

/* Loads and validates FILE (either form). On failure returns ERR_CONFIG with a message naming the
 * key and the expected form in err (size errlen); nothing is allocated then. Warnings (unknown
 * keys) are logged. The caller frees a loaded *out with settings_free. */
int settings_load(const char *path, struct settings *out, char *err, size_t errlen);
/* Same, from a JSON text (tests); base_dir resolves a relative ImportSettingsFrom. */
int settings_load_text(const char *text, const char *base_dir, struct settings *out, char *err,
                       size_t errlen);
void settings_free(struct settings *s);

const char *settings_str(const struct settings *s, enum setting_id id);
int64_t settings_int(const struct settings *s, enum setting_id id);
bool settings_flag(const struct settings *s, enum setting_id id);
/* Name and doc line of a key, for messages and `strata config keys`. */
const char *settings_name(enum setting_id id);
const char *settings_doc(enum setting_id id);

/* True when addr (IPv4 or IPv6 text) lies in one of the comma-separated CIDR ranges. */
bool settings_cidr_match(const char *cidrs, const char *addr);

#endif
