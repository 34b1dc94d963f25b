/* mixsimd/models/common.h — what every clustering model shares: fit progress
 * reports and the model file container.
 *
 * ---- Progress ---------------------------------------------------------------
 * Every fit calls an optional mx_fit_callback once per iteration (after the
 * iteration's objective is known); a non-zero return stops the fit early,
 * keeping the parameters reached so far, and the fit returns MX_OK.
 *
 * ---- Model files --------------------------------------------------------------
 * One little-endian binary container for every model's save/load. All
 * integers are unsigned little-endian; there is no padding anywhere.
 *
 *   offset  size  field
 *   0       8     magic, the ASCII bytes "MXMODEL1"
 *   8       4     u32 format version (MX_MODEL_FORMAT_VERSION = 1)
 *   12      4     u32 L, length of the model name (1 .. 64)
 *   16      L     model name, ASCII, no terminator ("kmeans", "gmm", ...)
 *   ..      4     u32 A, number of arrays (0 .. 64)
 *   then A arrays, each:
 *           4     u32 length of the array name (1 .. 64)
 *           ..    array name, ASCII, no terminator; unique within the file
 *           4     u32 element type: 1 = float32, 2 = float64, 3 = int64
 *           4     u32 ndim (0 .. 4; 0 is a scalar holding one element)
 *           8*ndim  u64 dims
 *           ..    prod(dims) elements, little-endian, row-major (C order)
 *   the file ends right after the last array (trailing bytes are an error).
 *
 * A numpy reader, for reference:
 *     import struct, numpy as np
 *     def read_model(path):
 *         b = open(path, 'rb').read(); p = 0
 *         def take(fmt):
 *             nonlocal p; v = struct.unpack_from(fmt, b, p); p += struct.calcsize(fmt); return v
 *         assert b[:8] == b'MXMODEL1'; p = 8
 *         version, L = take('<II'); name = b[p:p + L].decode(); p += L
 *         (count,) = take('<I'); arrays = {}
 *         for _ in range(count):
 *             (L,) = take('<I'); key = b[p:p + L].decode(); p += L
 *             code, ndim = take('<II'); dims = take('<%dQ' % ndim)
 *             dt = np.dtype({1: '<f4', 2: '<f8', 3: '<i8'}[code])
 *             n = int(np.prod(dims, dtype=np.int64))
 *             arrays[key] = np.frombuffer(b, dt, n, p).reshape(dims); p += n * dt.itemsize
 *         assert p == len(b); return name, arrays
 * and the writer is the mirror image (struct.pack('<II', ...) and
 * arr.astype('<f4').tobytes()).
 *
 * Files are written atomically (io.h): a failed save leaves no partial file.
 * Reading validates everything: magic, version, name lengths, type codes,
 * ndim, dims whose element count or byte size overflows, data running past
 * the end of the file, trailing bytes, duplicate array names, and (through
 * mx_model_get) the model name and each array's type and shape. Every
 * failure is MX_ERR_FORMAT (MX_ERR_IO when the file cannot be opened or read)
 * with a message that names the file.
 */
#ifndef MIXSIMD_MODELS_COMMON_H
#define MIXSIMD_MODELS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../core.h"
#include "../io.h"
#include "../rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- progress -------------------------------------------------------------- */
typedef struct mx_fit_progress {
    size_t run;        /* restart, 0 .. n_init-1                                   */
    size_t iteration;  /* 1-based                                                 */
    double objective;  /* k-means: inertia; GMM: mean log-likelihood per point   */
    double change;     /* change of the objective from the previous iteration
                          (objective - previous; +inf on the first iteration)     */
    double seconds;    /* since this fit began                                    */
} mx_fit_progress;

/* Called once per iteration; a non-zero return stops the fit (see above). */
typedef int (*mx_fit_callback)(const mx_fit_progress *progress, void *context);

