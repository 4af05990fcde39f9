/* workdir.c — a run's working folder: the configuration unpacked, an override that points the
 * cloud block at this workspace (so terraform's own remote state writes through the API with
 * the run token), the variables as a tfvars file, a CLI config holding only the run token, a CA
 * bundle, and an environment built from scratch (the server's own is never passed on). Every
 * file is written through beneath.h relative to the folder's descriptor (the unpacked
 * configuration may hold links), and all of them before the folder is handed to the run's
 * account; beside it, a folder of the node's own (0700) for what it captures and reads back. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "runner/runner_int.h"
#include "app/settings.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "configversions/configversion.h"
#include "registry/registry.h"
#include "variables/variable.h"
#include "workspaces/workspace.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text as rel under the run's folder (a link there is replaced, never followed). */
static int write_file(const struct workdir *wd, const char *rel, const char *text, mode_t mode)
{
    return beneath_write_file(wd->root_fd, rel, mode, text, strlen(text));
}

/* The host's /etc/passwd with a line for the run's account (home: its folder's), so that
 * programs which look their account up (ssh) find it. */
static int write_passwd(struct ctx *c, struct workdir *wd, int uid, int gid, const char *home)
{
    FILE *in = fopen("/etc/passwd", "r");
    struct buf b;
    buf_init(&b, 1 << 20);
    char line[1024];
    int rc = 0;
    while (in && !rc && fgets(line, sizeof line, in))
        rc = buf_append(&b, line, strlen(line));
    if (in) fclose(in);
    if (!rc)
        rc = buf_printf(&b, "strata-run:x:%d:%d:Strata run:%s:/usr/sbin/nologin\n", uid, gid, home);
    wd->passwd = arena_printf(c->a, "%s/passwd", wd->root);
    if (!rc) rc = write_file(wd, "passwd", b.data ? b.data : "", 0644);
    buf_release(&b);
    return rc;
}

/* An HCL string literal for a plain value. */
static char *hcl_string(struct arena *a, const char *v)
{
    char *out = arena_alloc(a, strlen(v) * 2 + 3), *q = out;
    *q++ = '"';
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') *q++ = '\\';
        if (*v == '$' && v[1] == '{') *q++ = '$'; /* no interpolation */
        if (*v == '%' && v[1] == '{') *q++ = '%';
        if (*v == '\n') {
            *q++ = '\\';
            *q++ = 'n';
            continue;
        }
        *q++ = *v;
    }
    *q++ = '"';
    return out;
}

/* The host's CA bundle, the node's certificate and ca_certs, as root/ca.pem (its path). */
/* A key holding "=" or a control character would add a line to the tfvars file or name another
 * environment variable (TF_CLI_CONFIG_FILE=…, the run token's file): such a key is not given. */
static bool key_is_writable(const char *k)
{
    for (; *k; k++)
        if (*k == '=' || (unsigned char)*k < 0x20 || *k == 0x7f) return false;
    return true;
}

static const char *ca_bundle(struct ctx *c, const struct workdir *wd)
{
    const char *sources[] = {"/etc/ssl/certs/ca-certificates.crt",
                             settings_str(c->app->settings, SETTING_TLS_CERT_FILE), 0};
    char self[4200];
    if (!*sources[1]) {
        snprintf(self, sizeof self, "%s/tls-cert.pem",
                 settings_str(c->app->settings, SETTING_DISK_PATH));
        sources[1] = self;
    }
    struct buf b;
    buf_init(&b, 64 << 20);
    int rc = 0;
    for (int i = 0; !rc && sources[i]; i++) {
        FILE *in = fopen(sources[i], "r"); /* the node's own files, not the run's */
        char chunk[8192];
        size_t n;
        while (!rc && in && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
            rc = buf_append(&b, chunk, n);
        if (in) fclose(in);
        if (!rc) rc = buf_append(&b, "\n", 1);
    }
    const char *extra = settings_str(c->app->settings, SETTING_CA_CERTS);
    if (!rc) rc = buf_append(&b, extra, strlen(extra));
    if (!rc) rc = beneath_write_file(wd->root_fd, "ca.pem", 0644, b.data, b.len);
    buf_release(&b);
    return rc ? 0 : arena_printf(c->a, "%s/ca.pem", wd->root);
}

static _Thread_local int owner_uid, owner_gid; /* nftw's callback takes no argument */

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return lchown(path, (uid_t)owner_uid, (gid_t)owner_gid) == 0 ? 0 : -1;
}

