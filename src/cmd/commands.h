/* commands.h — the subcommands of the strata binary, one file each. */
#ifndef STRATA_COMMANDS_H
#define STRATA_COMMANDS_H

/* Each takes the arguments after its name and returns the process exit code. */

/* The settings file the admin commands read when none is named: the installer file the seed
 * writes (/etc/replicated.conf), else the settings file itself. */
const char *cmd_default_config(void);
int cmd_server(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_support_bundle(int argc, char **argv);
int cmd_audit_trail(int argc, char **argv);
int cmd_routes(int argc, char **argv);

#endif