/* ---- model files ------------------------------------------------------------- */
#define MX_MODEL_FORMAT_VERSION 1u
#define MX_MODEL_MAX_NAME 64   /* bytes of a model or array name          */
#define MX_MODEL_MAX_ARRAYS 64
#define MX_MODEL_MAX_DIMS 4
/* In a wanted shape (mx_model_get): this dimension may have any size. */
#define MX_MODEL_ANY_DIM SIZE_MAX

typedef enum mx_dtype { MX_DTYPE_F32 = 1, MX_DTYPE_F64 = 2, MX_DTYPE_I64 = 3 } mx_dtype;

/* One named array. For writing, data points to the caller's elements; after
 * mx_model_read it points to memory the mx_model_file owns (aligned for the
 * element type). */
typedef struct mx_model_array {
    char name[MX_MODEL_MAX_NAME + 1];
    mx_dtype dtype;
    size_t ndim;
    size_t dims[MX_MODEL_MAX_DIMS];
    void *data;
} mx_model_array;

/* A file read back whole. */
typedef struct mx_model_file {
    char *path;                          /* as given to mx_model_read (owned) */
    char model[MX_MODEL_MAX_NAME + 1];   /* the model name in the file        */
    size_t count;                        /* arrays[0 .. count)                */
    mx_model_array arrays[MX_MODEL_MAX_ARRAYS];
} mx_model_file;

/* Bytes of one element of the type (0 for an unknown code). */
size_t mx_dtype_size(mx_dtype dtype);

/* Fills an array description for mx_model_write (name is copied; names
 * longer than MX_MODEL_MAX_NAME are rejected by mx_model_write). */
mx_model_array mx_model_array_make(const char *name, mx_dtype dtype, size_t ndim,
                                   const size_t *dims, const void *data);

/* Writes model name and arrays to path atomically. MX_ERR_ARG for a bad
 * name, type, ndim or count, or duplicate array names; MX_ERR_IO when the
 * file cannot be written (naming the path). */
mx_status mx_model_write(const char *path, const char *model, const mx_model_array *arrays,
                         size_t count, mx_error *err);

/* Reads and validates the container (see the file comment). When model is
 * not NULL the file's model name must equal it. On failure *file holds
 * nothing to free. */
mx_status mx_model_read(mx_model_file *file, const char *path, const char *model, mx_error *err);

/* The array called name with this element type and ndim, whose dims equal
 * want_dims (entries MX_MODEL_ANY_DIM match anything); *out points to it.
 * MX_ERR_FORMAT naming the file, the array and what differs otherwise. */
mx_status mx_model_get(const mx_model_file *file, const char *name, mx_dtype dtype, size_t ndim,
                       const size_t *want_dims, const mx_model_array **out, mx_error *err);

/* Releases what mx_model_read allocated; safe on a zeroed struct. */
void mx_model_file_free(mx_model_file *file);

/* ---- shared by the model drivers (private) ---------------------------------- */

/* MX_ERR_DOMAIN naming the first NaN or Inf of X (n x d, row-major) and
 * the data name; MX_ERR_ARG for n == 0, d == 0 or X == NULL. */
mx_status mx_model_check_data_(const float *X, size_t n, size_t d, const char *what, mx_error *err);
/* Uniform double in [0, 1) with 53 random bits from two words of r. */
mx_status mx_model_uniform_(mx_rng *r, double *out);
/* Seconds on a monotonic clock. */
double mx_model_now_(void);
/* The seed of restart `run` of a fit seeded with `seed`: the seed itself for
 * run 0 (so a lone initialisation with that seed is run 0), then splitmix64's
 * finaliser of seed + run * 2^64/phi. Plain seed + run would make the fits
 * seeded 2 and 3 share nine of their ten restarts. */
