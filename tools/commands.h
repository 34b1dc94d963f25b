/* The mixsimd command's subcommands: each lives in its own cmd_<name>.c and is
 * listed once in mixsimd.c's table. A command returns the process exit code. */
#ifndef MIXSIMD_TOOLS_COMMANDS_H
#define MIXSIMD_TOOLS_COMMANDS_H

typedef struct mx_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} mx_command;

int mx_cmd_info(int argc, char **argv);
int mx_cmd_demo(int argc, char **argv);
int mx_cmd_kmeans(int argc, char **argv);
int mx_cmd_gmm(int argc, char **argv);

#endif
