#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "datasets.h"

/* ---- option parsing ------------------------------------------------------ */

static const mx_cli_option *find_option(const mx_cli_option *const *tables, const char *name,
                                        size_t name_length) {
    for (; *tables != NULL; ++tables)
        for (const mx_cli_option *o = *tables; o->name != NULL; ++o)
            if (strlen(o->name) == name_length && strncmp(o->name, name, name_length) == 0) return o;
    return NULL;
}

static int parse_unsigned(const char *text, unsigned long long *out) {
    if (text[0] < '0' || text[0] > '9') return 0; /* strtoull would accept "-1" and " 1" */
    char *end;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Stores value into the option's target; 0 with a message on stderr if it does not parse. */
static int store_value(const char *command, const mx_cli_option *o, const char *value) {
    unsigned long long integer;
    switch (o->kind) {
    case MX_CLI_SIZE:
        if (!parse_unsigned(value, &integer) || integer == 0 || integer > SIZE_MAX) break;
        *(size_t *)o->target = (size_t)integer;
        return 1;
    case MX_CLI_U64:
        if (!parse_unsigned(value, &integer)) break;
        *(uint64_t *)o->target = integer;
        return 1;
    case MX_CLI_DOUBLE: {
        char *end;
        const double number = strtod(value, &end);
        if (value[0] == '\0' || *end != '\0' || !isfinite(number)) break;
        *(double *)o->target = number;
        return 1;
    }
    case MX_CLI_STRING:
        *(const char **)o->target = value;
        return 1;
    case MX_CLI_CHOICE:
        for (int i = 0; o->choices[i] != NULL; ++i)
            if (strcmp(value, o->choices[i]) == 0) {
                *(int *)o->target = i;
                return 1;
            }
        break;
    case MX_CLI_FLAG: break;
    }
    static const char *const expected[] = {"a positive integer", "a non-negative integer",
                                           "a finite number", "", "", "one of the listed names"};
    fprintf(stderr, "mixsimd %s: --%s: '%s' is not %s\n", command, o->name, value, expected[o->kind]);
    return 0;
}

static void print_default(FILE *to, const mx_cli_option *o) {
    switch (o->kind) {
    case MX_CLI_SIZE: fprintf(to, " (default %zu)", *(size_t *)o->target); break;
    case MX_CLI_U64: fprintf(to, " (default %llu)", (unsigned long long)*(uint64_t *)o->target); break;
    case MX_CLI_DOUBLE: fprintf(to, " (default %g)", *(double *)o->target); break;
    case MX_CLI_STRING:
        if (*(const char **)o->target != NULL) fprintf(to, " (default %s)", *(const char **)o->target);
        break;
    case MX_CLI_CHOICE: {
        fputs(" (", to);
        for (int i = 0; o->choices[i] != NULL; ++i) fprintf(to, "%s%s", i ? "|" : "", o->choices[i]);
        fprintf(to, "; default %s)", o->choices[*(int *)o->target]);
        break;
    }
    case MX_CLI_FLAG: break;
    }
}

static void print_help(const char *command, const char *summary, const mx_cli_option *const *tables) {
    printf("usage: mixsimd %s [options]\n\n%s\n\noptions:\n", command, summary);
    for (; *tables != NULL; ++tables)
        for (const mx_cli_option *o = *tables; o->name != NULL; ++o) {
            char left[40];
            snprintf(left, sizeof left, "--%s%s", o->name, o->kind == MX_CLI_FLAG ? "" : " VALUE");
            printf("  %-22s %s", left, o->help);
            print_default(stdout, o);
            putchar('\n');
        }
    printf("  %-22s %s\n\n%s\n", "--help", "this text", mx_cli_dataset_help());
}

int mx_cli_parse(const char *command, const char *summary, const mx_cli_option *const *tables,
                 int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(command, summary, tables);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "mixsimd %s: unexpected argument '%s' (see --help)\n", command, arg);
            return 2;
        }
        const char *name = arg + 2, *equals = strchr(name, '=');
        const size_t name_length = equals ? (size_t)(equals - name) : strlen(name);
        const mx_cli_option *o = find_option(tables, name, name_length);
        if (o == NULL) {
            fprintf(stderr, "mixsimd %s: unknown option '%.*s' (see --help)\n", command,
                    (int)(name_length + 2), arg);
            return 2;
        }
        if (o->kind == MX_CLI_FLAG) {
            if (equals != NULL) {
                fprintf(stderr, "mixsimd %s: --%s takes no value\n", command, o->name);
                return 2;
            }
            *(int *)o->target = 1;
            continue;
        }
        const char *value = equals ? equals + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (value == NULL) {
            fprintf(stderr, "mixsimd %s: --%s needs a value\n", command, o->name);
            return 2;
        }
        if (!store_value(command, o, value)) return 2;
    }
    return 0;
}