static inline uint64_t mx_model_restart_seed_(uint64_t seed, size_t run) {
    if (run == 0) return seed;
    uint64_t z = seed + (uint64_t)run * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Threads the models' own loops use (omp_get_max_threads(), or 1), and the
 * calling thread's number inside a parallel region (0 outside). */
size_t mx_model_threads_(void);
size_t mx_model_thread_id_(void);

/* Row sums are reduced over a fixed number of chunks, not over threads:
 * tile t of `tiles` belongs to chunk t * chunks / tiles, every chunk sums its
 * tiles in order and the chunks are added in order, so results do not depend
 * on the thread count or on which thread took which chunk (threads take
 * chunks dynamically, which keeps them busy when the machine is shared). */
#define MX_MODEL_MAX_CHUNKS_ 16
static inline size_t mx_model_chunks_(size_t tiles) {
    return tiles < MX_MODEL_MAX_CHUNKS_ ? tiles : MX_MODEL_MAX_CHUNKS_;
}
/* First tile of chunk c (c = chunks gives the end). */
static inline size_t mx_model_chunk_start_(size_t c, size_t chunks, size_t tiles) { return tiles * c / chunks; }

#ifdef _OPENMP
#define MX_MODEL_OMP_(directive) _Pragma(directive)
#else
#define MX_MODEL_OMP_(directive)
#endif

/* sum_j (a_j - b_j)^2 in float over 16 interleaved partial sums: a form the
 * compiler vectorises without reassociating (no -ffast-math needed). */
static inline __attribute__((always_inline)) float mx_model_sqdist_(const float *a, const float *b, size_t d) {
    float part[16] = {0};
    size_t j = 0;
    for (; j + 16 <= d; j += 16)
        for (size_t l = 0; l < 16; ++l) {
            const float diff = a[j + l] - b[j + l];
            part[l] += diff * diff;
        }
    for (size_t l = 0; j < d; ++j, ++l) {
        const float diff = a[j] - b[j];
        part[l] += diff * diff;
    }
    float sum = 0.0f;
    for (size_t l = 0; l < 16; ++l) sum += part[l];
    return sum;
}

/* The models' own row loops (center sums, variance sums) are plain C that
 * the compiler vectorises. MX_MODEL_ISA_CLONES_ compiles the always-inline
 * name##_body_ once per ISA (scalar = the baseline, which on aarch64 is
 * NEON) and defines name##_pick_(), which returns the copy for the ISA the
 * kernels dispatch to (core.h; MIXSIMD_ISA applies). */
#if MX_ARCH_X86
#define MX_MODEL_ISA_CLONES_(name, fn_type, params, args)                                   \
    static void name##_scalar_ params { name##_body_ args; }                               \
    MX_TARGET_AVX2 static void name##_avx2_ params { name##_body_ args; }                  \
    MX_TARGET_AVX512 static void name##_avx512_ params { name##_body_ args; }              \
    static fn_type name##_pick_(void) {                                                     \
        mx_isa isa = MX_ISA_SCALAR;                                                         \
        if (mx_isa_active(&isa) != MX_OK) isa = MX_ISA_SCALAR;                              \
        return isa == MX_ISA_AVX512 ? name##_avx512_ : isa == MX_ISA_AVX2 ? name##_avx2_ : name##_scalar_; \
    }
#else
#define MX_MODEL_ISA_CLONES_(name, fn_type, params, args)  \
    static void name##_scalar_ params { name##_body_ args; } \
    static fn_type name##_pick_(void) { return name##_scalar_; }
#endif

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_MODELS_COMMON_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_MODELS_COMMON_IMPLEMENTED)
#define MIXSIMD_MODELS_COMMON_IMPLEMENTED
#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mixsimd model files are written with the host's byte order, which must be little-endian"
#endif

static const char mx_model_magic_[8] = {'M', 'X', 'M', 'O', 'D', 'E', 'L', '1'};

size_t mx_dtype_size(mx_dtype dtype) {
    switch (dtype) {
    case MX_DTYPE_F32: return 4;
    case MX_DTYPE_F64: return 8;
    case MX_DTYPE_I64: return 8;
    }
    return 0;
}

