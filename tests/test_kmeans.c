/* models/kmeans.h: seeding, Lloyd against a double reference, restarts,
 * determinism, files and bad input. */
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

TestSuite(kmeans, .init = mx_fixture_make_dir, .fini = mx_fixture_remove_dir);

static double sqdist_ref(const float *a, const float *b, size_t d) {
    double s = 0.0;
    for (size_t j = 0; j < d; ++j) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

/* One Lloyd step in double: nearest centers, then means (no empty clusters
 * in the callers' data). Returns the inertia of the labels with the old centers. */
static double lloyd_step_ref(const float *X, size_t n, size_t d, size_t k, const double *centers,
                             double *next) {
    double *sums = calloc(k * d + k, sizeof(double)), *counts = sums + k * d, inertia = 0.0;
    float *c32 = mx_test_floats(k * d);
    for (size_t i = 0; i < k * d; ++i) c32[i] = (float)centers[i];
    for (size_t i = 0; i < n; ++i) {
        size_t best = 0;
        for (size_t c = 1; c < k; ++c)
            if (sqdist_ref(X + i * d, c32 + c * d, d) < sqdist_ref(X + i * d, c32 + best * d, d)) best = c;
        inertia += sqdist_ref(X + i * d, c32 + best * d, d);
        for (size_t j = 0; j < d; ++j) sums[best * d + j] += X[i * d + j];
        counts[best] += 1.0;
    }
    for (size_t c = 0; c < k; ++c) {
        cr_assert_gt(counts[c], 0.0, "reference data has no empty cluster");
        for (size_t j = 0; j < d; ++j) next[c * d + j] = sums[c * d + j] / counts[c];
    }
    free(sums);
    free(c32);
    return inertia;
}

Test(kmeans, separated_blobs_are_recovered) {
    float *X;
    int32_t *truth, labels[600];
    mx_fixture_blobs(1, 600, 6, 5, 10.0, 0.5, &X, &truth);
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(5);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 600, 6, &cfg, labels, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_fixture_accuracy(truth, labels, 600, 5), 1.0);
    cr_assert_lt(model.n_iter, cfg.max_iter, "converges early on separated blobs");
    int32_t wrong[600];
    memcpy(wrong, labels, sizeof wrong);
    wrong[7] = (wrong[7] + 1) % 5;
    cr_assert_lt(mx_fixture_accuracy(truth, wrong, 600, 5), 1.0, "a wrong label is noticed");
    mx_kmeans_free(&model);
    free(X);
    free(truth);
}

Test(kmeans, seeding_picks_data_points_one_per_blob) {
    float *X;
    int32_t *truth;
    mx_fixture_blobs(2, 400, 5, 4, 50.0, 0.3, &X, &truth);
    mx_error err = {0};
    for (uint64_t seed = 0; seed < 10; ++seed) {
        mx_kmeans model = {0};
        cr_assert_eq(mx_kmeans_init_centers(&model, X, 400, 5, 4, seed, &err), MX_OK, "%s", err.message);
        int seen[4] = {0};
        for (size_t c = 0; c < 4; ++c) {
            size_t row = 400;
            for (size_t i = 0; i < 400 && row == 400; ++i)
                if (memcmp(X + i * 5, model.centers + c * 5, 5 * sizeof(float)) == 0) row = i;
            cr_assert_lt(row, 400, "seed %lu: center %zu is a data point", (unsigned long)seed, c);
            seen[truth[row]]++;
        }
        for (size_t b = 0; b < 4; ++b)
            cr_assert_eq(seen[b], 1, "seed %lu: one center per blob", (unsigned long)seed);
        mx_kmeans_free(&model);
    }
    free(X);
    free(truth);
}

