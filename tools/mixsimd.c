/* mixsimd — command-line front end. It parses arguments and calls the public
 * API; all the work is in the library. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const mx_command commands[] = {
    {"info", "show the CPU's instruction sets and the one the kernels use", mx_cmd_info},
    {"demo", "run the kernels on a synthetic mixture and time every ISA", mx_cmd_demo},
    {"kmeans", "k-means (k-means++ seeding, Lloyd iterations) on a data set", mx_cmd_kmeans},
    {"gmm", "Gaussian mixture by EM (diagonal or full covariance) on a data set", mx_cmd_gmm},
};
enum { command_count = sizeof commands / sizeof commands[0] };

static void usage(FILE *to) {
    fprintf(to, "usage: mixsimd COMMAND [options]   (mixsimd COMMAND --help for its options)\n\ncommands:\n");
    for (int i = 0; i < command_count; ++i)
        fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nenvironment: MIXSIMD_ISA=scalar|avx2|avx512|neon forces the instruction set.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < command_count; ++i)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mixsimd: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
