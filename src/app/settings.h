/* settings.h — the settings schema (one row per key: name, form, default, doc) and the loader for
 * both file forms the seed shows: ptfe-settings.json ({"key": {"value": "..."}}) and the
 * replicated.conf-style installer file whose ImportSettingsFrom names the settings file. */
#ifndef STRATA_SETTINGS_H
#define STRATA_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The release sequence this binary is; an installer file pinning another one is refused. (The
 * test build's next-release binary, strata_next, defines both to be a later release.) */
#ifndef STRATA_RELEASE_SEQUENCE
#define STRATA_RELEASE_SEQUENCE 1
#define STRATA_VERSION "v202611-1"
#endif

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
    X(TRUSTED_PROXIES, "trusted_proxies", SETTING_CIDRS, "",                                       \
      "comma-separated CIDR ranges of the load balancers that send a PROXY protocol header")       \
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
    X(ALLOW_SHARED_RUN_NETWORK, "allow_shared_run_network", SETTING_FLAG, "0",                     \
      "\"1\" runs terraform in the node's network on a host that cannot give runs one of their "   \
      "own (runs then reach the node's loopback services and the metadata address); \"0\" "        \
      "refuses runs there")                                                                        \
    X(RUN_HOST_PORTS, "run_host_ports", SETTING_PORTS, "",                                         \
      "comma-separated TCP ports of this node's loopback that runs may reach besides the API's "   \
      "(a git server or registry beside the node); empty: none")                                   \
    X(ALLOWED_INTERNAL_CIDRS, "allowed_internal_cidrs", SETTING_CIDRS, "",                         \
      "comma-separated CIDR ranges of loopback, private or link-local addresses notification "     \
      "destinations may reach (refused by default)")                                               \
    X(CA_CERTS, "ca_certs", SETTING_PEM, "",                                                       \
      "PEM certificates runs trust besides the system's (the CA of a private tls_cert_file)")      \
    X(PG_USER, "pg_user", SETTING_TEXT, "", "PostgreSQL user (production_type external)")          \
    X(PG_PASSWORD, "pg_password", SETTING_SECRET, "", "PostgreSQL password")                       \
    X(PG_NETLOC, "pg_netloc", SETTING_HOST, "", "PostgreSQL address, host or host:port")           \
    X(PG_DBNAME, "pg_dbname", SETTING_TEXT, "", "PostgreSQL database name")                        \
    X(PG_EXTRA_PARAMS, "pg_extra_params", SETTING_PARAMS, "",                                      \
      "more libpq connection parameters as key=value&key=value (e.g. sslmode=require)")            \
    X(S3_BUCKET, "s3_bucket", SETTING_TEXT, "", "bucket of the object storage")                    \
    X(S3_REGION, "s3_region", SETTING_TEXT, "us-east-1", "region the requests are signed for")     \
    X(S3_ENDPOINT, "s3_endpoint", SETTING_URL, "",                                                 \
      "URL of an S3-compatible server; empty for AWS S3 (https://s3.<region>.amazonaws.com)")      \
    X(AWS_ACCESS_KEY_ID, "aws_access_key_id", SETTING_TEXT, "", "access key of the storage")       \
    X(AWS_SECRET_ACCESS_KEY, "aws_secret_access_key", SETTING_SECRET, "",                          \
      "secret key of the storage")                                                                 \
    X(S3_SSE, "s3_sse", SETTING_SSE, "",                                                           \
      "server-side encryption asked of the storage: empty, \"AES256\" or \"aws:kms\"")             \
    X(S3_SSE_KMS_KEY_ID, "s3_sse_kms_key_id", SETTING_TEXT, "", "KMS key for s3_sse aws:kms")      \
    X(REDIS_HOST, "redis_host", SETTING_HOST, "", "Redis host (production_type external)")         \
    X(REDIS_PORT, "redis_port", SETTING_PORT, "6379", "Redis port")                                \
    X(REDIS_USE_PASSWORD_AUTH, "redis_use_password_auth", SETTING_FLAG, "0",                       \
      "\"1\" when Redis requires a password (redis_pass)")                                         \
    X(REDIS_PASS, "redis_pass", SETTING_SECRET, "", "Redis password (alias: redis_password)")      \
    X(REDIS_USE_TLS, "redis_use_tls", SETTING_FLAG, "0", "\"1\" when Redis requires TLS")          \
    X(REDIS_CA_CERT_FILE, "redis_ca_cert_file", SETTING_PATH, "",                                  \
      "PEM CA certificates that sign Redis' certificate (the system's when empty)")                \
    X(REDIS_SENTINEL_ENABLED, "redis_sentinel_enabled", SETTING_FLAG, "0",                         \
      "\"1\" finds the Redis leader through Redis Sentinel (redis_sentinel_hosts)")                \
    X(REDIS_SENTINEL_HOSTS, "redis_sentinel_hosts", SETTING_HOSTS, "",                             \
      "comma-separated host:port of the sentinels")                                                \
    X(REDIS_SENTINEL_LEADER_NAME, "redis_sentinel_leader_name", SETTING_TEXT, "",                  \
      "name of the monitored leader the sentinels know")                                           \
    X(REDIS_SENTINEL_PASSWORD, "redis_sentinel_password", SETTING_SECRET, "",                      \
      "password of the sentinels, when they require one")                                          \
    X(LOG_FORMAT, "log_format", SETTING_TEXT, "text",                                              \
      "\"json\": one JSON object per log line (with node and request id), for log shippers")       \
    X(METRICS_ENDPOINT_ENABLED, "metrics_endpoint_enabled", SETTING_FLAG, "0",                     \
      "\"1\" serves Prometheus metrics on their own port")                                         \
    X(METRICS_ENDPOINT_PORT_HTTP, "metrics_endpoint_port_http", SETTING_PORT, "9090",              \
      "plain-HTTP port of the metrics endpoint (GET /metrics)")

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
    SETTING_TEXT,
    SETTING_PARAMS,
    SETTING_URL,
    SETTING_SSE,
    SETTING_HOSTS,
    SETTING_PORTS,
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
    const char *origin[SETTING_COUNT_]; /* the TFE_* variable that set a key, else NULL */
};

