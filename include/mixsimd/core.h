/* mixsimd/core.h — status codes, CPU feature detection and runtime ISA dispatch.
 *
 * Header-only, stb-style: every header declares; exactly one translation unit
 * of a program defines MIXSIMD_IMPLEMENTATION before including mixsimd headers
 * and so receives the definitions.
 *
 * ISA selection: the best ISA the CPU supports is chosen once, on first use,
 * thread-safely (the detection is idempotent, so racing first calls agree).
 * The environment variable MIXSIMD_ISA=scalar|avx2|avx512|neon forces a level;
 * an unknown name or a level the CPU lacks makes every dispatched kernel return
 * MX_ERR_ISA instead of running (mx_isa_problem() says why, for humans).
 */
#ifndef MIXSIMD_CORE_H
#define MIXSIMD_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- platform ------------------------------------------------------------ */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MX_ARCH_X86 1
#include <immintrin.h>
/* Fixed-ISA code lives beside baseline code in one translation unit; these
 * attributes let the compiler emit AVX2/AVX-512 instructions in just those
 * functions, so one binary runs on any x86-64 CPU and picks at run time. */
#define MX_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define MX_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#else
#define MX_ARCH_X86 0
#endif

#if defined(__aarch64__)
#define MX_ARCH_ARM64 1
#include <arm_neon.h> /* NEON (Advanced SIMD) is the aarch64 baseline. */
#else
#define MX_ARCH_ARM64 0
#endif

#define MX_RESTRICT restrict

/* ---- status -------------------------------------------------------------- */
typedef enum mx_status {
    MX_OK = 0,
    MX_ERR_ARG = -1,         /* null pointer, zero or inconsistent size      */
    MX_ERR_DOMAIN = -2,      /* NaN/Inf where finite values are required,
                                variance <= 0, probability outside [0, 1]   */
    MX_ERR_ISA = -3,         /* MIXSIMD_ISA unknown or not on this CPU       */
    MX_ERR_WORKSPACE = -4,   /* caller's workspace smaller than required     */
    MX_ERR_NOT_POSDEF = -5,  /* matrix is not positive definite              */
    MX_ERR_NOMEM = -6,       /* allocation failed (only in non-kernel code)  */
    MX_ERR_IO = -7,          /* file could not be read or written            */
    MX_ERR_FORMAT = -8       /* file content is malformed                    */
} mx_status;

/* A fixed English sentence for a status code; never NULL. */
const char *mx_strerror(mx_status status);

/* What went wrong, for humans, from code that reads files or fits models
 * (kernels only return a status). The message names the input and the
 * problem, e.g. "t10k-images-idx3-ubyte.gz: truncated: 7840016 bytes of pixels
 * expected, 1000 found". */
typedef struct mx_error {
    mx_status status;
    char message[512];
} mx_error;

/* Stores status and a printf-style message in *err (err may be NULL) and
 * returns status, so a failure reads: return mx_error_set(err, MX_ERR_IO, ...). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
mx_status mx_error_set(mx_error *err, mx_status status, const char *format, ...);

/* ---- ISA ----------------------------------------------------------------- */
typedef enum mx_isa {
    MX_ISA_SCALAR = 0,
    MX_ISA_NEON = 1,
    MX_ISA_AVX2 = 2,    /* AVX2 + FMA            */
    MX_ISA_AVX512 = 3,  /* AVX-512 F, DQ, BW, VL */
    MX_ISA_COUNT = 4
} mx_isa;

#define MX_ISA_BIT(isa) (1u << (unsigned)(isa))

/* Bit set (MX_ISA_BIT) of the ISAs this CPU and OS can run; computed once. */
unsigned mx_cpu_caps(void);
/* 1 if this CPU can run code of that ISA, else 0. */
int mx_cpu_has(mx_isa isa);
/* "scalar", "neon", "avx2", "avx512"; "unknown" otherwise. */
const char *mx_isa_name(mx_isa isa);
/* Parses an ISA name as above; MX_ERR_ARG if it is none of them. */
mx_status mx_isa_parse(const char *name, mx_isa *out);

/* The ISA dispatched kernels use: the best the CPU has, or MIXSIMD_ISA.
 * MX_ERR_ISA if MIXSIMD_ISA names an unknown or unavailable ISA. */
mx_status mx_isa_active(mx_isa *out);
/* Forces the dispatched ISA from now on (tests, benchmarks). MX_ERR_ISA if the
 * CPU lacks it. Not to be called while other threads run dispatched kernels. */
mx_status mx_isa_force(mx_isa isa);
/* After MX_ERR_ISA: a sentence naming the requested ISA and what the CPU has
 * (empty string when there is no problem). Thread-local storage, valid until
 * the same thread calls again. */