mx_model_array mx_model_array_make(const char *name, mx_dtype dtype, size_t ndim,
                                   const size_t *dims, const void *data) {
    mx_model_array a;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", name != NULL ? name : "");
    a.dtype = dtype;
    a.ndim = ndim;
    for (size_t i = 0; i < ndim && i < MX_MODEL_MAX_DIMS; ++i) a.dims[i] = dims[i];
    a.data = (void *)(uintptr_t)data; /* written from, never through */
    return a;
}

/* Element count of an array; 0 with *ok = 0 when it overflows size_t. */
static size_t mx_model_elements_(const size_t *dims, size_t ndim, int *ok) {
    size_t count = 1;
    *ok = 1;
    for (size_t i = 0; i < ndim; ++i) {
        if (dims[i] != 0 && count > SIZE_MAX / dims[i]) {
            *ok = 0;
            return 0;
        }
        count *= dims[i];
    }
    return count;
}

static int mx_model_name_ok_(const char *name) {
    const size_t length = name != NULL ? strlen(name) : 0;
    return length >= 1 && length <= MX_MODEL_MAX_NAME;
}

static void mx_model_put_u32_(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

static void mx_model_put_name_(FILE *f, const char *name) {
    const uint32_t length = (uint32_t)strlen(name);
    mx_model_put_u32_(f, length);
    fwrite(name, 1, length, f);
}

static mx_status mx_model_check_arrays_(const char *path, const mx_model_array *arrays, size_t count,
                                        mx_error *err) {
    if (count > MX_MODEL_MAX_ARRAYS)
        return mx_error_set(err, MX_ERR_ARG, "%s: %zu arrays, at most %d allowed", path, count,
                            MX_MODEL_MAX_ARRAYS);
    for (size_t i = 0; i < count; ++i) {
        const mx_model_array *a = &arrays[i];
        int ok;
        const size_t elements = mx_model_elements_(a->dims, a->ndim <= MX_MODEL_MAX_DIMS ? a->ndim : 0, &ok);
        if (!mx_model_name_ok_(a->name) || mx_dtype_size(a->dtype) == 0 || a->ndim > MX_MODEL_MAX_DIMS ||
            !ok || (elements > 0 && a->data == NULL))
            return mx_error_set(err, MX_ERR_ARG, "%s: array %zu ('%s') has a bad name, type, shape or no data",
                                path, i, a->name);
        for (size_t j = 0; j < i; ++j)
            if (strcmp(arrays[j].name, a->name) == 0)
                return mx_error_set(err, MX_ERR_ARG, "%s: array name '%s' used twice", path, a->name);
    }
    return MX_OK;
}

mx_status mx_model_write(const char *path, const char *model, const mx_model_array *arrays,
                         size_t count, mx_error *err) {
    if (path == NULL) return mx_error_set(err, MX_ERR_ARG, "no model file path given");
    if (!mx_model_name_ok_(model))
        return mx_error_set(err, MX_ERR_ARG, "%s: model name must have 1 to %d characters", path,
                            MX_MODEL_MAX_NAME);
    if (count > 0 && arrays == NULL) return mx_error_set(err, MX_ERR_ARG, "%s: no arrays given", path);
    mx_status status = mx_model_check_arrays_(path, arrays, count, err);
    if (status != MX_OK) return status;
    mx_atomic_file out;
    status = mx_atomic_open(&out, path, err);
    if (status != MX_OK) return status;
    fwrite(mx_model_magic_, 1, sizeof mx_model_magic_, out.f);
    mx_model_put_u32_(out.f, MX_MODEL_FORMAT_VERSION);
    mx_model_put_name_(out.f, model);
    mx_model_put_u32_(out.f, (uint32_t)count);
    for (size_t i = 0; i < count; ++i) {
        const mx_model_array *a = &arrays[i];
        int ok;
        mx_model_put_name_(out.f, a->name);
        mx_model_put_u32_(out.f, (uint32_t)a->dtype);
        mx_model_put_u32_(out.f, (uint32_t)a->ndim);
        for (size_t j = 0; j < a->ndim; ++j) {
            const uint64_t dim = a->dims[j];
            fwrite(&dim, 8, 1, out.f);
        }
        const size_t elements = mx_model_elements_(a->dims, a->ndim, &ok);
        if (elements > 0) fwrite(a->data, mx_dtype_size(a->dtype), elements, out.f);
    }
    return mx_atomic_commit(&out, err); /* checks every write through ferror */
}

/* ---- reading ------------------------------------------------------------------ */

/* A bounds-checked cursor over the file's bytes. */
typedef struct mx_model_reader_ {
    const unsigned char *bytes;
    size_t size, pos;
    const char *path;
    mx_error *err;
} mx_model_reader_;

static mx_status mx_model_truncated_(mx_model_reader_ *r, const char *what) {
    return mx_error_set(r->err, MX_ERR_FORMAT, "%s: truncated model file: %s missing at byte %zu of %zu",
                        r->path, what, r->pos, r->size);
}

static mx_status mx_model_take_(mx_model_reader_ *r, void *out, size_t bytes, const char *what) {
    if (r->size - r->pos < bytes) return mx_model_truncated_(r, what);
    memcpy(out, r->bytes + r->pos, bytes);
    r->pos += bytes;
    return MX_OK;
}

static mx_status mx_model_take_name_(mx_model_reader_ *r, char out[MX_MODEL_MAX_NAME + 1], const char *what) {
    uint32_t length = 0;
    mx_status status = mx_model_take_(r, &length, 4, what);
    if (status != MX_OK) return status;
    if (length < 1 || length > MX_MODEL_MAX_NAME)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: %s has length %u (1 .. %d allowed)", r->path, what,
                            length, MX_MODEL_MAX_NAME);
    status = mx_model_take_(r, out, length, what);
    if (status != MX_OK) return status;
    out[length] = '\0';
    if (strlen(out) != length)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: %s contains a NUL byte", r->path, what);
    return MX_OK;
}

