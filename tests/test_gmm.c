/* models/gmm.h: EM against a double reference (diag and full), monotone
 * log-likelihood, recovery, restarts, determinism, files and bad input. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/mixsimd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_fixtures.h"
#include "testutil.h"

TestSuite(gmm, .init = mx_fixture_make_dir, .fini = mx_fixture_remove_dir);

/* ---- a plain double EM (sklearn's equations) for tiny problems ------------- */
enum { RK = 3, RD = 3 }; /* reference sizes: at most 3 components of dimension 3 */

typedef struct {
    size_t k, d;
    int full;
    double w[RK], mu[RK][RD], cov[RK][RD][RD]; /* diag: cov[c][j][j] */
} ref_gmm;

static ref_gmm ref_from(const mx_gmm *g) {
    ref_gmm r;
    memset(&r, 0, sizeof r);
    r.k = g->k, r.d = g->d, r.full = g->covariance == MX_GMM_FULL;
    for (size_t c = 0; c < r.k; ++c) {
        r.w[c] = g->weights[c];
        for (size_t i = 0; i < r.d; ++i) {
            r.mu[c][i] = g->means[c * r.d + i];
            for (size_t j = 0; j < r.d; ++j)
                r.cov[c][i][j] = r.full ? g->covariances[(c * r.d + i) * r.d + j]
                                        : (i == j ? g->covariances[c * r.d + i] : 0.0);
        }
    }
    return r;
}

/* log N(x; mu_c, cov_c) by a double Cholesky factorisation. */
static double ref_log_density(const ref_gmm *g, size_t c, const float *x) {
    const size_t d = g->d;
    double L[RD][RD] = {{0}}, z[RD], logdet = 0.0, q = 0.0;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j) {
            double s = g->cov[c][i][j];
            for (size_t l = 0; l < j; ++l) s -= L[i][l] * L[j][l];
            L[i][j] = i == j ? sqrt(s) : s / L[j][j];
        }
    for (size_t i = 0; i < d; ++i) {
        double s = x[i] - g->mu[c][i];
        for (size_t l = 0; l < i; ++l) s -= L[i][l] * z[l];
        z[i] = s / L[i][i];
        q += z[i] * z[i];
        logdet += 2.0 * log(L[i][i]);
    }
    return -0.5 * (d * log(2.0 * 3.14159265358979323846) + logdet + q);
}

/* One EM iteration in double; returns the mean log-likelihood of g before it. */
static double ref_em_step(ref_gmm *g, const float *X, size_t n, double reg) {
    const size_t k = g->k, d = g->d;
    double *R = calloc(n * k, sizeof(double)), total = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double m = -INFINITY, s = 0.0;
        for (size_t c = 0; c < k; ++c) {
            R[i * k + c] = log(g->w[c]) + ref_log_density(g, c, X + i * d);
            m = fmax(m, R[i * k + c]);
        }
        for (size_t c = 0; c < k; ++c) s += exp(R[i * k + c] - m);
        total += m + log(s);
        for (size_t c = 0; c < k; ++c) R[i * k + c] = exp(R[i * k + c] - m) / s;
    }
    for (size_t c = 0; c < k; ++c) {
        double nk = 10.0 * DBL_EPSILON;
        for (size_t i = 0; i < n; ++i) nk += R[i * k + c];
        g->w[c] = nk / n;
        for (size_t j = 0; j < d; ++j) {
            double s = 0.0;
            for (size_t i = 0; i < n; ++i) s += R[i * k + c] * X[i * d + j];
            g->mu[c][j] = s / nk;
        }
        for (size_t a = 0; a < d; ++a)
            for (size_t b = 0; b < d; ++b) {
                double s = 0.0;
                if (g->full || a == b)
                    for (size_t i = 0; i < n; ++i)
                        s += R[i * k + c] * (X[i * d + a] - g->mu[c][a]) * (X[i * d + b] - g->mu[c][b]);
                g->cov[c][a][b] = s / nk + (a == b ? reg : 0.0);
            }
    }
    free(R);
    return total / n;
}

