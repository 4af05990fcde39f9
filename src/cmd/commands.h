/* commands.h — the subcommands of the strata binary, one file each. */
#ifndef STRATA_COMMANDS_H
#define STRATA_COMMANDS_H

/* Each takes the arguments after its name and returns the process exit code. */
int cmd_server(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_support_bundle(int argc, char **argv);

#endif