Test(kmeans, lloyd_matches_a_double_reference_and_inertia_never_increases) {
    const size_t n = 500, d = 8, k = 6;
    float *X = mx_test_floats(n * d);
    mx_test_rng r = mx_test_rng_seed(3);
    mx_test_fill_normal(&r, X, n * d, 0.0, 1.0); /* no cluster structure: many iterations */
    mx_kmeans model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_init_centers(&model, X, n, d, k, 7, &err), MX_OK, "%s", err.message);
    double ref[6 * 8], next[6 * 8];
    for (size_t i = 0; i < k * d; ++i) ref[i] = model.centers[i];
    mx_fixture_trace trace = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(k);
    cfg.max_iter = 3;
    cfg.tol = 0.0;
    cfg.callback = mx_fixture_record;
    cfg.callback_context = &trace;
    cr_assert_eq(mx_kmeans_lloyd(&model, X, n, &cfg, NULL, &err), MX_OK, "%s", err.message);
    for (size_t it = 0; it < 3; ++it) {
        const double inertia = lloyd_step_ref(X, n, d, k, ref, next);
        cr_assert(epsilon_eq(dbl, trace.objective[it], inertia, 1e-5 * inertia),
                  "iteration %zu inertia %.9g vs %.9g", it + 1, trace.objective[it], inertia);
        memcpy(ref, next, sizeof ref);
    }
    for (size_t i = 0; i < k * d; ++i)
        cr_assert(epsilon_eq(dbl, model.centers[i], ref[i], 1e-5), "center value %zu: %.9g vs %.9g", i,
                  (double)model.centers[i], ref[i]);
    /* Longer run: the inertia only goes down (up to float rounding of the
     * direct sums, 1e-6 relative). */
    trace.count = 0;
    cfg.max_iter = 100;
    cr_assert_eq(mx_kmeans_lloyd(&model, X, n, &cfg, NULL, &err), MX_OK, "%s", err.message);
    cr_assert_gt(trace.count, 3);
    cr_assert(mx_fixture_monotone(&trace, -1, 1e-6));
    trace.objective[2] = trace.objective[1] * 1.01;
    cr_assert_not(mx_fixture_monotone(&trace, -1, 1e-6), "an increase is noticed");
    mx_kmeans_free(&model);
    free(X);
}

Test(kmeans, final_labels_are_nearest_centers_and_inertia_matches) {
    const size_t n = 300, d = 4, k = 5;
    float *X = mx_test_floats(n * d), distances[300];
    int32_t labels[300], predicted[300];
    mx_test_rng r = mx_test_rng_seed(4);
    mx_test_fill_uniform(&r, X, n * d, -3.0, 3.0);
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(k);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, n, d, &cfg, labels, &err), MX_OK, "%s", err.message);
    double total = 0.0, predicted_inertia;
    for (size_t i = 0; i < n; ++i) {
        const double mine = sqdist_ref(X + i * d, model.centers + (size_t)labels[i] * d, d);
        for (size_t c = 0; c < k; ++c)
            cr_assert_leq(mine, sqdist_ref(X + i * d, model.centers + c * d, d) + 1e-5, "point %zu", i);
        total += mine;
    }
    cr_assert(epsilon_eq(dbl, model.inertia, total, 1e-6 * total));
    cr_assert_eq(mx_kmeans_predict(&model, X, n, predicted, distances, &predicted_inertia, &err), MX_OK);
    cr_assert_eq(memcmp(predicted, labels, sizeof labels), 0);
    cr_assert_eq(predicted_inertia, model.inertia);
    mx_kmeans_free(&model);
    free(X);
}

Test(kmeans, empty_clusters_move_to_the_farthest_point) {
    float *X;
    int32_t *truth, labels[90];
    mx_fixture_blobs(5, 90, 3, 3, 20.0, 0.5, &X, &truth);
    mx_kmeans model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_init_centers(&model, X, 90, 3, 3, 0, &err), MX_OK);
    /* Two centers on blob 0 and 1, one far away from everything: it wins no point. */
    memcpy(model.centers, X, 3 * sizeof(float));
    memcpy(model.centers + 3, X + 3, 3 * sizeof(float));
    for (size_t j = 0; j < 3; ++j) model.centers[6 + j] = 1e4f;
    mx_kmeans_config cfg = mx_kmeans_config_default(3);
    cr_assert_eq(mx_kmeans_lloyd(&model, X, 90, &cfg, labels, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_fixture_accuracy(truth, labels, 90, 3), 1.0, "the relocated center finds blob 2");
    mx_kmeans_free(&model);
    free(X);
    free(truth);
}