static mx_status mx_model_take_array_(mx_model_reader_ *r, mx_model_array *a) {
    uint32_t dtype = 0, ndim = 0;
    mx_status status = mx_model_take_name_(r, a->name, "array name");
    if (status == MX_OK) status = mx_model_take_(r, &dtype, 4, "element type");
    if (status == MX_OK) status = mx_model_take_(r, &ndim, 4, "ndim");
    if (status != MX_OK) return status;
    if (mx_dtype_size((mx_dtype)dtype) == 0)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: array '%s' has unknown element type %u", r->path,
                            a->name, dtype);
    if (ndim > MX_MODEL_MAX_DIMS)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: array '%s' has %u dimensions (at most %d)", r->path,
                            a->name, ndim, MX_MODEL_MAX_DIMS);
    a->dtype = (mx_dtype)dtype;
    a->ndim = ndim;
    for (uint32_t i = 0; i < ndim; ++i) {
        uint64_t dim = 0;
        status = mx_model_take_(r, &dim, 8, "array dimension");
        if (status != MX_OK) return status;
        if (dim > SIZE_MAX)
            return mx_error_set(r->err, MX_ERR_FORMAT, "%s: array '%s' dimension too large", r->path, a->name);
        a->dims[i] = (size_t)dim;
    }
    int ok;
    const size_t elements = mx_model_elements_(a->dims, a->ndim, &ok), esize = mx_dtype_size(a->dtype);
    if (!ok || elements > SIZE_MAX / esize || elements * esize > r->size - r->pos)
        return mx_error_set(r->err, MX_ERR_FORMAT,
                            "%s: truncated model file: array '%s' needs %zu elements, %zu bytes remain",
                            r->path, a->name, elements, r->size - r->pos);
    a->data = malloc(elements * esize > 0 ? elements * esize : 1);
    if (a->data == NULL) return mx_error_set(r->err, MX_ERR_NOMEM, "%s: out of memory", r->path);
    return mx_model_take_(r, a->data, elements * esize, "array data");
}