/* ---- a model's run ------------------------------------------------------- */

static mx_cli_common common = {.data = "embedded", .k = 10};

static const mx_cli_option common_options[] = {
    {"data", MX_CLI_STRING, &common.data, "dataset: embedded, mnist, fashion-mnist or a path", NULL},
    {"k", MX_CLI_SIZE, &common.k, "number of clusters", NULL},
    {"seed", MX_CLI_U64, &common.seed, "random seed (the same seed gives the same result)", NULL},
    {"threads", MX_CLI_U64, &common.threads, "threads (0: every core)", NULL},
    {"out", MX_CLI_STRING, &common.out, "write the result (metrics, assignments) as JSON here", NULL},
    {"quiet", MX_CLI_FLAG, &common.quiet, "no progress lines on stderr", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static size_t use_threads(uint64_t requested) {
#ifdef _OPENMP
    if (requested > 0) omp_set_num_threads(requested < INT_MAX ? (int)requested : INT_MAX);
    return (size_t)omp_get_max_threads();
#else
    (void)requested;
    return 1; /* built without OpenMP */
#endif
}

/* Prints each iteration (unless --quiet) and keeps the time of every
 * iteration after the first of a run: the first also pays for the
 * initialisation, so the per-iteration cost is the median of the others. */
typedef struct {
    const char *command;
    const mx_cli_fit *fit; /* for the objective's name, which the model sets */
    int quiet;
    double previous_seconds;
    double *durations;
    size_t count, capacity;
} progress_context;

static void record_duration(progress_context *c, double seconds) {
    if (c->count == c->capacity) {
        const size_t capacity = c->capacity ? 2 * c->capacity : 64;
        double *grown = realloc(c->durations, capacity * sizeof *grown);
        if (grown == NULL) return; /* the timing summary is optional, the fit goes on */
        c->durations = grown;
        c->capacity = capacity;
    }
    c->durations[c->count++] = seconds;
}

static int on_progress(const mx_fit_progress *p, void *context) {
    progress_context *c = context;
    if (p->iteration > 1) record_duration(c, p->seconds - c->previous_seconds);
    c->previous_seconds = p->seconds;
    if (!c->quiet)
        fprintf(stderr, "%s: run %zu iteration %3zu  %s %.9g  change %+.3e  %.2f s\n", c->command, p->run + 1,
                p->iteration, c->fit->objective_name, p->objective, p->change, p->seconds);
    return 0;
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* NAN when no iteration after a run's first was timed. */
static double median_duration(progress_context *c) {
    if (c->count == 0) return NAN;
    qsort(c->durations, c->count, sizeof *c->durations, compare_doubles);
    return c->count % 2 ? c->durations[c->count / 2]
                        : 0.5 * (c->durations[c->count / 2 - 1] + c->durations[c->count / 2]);
}

/* What a run measured, beside the fit's own report. */
typedef struct {
    size_t threads;
    double seconds, seconds_per_iteration;
} run_timing;

static void write_result(mx_json *json, const mx_cli_model *model, const mx_cli_fit *fit,
                         const mx_metrics *metrics, const run_timing *timing) {
    const mx_dataset *data = fit->data;
    mx_isa isa = MX_ISA_SCALAR;
    mx_isa_active(&isa);
    mx_json_string(json, "command", model->name);
    mx_json_string(json, "mixsimd_version", MIXSIMD_VERSION_STRING);
    mx_json_object(json, "data");
    mx_json_string(json, "spec", common.data);
    mx_json_integer(json, "n", (long long)data->n);
    mx_json_integer(json, "d", (long long)data->d);
    mx_json_bool(json, "labels", data->labels != NULL);
    mx_json_end(json);
    mx_json_integer(json, "k", (long long)common.k);
    mx_json_unsigned(json, "seed", common.seed);
    mx_json_integer(json, "threads", (long long)timing->threads);
    mx_json_string(json, "isa", mx_isa_name(isa));
    mx_json_object(json, "model");
    model->write_json(json);
    mx_json_end(json);
    mx_json_object(json, "fit");
    mx_json_string(json, "objective_name", fit->objective_name);
    mx_json_number(json, "objective", fit->objective);
    mx_json_integer(json, "iterations", (long long)fit->iterations);
    mx_json_bool(json, "converged", fit->converged);
    mx_json_number(json, "seconds", timing->seconds);
    mx_json_number(json, "seconds_per_iteration", timing->seconds_per_iteration);
    mx_json_end(json);
    if (metrics != NULL) {
        mx_json_object(json, "metrics");
        mx_json_number(json, "acc", metrics->acc);
        mx_json_number(json, "nmi", metrics->nmi);
        mx_json_number(json, "ari", metrics->ari);
        mx_json_number(json, "purity", metrics->purity);
        mx_json_integer(json, "k_true", (long long)metrics->k_true);
        mx_json_integer(json, "k_pred", (long long)metrics->k_pred);
        mx_json_end(json);
    }
    mx_json_int32_array(json, "assignments", fit->labels, data->n);
}

static mx_status save_result(const mx_cli_model *model, const mx_cli_fit *fit, const mx_metrics *metrics,
                             const run_timing *timing, mx_error *err) {
    mx_atomic_file out;
    mx_status status = mx_atomic_open(&out, common.out, err);
    if (status != MX_OK) return status;
    mx_json json;
    mx_json_start(&json, out.f);
    write_result(&json, model, fit, metrics, timing);
    mx_json_finish(&json);
    return mx_atomic_commit(&out, err);
}

static void print_summary(const mx_cli_model *model, const mx_cli_fit *fit, const mx_metrics *metrics,
                          double seconds) {
    printf("%s: K=%zu on %s (%zu x %zu): %zu iterations%s, %s %.9g, %.2f s\n", model->name, common.k,
           common.data, fit->data->n, fit->data->d, fit->iterations,
           fit->converged ? ", converged" : " (max_iter reached)", fit->objective_name, fit->objective,
           seconds);
    if (metrics != NULL)
        printf("ACC %.4f  NMI %.4f  ARI %.4f  purity %.4f\n", metrics->acc, metrics->nmi, metrics->ari,
               metrics->purity);
}

/* Fits, evaluates and saves; returns the exit code. */
static int run_loaded(const mx_cli_model *model, mx_cli_fit *fit, size_t threads) {
    mx_error err = {0};
    progress_context progress = {.command = model->name, .fit = fit, .quiet = common.quiet};
    fit->common = &common;
    fit->progress = on_progress;
    fit->progress_context = &progress;
    fit->objective_name = "objective"; /* the model's fit names it before reporting progress */
    const double start = seconds_now();
    mx_status status = model->fit(fit, &err);
    const run_timing timing = {threads, seconds_now() - start, median_duration(&progress)};
    free(progress.durations);
    if (status != MX_OK) {
        fprintf(stderr, "mixsimd %s: %s\n", model->name, err.message[0] ? err.message : mx_strerror(status));
        return 1;
    }
    mx_metrics metrics, *have_metrics = NULL;
    if (fit->data->labels != NULL) {
        status = mx_metrics_compute(fit->data->n, fit->data->labels, fit->labels, MX_NMI_ARITHMETIC,
                                    &metrics, &err);
        if (status != MX_OK) {
            fprintf(stderr, "mixsimd %s: metrics: %s\n", model->name, err.message);
            return 1;
        }
        have_metrics = &metrics;
    }
    print_summary(model, fit, have_metrics, timing.seconds);
    if (common.out != NULL && save_result(model, fit, have_metrics, &timing, &err) != MX_OK) {
        fprintf(stderr, "mixsimd %s: %s\n", model->name, err.message);
        return 1;
    }
    return 0;
}

int mx_cli_run_model(const mx_cli_model *model, int argc, char **argv) {
    const mx_cli_option *const tables[] = {common_options, model->options, NULL};
    const int parsed = mx_cli_parse(model->name, model->summary, tables, argc, argv);
    if (parsed != 0) return parsed == 1 ? 0 : 2;
    const size_t threads = use_threads(common.threads);
    mx_dataset data = {0};
    mx_error err = {0};
    if (mx_cli_load_dataset(common.data, &data, &err) != MX_OK) {
        fprintf(stderr, "mixsimd %s: %s\n", model->name, err.message);
        return 1;
    }
    mx_cli_fit fit = {.data = &data};
    fit.labels = malloc(data.n * sizeof *fit.labels);
    int code = 1;
    if (fit.labels == NULL) fprintf(stderr, "mixsimd %s: out of memory\n", model->name);
    else code = run_loaded(model, &fit, threads);
    free(fit.labels);
    mx_dataset_free(&data);
    if (model->release != NULL) model->release();
    return code;
}
