/* registry_int.h — what the registry's files share: rows and their SQL. */
#ifndef STRATA_REGISTRY_INT_H
#define STRATA_REGISTRY_INT_H

#include "app/api.h"

#include <stdbool.h>
#include <stdint.h>

struct module {
    const char *id, *organization, *registry_name, *name, *provider, *created_at, *updated_at;
    bool no_code;
};

struct module_version {
    const char *id, *module_id, *version, *status, *error, *created_at, *updated_at;
    int64_t size;
};

/* module_db.c */
int module_db_insert(struct ctx *c, const struct module *m);
/* The module (org, name, provider) in the private registry; ERR_NOT_FOUND. */
int module_db_get(struct ctx *c, const char *org, const char *name, const char *provider,
                  struct module *out);
int module_db_list(struct ctx *c, const char *org, struct module **out, size_t *n);
int module_db_versions(struct ctx *c, const char *module_id, struct module_version **out,
                       size_t *n);
int module_db_version_insert(struct ctx *c, const struct module_version *v);
int module_db_version_get(struct ctx *c, const char *id, struct module_version *out);
int module_db_version_set(struct ctx *c, const char *id, const char *status, const char *error,
                          int64_t size);
/* Version ids of the modules matched (provider and version may be NULL: all), then deletes the
 * matched versions and the modules left without one, or the modules named. */
int module_db_version_ids(struct ctx *c, const char *org, const char *name, const char *provider,
                          const char *version, const char ***ids, size_t *n);
int module_db_delete(struct ctx *c, const char *org, const char *name, const char *provider,
                     const char *version, int64_t *deleted);

struct provider {
    const char *id, *organization, *name, *created_at, *updated_at;
};

struct provider_version {
    const char *id, *provider_id, *version, *key_id, *protocols, *created_at, *updated_at;
    bool shasums_uploaded, shasums_sig_uploaded;
};

struct provider_platform {
    const char *id, *version_id, *os, *arch, *filename, *shasum, *created_at;
    bool uploaded;
    int64_t size;
};

/* provider_db.c */
int provider_db_insert(struct ctx *c, const struct provider *p);
int provider_db_get(struct ctx *c, const char *org, const char *name, struct provider *out);
int provider_db_list(struct ctx *c, const char *org, struct provider **out, size_t *n);
int provider_db_delete(struct ctx *c, const char *id);
int provider_db_version_insert(struct ctx *c, const struct provider_version *v);
/* One version by provider and version, or (provider_id NULL) by its id. */
int provider_db_version_get(struct ctx *c, const char *provider_id, const char *version,
                            struct provider_version *out);
int provider_db_versions(struct ctx *c, const char *provider_id, struct provider_version **out,
                         size_t *n);
/* Marks the version's SHA256SUMS (sig false) or its signature (sig true) uploaded. */
int provider_db_version_uploaded(struct ctx *c, const char *id, bool sig);
int provider_db_version_delete(struct ctx *c, const char *id);
int provider_db_platform_insert(struct ctx *c, const struct provider_platform *p);
/* One platform by version, os and arch, or (version_id NULL) by its id in os. */
int provider_db_platform_get(struct ctx *c, const char *version_id, const char *os,
                             const char *arch, struct provider_platform *out);
int provider_db_platforms(struct ctx *c, const char *version_id, struct provider_platform **out,
                          size_t *n);
int provider_db_platform_uploaded(struct ctx *c, const char *id, int64_t size);
int provider_db_platform_delete(struct ctx *c, const char *id);
/* Blob keys of every file of a provider (NULL version: all versions) or of one platform. */
int provider_db_blob_keys(struct ctx *c, const char *provider_id, const char *version_id,
                          const char ***keys, size_t *n);

/* The blob keys of a version's SHA256SUMS (sig false) or its signature, and of a platform's zip. */
const char *provider_sums_key(struct ctx *c, const char *version_id, bool sig);
const char *provider_zip_key(struct ctx *c, const char *platform_id);

/* The key id of an ASCII-armored GPG public key (16 upper-case hex digits, arena memory);
 * ERR_INVALID when it is not a v4 public key block. */
int openpgp_key_id(struct arena *a, const char *armor, const char **key_id);

/* What the registry shows of a module version, read from its archive as it is checked (nothing
 * is unpacked): module_scan_new starts (arena memory), module_scan_visit is a slug_visit's fn
 * (only README.md and *.tf at the archive's root are read, each up to a cap), and
 * module_scan_json answers {readme, inputs: [{name, description, default?, required}],
 * outputs, resources} as JSON text (arena memory). */
struct module_scan;
struct archive;
struct module_scan *module_scan_new(struct ctx *c);
int module_scan_visit(void *scan, const char *path, struct archive *a, int64_t size);
char *module_scan_json(struct module_scan *s);
int module_db_version_metadata(struct ctx *c, const char *id, const char *metadata);
/* An ok version's metadata (NULL for versions uploaded before it was kept) and when it was
 * published. */
int module_db_version_metadata_get(struct ctx *c, const char *module_id, const char *version,
                                   const char **metadata, const char **published_at);

/* The blob key of a version's archive. */
const char *module_archive_key(struct ctx *c, const char *version_id);
/* Semantic version "1.2.3" (pre-release and build parts allowed). */
bool module_version_valid(const char *v);

#endif