const char *mx_isa_problem(void);

/* Dispatch to name##_<isa>(args...) for the active ISA; returns MX_ERR_ISA
 * from the enclosing function when no ISA can be used. The fixed-ISA variants
 * return void: the dispatched entry validates arguments first. */
#if MX_ARCH_X86
#define MX_DISPATCH_ISA_CASES_(name, args)          \
    case MX_ISA_AVX512: name##_avx512 args; break;  \
    case MX_ISA_AVX2: name##_avx2 args; break;
#elif MX_ARCH_ARM64
#define MX_DISPATCH_ISA_CASES_(name, args) case MX_ISA_NEON: name##_neon args; break;
#else
#define MX_DISPATCH_ISA_CASES_(name, args)
#endif
#define MX_DISPATCH(name, args)                                   \
    do {                                                          \
        mx_isa mx_isa_now_;                                       \
        mx_status mx_isa_status_ = mx_isa_active(&mx_isa_now_);   \
        if (mx_isa_status_ != MX_OK) return mx_isa_status_;       \
        switch (mx_isa_now_) {                                    \
            MX_DISPATCH_ISA_CASES_(name, args)                    \
            default: name##_scalar args; break;                   \
        }                                                         \
    } while (0)

/* A table of a kernel's fixed-ISA variants indexed by mx_isa, for callers
 * (tests, benchmarks) that run each variant in turn; absent ISAs are NULL. */
#if MX_ARCH_X86
#define MX_ISA_VARIANTS(name) \
    { [MX_ISA_SCALAR] = name##_scalar, [MX_ISA_AVX2] = name##_avx2, [MX_ISA_AVX512] = name##_avx512 }
#elif MX_ARCH_ARM64
#define MX_ISA_VARIANTS(name) { [MX_ISA_SCALAR] = name##_scalar, [MX_ISA_NEON] = name##_neon }
#else
#define MX_ISA_VARIANTS(name) { [MX_ISA_SCALAR] = name##_scalar }
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_CORE_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_CORE_IMPLEMENTED)
#define MIXSIMD_CORE_IMPLEMENTED
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if MX_ARCH_X86
#include <cpuid.h>
#endif
#if MX_ARCH_ARM64 && defined(__linux__)
#include <sys/auxv.h>
#endif

const char *mx_strerror(mx_status status) {
    switch (status) {
    case MX_OK: return "success";
    case MX_ERR_ARG: return "invalid argument (null pointer or inconsistent sizes)";
    case MX_ERR_DOMAIN: return "value outside the domain (NaN, Inf, non-positive variance or invalid probability)";
    case MX_ERR_ISA: return "requested instruction set is unknown or not supported by this CPU (see MIXSIMD_ISA)";
    case MX_ERR_WORKSPACE: return "workspace smaller than required";
    case MX_ERR_NOT_POSDEF: return "matrix is not positive definite";
    case MX_ERR_NOMEM: return "out of memory";
    case MX_ERR_IO: return "input/output error";
    case MX_ERR_FORMAT: return "malformed file content";
    }
    return "unknown status code";
}

