/* mixsimd demo: an E-step of a Gaussian mixture and an MLP-sized GEMM, run
 * once per instruction set this CPU has, with timings and agreement.
 *
 * Data: K diagonal Gaussians in D dimensions with means ~ N(0, 3^2 I) and
 * variances ~ U(0.5, 2), N points drawn from them round-robin. The E-step
 * computes log pi_k + log N(x_n; mu_k, var_k) (gauss.h) and turns each row
 * into responsibilities (lse.h); the hard assignment should recover the
 * generating component for nearly every point. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mixsimd/mixsimd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "commands.h"

typedef struct {
    size_t n, d, k, reps, seed;
} demo_config;

typedef struct {
    float *x, *mu, *var, *logw, *resp, *a, *b, *c;
    int *label;
    void *work;
    size_t work_bytes;
} demo_data;

typedef struct {
    double estep_ms, gemm_gflops, mean_loglik, accuracy;
} demo_result;

enum { GEMM_M = 256, GEMM_K = 784, GEMM_N = 500 }; /* the first layer of the MNIST autoencoder */

static int thread_count(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int parse_size(const char *text, size_t *out) {
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0 || text[0] == '-') return -1;
    *out = (size_t)v;
    return 0;
}

/* The option's field in cfg, or NULL for an unknown name. */
static size_t *option_field(demo_config *cfg, const char *name) {
    const struct { const char *name; size_t *field; } options[] = {
        {"--n", &cfg->n}, {"--d", &cfg->d}, {"--k", &cfg->k}, {"--reps", &cfg->reps}, {"--seed", &cfg->seed},
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; ++i)
        if (strcmp(name, options[i].name) == 0) return options[i].field;
    return NULL;
}

/* 0: parsed; 1: --help; -1: bad arguments (reported on stderr). */
static int parse_args(int argc, char **argv, demo_config *cfg) {
    for (int i = 1; i < argc; i += 2) { /* every option takes one value */
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
        size_t *field = option_field(cfg, argv[i]);
        if (field == NULL) {
            fprintf(stderr, "mixsimd demo: unknown option '%s'\n", argv[i]);
            return -1;
        }
        if (i + 1 >= argc || parse_size(argv[i + 1], field) != 0) {
            fprintf(stderr, "mixsimd demo: %s needs a positive whole number\n", argv[i]);
            return -1;
        }
    }
    if (cfg->k > cfg->n) {
        fprintf(stderr, "mixsimd demo: --k (%zu) must not exceed --n (%zu)\n", cfg->k, cfg->n);
        return -1;
    }
    return 0;
}

static void free_data(demo_data *d) {
    free(d->x), free(d->mu), free(d->var), free(d->logw), free(d->resp);
    free(d->a), free(d->b), free(d->c), free(d->label), free(d->work);
}

/* Draws the mixture and the GEMM operands from the library's counter-based
 * generator: stream offsets keep the draws independent. */
static mx_status make_data(const demo_config *cfg, demo_data *d) {
    const size_t n = cfg->n, dim = cfg->d, k = cfg->k;
    memset(d, 0, sizeof *d);
    d->x = malloc(n * dim * sizeof(float));
    d->mu = malloc(k * dim * sizeof(float));
    d->var = malloc(k * dim * sizeof(float));
    d->logw = malloc(k * sizeof(float));
    d->resp = malloc(n * k * sizeof(float));
    d->label = malloc(n * sizeof(int));
    d->a = malloc((size_t)GEMM_M * GEMM_K * sizeof(float));
    d->b = malloc((size_t)GEMM_K * GEMM_N * sizeof(float));
    d->c = malloc((size_t)GEMM_M * GEMM_N * sizeof(float));
    d->work_bytes = mx_gemm_f32_workspace_size(GEMM_M, GEMM_N, GEMM_K);
    const size_t gauss_bytes = mx_gauss_diag_workspace_size(k, dim);
    if (gauss_bytes > d->work_bytes) d->work_bytes = gauss_bytes;
    d->work = malloc(d->work_bytes);
    if (!d->x || !d->mu || !d->var || !d->logw || !d->resp || !d->label || !d->a || !d->b ||
        !d->c || !d->work)
        return MX_ERR_NOMEM;

    mx_status st;
    uint64_t offset = 0;
#define DRAW(fn, dst, count)                                         \
    if ((st = fn(cfg->seed, offset, dst, count)) != MX_OK) return st; \
    offset += count;
    DRAW(mx_rng_normal_f32, d->mu, k * dim)
    DRAW(mx_rng_uniform_f32, d->var, k * dim)
    DRAW(mx_rng_normal_f32, d->x, n * dim)
    DRAW(mx_rng_normal_f32, d->a, (size_t)GEMM_M * GEMM_K)
    DRAW(mx_rng_normal_f32, d->b, (size_t)GEMM_K * GEMM_N)
#undef DRAW
    for (size_t i = 0; i < k * dim; ++i) {
        d->mu[i] *= 3.0f;
        d->var[i] = 0.5f + 1.5f * d->var[i];
    }
    for (size_t c = 0; c < k; ++c) d->logw[c] = -logf((float)k);
    for (size_t i = 0; i < n; ++i) {
        const size_t c = i % k;
        d->label[i] = (int)c;
        for (size_t j = 0; j < dim; ++j)
            d->x[i * dim + j] = d->mu[c * dim + j] + sqrtf(d->var[c * dim + j]) * d->x[i * dim + j];
    }
    return MX_OK;
}

