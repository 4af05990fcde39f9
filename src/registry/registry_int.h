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

/* The blob key of a version's archive. */
const char *module_archive_key(struct ctx *c, const char *version_id);
/* Semantic version "1.2.3" (pre-release and build parts allowed). */
bool module_version_valid(const char *v);

#endif
