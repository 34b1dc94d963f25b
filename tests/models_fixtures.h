/* Shared by the model tests (test_kmeans.c, test_gmm.c): synthetic blobs and
 * a permutation-invariant agreement score. Static inline, so each test binary holds
 * its own copy; include after <mixsimd/mixsimd.h> and testutil.h. */
#ifndef MIXSIMD_MODELS_FIXTURES_H
#define MIXSIMD_MODELS_FIXTURES_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* n points in d dimensions around `blobs` centers placed `spread` apart along
 * a scaled simplex-like pattern (center c has coordinate j equal to
 * spread * ((c + j) % blobs == 0)), with N(0, sd^2) noise; point i belongs
 * to blob i % blobs (truth[i]). X and truth are allocated (free them). */
static inline void mx_fixture_blobs(uint64_t seed, size_t n, size_t d, size_t blobs, double spread, double sd,
                             float **X, int32_t **truth) {
    mx_test_rng r = mx_test_rng_seed(seed);
    *X = mx_test_floats(n * d);
    *truth = mx_test_alloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; ++i) {
        const size_t c = i % blobs;
        (*truth)[i] = (int32_t)c;
        for (size_t j = 0; j < d; ++j)
            (*X)[i * d + j] = (float)(spread * ((c + j) % blobs == 0) + sd * mx_test_normal(&r));
    }
}

/* Fraction of points whose predicted cluster maps to their true label under
 * the best one-to-one map, found by trying every permutation (k <= 8). */
static inline double mx_fixture_accuracy(const int32_t *truth, const int32_t *pred, size_t n, size_t k) {
    size_t counts[8][8] = {{0}}, perm[8];
    cr_assert_leq(k, 8);
    for (size_t i = 0; i < n; ++i) {
        cr_assert(pred[i] >= 0 && (size_t)pred[i] < k && truth[i] >= 0 && (size_t)truth[i] < k);
        counts[pred[i]][truth[i]]++;
    }
    for (size_t c = 0; c < k; ++c) perm[c] = c;
    size_t best = 0;
    for (;;) { /* lexicographic permutations */
        size_t hits = 0;
        for (size_t c = 0; c < k; ++c) hits += counts[c][perm[c]];
        if (hits > best) best = hits;
        size_t i = k;
        while (i > 1 && perm[i - 2] > perm[i - 1]) --i;
        if (i <= 1) break;
        size_t j = k - 1;
        while (perm[j] < perm[i - 2]) --j;
        size_t t = perm[i - 2];
        perm[i - 2] = perm[j];
        perm[j] = t;
        for (size_t a = i - 1, b = k - 1; a < b; ++a, --b) t = perm[a], perm[a] = perm[b], perm[b] = t;
    }
    return (double)best / (double)n;
}

/* Records the objectives a fit reports; stops it after stop_after
 * iterations when that is non-zero. */
typedef struct {
    double objective[512];
    size_t run[512];
    size_t count, stop_after;
} mx_fixture_trace;

static inline int mx_fixture_record(const mx_fit_progress *p, void *context) {
    mx_fixture_trace *t = context;
    if (t->count < 512) {
        t->objective[t->count] = p->objective;
        t->run[t->count] = p->run;
        t->count++;
    }
    return t->stop_after != 0 && p->iteration >= t->stop_after;
}

/* 1 if objective[i] moves the `sign` way (+1 up, -1 down) at every step of
 * one run, allowing a move the other way of at most slack(|value|). */
static inline int mx_fixture_monotone(const mx_fixture_trace *t, int sign, double rel_slack) {
    for (size_t i = 1; i < t->count; ++i) {
        if (t->run[i] != t->run[i - 1]) continue;
        const double step = sign * (t->objective[i] - t->objective[i - 1]);
        if (step < -rel_slack * (1.0 + fabs(t->objective[i - 1]))) return 0;
    }
    return 1;
}

/* Sets the thread count of the next parallel regions (no-op without OpenMP). */
static inline void mx_fixture_threads(int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
}

static char mx_fixture_dir[] = "/tmp/mixsimd-model-test-XXXXXX";
static inline void mx_fixture_make_dir(void) { cr_assert_not_null(mkdtemp(mx_fixture_dir)); }
static inline void mx_fixture_remove_dir(void) {
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", mx_fixture_dir);
    cr_assert_eq(system(command), 0);
}
/* A path in the test's directory; four calls may be alive at once. */
static inline const char *mx_fixture_path(const char *name) {
    static char paths[4][512];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, 512, "%s/%s", mx_fixture_dir, name);
    return path;
}

#endif
