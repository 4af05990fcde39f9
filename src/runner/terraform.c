/* terraform.c — which terraform binary a run uses: the one on PATH for "latest" or its own
 * version, or one a site admin registered (by path) for the workspace's pinned version. */
#include "runner/runner_int.h"
#include "runner/runner.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/log.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path_binary[4096];
static char path_version[64];

int terraform_detect(char *err, size_t errlen)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = 0;
    path_binary[0] = 0;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(0, ":", &save)) {
        char cand[4096];
        snprintf(cand, sizeof cand, "%s/terraform", d);
        if (access(cand, X_OK) == 0) {
            snprintf(path_binary, sizeof path_binary, "%s", cand);
            break;
        }
    }
    free(copy);
    if (!path_binary[0]) {
        log_warn("runner: no terraform on PATH; runs need a registered terraform version");
        return 0;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' version -json 2>/dev/null", path_binary);
    FILE *p = popen(cmd, "r");
    json_error_t je;
    json_t *doc = p ? json_loadf(p, JSON_DISABLE_EOF_CHECK, &je) : 0;
    if (p) pclose(p);
    const char *v = json_string_value(json_object_get(doc, "terraform_version"));
    snprintf(path_version, sizeof path_version, "%s", v ? v : "");
    json_decref(doc);
    if (!*path_version) {
        snprintf(err, errlen, "runner: %s does not report its version", path_binary);
        return ERR_CONFIG;
    }
    log_info("runner: terraform %s at %s", path_version, path_binary);
    return 0;
}

int runner_terraform_known(struct ctx *c, const char *version, bool *known)
{
    *known = !version || !*version || strcmp(version, "latest") == 0 ||
             (path_binary[0] && strcmp(version, path_version) == 0);
    if (*known) return 0;
    struct store_result r;
    int rc = store_query(c->app->store, c->a,
                         "SELECT id FROM terraform_versions WHERE version = $1 AND enabled = $2",
                         S_ARGS(S_TEXT(version), S_BOOL(true)), &r);
    if (!rc) *known = r.nrows > 0;
    return rc;
}

int terraform_resolve(struct ctx *c, const char *version, const char **path, char *why,
                      size_t whylen)
{
    bool any = !version || !*version || strcmp(version, "latest") == 0;
    if (!any) {
        struct store_result r;
        int rc = store_query(c->app->store, c->a,
                             "SELECT path, url, sha256 FROM terraform_versions WHERE "
                             "version = $1 AND enabled = $2",
                             S_ARGS(S_TEXT(version), S_BOOL(true)), &r);
        if (rc) return rc;
        if (r.nrows && store_cell(&r, 0, 1))
            return terraform_download(c, version, store_cell(&r, 0, 1), store_cell(&r, 0, 2), path,
                                      why, whylen);
        if (r.nrows && store_cell(&r, 0, 0)) {
            *path = store_cell(&r, 0, 0);
            if (access(*path, X_OK) == 0) return 0;
            snprintf(why, whylen,
                     "terraform %s is registered at %s, which is not an executable "
                     "file on this node",
                     version, *path);
            return ERR_NOT_FOUND;
        }
    }
    if (path_binary[0] && (any || strcmp(version, path_version) == 0)) {
        *path = arena_strdup(c->a, path_binary);
        return 0;
    }
    snprintf(why, whylen,
             "terraform %s is not installed on this node (PATH has %s); a site "
             "admin registers versions at /api/v2/admin/terraform-versions",
             any ? "" : version, path_binary[0] ? path_version : "none");
    return ERR_NOT_FOUND;
}
