/* bench/bench_blis.c — BLIS's own bli_sgemm as a second gemm peer.
 * BLIS and OpenBLAS both export cblas_sgemm, sgemm_ and xerbla_; BLIS is
 * therefore opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): its symbols stay
 * out of the program's namespace and its own calls bind inside itself.
 * blis.h is not included (its inline functions need libblis at link time in
 * unoptimised builds): the few types of BLIS's typed API are declared below
 * and the integer width is checked at run time. */
#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include "bench_peers.h"

#include <dlfcn.h>
#include <stdint.h>

/* BLIS 0.x typed API with 64-bit integers (dim_t, inc_t = gint_t = int64_t);
 * trans_t's transpose bit is BLIS_TRANS_BIT = 1 << 3. */
typedef int64_t blis_int_;
enum { BLIS_NO_TRANSPOSE_ = 0, BLIS_TRANSPOSE_ = 1 << 3 };
typedef void (*blis_sgemm_fn_)(int transa, int transb, blis_int_ m, blis_int_ n, blis_int_ k,
                               float *alpha, float *a, blis_int_ rsa, blis_int_ csa, float *b,
                               blis_int_ rsb, blis_int_ csb, float *beta, float *c,
                               blis_int_ rsc, blis_int_ csc);
typedef void (*blis_set_threads_fn_)(blis_int_ n);
typedef int (*blis_arch_id_fn_)(void);
typedef const char *(*blis_arch_string_fn_)(int id);
typedef blis_int_ (*blis_int_size_fn_)(void);
typedef void (*blis_init_fn_)(void);

static struct {
    int tried, ok;
    blis_sgemm_fn_ sgemm;
    blis_set_threads_fn_ set_threads;
    blis_arch_id_fn_ arch_id;
    blis_arch_string_fn_ arch_string;
} blis_;

/* AddressSanitizer refuses RTLD_DEEPBIND; RTLD_LOCAL alone suffices for
 * bli_sgemm, which calls no BLAS or CBLAS symbol. */
#if defined(__SANITIZE_ADDRESS__)
#define BLIS_OPEN_FLAGS_ (RTLD_NOW | RTLD_LOCAL)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BLIS_OPEN_FLAGS_ (RTLD_NOW | RTLD_LOCAL)
#endif
#endif
#ifndef BLIS_OPEN_FLAGS_
#define BLIS_OPEN_FLAGS_ (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

static void *blis_symbol_(void *lib, const char *name) {
    return lib != NULL ? dlsym(lib, name) : NULL;
}

/* Loads libblis.so.4 once; 0 when it is not installed, lacks a symbol or was
 * built with 32-bit integers. */
static int blis_load_(void) {
    if (blis_.tried) return blis_.ok;
    blis_.tried = 1;
    void *lib = dlopen("libblis.so.4", BLIS_OPEN_FLAGS_);
    blis_init_fn_ init;
    blis_int_size_fn_ int_size;
    *(void **)&init = blis_symbol_(lib, "bli_init");
    *(void **)&int_size = blis_symbol_(lib, "bli_info_get_int_type_size");
    *(void **)&blis_.sgemm = blis_symbol_(lib, "bli_sgemm");
    *(void **)&blis_.set_threads = blis_symbol_(lib, "bli_thread_set_num_threads");
    *(void **)&blis_.arch_id = blis_symbol_(lib, "bli_arch_query_id");
    *(void **)&blis_.arch_string = blis_symbol_(lib, "bli_arch_string");
    if (!init || !int_size || !blis_.sgemm || !blis_.set_threads || !blis_.arch_id || !blis_.arch_string)
        return 0;
    /* Compare the low 32 bits: a 32-bit build returns 32 in eax. */
    if ((int32_t)int_size() != 64) return 0;
    /* The architecture query needs the initialised context (BLIS 0.9 aborts
     * otherwise); without BLIS_ARCH_TYPE, 0.9 takes Zen 4/5 for "generic". */
    init();
    return blis_.ok = 1;
}

int bench_blis_available(void) { return blis_load_(); }

const char *bench_blis_arch(void) {
    return blis_load_() ? blis_.arch_string(blis_.arch_id()) : "";
}

/* Row-major storage is a matrix with row stride ld and column stride 1. */
void bench_blis_sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, const float *A,
                      size_t lda, const float *B, size_t ldb, float *C, size_t ldc, int threads) {
    float one = 1.0f, zero = 0.0f;
    blis_.set_threads(threads);
    blis_.sgemm(trans_a ? BLIS_TRANSPOSE_ : BLIS_NO_TRANSPOSE_,
                trans_b ? BLIS_TRANSPOSE_ : BLIS_NO_TRANSPOSE_, (blis_int_)M, (blis_int_)N,
                (blis_int_)K, &one, (float *)A, (blis_int_)lda, 1, (float *)B, (blis_int_)ldb, 1,
                &zero, C, (blis_int_)ldc, 1);
}