Test(kmeans, n_init_keeps_the_best_run_and_seeds_reproduce) {
    const size_t n = 400, d = 5, k = 7;
    float *X = mx_test_floats(n * d);
    mx_test_rng r = mx_test_rng_seed(6);
    mx_test_fill_normal(&r, X, n * d, 0.0, 1.0);
    mx_error err = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(k);
    cfg.seed = 40;
    double best = INFINITY, worst = 0.0;
    for (size_t run = 0; run < 6; ++run) {
        mx_kmeans single = {0};
        cr_assert_eq(mx_kmeans_init_centers(&single, X, n, d, k, mx_model_restart_seed_(cfg.seed, run), &err), MX_OK);
        cr_assert_eq(mx_kmeans_lloyd(&single, X, n, &cfg, NULL, &err), MX_OK);
        best = fmin(best, single.inertia);
        worst = fmax(worst, single.inertia);
        mx_kmeans_free(&single);
    }
    cr_assert_gt(worst, best, "the runs differ, so picking matters");
    mx_kmeans a = {0}, b = {0};
    cfg.n_init = 6;
    mx_fixture_threads(2);
    cr_assert_eq(mx_kmeans_fit(&a, X, n, d, &cfg, NULL, &err), MX_OK);
    cr_assert_eq(a.inertia, best);
    mx_fixture_threads(1);
    cr_assert_eq(mx_kmeans_fit(&b, X, n, d, &cfg, NULL, &err), MX_OK);
    mx_fixture_threads(2);
    cr_assert_eq(memcmp(a.centers, b.centers, k * d * sizeof(float)), 0,
                 "same seed, same result, any thread count");
    cr_assert_eq(a.inertia, b.inertia);
    mx_kmeans_free(&a);
    mx_kmeans_free(&b);
    free(X);
}

Test(kmeans, callback_stops_the_fit) {
    float *X;
    int32_t *truth;
    mx_fixture_blobs(8, 200, 4, 4, 1.0, 1.0, &X, &truth);
    mx_fixture_trace trace = {.stop_after = 2};
    mx_kmeans_config cfg = mx_kmeans_config_default(4);
    cfg.n_init = 1;
    cfg.tol = 0.0;
    cfg.callback = mx_fixture_record;
    cfg.callback_context = &trace;
    mx_kmeans model = {0};
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 200, 4, &cfg, NULL, &err), MX_OK);
    cr_assert_eq(model.n_iter, 2);
    cr_assert_eq(trace.count, 2);
    mx_kmeans_free(&model);
    free(X);
    free(truth);
}

Test(kmeans, save_load_round_trip_and_bad_files) {
    float *X;
    int32_t *truth, before[100], after[100];
    mx_fixture_blobs(9, 100, 3, 2, 5.0, 1.0, &X, &truth);
    mx_kmeans model = {0}, loaded = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(2);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 100, 3, &cfg, before, &err), MX_OK);
    const char *path = mx_fixture_path("km.mxm");
    cr_assert_eq(mx_kmeans_save(&model, path, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_kmeans_load(&loaded, path, &err), MX_OK, "%s", err.message);
    cr_assert_eq(loaded.k, 2);
    cr_assert_eq(loaded.d, 3);
    cr_assert_eq(memcmp(loaded.centers, model.centers, 6 * sizeof(float)), 0);
    cr_assert_eq(loaded.inertia, model.inertia);
    cr_assert_eq(loaded.n_iter, model.n_iter);
    cr_assert_eq(mx_kmeans_predict(&loaded, X, 100, after, NULL, NULL, &err), MX_OK);
    cr_assert_eq(memcmp(before, after, sizeof before), 0);
    /* A non-finite center, and a file of another model. */
    model.centers[4] = NAN;
    cr_assert_eq(mx_kmeans_save(&model, path, &err), MX_OK);
    cr_assert_eq(mx_kmeans_load(&loaded, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, path), "%s", err.message);
    const size_t dims[1] = {1};
    const float one = 1.0f;
    const mx_model_array weights = mx_model_array_make("weights", MX_DTYPE_F32, 1, dims, &one);
    cr_assert_eq(mx_model_write(path, "gmm", &weights, 1, &err), MX_OK);
    cr_assert_eq(mx_kmeans_load(&loaded, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "holds a 'gmm' model"), "%s", err.message);
    const mx_model_array centers = mx_model_array_make("centers", MX_DTYPE_F64, 1, dims, &model.inertia);
    cr_assert_eq(mx_model_write(path, "kmeans", &centers, 1, &err), MX_OK);
    cr_assert_eq(mx_kmeans_load(&loaded, path, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "'centers' is float64"), "%s", err.message);
    mx_kmeans_free(&model);
    mx_kmeans_free(&loaded);
    free(X);
    free(truth);
}

