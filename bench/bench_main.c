/* bench/bench_main.c — the benchmark program's set-up: peer environment,
 * run context (CPU, ISA, peers) and registration of every family.
 *
 *   mixsimd-bench [Google Benchmark flags]   runs the benchmarks
 *   mixsimd-bench --result-name              prints <cpu-model-slug>-<best-isa>,
 *                                            the results file's name, and exits */
#define _GNU_SOURCE /* setenv, execv */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mixsimd/core.h>

#include "bench_common.h"
#include "bench_peers.h"

/* The CPU's model name from /proc/cpuinfo ("unknown-cpu" when absent). */
static void cpu_model_(char *out, size_t size) {
    snprintf(out, size, "unknown-cpu");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL || strncmp(line, "model name", 10) != 0) continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = '\0';
        if (colon[0] != '\0') snprintf(out, size, "%s", colon);
        break;
    }
    fclose(f);
}

/* Lower case, runs of anything but letters and digits become one '-'. */
static void slug_(const char *in, char *out, size_t size) {
    size_t n = 0;
    for (; *in != '\0' && n + 1 < size; ++in) {
        if (isalnum((unsigned char)*in)) out[n++] = (char)tolower((unsigned char)*in);
        else if (n > 0 && out[n - 1] != '-') out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-') --n;
    out[n] = '\0';
}

/* The core clock in GHz, from a chain of dependent 1-cycle integer additions
 * (one per cycle on x86-64 cores, whatever the OS reports under turbo or a
 * hypervisor); the best of 20 trials of 2^22 additions. 0 when unknown. */
static double core_ghz_(void) {
#if MX_ARCH_X86
    double best = 0.0;
    for (int trial = 0; trial < 20; ++trial) {
        const uint64_t additions = (uint64_t)1 << 22;
        uint64_t x = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (uint64_t i = 0; i < additions; i += 16)
            __asm__ volatile(".rept 16\n\tadd $1, %0\n\t.endr" : "+r"(x));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        if (ns > 0 && (double)additions / ns > best) best = (double)additions / ns;
    }
    return best;
#else
    return 0.0;
#endif
}

static mx_isa best_isa_(void) {
    mx_isa isa = MX_ISA_SCALAR;
    for (int i = 0; i < MX_ISA_COUNT; ++i)
        if (mx_cpu_has((mx_isa)i)) isa = (mx_isa)i;
    return isa;
}

void cbench_setup(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--result-name") == 0) {
        char model[256], slug[256];
        cpu_model_(model, sizeof model);
        slug_(model, slug, sizeof slug);
        printf("%s-%s\n", slug, mx_isa_name(best_isa_()));
        exit(0);
    }
    bench_peers_setup_env(argv);
}

void cbench_register_all(void) {
    char model[256];
    cpu_model_(model, sizeof model);
    cbench_add_context("cpu_model", model);
    cbench_add_context("best_isa", mx_isa_name(best_isa_()));
    char ghz[32];
    snprintf(ghz, sizeof ghz, "%.3f", core_ghz_());
    cbench_add_context("core_ghz", ghz);
    const char *forced = getenv("MIXSIMD_ISA");
    cbench_add_context("mixsimd_isa_env", forced != NULL ? forced : "");
#ifdef __clang__
    cbench_add_context("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
    cbench_add_context("compiler", "gcc " __VERSION__);
#endif
    bench_peers_describe();
    bench_register_gemm();
    bench_register_gauss();
    bench_register_lse();
    bench_register_div();
    bench_register_act();
    bench_register_vmath();
}

/* ---- peers' environment ------------------------------------------------------ */
/* Sets name=value unless the user set name; 1 if it changed the environment. */
static int default_env_(const char *name, const char *value) {
    if (getenv(name) != NULL) return 0;
    setenv(name, value, 1);
    return 1;
}

/* OpenBLAS's best core type for this CPU, NULL when it detects it itself. */
static const char *openblas_best_core_(void) {
    /* OpenBLAS 0.3.21 takes Zen 4/5 for Haswell (AVX2): its honest peer
     * setting is the AVX-512 SkylakeX kernels. */
    if (mx_cpu_has(MX_ISA_AVX512)) return "SkylakeX";
    if (mx_cpu_has(MX_ISA_AVX2)) return "Haswell";
    return NULL;
}

void bench_peers_setup_env(char **argv) {
    int changed = 0;
    const char *best = openblas_best_core_(), *user = getenv("OPENBLAS_CORETYPE");
    if (best != NULL && user != NULL && strcmp(user, best) != 0 && getenv("MIXSIMD_BENCH_REEXEC") == NULL)
        fprintf(stderr, "mixsimd-bench: note: OPENBLAS_CORETYPE=%s comes from the environment; "
                        "this CPU runs OpenBLAS's %s kernels (unset it for the honest peer)\n",
                user, best);
    if (best != NULL) changed |= default_env_("OPENBLAS_CORETYPE", best);
    if (mx_cpu_has(MX_ISA_AVX512)) {
        /* BLIS 0.9 takes Zen 4/5 for "generic"; its arch id 0 is skx (AVX-512). */
        default_env_("BLIS_ARCH_TYPE", "0"); /* read when BLIS is opened: no re-exec */
    } else if (mx_cpu_has(MX_ISA_AVX2)) {
        default_env_("BLIS_ARCH_TYPE", "3"); /* haswell */
    }
    /* OpenBLAS has read the old environment when it loaded: start again once. */
    if (changed && bench_openblas_available() && getenv("MIXSIMD_BENCH_REEXEC") == NULL) {
        setenv("MIXSIMD_BENCH_REEXEC", "1", 1);
        execv("/proc/self/exe", argv);
        perror("mixsimd-bench: re-executing with OPENBLAS_CORETYPE set failed");
    }
}

void bench_peers_describe(void) {
    const char *core = bench_openblas_core(), *arch = bench_blis_arch();
    const char *core_env = getenv("OPENBLAS_CORETYPE"), *arch_env = getenv("BLIS_ARCH_TYPE");
    printf("peers: OpenBLAS %s (OPENBLAS_CORETYPE=%s), BLIS %s (BLIS_ARCH_TYPE=%s)\n",
           bench_openblas_available() ? core : "not built in", core_env ? core_env : "unset",
           bench_blis_available() ? arch : "not installed", arch_env ? arch_env : "unset");
    fflush(stdout);
    cbench_add_context("openblas_core", core);
    cbench_add_context("openblas_coretype_env", core_env ? core_env : "");
    cbench_add_context("blis_arch", arch);
}
