/* main.c — the strata binary: a table of subcommands. */
#include "app/settings.h"
#include "cmd/commands.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("strata %s (release sequence %d)\n", STRATA_VERSION, STRATA_RELEASE_SEQUENCE);
    return 0;
}

static const struct command commands[] = {
    {"server", cmd_server, "server --config FILE      run a node"},
    {"config", cmd_config,
     "config check --config FILE  validate a settings file and exit\n"
     "  config keys                 list the settings keys"},
    {"app", cmd_app, "app status [--config FILE]  the node's state, as replicatedctl app status"},
    {"node", cmd_node,
     "node list [--json]          the cluster's nodes, drain status and jobs\n"
     "  node drain [--node NAME | --all] [--wait]  stop taking jobs, finish running ones\n"
     "  node resume [--node NAME | --all]          take jobs again"},
    {"backup", cmd_backup,
     "backup --config FILE --output ARCHIVE   everything, sealed with a password\n"
     "  restore --config FILE --input ARCHIVE  into an empty deployment of either mode\n"
     "    (the archive's password: --password-file FILE or STRATA_BACKUP_PASSWORD)"},
    {"restore", cmd_restore, 0},
    {"audit-trail", cmd_audit_trail,
     "audit-trail [--config FILE] [--organization NAME] [--since TIME]  every recorded change,\n"
     "    as JSON lines (who, what, when, from where), oldest first"},
    {"support-bundle", cmd_support_bundle,
     "support-bundle --config FILE --output BUNDLE.tar.gz  settings (secrets redacted), versions,\n"
     "    health, nodes and the recent log, for support"},
    /* hidden: the route table, for the tests that must cover every route */
    {"routes", cmd_routes, 0},
    {"version", cmd_version, "version                   print the version"},
    {0, 0, 0},
};

static int usage(FILE *f)
{
    fprintf(f, "usage: strata COMMAND [ARGS]\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        if (c->help) fprintf(f, "  %s\n", c->help);
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->run(argc - 2, argv + 2);
    fprintf(stderr, "strata: unknown command \"%s\"\n", argv[1]);
    return usage(stderr);
}