int workdir_prepare(struct ctx *c, const struct run_job *job, struct run_log *log,
                    struct workdir *wd)
{
    char why[1024] = "";
    wd->root = arena_printf(c->a, "%s/%s", runner_work_root, job->phase_id);
    wd->own = arena_printf(c->a, "%s/%s.node", runner_work_root, job->phase_id);
    const char *config = arena_printf(c->a, "%s/config", wd->root);
    const char *home = arena_printf(c->a, "%s/home", wd->root);
    mkdir(runner_work_root, 0700);
    workdir_remove(wd);
    /* the folders are the node's (runner_work_root is no run's to write), then opened once */
    if (mkdir(wd->root, 0700) || mkdir(wd->own, 0700) || beneath_root(wd->root, &wd->root_fd) ||
        beneath_root(wd->own, &wd->own_fd) || beneath_mkdir(wd->root_fd, "config", 0700) ||
        beneath_mkdir(wd->root_fd, "home", 0700)) {
        run_log_printf(log, "Error: cannot create the working folder %s: %s\n", wd->root,
                       strerror(errno));
        return ERR_IO;
    }
    int rc = terraform_resolve(c, job->terraform_version, &wd->terraform, why, sizeof why);
    if (rc) {
        run_log_printf(log, "Error: %s\n", why);
        return rc;
    }
    rc =
        configversion_unpack(c->app->blobs, job->configuration_version_id, config, why, sizeof why);
    if (rc) {
        run_log_printf(log, "Error: the configuration cannot be unpacked: %s\n",
                       why[0] ? why : err_name(rc));
        return rc;
    }
    wd->dir = *job->working_directory ? arena_printf(c->a, "%s/%s", config, job->working_directory)
                                      : config;
    /* where terraform runs, relative to root: a folder of the configuration, reached without
     * a link */
    const char *rel = *job->working_directory
                          ? arena_printf(c->a, "config/%s", job->working_directory)
                          : "config";
    int dfd;
    if (strstr(job->working_directory, "..") || beneath_dir(wd->root_fd, rel, &dfd)) {
        run_log_printf(log,
                       "Error: the working directory \"%s\" is not a folder of the configuration "
                       "(links are not followed)\n",
                       job->working_directory);
        return ERR_INVALID;
    }
    close(dfd);
    /* the cloud block of the configuration, if any, is replaced by this workspace */
    const char *override = arena_printf(
        c->a,
        "terraform {\n  cloud {\n    hostname     = \"%s\"\n    organization = \"%s\"\n"
        "    workspaces {\n      name = \"%s\"\n    }\n  }\n}\n",
        c->app->hostname, job->organization, job->workspace_name);
    if ((rc = write_file(wd, arena_printf(c->a, "%s/zzz_strata_override.tf", rel), override,
                         0644))) {
        run_log_printf(log, "Error: cannot write zzz_strata_override.tf in the configuration\n");
        return rc;
    }
    /* the run token for this host, and the mirrored providers from this host's mirror */
    const char *rcfile = arena_printf(c->a, "%s/cli.tfrc", wd->root), *mirror;
    if ((rc = registry_mirror_cli_config(c, &mirror))) return rc;
    if ((rc = write_file(wd, "cli.tfrc",
                         arena_printf(c->a, "credentials \"%s\" {\n  token = \"%s\"\n}\n%s",
                                      c->app->hostname, job->run_token, mirror ? mirror : ""),
                         0600)))
        return rc;
    const char *ca = ca_bundle(c, wd);
    if (!ca) return ERR_IO;

    /* the workspace's SSH key, for git to fetch private module sources */
    const char *pem, *git_ssh = 0;
    if ((rc = workspace_ssh_key_for_run(c, job->workspace_id, &pem))) return rc;
    if (pem) {
        const char *ssh_dir = arena_printf(c->a, "%s/.ssh", home);
        const char *key = arena_printf(c->a, "%s/id_strata", ssh_dir);
        size_t n = strlen(pem);
        if (beneath_mkdir(wd->root_fd, "home/.ssh", 0700) ||
            write_file(wd, "home/.ssh/id_strata",
                       n && pem[n - 1] == '\n' ? pem : arena_printf(c->a, "%s\n", pem), 0600)) {
            run_log_printf(log, "Error: cannot write the workspace's SSH key\n");
            return ERR_IO;
        }
        git_ssh =
            arena_printf(c->a,
                         "GIT_SSH_COMMAND=ssh -i %s -o IdentitiesOnly=yes -o "
                         "StrictHostKeyChecking=accept-new -o UserKnownHostsFile=%s/known_hosts",
                         key, ssh_dir);
    }

