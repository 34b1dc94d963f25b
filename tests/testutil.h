/* Test helpers shared by every kernel family's agreement tests.
 *
 * - deterministic inputs from a splitmix64 stream (independent of mx_rng, which
 *   is itself under test);
 * - comparison helpers that return a report naming the worst element, so a
 *   failing assertion says where and by how much;
 * - MX_ISA_TEST, which turns one test body into one Criterion test per ISA and
 *   skips the ISAs this CPU lacks.
 */
#ifndef MIXSIMD_TESTUTIL_H
#define MIXSIMD_TESTUTIL_H

#include <criterion/criterion.h>
#include <mixsimd/core.h>
#include <stddef.h>
#include <stdint.h>

#include "testrng.h"

/* The shape sweep the Foundation issue asks for; large shapes are separate. */
extern const size_t mx_test_sizes[];
extern const size_t mx_test_sizes_count;

/* Checked allocation; aborts the test (not the process) on failure. Memory is
 * 64-byte aligned so vector loads see both aligned and, through offsets,
 * unaligned data. */
void *mx_test_alloc(size_t bytes);
float *mx_test_floats(size_t n);
double *mx_test_doubles(size_t n);

/* ---- comparison ---------------------------------------------------------- */
/* A comparison of got[i] (float) with want[i] (double) against a bound.
 * worst_ratio = max_i err_i / bound_i; ok is worst_ratio <= 1. NaN must meet
 * NaN and an infinity must meet the same infinity, or the element fails
 * (ratio = INFINITY). */
typedef struct {
    int ok;
    double worst_ratio;
    size_t worst_index;
    double got, want, err, bound;
} mx_check;

/* |got - want| <= max_ulp * ulp_f32(want): for elementwise functions. */
mx_check mx_check_ulp(const float *got, const double *want, size_t n, double max_ulp);
/* |got - want| <= bound[i]: for results whose error depends on the problem's
 * condition (dot products, sums of logs). */
mx_check mx_check_abs(const float *got, const double *want, const double *bound, size_t n);
/* |got - want| <= abs_tol + rel_tol * |want|. */
mx_check mx_check_tol(const float *got, const double *want, size_t n, double abs_tol, double rel_tol);

/* The spacing of float32 numbers at |x| (the ULP), for x in double. */
double mx_ulp_f32(double x);

/* Asserts a check passed, printing the worst element and the label. */
#define mx_assert_check(chk, ...)                                                      \
    do {                                                                              \
        mx_check c_ = (chk);                                                          \
        cr_assert(c_.ok, "%s: worst at [%zu]: got %.9g want %.9g err %.3g bound %.3g (ratio %.3g)", \
                  mx_test_label_(__VA_ARGS__), c_.worst_index, c_.got, c_.want, c_.err,      \
                  c_.bound, c_.worst_ratio);                                          \
    } while (0)
/* Asserts the same check rejects a result: proves the test can fail. */
#define mx_assert_rejects(chk, ...)                                                   \
    cr_assert(!(chk).ok, "%s: a perturbed result was accepted", mx_test_label_(__VA_ARGS__))

const char *mx_test_label_(const char *fmt, ...);

/* ---- one test per ISA ---------------------------------------------------- */
/* MX_ISA_TEST(suite, name) { ... body using `isa` ... } defines
 * suite/name_scalar, _avx2, _avx512, _neon; each skips when the CPU lacks it. */
#define MX_ISA_TEST(suite, name)                                   \
    static void suite##_##name##_body_(mx_isa isa);                \
    MX_ISA_TEST_ONE_(suite, name, scalar, MX_ISA_SCALAR)           \
    MX_ISA_TEST_ONE_(suite, name, avx2, MX_ISA_AVX2)               \
    MX_ISA_TEST_ONE_(suite, name, avx512, MX_ISA_AVX512)           \
    MX_ISA_TEST_ONE_(suite, name, neon, MX_ISA_NEON)               \
    static void suite##_##name##_body_(mx_isa isa)

#define MX_ISA_TEST_ONE_(suite, name, isa_word, isa_value)                        \
    Test(suite, name##_##isa_word) {                                              \
        if (!mx_cpu_has(isa_value)) cr_skip_test("this CPU has no %s", #isa_word); \
        suite##_##name##_body_(isa_value);                                        \
    }

#endif
