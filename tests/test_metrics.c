/* metrics.h: ACC, NMI, ARI and purity against scikit-learn 1.2, and the
 * linear assignment against brute force and SciPy. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/metrics.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

static const double TOLERANCE = 1e-9; /* absolute, for every metric and total */

/* ---- fixtures -------------------------------------------------------------
 * Printed by `/usr/bin/python3 tests/metrics_fixtures.py` (scikit-learn 1.2.1,
 * SciPy 1.10.1): NMI from normalized_mutual_info_score, ARI from
 * adjusted_rand_score, ACC from linear_sum_assignment(-contingency_matrix),
 * purity from the contingency matrix's column maxima. Inputs come from the
 * splitmix64 stream of testrng.c, which the script reproduces, by the
 * recipes of noisy_labels() and cost_matrix() below. */
enum { ACC, NMI_ARITHMETIC, NMI_GEOMETRIC, NMI_MAX, NMI_MIN, ARI, PURITY, N_VALUES };

typedef struct {
    const char *name;
    uint64_t seed;
    size_t n;
    int32_t k_true, k_pred, keep_percent, sparse;
    double want[N_VALUES];
} label_case;

static const label_case label_cases[] = {
    /* name, seed, n, k_true, k_pred, keep %, sparse values, {acc, nmi (arithmetic, geometric, max, min), ari, purity} */
    {"k10_vs_5", 11, 1000, 10, 5, 60, 0, {0.376, 0.32448671164143245, 0.32963248612017437, 0.27592301448387091, 0.39379671213369738, 0.24962330246507966, 0.376}},
    {"k10_vs_10", 12, 1000, 10, 10, 60, 0, {0.63100000000000001, 0.3792130624993526, 0.37921307214682332, 0.37912754294787421, 0.37929862064071412, 0.34707746120141547, 0.63100000000000001}},
    {"k10_vs_17", 13, 1000, 10, 17, 60, 0, {0.61399999999999999, 0.41770826038021036, 0.41896973858577341, 0.38764920733579167, 0.4528208455707684, 0.39145240153921085, 0.65100000000000002}},
    {"independent", 14, 1000, 10, 10, 0, 0, {0.14299999999999999, 0.01499715840087317, 0.014997177285748021, 0.014973396155894146, 0.015020996185399156, -0.0012787149892676455, 0.14999999999999999}},
    {"permuted", 15, 1000, 10, 10, 100, 0, {1, 1, 1, 1, 1, 1, 1}},
    {"both_single", 16, 100, 1, 1, 50, 0, {1, 1, 1, 1, 1, 1, 1}},
    {"truth_single", 17, 100, 1, 4, 0, 0, {0.28999999999999998, 0, 0, 0, 0, 0, 1}},
    {"pred_single", 18, 100, 6, 1, 0, 0, {0.20999999999999999, 0, 0, 0, 0, 0, 0.20999999999999999}},
    {"sparse_negative", 19, 1000, 8, 12, 50, 1, {0.53800000000000003, 0.28886508720771453, 0.28967814093789745, 0.26874403708995032, 0.31224292916739221, 0.27506927020948224, 0.57399999999999995}},
    {"n70000_k10", 20, 70000, 10, 10, 70, 0, {0.72808571428571434, 0.48660690631393588, 0.48660690631412706, 0.48660647499907528, 0.4866073376295611, 0.48702466429250263, 0.72808571428571434}},
    {"n70000_k10_vs_17", 21, 70000, 10, 17, 30, 0, {0.33881428571428573, 0.12837232121002029, 0.12898675596360862, 0.11696895381620596, 0.14223930941673854, 0.10601186667548262, 0.36995714285714287}},
};

typedef struct {
    const char *name;
    uint64_t seed;
    size_t rows, cols;
    int integer;
    double want_total;
} assignment_case;

static const assignment_case assignment_cases[] = {
    /* name, seed, rows, cols, integer costs, minimum total */
    {"uniform_300", 301, 300, 300, 0, 1.7728680563131776},
    {"uniform_250x300", 302, 250, 300, 0, 1.0652485483807861},
    {"ties_300", 303, 300, 300, 1, 1323},
};

/* ---- inputs -------------------------------------------------------------- */
/* Label values far apart, negative and at the int32 extremes, in an order
 * unlike the dense ids. */