/* Loads and validates FILE (either form). On failure returns ERR_CONFIG with a message naming the
 * key and the expected form in err (size errlen); nothing is allocated then. Warnings (unknown
 * keys) are logged. The caller frees a loaded *out with settings_free. */
int settings_load(const char *path, struct settings *out, char *err, size_t errlen);
/* Same, from a JSON text (tests); base_dir resolves a relative ImportSettingsFrom. */
int settings_load_text(const char *text, const char *base_dir, struct settings *out, char *err,
                       size_t errlen);
/* Defaults and TFE_* environment variables alone, for a node started without a file. */
int settings_load_env(struct settings *out, char *err, size_t errlen);
void settings_free(struct settings *s);
/* settings_env.c: whether any TFE_* variable is set, and applying them over s (they override
 * files). ERR_CONFIG with a message naming the variable. */
bool settings_env_present(void);
int settings_apply_env(struct settings *s, char *err, size_t errlen);

const char *settings_str(const struct settings *s, enum setting_id id);
int64_t settings_int(const struct settings *s, enum setting_id id);
bool settings_flag(const struct settings *s, enum setting_id id);
/* production_type "external": PostgreSQL and S3 (and Redis when set) instead of the embedded. */
bool settings_external(const struct settings *s);
/* Whether a key holds a secret (passwords, keys): support bundles print it redacted. */
bool settings_is_secret(enum setting_id id);
/* Name and doc line of a key, for messages and `strata config keys`. */
const char *settings_name(enum setting_id id);
const char *settings_doc(enum setting_id id);

/* True when addr (IPv4 or IPv6 text) lies in one of the comma-separated CIDR ranges. */
bool settings_cidr_match(const char *cidrs, const char *addr);

#endif