static mx_status mx_model_parse_(mx_model_file *file, mx_model_reader_ *r) {
    char magic[8];
    uint32_t version = 0, count = 0;
    mx_status status = mx_model_take_(r, magic, sizeof magic, "magic");
    if (status != MX_OK) return status;
    if (memcmp(magic, mx_model_magic_, sizeof magic) != 0)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: not a mixsimd model file (wrong magic)", r->path);
    status = mx_model_take_(r, &version, 4, "format version");
    if (status != MX_OK) return status;
    if (version != MX_MODEL_FORMAT_VERSION)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: model format version %u, this build reads %u",
                            r->path, version, MX_MODEL_FORMAT_VERSION);
    status = mx_model_take_name_(r, file->model, "model name");
    if (status == MX_OK) status = mx_model_take_(r, &count, 4, "array count");
    if (status != MX_OK) return status;
    if (count > MX_MODEL_MAX_ARRAYS)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: %u arrays (at most %d)", r->path, count,
                            MX_MODEL_MAX_ARRAYS);
    for (uint32_t i = 0; i < count; ++i) {
        status = mx_model_take_array_(r, &file->arrays[i]);
        if (file->arrays[i].data != NULL) file->count = i + 1;
        if (status != MX_OK) return status;
        for (uint32_t j = 0; j < i; ++j)
            if (strcmp(file->arrays[j].name, file->arrays[i].name) == 0)
                return mx_error_set(r->err, MX_ERR_FORMAT, "%s: array '%s' appears twice", r->path,
                                    file->arrays[i].name);
    }
    if (r->pos != r->size)
        return mx_error_set(r->err, MX_ERR_FORMAT, "%s: %zu trailing bytes after the last array", r->path,
                            r->size - r->pos);
    return MX_OK;
}

/* The whole file into a malloc'd buffer. */
static mx_status mx_model_slurp_(const char *path, unsigned char **bytes, size_t *size, mx_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return mx_error_set(err, MX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat info;
    if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(f); /* a directory opens and "seeks" to a huge size on Linux */
        return mx_error_set(err, MX_ERR_IO, "%s: not a regular file", path);
    }
    long length = -1;
    if (fseek(f, 0, SEEK_END) == 0) length = ftell(f);
    if (length < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return mx_error_set(err, MX_ERR_IO, "%s: cannot determine the file size", path);
    }
    *size = (size_t)length;
    *bytes = malloc(*size > 0 ? *size : 1);
    if (*bytes == NULL) {
        fclose(f);
        return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", path);
    }
    const size_t got = fread(*bytes, 1, *size, f);
    fclose(f);
    if (got != *size) {
        free(*bytes);
        return mx_error_set(err, MX_ERR_IO, "%s: read %zu of %zu bytes", path, got, *size);
    }
    return MX_OK;
}

mx_status mx_model_read(mx_model_file *file, const char *path, const char *model, mx_error *err) {
    if (file == NULL || path == NULL) return mx_error_set(err, MX_ERR_ARG, "no model file path given");
    memset(file, 0, sizeof *file);
    unsigned char *bytes = NULL;
    size_t size = 0;
    mx_status status = mx_model_slurp_(path, &bytes, &size, err);
    if (status != MX_OK) return status;
    mx_model_reader_ reader = {bytes, size, 0, path, err};
    status = mx_model_parse_(file, &reader);
    free(bytes);
    if (status == MX_OK && model != NULL && strcmp(file->model, model) != 0)
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: holds a '%s' model, not '%s'", path, file->model, model);
    if (status == MX_OK) {
        file->path = malloc(strlen(path) + 1);
        if (file->path == NULL) status = mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", path);
        else strcpy(file->path, path);
    }
    if (status != MX_OK) mx_model_file_free(file);
    return status;
}

static const char *mx_dtype_name_(mx_dtype dtype) {
    switch (dtype) {
    case MX_DTYPE_F32: return "float32";
    case MX_DTYPE_F64: return "float64";
    case MX_DTYPE_I64: return "int64";
    }
    return "unknown";
}