/* Largest relative difference between the model and the reference parameters. */
static double ref_distance(const mx_gmm *g, const ref_gmm *r) {
    const ref_gmm mine = ref_from(g);
    double worst = 0.0;
    for (size_t c = 0; c < r->k; ++c) {
        worst = fmax(worst, fabs(mine.w[c] - r->w[c]) / r->w[c]);
        for (size_t i = 0; i < r->d; ++i) {
            worst = fmax(worst, fabs(mine.mu[c][i] - r->mu[c][i]) / (1.0 + fabs(r->mu[c][i])));
            for (size_t j = 0; j < r->d; ++j)
                worst = fmax(worst, fabs(mine.cov[c][i][j] - r->cov[c][i][j]) / (1e-3 + fabs(r->cov[c][i][j])));
        }
    }
    return worst;
}

/* Overlapping blobs: EM takes many iterations and responsibilities stay soft. */
static float *soft_data(uint64_t seed, size_t n, size_t d) {
    float *X;
    int32_t *truth;
    mx_fixture_blobs(seed, n, d, 3, 2.0, 1.0, &X, &truth);
    for (size_t i = 0; i < n; ++i) X[i * d] += 0.7f * X[i * d + d - 1]; /* correlate two features */
    free(truth);
    return X;
}

static void agrees_with_the_double_reference(mx_gmm_covariance kind) {
    const size_t n = 120, d = 3, k = 3;
    float *X = soft_data(11, n, d);
    mx_gmm model = {0};
    mx_gmm_config cfg = mx_gmm_config_default(k);
    cfg.covariance = kind;
    cfg.init = MX_GMM_INIT_RANDOM;
    mx_error err = {0};
    cr_assert_eq(mx_gmm_init_params(&model, X, n, d, &cfg, &err), MX_OK, "%s", err.message);
    ref_gmm ref = ref_from(&model);
    mx_fixture_trace trace = {0};
    cfg.max_iter = 5;
    cfg.tol = 0.0;
    cfg.callback = mx_fixture_record;
    cfg.callback_context = &trace;
    cr_assert_eq(mx_gmm_em(&model, X, n, &cfg, &err), MX_OK, "%s", err.message);
    cr_assert_eq(trace.count, 5);
    for (size_t it = 0; it < 5; ++it) {
        const double ll = ref_em_step(&ref, X, n, cfg.reg_covar);
        cr_assert(epsilon_eq(dbl, trace.objective[it], ll, 2e-5 * fabs(ll)), "iteration %zu: %.9g vs %.9g",
                  it + 1, trace.objective[it], ll);
    }
    cr_assert_lt(ref_distance(&model, &ref), 1e-4, "parameters after 5 iterations");
    double score;
    cr_assert_eq(mx_gmm_score(&model, X, n, &score, &err), MX_OK);
    cr_assert_eq(score, model.log_likelihood);
    ref.mu[1][2] += 1e-2;
    cr_assert_gt(ref_distance(&model, &ref), 1e-4, "a wrong mean is noticed");
    mx_gmm_free(&model);
    free(X);
}

Test(gmm, diag_agrees_with_the_double_reference) { agrees_with_the_double_reference(MX_GMM_DIAG); }
Test(gmm, full_agrees_with_the_double_reference) { agrees_with_the_double_reference(MX_GMM_FULL); }

/* The mean log-likelihood of EM never decreases in exact arithmetic. The
 * float32 E-step (gauss.h) carries an error of about (D + 8) u per unit of
 * the quadratic term, so the computed mean may dip by ~1e-6 relative near
 * convergence; allow 1e-5 relative. */
static void log_likelihood_never_decreases(mx_gmm_covariance kind) {
    const size_t n = 900, d = 6;
    float *X = soft_data(12, n, d);
    mx_fixture_trace trace = {0};
    mx_gmm_config cfg = mx_gmm_config_default(4);
    cfg.covariance = kind;
    cfg.init = MX_GMM_INIT_RANDOM;
    cfg.n_init = 2;
    cfg.tol = 1e-7;
    cfg.max_iter = 200;
    cfg.callback = mx_fixture_record;
    cfg.callback_context = &trace;
    mx_gmm model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_gmm_fit(&model, X, n, d, &cfg, &err), MX_OK, "%s", err.message);
    cr_assert_gt(trace.count, 20, "enough iterations to test");
    cr_assert(mx_fixture_monotone(&trace, +1, 1e-5));
    trace.objective[5] = trace.objective[4] - 0.01 * (1.0 + fabs(trace.objective[4]));
    cr_assert_not(mx_fixture_monotone(&trace, +1, 1e-5), "a decrease is noticed");
    mx_gmm_free(&model);
    free(X);
}

