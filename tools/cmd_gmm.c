/* mixsimd gmm: Gaussian mixture fitted by EM, diagonal or full covariance
 * (models/gmm.h). */
#include "cli.h"
#include "commands.h"

static mx_gmm model;
static mx_gmm_config config = {.reg_covar = 1e-6, .tol = 1e-3, .max_iter = 100, .n_init = 1};
static int covariance = MX_GMM_DIAG, init = MX_GMM_INIT_KMEANS;
static const char *init_from, *save_init, *save_model;

static const char *const covariance_names[] = {"diag", "full", NULL};
static const char *const init_names[] = {"kmeans", "random", NULL};

static const mx_cli_option options[] = {
    {"covariance", MX_CLI_CHOICE, &covariance, "covariance of each component (full: at most 64 features)", covariance_names},
    {"init", MX_CLI_CHOICE, &init, "initial responsibilities", init_names},
    {"n-init", MX_CLI_SIZE, &config.n_init, "restarts from new seeds; the best log-likelihood is kept", NULL},
    {"max-iter", MX_CLI_SIZE, &config.max_iter, "EM iterations per restart", NULL},
    {"tol", MX_CLI_DOUBLE, &config.tol, "stop when the mean log-likelihood changes less", NULL},
    {"reg-covar", MX_CLI_DOUBLE, &config.reg_covar, "added to every variance", NULL},
    {"init-from", MX_CLI_STRING, &init_from, "start EM from the parameters of this model file (one run)", NULL},
    {"save-init", MX_CLI_STRING, &save_init, "save the initial parameters before EM (one run)", NULL},
    {"save-model", MX_CLI_STRING, &save_model, "save the fitted parameters as a model file", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

/* One run from given or freshly initialised parameters, or cfg.n_init restarts. */
static mx_status fit_parameters(const mx_dataset *data, mx_error *err) {
    if (init_from == NULL && save_init == NULL) return mx_gmm_fit(&model, data->x, data->n, data->d, &config, err);
    mx_status status = init_from != NULL ? mx_gmm_load(&model, init_from, err)
                                         : mx_gmm_init_params(&model, data->x, data->n, data->d, &config, err);
    if (status == MX_OK && init_from != NULL &&
        (model.k != config.k || model.d != data->d || model.covariance != config.covariance))
        status = mx_error_set(err, MX_ERR_ARG,
                              "%s: %zu %s components of dimension %zu, but --k is %zu, --covariance %s and the data has %zu features",
                              init_from, model.k, covariance_names[model.covariance], model.d, config.k,
                              covariance_names[config.covariance], data->d);
    if (status == MX_OK && save_init != NULL) status = mx_gmm_save(&model, save_init, err);
    if (status == MX_OK) status = mx_gmm_em(&model, data->x, data->n, &config, err);
    return status;
}

static mx_status fit(mx_cli_fit *fit, mx_error *err) {
    config.k = fit->common->k;
    config.seed = fit->common->seed;
    config.covariance = (mx_gmm_covariance)covariance;
    config.init = (mx_gmm_init)init;
    config.callback = fit->progress;
    config.callback_context = fit->progress_context;
    fit->objective_name = "mean log-likelihood";
    mx_status status = fit_parameters(fit->data, err);
    if (status == MX_OK) status = mx_gmm_predict(&model, fit->data->x, fit->data->n, fit->labels, NULL, err);
    if (status == MX_OK && save_model != NULL) status = mx_gmm_save(&model, save_model, err);
    fit->objective = model.log_likelihood;
    fit->iterations = model.n_iter;
    fit->converged = model.converged;
    return status;
}

static void write_json(mx_json *json) {
    mx_json_string(json, "covariance", covariance_names[covariance]);
    mx_json_string(json, "init", init_from != NULL ? init_from : init_names[init]);
    mx_json_integer(json, "n_init", (long long)(init_from || save_init ? 1 : config.n_init));
    mx_json_integer(json, "max_iter", (long long)config.max_iter);
    mx_json_number(json, "tol", config.tol);
    mx_json_number(json, "reg_covar", config.reg_covar);
    mx_json_number(json, "mean_log_likelihood", model.log_likelihood);
    mx_json_array(json, "weights");
    for (size_t k = 0; k < model.k; ++k) mx_json_number(json, NULL, model.weights[k]);
    mx_json_end(json);
}

static void release(void) { mx_gmm_free(&model); }

static const mx_cli_model gmm_command = {
    "gmm",
    "Gaussian mixture fitted by EM (diagonal or full covariance), as scikit-learn's GaussianMixture.",
    options, fit, write_json, release,
};

int mx_cmd_gmm(int argc, char **argv) { return mx_cli_run_model(&gmm_command, argc, argv); }