/* "3 x 784", with "*" for MX_MODEL_ANY_DIM. */
static void mx_model_shape_text_(char *text, size_t size, const size_t *dims, size_t ndim) {
    text[0] = '\0';
    for (size_t j = 0; j < ndim; ++j) {
        const size_t used = strlen(text);
        if (dims[j] == MX_MODEL_ANY_DIM) snprintf(text + used, size - used, "%s*", j ? " x " : "");
        else snprintf(text + used, size - used, "%s%zu", j ? " x " : "", dims[j]);
    }
}

mx_status mx_model_get(const mx_model_file *file, const char *name, mx_dtype dtype, size_t ndim,
                       const size_t *want_dims, const mx_model_array **out, mx_error *err) {
    if (file == NULL || name == NULL || out == NULL || (ndim > 0 && want_dims == NULL))
        return mx_error_set(err, MX_ERR_ARG, "mx_model_get: null argument");
    const char *path = file->path != NULL ? file->path : "model file";
    for (size_t i = 0; i < file->count; ++i) {
        const mx_model_array *a = &file->arrays[i];
        if (strcmp(a->name, name) != 0) continue;
        if (a->dtype != dtype)
            return mx_error_set(err, MX_ERR_FORMAT, "%s: array '%s' is %s, expected %s", path, name,
                                mx_dtype_name_(a->dtype), mx_dtype_name_(dtype));
        int same = a->ndim == ndim;
        for (size_t j = 0; same && j < ndim; ++j)
            same = want_dims[j] == MX_MODEL_ANY_DIM || want_dims[j] == a->dims[j];
        if (!same) {
            char want[96] = "", got[96] = "";
            mx_model_shape_text_(want, sizeof want, want_dims, ndim);
            mx_model_shape_text_(got, sizeof got, a->dims, a->ndim);
            return mx_error_set(err, MX_ERR_FORMAT, "%s: array '%s' has shape [%s], expected [%s]", path, name,
                                got, want);
        }
        *out = a;
        return MX_OK;
    }
    return mx_error_set(err, MX_ERR_FORMAT, "%s: no array '%s' in the '%s' model", path, name, file->model);
}

void mx_model_file_free(mx_model_file *file) {
    if (file == NULL) return;
    for (size_t i = 0; i < file->count; ++i) free(file->arrays[i].data);
    free(file->path);
    memset(file, 0, sizeof *file);
}

/* ---- driver helpers ------------------------------------------------------------ */

mx_status mx_model_check_data_(const float *X, size_t n, size_t d, const char *what, mx_error *err) {
    if (n == 0 || d == 0 || X == NULL)
        return mx_error_set(err, MX_ERR_ARG, "%s: empty data (%zu points of dimension %zu)", what, n, d);
    for (size_t i = 0; i < n; ++i) {
        int bad = 0;
        for (size_t j = 0; j < d; ++j) bad |= !isfinite(X[i * d + j]);
        if (!bad) continue;
        for (size_t j = 0; j < d; ++j)
            if (!isfinite(X[i * d + j]))
                return mx_error_set(err, MX_ERR_DOMAIN, "%s: point %zu, feature %zu is %s", what, i, j,
                                    isnan(X[i * d + j]) ? "NaN" : "infinite");
    }
    return MX_OK;
}

mx_status mx_model_uniform_(mx_rng *r, double *out) {
    uint32_t w[2];
    mx_status status = mx_rng_next_u32(r, w, 2);
    if (status != MX_OK) return status;
    *out = (double)(((uint64_t)w[0] << 21) ^ (w[1] >> 11)) * 0x1p-53;
    return MX_OK;
}

double mx_model_now_(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

size_t mx_model_thread_id_(void) {
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

size_t mx_model_threads_(void) {
#ifdef _OPENMP
    const int t = omp_get_max_threads();
    return t > 0 ? (size_t)t : 1;
#else
    return 1;
#endif
}

#endif /* MIXSIMD_MODELS_COMMON_IMPLEMENTATION */