static mx_status estep(const demo_config *cfg, demo_data *d, float *lse) {
    const size_t n = cfg->n, dim = cfg->d, k = cfg->k;
    mx_status st = mx_gauss_diag_f32(n, k, dim, d->x, dim, d->mu, dim, d->var, dim, d->logw,
                                     d->resp, k, d->work, d->work_bytes);
    return st != MX_OK ? st : mx_softmax_rows_f32(d->resp, n, k, k, lse);
}

static mx_status run_isa(const demo_config *cfg, demo_data *d, mx_isa isa, demo_result *r) {
    mx_status st = mx_isa_force(isa);
    double *times = malloc(cfg->reps * sizeof(double));
    float *lse = malloc(cfg->n * sizeof(float));
    if (!times || !lse) st = MX_ERR_NOMEM;
    for (size_t rep = 0; st == MX_OK && rep < cfg->reps; ++rep) {
        const double t0 = now_ms();
        st = estep(cfg, d, lse);
        times[rep] = now_ms() - t0;
    }
    if (st == MX_OK) {
        r->estep_ms = median(times, cfg->reps);
        double loglik = 0.0, correct = 0.0;
        for (size_t i = 0; i < cfg->n; ++i) {
            const float *row = d->resp + i * cfg->k;
            size_t best = 0;
            for (size_t c = 1; c < cfg->k; ++c)
                if (row[c] > row[best]) best = c;
            correct += (int)best == d->label[i];
            loglik += lse[i];
        }
        r->mean_loglik = loglik / (double)cfg->n;
        r->accuracy = correct / (double)cfg->n;
    }
    for (size_t rep = 0; st == MX_OK && rep < cfg->reps; ++rep) {
        const double t0 = now_ms();
        st = mx_gemm_f32(MX_OP_N, MX_OP_N, GEMM_M, GEMM_N, GEMM_K, 1.0f, d->a, GEMM_K, d->b,
                         GEMM_N, 0.0f, d->c, GEMM_N, d->work, d->work_bytes);
        times[rep] = now_ms() - t0;
    }
    if (st == MX_OK) r->gemm_gflops = 2.0 * GEMM_M * GEMM_N * GEMM_K / (median(times, cfg->reps) * 1e6);
    free(times);
    free(lse);
    return st;
}

int mx_cmd_demo(int argc, char **argv) {
    demo_config cfg = {.n = 20000, .d = 64, .k = 10, .reps = 7, .seed = 1};
    const int parsed = parse_args(argc, argv, &cfg);
    if (parsed != 0) {
        FILE *to = parsed > 0 ? stdout : stderr;
        fprintf(to, "usage: mixsimd demo [--n 20000] [--d 64] [--k 10] [--reps 7] [--seed 1]\n"
                    "Runs a mixture E-step (Gaussian log-likelihoods + responsibilities) and a\n"
                    "256x784x500 GEMM once per instruction set of this CPU; prints median times.\n");
        return parsed > 0 ? 0 : 2;
    }
    mx_isa dispatched;
    if (mx_isa_active(&dispatched) != MX_OK) {
        fprintf(stderr, "mixsimd demo: %s\n", mx_isa_problem());
        return 1;
    }
    demo_data data;
    mx_status st = make_data(&cfg, &data);
    if (st != MX_OK) {
        fprintf(stderr, "mixsimd demo: preparing data: %s\n", mx_strerror(st));
        free_data(&data);
        return 1;
    }
    printf("mixsimd demo: E-step on %zu points, D=%zu, K=%zu (synthetic mixture, seed %zu);\n"
           "GEMM %dx%dx%d; medians of %zu runs; %d thread(s) (OMP_NUM_THREADS); default ISA: %s\n\n",
           cfg.n, cfg.d, cfg.k, cfg.seed, GEMM_M, GEMM_K, GEMM_N, cfg.reps,
           thread_count(), mx_isa_name(dispatched));
    printf("%-8s %11s %9s %13s %9s %15s %9s\n", "isa", "E-step ms", "x scalar", "GEMM GFLOP/s",
           "x scalar", "mean log p(x)", "accuracy");
    demo_result scalar = {0};
    for (int i = 0; i < MX_ISA_COUNT && st == MX_OK; ++i) {
        if (!mx_cpu_has((mx_isa)i)) continue;
        demo_result r;
        st = run_isa(&cfg, &data, (mx_isa)i, &r);
        if (st != MX_OK) break;
        if (i == MX_ISA_SCALAR) scalar = r;
        printf("%-8s %11.3f %9.1f %13.1f %9.1f %15.6f %8.2f%%\n", mx_isa_name((mx_isa)i),
               r.estep_ms, scalar.estep_ms / r.estep_ms, r.gemm_gflops,
               r.gemm_gflops / scalar.gemm_gflops, r.mean_loglik, 100.0 * r.accuracy);
    }
    free_data(&data);
    if (st != MX_OK) {
        fprintf(stderr, "mixsimd demo: %s\n", mx_strerror(st));
        return 1;
    }
    return 0;
}