mx_status mx_error_set(mx_error *err, mx_status status, const char *format, ...) {
    if (err != NULL) {
        va_list args;
        va_start(args, format);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return status;
}

static const char *const mx_isa_names_[MX_ISA_COUNT] = {"scalar", "neon", "avx2", "avx512"};

const char *mx_isa_name(mx_isa isa) {
    return (unsigned)isa < MX_ISA_COUNT ? mx_isa_names_[isa] : "unknown";
}

mx_status mx_isa_parse(const char *name, mx_isa *out) {
    if (name == NULL || out == NULL) return MX_ERR_ARG;
    for (unsigned i = 0; i < MX_ISA_COUNT; ++i) {
        if (strcmp(name, mx_isa_names_[i]) == 0) {
            *out = (mx_isa)i;
            return MX_OK;
        }
    }
    return MX_ERR_ARG;
}

#if MX_ARCH_X86
/* AVX state is usable only if the OS saves the YMM (and for AVX-512 the
 * opmask and ZMM) registers on context switch: XCR0 bits 1-2 and 5-7. */
static unsigned mx_detect_caps_(void) {
    unsigned caps = MX_ISA_BIT(MX_ISA_SCALAR);
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return caps;
    const int has_fma = (c >> 12) & 1, has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1;
    if (!has_osxsave || !has_avx) return caps;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    const int os_ymm = (xcr0_lo & 0x6u) == 0x6u, os_zmm = (xcr0_lo & 0xE6u) == 0xE6u;
    if (__get_cpuid_max(0, NULL) < 7) return caps;
    __cpuid_count(7, 0, a, b, c, d);
    const int has_avx2 = (b >> 5) & 1;
    const int has_avx512 = ((b >> 16) & 1) /* F */ && ((b >> 17) & 1) /* DQ */ &&
                           ((b >> 30) & 1) /* BW */ && ((b >> 31) & 1) /* VL */;
    if (os_ymm && has_avx2 && has_fma) caps |= MX_ISA_BIT(MX_ISA_AVX2);
    if (os_zmm && has_avx512 && (caps & MX_ISA_BIT(MX_ISA_AVX2)))
        caps |= MX_ISA_BIT(MX_ISA_AVX512);
    return caps;
}
#elif MX_ARCH_ARM64
static unsigned mx_detect_caps_(void) {
    unsigned caps = MX_ISA_BIT(MX_ISA_SCALAR);
#if defined(__linux__) && defined(HWCAP_ASIMD)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMD) caps |= MX_ISA_BIT(MX_ISA_NEON);
#else
    caps |= MX_ISA_BIT(MX_ISA_NEON); /* mandatory in ARMv8-A */
#endif
    return caps;
}
#else
static unsigned mx_detect_caps_(void) { return MX_ISA_BIT(MX_ISA_SCALAR); }
#endif

static atomic_uint mx_caps_cache_ = 0; /* 0: not yet detected (scalar bit is always set) */

unsigned mx_cpu_caps(void) {
    unsigned caps = atomic_load_explicit(&mx_caps_cache_, memory_order_acquire);
    if (caps == 0) {
        caps = mx_detect_caps_();
        atomic_store_explicit(&mx_caps_cache_, caps, memory_order_release);
    }
    return caps;
}

int mx_cpu_has(mx_isa isa) {
    return (unsigned)isa < MX_ISA_COUNT && (mx_cpu_caps() & MX_ISA_BIT(isa)) != 0;
}

static mx_isa mx_best_isa_(void) {
    const unsigned caps = mx_cpu_caps();
    for (int i = MX_ISA_COUNT - 1; i > 0; --i)
        if (caps & MX_ISA_BIT(i)) return (mx_isa)i;
    return MX_ISA_SCALAR;
}

enum { MX_ISA_UNSET_ = -2, MX_ISA_INVALID_ = -1 };
static atomic_int mx_isa_cache_ = MX_ISA_UNSET_;

/* The ISA MIXSIMD_ISA asks for (the best available when unset), or
 * MX_ISA_INVALID_ with a sentence in problem[] (when problem is not NULL).
 * Depends only on the environment and the CPU, so concurrent first callers
 * compute and store the same value. */
static int mx_isa_from_env_(char *problem, size_t problem_size) {
    const char *forced = getenv("MIXSIMD_ISA");
    if (forced == NULL || forced[0] == '\0') return (int)mx_best_isa_();
    mx_isa isa;
    if (mx_isa_parse(forced, &isa) != MX_OK) {
        if (problem != NULL)
            snprintf(problem, problem_size, "MIXSIMD_ISA=%.40s is not one of scalar, neon, avx2, avx512",
                     forced);
        return MX_ISA_INVALID_;
    }
    if (!mx_cpu_has(isa)) {
        if (problem != NULL)
            snprintf(problem, problem_size,
                     "MIXSIMD_ISA=%s is not supported by this CPU (best available: %s)",
                     mx_isa_name(isa), mx_isa_name(mx_best_isa_()));
        return MX_ISA_INVALID_;
    }
    return (int)isa;
}

mx_status mx_isa_active(mx_isa *out) {
    int isa = atomic_load_explicit(&mx_isa_cache_, memory_order_acquire);
    if (isa == MX_ISA_UNSET_) {
        isa = mx_isa_from_env_(NULL, 0);
        atomic_store_explicit(&mx_isa_cache_, isa, memory_order_release);
    }
    if (isa == MX_ISA_INVALID_) return MX_ERR_ISA;
    if (out != NULL) *out = (mx_isa)isa;
    return MX_OK;
}

mx_status mx_isa_force(mx_isa isa) {
    if (!mx_cpu_has(isa)) return MX_ERR_ISA;
    atomic_store_explicit(&mx_isa_cache_, (int)isa, memory_order_release);
    return MX_OK;
}

const char *mx_isa_problem(void) {
    static _Thread_local char problem[160]; /* one per thread: no shared writes */
    problem[0] = '\0';
    if (mx_isa_active(NULL) == MX_ERR_ISA) mx_isa_from_env_(problem, sizeof problem);
    return problem;
}

#endif /* MIXSIMD_IMPLEMENTATION */
