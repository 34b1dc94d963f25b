/* mixsimd info: which instruction sets this CPU has and which one runs. */
#include <mixsimd/core.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

int mx_cmd_info(int argc, char **argv) {
    if (argc > 1) {
        const int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr, "usage: mixsimd info\n%s",
                help ? "Lists the instruction sets of this CPU and the one the kernels use.\n" : "");
        return help ? 0 : 2;
    }
    printf("instruction sets of this CPU:");
    for (int i = 0; i < MX_ISA_COUNT; ++i)
        if (mx_cpu_has((mx_isa)i)) printf(" %s", mx_isa_name((mx_isa)i));
    printf("\n");
    mx_isa isa;
    if (mx_isa_active(&isa) != MX_OK) {
        fprintf(stderr, "mixsimd: %s\n", mx_isa_problem());
        return 1;
    }
    printf("kernels run: %s\n", mx_isa_name(isa));
    return 0;
}
