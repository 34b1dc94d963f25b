#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
/* Runtime ISA detection and dispatch. Criterion runs every test in its own
 * process, so each test sees a fresh dispatch cache and its own environment. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/core.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

Test(core, scalar_always_available) {
    cr_assert(mx_cpu_caps() & MX_ISA_BIT(MX_ISA_SCALAR));
    cr_assert(mx_cpu_has(MX_ISA_SCALAR));
    cr_assert(!mx_cpu_has(MX_ISA_COUNT));
}

Test(core, caps_match_architecture) {
#if MX_ARCH_X86
    cr_assert(!mx_cpu_has(MX_ISA_NEON), "an x86 CPU cannot report NEON");
    if (mx_cpu_has(MX_ISA_AVX512)) cr_assert(mx_cpu_has(MX_ISA_AVX2), "AVX-512 without AVX2");
    cr_assert_eq(!!mx_cpu_has(MX_ISA_AVX2), !!__builtin_cpu_supports("avx2") && !!__builtin_cpu_supports("fma"),
                 "AVX2+FMA detection disagrees with the compiler's cpu model");
#elif MX_ARCH_ARM64
    cr_assert(mx_cpu_has(MX_ISA_NEON), "aarch64 always has NEON");
    cr_assert(!mx_cpu_has(MX_ISA_AVX2) && !mx_cpu_has(MX_ISA_AVX512));
#endif
}

Test(core, default_is_best_available) {
    unsetenv("MIXSIMD_ISA");
    mx_isa isa;
    cr_assert_eq(mx_isa_active(&isa), MX_OK);
    for (int better = (int)isa + 1; better < MX_ISA_COUNT; ++better)
        cr_assert(!mx_cpu_has((mx_isa)better), "chose %s although %s is available",
                  mx_isa_name(isa), mx_isa_name((mx_isa)better));
    cr_assert_str_empty(mx_isa_problem());
}

Test(core, names_round_trip) {
    for (int i = 0; i < MX_ISA_COUNT; ++i) {
        mx_isa parsed;
        cr_assert_eq(mx_isa_parse(mx_isa_name((mx_isa)i), &parsed), MX_OK);
        cr_assert_eq(parsed, (mx_isa)i);
    }
    mx_isa parsed;
    cr_assert_eq(mx_isa_parse("sse2", &parsed), MX_ERR_ARG);
    cr_assert_eq(mx_isa_parse(NULL, &parsed), MX_ERR_ARG);
    cr_assert_str_eq(mx_isa_name((mx_isa)42), "unknown");
}

Test(core, env_forces_scalar) {
    setenv("MIXSIMD_ISA", "scalar", 1);
    mx_isa isa;
    cr_assert_eq(mx_isa_active(&isa), MX_OK);
    cr_assert_eq(isa, MX_ISA_SCALAR);
}

Test(core, env_unknown_isa_is_an_error) {
    setenv("MIXSIMD_ISA", "sse9", 1);
    mx_isa isa;
    cr_assert_eq(mx_isa_active(&isa), MX_ERR_ISA);
    cr_assert(strstr(mx_isa_problem(), "sse9") != NULL, "problem text: %s", mx_isa_problem());
}

Test(core, env_unavailable_isa_is_an_error) {
    const mx_isa missing = MX_ARCH_ARM64 ? MX_ISA_AVX512 : MX_ISA_NEON;
    setenv("MIXSIMD_ISA", mx_isa_name(missing), 1);
    mx_isa isa;
    cr_assert_eq(mx_isa_active(&isa), MX_ERR_ISA);
    cr_assert(strstr(mx_isa_problem(), "not supported") != NULL, "problem text: %s", mx_isa_problem());
    cr_assert_eq(mx_isa_force(missing), MX_ERR_ISA);
    cr_assert_eq(mx_isa_force(MX_ISA_SCALAR), MX_OK, "forcing an available ISA clears the error");
    cr_assert_eq(mx_isa_active(&isa), MX_OK);
    cr_assert_str_empty(mx_isa_problem());
}

Test(core, every_status_has_a_message) {
    const mx_status all[] = {MX_OK, MX_ERR_ARG, MX_ERR_DOMAIN, MX_ERR_ISA, MX_ERR_WORKSPACE,
                             MX_ERR_NOT_POSDEF, MX_ERR_NOMEM, MX_ERR_IO, MX_ERR_FORMAT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
        cr_assert_str_neq(mx_strerror(all[i]), "unknown status code");
    cr_assert_str_eq(mx_strerror((mx_status)-999), "unknown status code");
}

Test(core, error_records_status_and_message) {
    mx_error err = {0};
    cr_assert_eq(mx_error_set(&err, MX_ERR_FORMAT, "%s: bad magic 0x%08x", "a.idx", 0x1234u), MX_ERR_FORMAT);
    cr_assert_eq(err.status, MX_ERR_FORMAT);
    cr_assert_str_eq(err.message, "a.idx: bad magic 0x00001234");
    cr_assert_eq(mx_error_set(NULL, MX_ERR_IO, "ignored"), MX_ERR_IO, "a NULL error still returns the status");
    char longer[2 * sizeof err.message];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    mx_error_set(&err, MX_ERR_IO, "%s", longer);
    cr_assert_eq(strlen(err.message), sizeof err.message - 1, "a long message is cut, not overflowed");
}

/* The comparison helpers the families rely on must reject what they should. */
Test(core, check_helpers_can_fail) {
    const float got[3] = {1.0f, 2.0f, 3.0f};
    const double want[3] = {1.0, 2.0, 3.0};
    mx_assert_check(mx_check_ulp(got, want, 3, 0.5), "exact values");
    const double off[3] = {1.0, 2.0 + 4 * mx_ulp_f32(2.0), 3.0};
    mx_assert_rejects(mx_check_ulp(got, off, 3, 2.0), "4 ulp off with a 2 ulp bound");
    const double nan_want[3] = {1.0, 2.0, NAN};
    mx_assert_rejects(mx_check_tol(got, nan_want, 3, 1.0, 0.0), "finite against NaN");
    const double inf_want[3] = {1.0, 2.0, INFINITY};
    mx_assert_rejects(mx_check_tol(got, inf_want, 3, 1e30, 0.0), "finite against Inf");
    const double bound[3] = {0.0, 0.0, 0.0};
    mx_assert_check(mx_check_abs(got, want, bound, 3), "zero error under zero bound");
    cr_assert_eq(mx_ulp_f32(1.0), 0x1p-23);
    cr_assert_eq(mx_ulp_f32(0.0), 0x1p-149);
}
