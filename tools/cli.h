/* What every model command shares: option parsing with generated --help, the
 * common options (--data --k --seed --threads --out --quiet), the progress
 * line, the final metrics and the JSON result file. A model command is one
 * small file: its own options, a fit function and what it adds to the JSON
 * (see cmd_kmeans.c), handed to mx_cli_run_model. */
#ifndef MIXSIMD_TOOLS_CLI_H
#define MIXSIMD_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <mixsimd/mixsimd.h>

#include "json.h"

typedef enum {
    MX_CLI_SIZE,   /* size_t, a positive integer          */
    MX_CLI_U64,    /* uint64_t, any non-negative integer  */
    MX_CLI_DOUBLE, /* double, finite                      */
    MX_CLI_STRING, /* const char *                        */
    MX_CLI_FLAG,   /* int set to 1 when present           */
    MX_CLI_CHOICE  /* int: index into choices             */
} mx_cli_kind;

typedef struct mx_cli_option {
    const char *name; /* without the leading "--"; NULL ends a table */
    mx_cli_kind kind;
    void *target;
    const char *help;
    const char *const *choices; /* MX_CLI_CHOICE: NULL-terminated names */
} mx_cli_option;

/* The options every model command takes. */
typedef struct mx_cli_common {
    const char *data;    /* dataset spec (datasets.h)               */
    size_t k;            /* clusters                                */
    uint64_t seed;
    uint64_t threads;    /* 0: every core                           */
    const char *out;     /* JSON result path, or NULL               */
    int quiet;           /* no progress lines                       */
} mx_cli_common;

/* What a model's fit receives and reports. */
typedef struct mx_cli_fit {
    const mx_dataset *data;
    const mx_cli_common *common;
    mx_fit_callback progress; /* pass to the model's fit with progress_context */
    void *progress_context;
    int32_t *labels;          /* out: one hard assignment per point       */
    const char *objective_name; /* out: e.g. "inertia"                    */
    double objective;         /* out: final value                         */
    size_t iterations;        /* out: of the best run                     */
    int converged;            /* out                                      */
} mx_cli_fit;

typedef struct mx_cli_model {
    const char *name;
    const char *summary;
    const mx_cli_option *options; /* the model's own, ended by {NULL} */
    mx_status (*fit)(mx_cli_fit *fit, mx_error *err);
    /* Adds the model's settings and fitted parameters' summary to the result. */
    void (*write_json)(mx_json *json);
    void (*release)(void);
} mx_cli_model;

/* Parses argv[1..] against the option tables (NULL-terminated list of
 * tables). Returns 0 to go on, 1 after printing --help (exit 0), 2 after a
 * usage error was printed (exit 2). */
int mx_cli_parse(const char *command, const char *summary, const mx_cli_option *const *tables,
                 int argc, char **argv);

/* The whole run of a model command: parse, load, fit with progress, metrics,
 * result file. Returns the process exit code: 0 done, 1 failed, 2 bad usage. */
int mx_cli_run_model(const mx_cli_model *model, int argc, char **argv);

#endif