static int32_t sparse_true(int32_t t) { return t * 100003 - 400000; }
static int32_t sparse_pred(int32_t p) { return p == 0 ? INT32_MIN : p == 1 ? -1 : INT32_MAX - p; }

/* truth uniform in [0, k_true); pred = (7 truth + 3) mod k_pred with
 * probability keep_percent / 100, else uniform in [0, k_pred). */
static void noisy_labels(const label_case *c, int32_t *truth, int32_t *pred) {
    mx_test_rng r = mx_test_rng_seed(c->seed);
    for (size_t i = 0; i < c->n; ++i) {
        const int32_t t = (int32_t)(mx_test_next_u64(&r) % (uint64_t)c->k_true);
        const uint64_t u = mx_test_next_u64(&r);
        const int32_t p = (int32_t)(u % 100 < (uint64_t)c->keep_percent ? (uint64_t)(7 * t + 3) % (uint64_t)c->k_pred
                                                                         : (u >> 32) % (uint64_t)c->k_pred);
        truth[i] = c->sparse ? sparse_true(t) : t;
        pred[i] = c->sparse ? sparse_pred(p) : p;
    }
}

/* uniform [0, 1) costs, or integers next % 1000 (many ties). */
static double *cost_matrix(uint64_t seed, size_t rows, size_t cols, int integer) {
    double *cost = mx_test_doubles(rows * cols);
    mx_test_rng r = mx_test_rng_seed(seed);
    for (size_t i = 0; i < rows * cols; ++i)
        cost[i] = integer ? (double)(mx_test_next_u64(&r) % 1000) : mx_test_uniform(&r, 0.0, 1.0);
    return cost;
}