Test(kmeans, bad_input_is_refused_with_a_message) {
    float X[4 * 2] = {0, 0, 1, 1, 2, 2, 3, 3};
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(5);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 2, &cfg, NULL, &err), MX_ERR_ARG);
    cr_assert_not_null(strstr(err.message, "k = 5 clusters for 4 points"), "%s", err.message);
    cfg.k = 0;
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 2, &cfg, NULL, &err), MX_ERR_ARG);
    cfg.k = 2;
    cr_assert_eq(mx_kmeans_fit(&model, X, 0, 2, &cfg, NULL, &err), MX_ERR_ARG);
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 0, &cfg, NULL, &err), MX_ERR_ARG);
    X[5] = NAN;
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 2, &cfg, NULL, &err), MX_ERR_DOMAIN);
    cr_assert_not_null(strstr(err.message, "point 2, feature 1 is NaN"), "%s", err.message);
    X[5] = 2.0f;
    cfg.n_init = 0;
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 2, &cfg, NULL, &err), MX_ERR_ARG);
    cfg.n_init = 1;
    cr_assert_eq(mx_kmeans_fit(&model, X, 4, 2, &cfg, NULL, &err), MX_OK, "%s", err.message);
    cfg.k = 3;
    cr_assert_eq(mx_kmeans_lloyd(&model, X, 4, &cfg, NULL, &err), MX_ERR_ARG, "k differs from the model's");
    mx_kmeans_free(&model);
    cr_assert_eq(mx_kmeans_lloyd(&model, X, 4, &cfg, NULL, &err), MX_ERR_ARG, "no centers");
}

Test(kmeans, duplicate_points_and_k_equal_n_work) {
    float X[6 * 2] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2};
    int32_t labels[6];
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(6);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 6, 2, &cfg, labels, &err), MX_OK, "%s", err.message);
    cr_assert_eq(model.inertia, 0.0);
    for (size_t c = 0; c < 12; ++c) cr_assert(isfinite(model.centers[c]));
    mx_kmeans_free(&model);
}

/* Finite data whose squared distances overflow float32 must be an error, not
 * a "converged" model with uninitialised centers and labels. */
Test(kmeans, overflowing_distances_are_an_error) {
    const float X[2] = {0.0f, 1e20f};
    int32_t labels[2] = {-7, -7};
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(1);
    mx_error err = {0};
    cr_assert_eq(mx_kmeans_fit(&model, X, 2, 1, &cfg, labels, &err), MX_ERR_DOMAIN);
    cr_assert(strstr(err.message, "overflow") != NULL, "message: %s", err.message);
    mx_kmeans_free(&model);
}

/* converged reports how the run stopped, also when it stops on its last allowed iteration. */
Test(kmeans, converged_flag_tells_how_the_run_stopped) {
    const float X[6] = {0.0f, 0.1f, 0.2f, 10.0f, 10.1f, 10.2f};
    mx_kmeans model = {0};
    mx_kmeans_config cfg = mx_kmeans_config_default(2);
    cfg.n_init = 1;
    cfg.tol = 0.0;
    cr_assert_eq(mx_kmeans_fit(&model, X, 6, 1, &cfg, NULL, NULL), MX_OK);
    const size_t needed = model.n_iter;
    cr_assert(model.converged, "an unconstrained run converges");
    cfg.max_iter = needed;
    cr_assert_eq(mx_kmeans_fit(&model, X, 6, 1, &cfg, NULL, NULL), MX_OK);
    cr_assert(model.converged, "converging on the last allowed iteration is still converging (%zu)", needed);
    if (needed > 1) {
        cfg.max_iter = needed - 1;
        cr_assert_eq(mx_kmeans_fit(&model, X, 6, 1, &cfg, NULL, NULL), MX_OK);
        cr_assert_eq(model.converged, 0, "stopped by max_iter = %zu", needed - 1);
    }
    mx_kmeans_free(&model);
}