Test(gmm, diag_log_likelihood_never_decreases) { log_likelihood_never_decreases(MX_GMM_DIAG); }
Test(gmm, full_log_likelihood_never_decreases) { log_likelihood_never_decreases(MX_GMM_FULL); }

static void recovers_blobs(mx_gmm_covariance kind) {
    float *X;
    int32_t *truth, labels[500];
    mx_fixture_blobs(13, 500, 5, 4, 8.0, 0.6, &X, &truth);
    mx_gmm_config cfg = mx_gmm_config_default(4);
    cfg.covariance = kind;
    mx_gmm model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_gmm_fit(&model, X, 500, 5, &cfg, &err), MX_OK, "%s", err.message);
    cr_assert(model.converged);
    float *resp = mx_test_floats(500 * 4);
    cr_assert_eq(mx_gmm_predict(&model, X, 500, labels, resp, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_fixture_accuracy(truth, labels, 500, 4), 1.0);
    for (size_t i = 0; i < 500; ++i) {
        double sum = 0.0;
        for (size_t c = 0; c < 4; ++c) {
            sum += resp[i * 4 + c];
            cr_assert_leq(resp[i * 4 + c], resp[i * 4 + (size_t)labels[i]], "label is the argmax");
        }
        cr_assert(epsilon_eq(dbl, sum, 1.0, 1e-5));
    }
    for (size_t c = 0; c < 4; ++c) cr_assert(epsilon_eq(dbl, model.weights[c], 0.25, 1e-6));
    free(resp);
    mx_gmm_free(&model);
    free(X);
    free(truth);
}

Test(gmm, diag_recovers_separated_blobs) { recovers_blobs(MX_GMM_DIAG); }
Test(gmm, full_recovers_separated_blobs) { recovers_blobs(MX_GMM_FULL); }

Test(gmm, n_init_keeps_the_best_run_and_seeds_reproduce) {
    const size_t n = 400, d = 4;
    float *X = soft_data(14, n, d);
    mx_gmm_config cfg = mx_gmm_config_default(5);
    cfg.init = MX_GMM_INIT_RANDOM;
    cfg.seed = 77;
    mx_error err = {0};
    double best = -INFINITY, worst = INFINITY;
    for (size_t run = 0; run < 4; ++run) {
        mx_gmm single = {0};
        mx_gmm_config one = cfg;
        one.seed = mx_model_restart_seed_(cfg.seed, run);
        cr_assert_eq(mx_gmm_init_params(&single, X, n, d, &one, &err), MX_OK, "%s", err.message);
        cr_assert_eq(mx_gmm_em(&single, X, n, &one, &err), MX_OK, "%s", err.message);
        best = fmax(best, single.log_likelihood);
        worst = fmin(worst, single.log_likelihood);
        mx_gmm_free(&single);
    }
    cr_assert_lt(worst, best, "the runs differ, so picking matters");
    mx_gmm a = {0}, b = {0};
    cfg.n_init = 4;
    mx_fixture_threads(2);
    cr_assert_eq(mx_gmm_fit(&a, X, n, d, &cfg, &err), MX_OK, "%s", err.message);
    cr_assert_eq(a.log_likelihood, best);
    mx_fixture_threads(1);
    cr_assert_eq(mx_gmm_fit(&b, X, n, d, &cfg, &err), MX_OK, "%s", err.message);
    mx_fixture_threads(2);
    cr_assert_eq(memcmp(a.means, b.means, 5 * d * sizeof(float)), 0,
                 "same seed, same result, any thread count");
    cr_assert_eq(a.log_likelihood, b.log_likelihood);
    cr_assert_eq(memcmp(a.covariances, b.covariances, 5 * d * sizeof(float)), 0);
    mx_gmm_free(&a);
    mx_gmm_free(&b);
    free(X);
}