static const label_case *find_label_case(const char *name) {
    for (size_t i = 0; i < sizeof label_cases / sizeof label_cases[0]; ++i)
        if (strcmp(label_cases[i].name, name) == 0) return &label_cases[i];
    cr_assert_fail("no label case %s", name);
    return NULL;
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- metrics against scikit-learn ---------------------------------------- */
static const char *const value_names[N_VALUES] = {"acc", "nmi arithmetic", "nmi geometric", "nmi max",
                                                  "nmi min", "ari", "purity"};

/* All seven values of one labelling: ACC, NMI under each norm, ARI, purity. */
static void compute_values(size_t n, const int32_t *truth, const int32_t *pred, double got[N_VALUES],
                           mx_metrics *last) {
    static const mx_nmi_norm norms[4] = {MX_NMI_ARITHMETIC, MX_NMI_GEOMETRIC, MX_NMI_MAX, MX_NMI_MIN};
    mx_error err = {0};
    for (int k = 0; k < 4; ++k) {
        cr_assert_eq(mx_metrics_compute(n, truth, pred, norms[k], last, &err), MX_OK, "%s", err.message);
        got[NMI_ARITHMETIC + k] = last->nmi;
    }
    got[ACC] = last->acc, got[ARI] = last->ari, got[PURITY] = last->purity;
}

/* Index of the first value farther than TOLERANCE from want, or -1. */
static int first_mismatch(const double got[N_VALUES], const double want[N_VALUES]) {
    for (int v = 0; v < N_VALUES; ++v)
        if (!(fabs(got[v] - want[v]) <= TOLERANCE)) return v;
    return -1;
}

static void check_label_case(const char *name) {
    const label_case *c = find_label_case(name);
    int32_t *truth = mx_test_alloc(c->n * sizeof *truth), *pred = mx_test_alloc(c->n * sizeof *pred);
    noisy_labels(c, truth, pred);
    double got[N_VALUES];
    mx_metrics m = {0};
    compute_values(c->n, truth, pred, got, &m);
    const int bad = first_mismatch(got, c->want);
    cr_assert(bad < 0, "%s: %s = %.17g, scikit-learn says %.17g", name, value_names[bad < 0 ? 0 : bad],
              got[bad < 0 ? 0 : bad], c->want[bad < 0 ? 0 : bad]);
    cr_assert_eq(m.k_true, (size_t)c->k_true, "%s: k_true", name);
    cr_assert_eq(m.k_pred, (size_t)c->k_pred, "%s: k_pred", name);
    free(truth);
    free(pred);
}

Test(metrics, k10_vs_5) { check_label_case("k10_vs_5"); }
Test(metrics, k10_vs_10) { check_label_case("k10_vs_10"); }
Test(metrics, k10_vs_17) { check_label_case("k10_vs_17"); }
Test(metrics, independent_labellings) { check_label_case("independent"); }
Test(metrics, permutation_scores_one) { check_label_case("permuted"); }
Test(metrics, both_single_cluster) { check_label_case("both_single"); }
Test(metrics, truth_single_cluster) { check_label_case("truth_single"); }
Test(metrics, pred_single_cluster) { check_label_case("pred_single"); }
Test(metrics, sparse_negative_values) { check_label_case("sparse_negative"); }
Test(metrics, n70000_pair_counts) { check_label_case("n70000_k10"); }
Test(metrics, n70000_k10_vs_17) { check_label_case("n70000_k10_vs_17"); }

Test(metrics, a_changed_label_is_rejected) {
    const label_case *c = find_label_case("k10_vs_10");
    int32_t truth[1000], pred[1000];
    noisy_labels(c, truth, pred);
    pred[0] = (pred[0] + 1) % c->k_pred;
    double got[N_VALUES];
    mx_metrics m = {0};
    compute_values(c->n, truth, pred, got, &m);
    cr_assert_geq(first_mismatch(got, c->want), 0, "one changed label went unnoticed");
    for (int v = NMI_ARITHMETIC; v <= ARI; ++v)
        cr_assert_gt(fabs(got[v] - c->want[v]), TOLERANCE, "%s did not move", value_names[v]);
}

/* Every metric depends only on the partitions, and ACC, NMI and ARI are
 * symmetric in truth and pred. */
Test(metrics, renaming_and_swapping) {
    const label_case *c = find_label_case("k10_vs_17");
    int32_t truth[1000], pred[1000], renamed[1000];
    noisy_labels(c, truth, pred);
    for (size_t i = 0; i < c->n; ++i) renamed[i] = -13 * pred[i] - 5;
    double base[N_VALUES], got[N_VALUES];
    mx_metrics m = {0};
    compute_values(c->n, truth, pred, base, &m);
    compute_values(c->n, truth, renamed, got, &m); /* the sums run in another order */
    for (int v = 0; v < N_VALUES; ++v)
        cr_assert(fabs(got[v] - base[v]) <= 1e-15, "%s: %.17g renamed vs %.17g", value_names[v], got[v], base[v]);
    compute_values(c->n, pred, truth, got, &m);
    cr_assert_eq(m.k_true, 17);
    for (int v = ACC; v <= ARI; ++v) /* every NMI normaliser is symmetric in H_T and H_P */
        cr_assert(fabs(got[v] - base[v]) <= 1e-15, "%s: %.17g swapped vs %.17g", value_names[v], got[v], base[v]);
}

/* All singletons on both sides: the same partition, so every score is 1.
 * The values, multiples of 2^16 and a descending run, fill the hash table
 * of the relabelling with many distinct keys. */
Test(metrics, all_singletons) {
    enum { N = 1000 };
    int32_t truth[N], pred[N];
    for (int i = 0; i < N; ++i) truth[i] = (i - N / 2) * 65536, pred[i] = INT32_MAX - 3 * i;
    double got[N_VALUES];
    mx_metrics m = {0};
    compute_values(N, truth, pred, got, &m);
    for (int v = 0; v < N_VALUES; ++v) cr_assert(fabs(got[v] - 1.0) <= 1e-15, "%s = %.17g", value_names[v], got[v]);
    cr_assert_eq(m.k_true, N);
}

Test(metrics, bad_input) {
    int32_t labels[4] = {0, 1, 0, 1};
    mx_metrics m = {0};
    mx_error err = {0};
    cr_assert_eq(mx_metrics_compute(0, labels, labels, MX_NMI_ARITHMETIC, &m, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "n = 0") != NULL, "%s", err.message);
    cr_assert_eq(mx_metrics_compute(4, NULL, labels, MX_NMI_ARITHMETIC, &m, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "NULL") != NULL, "%s", err.message);
    cr_assert_eq(mx_metrics_compute(4, labels, NULL, MX_NMI_ARITHMETIC, &m, NULL), MX_ERR_ARG);
    cr_assert_eq(mx_metrics_compute(4, labels, labels, MX_NMI_ARITHMETIC, NULL, NULL), MX_ERR_ARG);
    cr_assert_eq(mx_metrics_compute(4, labels, labels, (mx_nmi_norm)7, &m, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "normaliser") != NULL, "%s", err.message);
}

Test(metrics, timing_n70000) {
    const label_case *c = find_label_case("n70000_k10");
    int32_t *truth = mx_test_alloc(c->n * sizeof *truth), *pred = mx_test_alloc(c->n * sizeof *pred);
    noisy_labels(c, truth, pred);
    mx_metrics m = {0};
    double best = INFINITY;
    for (int repeat = 0; repeat < 5; ++repeat) {
        const double start = seconds_now();
        cr_assert_eq(mx_metrics_compute(c->n, truth, pred, MX_NMI_ARITHMETIC, &m, NULL), MX_OK);
        best = fmin(best, seconds_now() - start);
    }
    fprintf(stderr, "# timing: mx_metrics_compute n = 70000, K = 10: %.3f ms (best of 5)\n", 1e3 * best);
    free(truth);
    free(pred);
}

/* ---- linear assignment --------------------------------------------------- */
/* Checks assignment is a valid matching of the smaller side and that its
 * total is the reported one; returns that total. */
static double checked_total(size_t rows, size_t cols, const double *cost, const int32_t *assignment,
                            double reported) {
    unsigned char used[1024] = {0};
    cr_assert_leq(cols, sizeof used);
    double sum = 0.0;
    size_t matched = 0;
    for (size_t r = 0; r < rows; ++r) {
        const int32_t c = assignment[r];
        if (c < 0) continue;
        cr_assert_lt((size_t)c, cols, "row %zu -> column %d out of range", r, c);
        cr_assert(!used[c], "column %d used twice", c);
        used[c] = 1, ++matched;
        sum += cost[r * cols + (size_t)c];
    }
    cr_assert_eq(matched, rows < cols ? rows : cols, "%zu pairs matched", matched);
    cr_assert(fabs(sum - reported) <= 1e-12 * (1.0 + fabs(sum)), "total %.17g, matched costs sum to %.17g",
              reported, sum);
    return sum;
}

/* Minimum over every injection of the smaller side into the larger. */
static double brute_force(size_t rows, size_t cols, const double *cost, size_t row, unsigned used_cols,
                          unsigned used_rows) {
    if (rows <= cols) {
        if (row == rows) return 0.0;
        double best = INFINITY;
        for (size_t c = 0; c < cols; ++c)
            if (!(used_cols >> c & 1))
                best = fmin(best, cost[row * cols + c] + brute_force(rows, cols, cost, row + 1, used_cols | 1u << c, 0));
        return best;
    }
    if (row == cols) return 0.0; /* here `row` walks the columns */
    double best = INFINITY;
    for (size_t r = 0; r < rows; ++r)
        if (!(used_rows >> r & 1))
            best = fmin(best, cost[r * cols + row] + brute_force(rows, cols, cost, row + 1, 0, used_rows | 1u << r));
    return best;
}

Test(assignment, brute_force_small) {
    static const size_t shapes[][2] = {{1, 1}, {1, 5}, {5, 1}, {2, 3}, {3, 2}, {4, 4}, {3, 7},
                                       {7, 3}, {6, 8}, {8, 6}, {8, 8}, {7, 7}, {2, 8}, {8, 2}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
        for (uint64_t seed = 0; seed < 6; ++seed) {
            const size_t rows = shapes[s][0], cols = shapes[s][1];
            double cost[64];
            int32_t assignment[8];
            mx_test_rng r = mx_test_rng_seed(1000 * s + seed);
            for (size_t i = 0; i < rows * cols; ++i) /* odd seeds: few values, many ties; some negative */
                cost[i] = seed % 2 ? (double)(mx_test_next_u64(&r) % 4) - 1.0 : mx_test_uniform(&r, -1e3, 1e3);
            double total = 0.0;
            mx_error err = {0};
            cr_assert_eq(mx_linear_assignment(rows, cols, cost, assignment, &total, &err), MX_OK, "%s",
                         err.message);
            const double got = checked_total(rows, cols, cost, assignment, total);
            const double want = brute_force(rows, cols, cost, 0, 0, 0);
            cr_assert(fabs(got - want) <= 1e-9, "%zu x %zu seed %llu: total %.17g, brute force %.17g", rows, cols,
                      (unsigned long long)seed, got, want);
        }
}

static void transpose(size_t rows, size_t cols, const double *a, double *out) {
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) out[c * rows + r] = a[r * cols + c];
}

/* The SciPy optimum, for the matrix and for its transpose. */
Test(assignment, scipy_optimum) {
    for (size_t k = 0; k < sizeof assignment_cases / sizeof assignment_cases[0]; ++k) {
        const assignment_case *c = &assignment_cases[k];
        double *cost = cost_matrix(c->seed, c->rows, c->cols, c->integer);
        double *cost_t = mx_test_doubles(c->rows * c->cols);
        transpose(c->rows, c->cols, cost, cost_t);
        int32_t assignment[300];
        double total = 0.0;
        cr_assert_eq(mx_linear_assignment(c->rows, c->cols, cost, assignment, &total, NULL), MX_OK);
        double got = checked_total(c->rows, c->cols, cost, assignment, total);
        cr_assert(fabs(got - c->want_total) <= TOLERANCE, "%s: %.17g, SciPy %.17g", c->name, got, c->want_total);
        cr_assert_eq(mx_linear_assignment(c->cols, c->rows, cost_t, assignment, &total, NULL), MX_OK);
        got = checked_total(c->cols, c->rows, cost_t, assignment, total);
        cr_assert(fabs(got - c->want_total) <= TOLERANCE, "%s transposed: %.17g, SciPy %.17g", c->name, got,
                  c->want_total);
        free(cost);
        free(cost_t);
    }
}

/* Raising one row by 0.5 raises every matching, hence the optimum, by 0.5:
 * the SciPy comparison must then fail. */
Test(assignment, a_changed_cost_is_rejected) {
    const assignment_case *c = &assignment_cases[0];
    double *cost = cost_matrix(c->seed, c->rows, c->cols, c->integer);
    for (size_t j = 0; j < c->cols; ++j) cost[j] += 0.5;
    int32_t assignment[300];
    double total = 0.0;
    cr_assert_eq(mx_linear_assignment(c->rows, c->cols, cost, assignment, &total, NULL), MX_OK);
    cr_assert_gt(fabs(total - c->want_total), TOLERANCE, "a raised row went unnoticed");
    cr_assert(fabs(total - (c->want_total + 0.5)) <= TOLERANCE, "%.17g", total);
    free(cost);
}

Test(assignment, bad_input) {
    double cost[6] = {1, 2, 3, 4, 5, 6};
    int32_t assignment[3];
    mx_error err = {0};
    cr_assert_eq(mx_linear_assignment(2, 3, NULL, assignment, NULL, &err), MX_ERR_ARG);
    cr_assert_eq(mx_linear_assignment(2, 3, cost, NULL, NULL, &err), MX_ERR_ARG);
    cr_assert_eq(mx_linear_assignment(0, 3, cost, assignment, NULL, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "empty") != NULL, "%s", err.message);
    cr_assert_eq(mx_linear_assignment(2, (size_t)INT32_MAX + 1, cost, assignment, NULL, &err), MX_ERR_ARG);
    cost[4] = NAN;
    cr_assert_eq(mx_linear_assignment(2, 3, cost, assignment, NULL, &err), MX_ERR_DOMAIN);
    cr_assert(strstr(err.message, "cost[1][1]") != NULL, "%s", err.message);
    cost[4] = -INFINITY;
    cr_assert_eq(mx_linear_assignment(3, 2, cost, assignment, NULL, NULL), MX_ERR_DOMAIN);
}

/* Best of three runs on the same uniform costs. */
static double time_assignment(size_t k, uint64_t seed) {
    double *cost = cost_matrix(seed, k, k, 0);
    int32_t *assignment = mx_test_alloc(k * sizeof *assignment);
    double best = INFINITY, total = 0.0;
    for (int repeat = 0; repeat < 3; ++repeat) {
        const double start = seconds_now();
        cr_assert_eq(mx_linear_assignment(k, k, cost, assignment, &total, NULL), MX_OK);
        best = fmin(best, seconds_now() - start);
    }
    checked_total(k, k, cost, assignment, total);
    free(cost);
    free(assignment);
    return best;
}

/* Not an assertion: how long K = 300 and K = 1000 take (uniform costs). */
Test(assignment, timing) {
    fprintf(stderr, "# timing: linear assignment K = 300: %.2f ms, K = 1000: %.1f ms (best of 3)\n",
            1e3 * time_assignment(300, 301), 1e3 * time_assignment(1000, 1001));
}
