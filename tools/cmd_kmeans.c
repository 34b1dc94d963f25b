/* mixsimd kmeans: k-means++ seeding and Lloyd iterations (models/kmeans.h). */
#include "cli.h"
#include "commands.h"

static mx_kmeans model;
static mx_kmeans_config config = {.n_init = 10, .max_iter = 300, .tol = 1e-4};
static const char *init_from, *save_init, *save_model;

static const mx_cli_option options[] = {
    {"n-init", MX_CLI_SIZE, &config.n_init, "restarts from new seeds; the lowest inertia is kept", NULL},
    {"max-iter", MX_CLI_SIZE, &config.max_iter, "Lloyd iterations per restart", NULL},
    {"tol", MX_CLI_DOUBLE, &config.tol, "stop when the centers move less (relative to the data's variance)", NULL},
    {"init-from", MX_CLI_STRING, &init_from, "start from the centers of this model file (one run)", NULL},
    {"save-init", MX_CLI_STRING, &save_init, "save the k-means++ centers before Lloyd (one run)", NULL},
    {"save-model", MX_CLI_STRING, &save_model, "save the fitted centers as a model file", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

/* One run from given or freshly seeded centers, or cfg.n_init restarts. */
static mx_status fit_centers(const mx_dataset *data, int32_t *labels, mx_error *err) {
    mx_status status;
    if (init_from == NULL && save_init == NULL)
        return mx_kmeans_fit(&model, data->x, data->n, data->d, &config, labels, err);
    status = init_from != NULL ? mx_kmeans_load(&model, init_from, err)
                               : mx_kmeans_init_centers(&model, data->x, data->n, data->d, config.k,
                                                        config.seed, err);
    if (status == MX_OK && init_from != NULL && (model.k != config.k || model.d != data->d))
        status = mx_error_set(err, MX_ERR_ARG, "%s: %zu centers of dimension %zu, but --k is %zu and the data has %zu features",
                              init_from, model.k, model.d, config.k, data->d);
    if (status == MX_OK && save_init != NULL) status = mx_kmeans_save(&model, save_init, err);
    if (status == MX_OK) status = mx_kmeans_lloyd(&model, data->x, data->n, &config, labels, err);
    return status;
}

static mx_status fit(mx_cli_fit *fit, mx_error *err) {
    config.k = fit->common->k;
    config.seed = fit->common->seed;
    config.callback = fit->progress;
    config.callback_context = fit->progress_context;
    fit->objective_name = "inertia";
    mx_status status = fit_centers(fit->data, fit->labels, err);
    if (status == MX_OK && save_model != NULL) status = mx_kmeans_save(&model, save_model, err);
    fit->objective = model.inertia;
    fit->iterations = model.n_iter;
    fit->converged = model.converged;
    return status;
}

static void write_json(mx_json *json) {
    mx_json_integer(json, "n_init", (long long)(init_from || save_init ? 1 : config.n_init));
    mx_json_integer(json, "max_iter", (long long)config.max_iter);
    mx_json_number(json, "tol", config.tol);
    mx_json_string(json, "init_from", init_from);
    mx_json_number(json, "inertia", model.inertia);
}

static void release(void) { mx_kmeans_free(&model); }

static const mx_cli_model kmeans_command = {
    "kmeans",
    "k-means with k-means++ seeding and Lloyd iterations, as scikit-learn's KMeans (lloyd).",
    options, fit, write_json, release,
};

int mx_cmd_kmeans(int argc, char **argv) { return mx_cli_run_model(&kmeans_command, argc, argv); }