static void round_trips_through_a_file(mx_gmm_covariance kind) {
    const size_t n = 200, d = 3;
    float *X = soft_data(15, n, d);
    mx_gmm_config cfg = mx_gmm_config_default(3);
    cfg.covariance = kind;
    mx_gmm model = {0}, loaded = {0};
    mx_error err = {0};
    cr_assert_eq(mx_gmm_fit(&model, X, n, d, &cfg, &err), MX_OK, "%s", err.message);
    const char *path = mx_fixture_path("gmm.mxm");
    cr_assert_eq(mx_gmm_save(&model, path, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_gmm_load(&loaded, path, &err), MX_OK, "%s", err.message);
    cr_assert_eq(loaded.covariance, kind);
    cr_assert_eq(loaded.k, 3);
    cr_assert_eq(loaded.d, d);
    cr_assert_eq(memcmp(loaded.weights, model.weights, 3 * sizeof(float)), 0);
    cr_assert_eq(memcmp(loaded.means, model.means, 3 * d * sizeof(float)), 0);
    const size_t cov_floats = 3 * d * (kind == MX_GMM_FULL ? d : 1);
    cr_assert_eq(memcmp(loaded.covariances, model.covariances, cov_floats * sizeof(float)), 0);
    cr_assert_eq(loaded.log_likelihood, model.log_likelihood);
    cr_assert_eq(loaded.n_iter, model.n_iter);
    cr_assert_eq(loaded.converged, model.converged);
    double score;
    cr_assert_eq(mx_gmm_score(&loaded, X, n, &score, &err), MX_OK);
    cr_assert_eq(score, model.log_likelihood);
    /* Invalid parameters in a well-formed file. */
    model.covariances[kind == MX_GMM_FULL ? 4 : 1] = -1.0f;
    cr_assert_eq(mx_gmm_save(&model, path, &err), MX_OK);
    cr_assert_eq(mx_gmm_load(&loaded, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, path), "%s", err.message);
    cr_assert_null(loaded.weights, "a failed load leaves no model");
    mx_gmm_free(&model);
    free(X);
}

Test(gmm, diag_round_trips_through_a_file) { round_trips_through_a_file(MX_GMM_DIAG); }
Test(gmm, full_round_trips_through_a_file) { round_trips_through_a_file(MX_GMM_FULL); }

Test(gmm, malformed_model_files_are_refused) {
    const size_t kd[2] = {2, 3}, wrong[2] = {2, 4}, k1[1] = {2};
    const float weights[2] = {0.5f, 0.5f}, means[8] = {0}, cov[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const double ll = 0.0;
    const int64_t zero = 0;
    mx_model_array arrays[6] = {
        mx_model_array_make("weights", MX_DTYPE_F32, 1, k1, weights),
        mx_model_array_make("means", MX_DTYPE_F32, 2, kd, means),
        mx_model_array_make("covariances", MX_DTYPE_F32, 2, wrong, cov),
        mx_model_array_make("log_likelihood", MX_DTYPE_F64, 0, NULL, &ll),
        mx_model_array_make("n_iter", MX_DTYPE_I64, 0, NULL, &zero),
        mx_model_array_make("converged", MX_DTYPE_I64, 0, NULL, &zero),
    };
    const char *path = mx_fixture_path("bad.mxm");
    mx_gmm model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_model_write(path, "gmm", arrays, 6, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_gmm_load(&model, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "'covariances' has shape [2 x 4], expected [2 x 3]"), "%s",
                       err.message);
    arrays[2] = mx_model_array_make("covariances", MX_DTYPE_F32, 2, kd, cov);
    cr_assert_eq(mx_model_write(path, "gmm", arrays, 5, &err), MX_OK);
    cr_assert_eq(mx_gmm_load(&model, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "no array 'converged'"), "%s", err.message);
    cr_assert_eq(mx_model_write(path, "kmeans", arrays, 6, &err), MX_OK);
    cr_assert_eq(mx_gmm_load(&model, path, &err), MX_ERR_FORMAT);
    cr_assert_eq(mx_model_write(path, "gmm", arrays, 6, &err), MX_OK);
    cr_assert_eq(mx_gmm_load(&model, path, &err), MX_OK, "the repaired file loads: %s", err.message);
    mx_gmm_free(&model);
}

Test(gmm, bad_input_is_refused_with_a_message) {
    float X[4 * 2] = {0, 0, 1, 1, 2, 2, 3, 3.5f};
    mx_gmm model = {0};
    mx_gmm_config cfg = mx_gmm_config_default(5);
    mx_error err = {0};
    cr_assert_eq(mx_gmm_fit(&model, X, 4, 2, &cfg, &err), MX_ERR_ARG);
    cr_assert_not_null(strstr(err.message, "k = 5 components for 4 points"), "%s", err.message);
    cfg.k = 2;
    cr_assert_eq(mx_gmm_fit(&model, X, 4, 0, &cfg, &err), MX_ERR_ARG);
    cr_assert_eq(mx_gmm_fit(&model, X, 0, 2, &cfg, &err), MX_ERR_ARG);
    X[3] = NAN;
    cr_assert_eq(mx_gmm_fit(&model, X, 4, 2, &cfg, &err), MX_ERR_DOMAIN);
    cr_assert_not_null(strstr(err.message, "point 1, feature 1 is NaN"), "%s", err.message);
    X[3] = 1.0f;
    cfg.reg_covar = -1.0;
    cr_assert_eq(mx_gmm_fit(&model, X, 4, 2, &cfg, &err), MX_ERR_ARG);
    cfg.reg_covar = 1e-6;
    cfg.covariance = MX_GMM_FULL;
    float *wide = calloc(4 * 65, sizeof(float));
    cr_assert_eq(mx_gmm_fit(&model, wide, 4, 65, &cfg, &err), MX_ERR_ARG);
    cr_assert_not_null(strstr(err.message, "use diagonal covariance"), "%s", err.message);
    free(wide);
    cr_assert_eq(mx_gmm_fit(&model, X, 4, 2, &cfg, &err), MX_OK, "%s", err.message);
    cfg.covariance = MX_GMM_DIAG;
    cr_assert_eq(mx_gmm_em(&model, X, 4, &cfg, &err), MX_ERR_ARG, "config differs from the model");
    cr_assert_not_null(strstr(err.message, "does not match"), "%s", err.message);
    mx_gmm_free(&model);
    cr_assert_eq(mx_gmm_em(&model, X, 4, &cfg, &err), MX_ERR_ARG, "no parameters");
}

Test(gmm, zero_variance_needs_reg_covar) {
    /* Feature 1 is constant: with reg_covar = 0 its variance is 0. */
    float X[6 * 2] = {0, 5, 1, 5, 2, 5, 10, 5, 11, 5, 12, 5};
    mx_gmm model = {0};
    mx_gmm_config cfg = mx_gmm_config_default(2);
    cfg.reg_covar = 0.0;
    mx_error err = {0};
    cr_assert_eq(mx_gmm_fit(&model, X, 6, 2, &cfg, &err), MX_ERR_DOMAIN);
    cr_assert_not_null(strstr(err.message, "feature 1 has variance 0"), "%s", err.message);
    cr_assert_not_null(strstr(err.message, "reg_covar"), "%s", err.message);
    cfg.covariance = MX_GMM_FULL;
    cr_assert_eq(mx_gmm_fit(&model, X, 6, 2, &cfg, &err), MX_ERR_NOT_POSDEF);
    cr_assert_not_null(strstr(err.message, "not positive definite"), "%s", err.message);
    cfg.reg_covar = 1e-6;
    cr_assert_eq(mx_gmm_fit(&model, X, 6, 2, &cfg, &err), MX_OK, "%s", err.message);
    mx_gmm_free(&model);
}

Test(gmm, a_component_that_loses_its_points_stays_finite) {
    float *X;
    int32_t *truth;
    mx_fixture_blobs(16, 150, 2, 2, 10.0, 0.5, &X, &truth);
    mx_gmm model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_gmm_create(&model, 3, 2, MX_GMM_DIAG, &err), MX_OK);
    const float means[6] = {10, 0, 0, 10, 1e3f, 1e3f}; /* component 2 is far from all data */
    memcpy(model.means, means, sizeof means);
    for (size_t c = 0; c < 3; ++c) model.weights[c] = 1.0f / 3.0f;
    for (size_t i = 0; i < 6; ++i) model.covariances[i] = 1.0f;
    mx_gmm_config cfg = mx_gmm_config_default(3);
    cr_assert_eq(mx_gmm_em(&model, X, 150, &cfg, &err), MX_OK, "%s", err.message);
    cr_assert_lt(model.weights[2], 1e-15f, "the empty component keeps sklearn's 10 eps / n weight");
    cr_assert_gt(model.weights[2], 0.0f);
    for (size_t i = 0; i < 6; ++i) cr_assert(isfinite(model.means[i]) && isfinite(model.covariances[i]));
    cr_assert(isfinite(model.log_likelihood));
    mx_gmm_free(&model);
    free(X);
    free(truth);
}