    struct variable *vars;
    size_t nvars = 0;
    if ((rc = variable_values_for_run(c, job->workspace_id, &vars, &nvars))) return rc;
    const char *path = getenv("PATH");
    /* what the run needs first; a workspace env variable cannot replace these */
    const char *fixed[] = {
        arena_printf(c->a, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin"),
        arena_printf(c->a, "HOME=%s", home),
        "TF_IN_AUTOMATION=1",
        "TF_INPUT=0",
        "TF_FORCE_LOCAL_BACKEND=1",
        "CHECKPOINT_DISABLE=1",
        arena_printf(c->a, "TFE_RUN_ID=%s", job->run_id),
        arena_printf(c->a, "TF_CLI_CONFIG_FILE=%s", rcfile),
        arena_printf(c->a, "SSL_CERT_FILE=%s", ca),
        git_ssh, /* last: NULL when the workspace has no SSH key */
        0};
    wd->env = arena_alloc(c->a, (nvars + 16) * sizeof *wd->env);
    wd->secrets = arena_alloc(c->a, (nvars + 1) * sizeof *wd->secrets);
    size_t ne = 0;
    for (int i = 0; fixed[i]; i++)
        wd->env[ne++] = fixed[i];
    char *tfvars = arena_strdup(c->a, "");
    for (size_t i = 0; i < nvars; i++) {
        const struct variable *v = &vars[i];
        if (v->sensitive && strlen(v->value) >= 4) wd->secrets[wd->nsecrets++] = v->value;
        bool overridden = false; /* -var on the CLI wins over the workspace's value */
        for (size_t k = 0; k < job->nvars; k++)
            overridden |= strcmp(job->var_keys[k], v->key) == 0;
        if (!key_is_writable(v->key)) { /* the API takes any key, as TFE does */
            run_log_printf(log,
                           "Warning: variable key \"%s\" cannot be given to terraform; "
                           "it is skipped\n",
                           v->key);
            continue;
        }
        if (strcmp(v->category, "terraform") == 0) {
            if (overridden) continue;
            tfvars = arena_printf(c->a, "%s%s = %s\n", tfvars, v->key,
                                  v->hcl ? v->value : hcl_string(c->a, v->value));
            continue;
        }
        bool reserved = false;
        for (int k = 0; fixed[k]; k++) {
            size_t kl = strcspn(fixed[k], "=");
            reserved |= strlen(v->key) == kl && strncmp(fixed[k], v->key, kl) == 0;
        }
        if (reserved)
            run_log_printf(log,
                           "Warning: environment variable %s is set by Strata for every run; the "
                           "workspace's value is ignored\n",
                           v->key);
        else
            wd->env[ne++] = arena_printf(c->a, "%s=%s", v->key, v->value);
    }
    wd->env[ne] = 0;
    for (size_t i = 0; i < job->nvars; i++) /* -var from the CLI: already HCL */
        tfvars = arena_printf(c->a, "%s%s = %s\n", tfvars, job->var_keys[i], job->var_values[i]);
    if ((rc = write_file(wd, arena_printf(c->a, "%s/zzz_strata.auto.tfvars", rel), tfvars, 0600))) {
        run_log_printf(log, "Error: cannot write zzz_strata.auto.tfvars in the configuration\n");
        return rc;
    }
    owner_uid = sandbox_uid(wd->sandbox);
    owner_gid = sandbox_gid(wd->sandbox);
    if (owner_uid >= 0 && (rc = write_passwd(c, wd, owner_uid, owner_gid, home))) {
        run_log_printf(log, "Error: cannot write the run's account file\n");
        return rc;
    }
    if (owner_uid >= 0 && nftw(wd->root, chown_entry, 16, FTW_PHYS) != 0) {
        run_log_printf(log, "Error: cannot hand the working folder to the run's account\n");
        return ERR_IO;
    }
    return 0;
}

void workdir_remove(struct workdir *wd)
{
    if (wd->root_fd >= 0) close(wd->root_fd);
    if (wd->own_fd >= 0) close(wd->own_fd);
    wd->root_fd = wd->own_fd = -1;
    if (wd->root) fs_remove_tree(wd->root);
    if (wd->own) fs_remove_tree(wd->own);
}
