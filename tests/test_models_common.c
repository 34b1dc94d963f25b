/* models/common.h: the model file container (round trip and every malformed
 * file) and the data checks the model drivers share. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/mixsimd.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models_fixtures.h"

TestSuite(model_file, .init = mx_fixture_make_dir, .fini = mx_fixture_remove_dir);
#define file_path mx_fixture_path

/* A valid three-array file written through mx_model_write. */
static const float centers[2][3] = {{1.5f, -2.0f, 0.25f}, {3.0f, 4.0f, -1e-3f}};
static const double inertia = 12.75;
static const int64_t cube[2][1][2] = {{{-7, 8}}, {{9, 10}}};
static void write_sample(const char *path) {
    const size_t d2[2] = {2, 3}, d3[3] = {2, 1, 2};
    const mx_model_array arrays[3] = {
        mx_model_array_make("centers", MX_DTYPE_F32, 2, d2, centers),
        mx_model_array_make("inertia", MX_DTYPE_F64, 0, NULL, &inertia),
        mx_model_array_make("cube", MX_DTYPE_I64, 3, d3, cube),
    };
    mx_error err = {0};
    cr_assert_eq(mx_model_write(path, "sample", arrays, 3, &err), MX_OK, "%s", err.message);
}

static size_t read_bytes(const char *path, unsigned char *out, size_t cap) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    const size_t got = fread(out, 1, cap, f);
    fclose(f);
    return got;
}

static void write_bytes(const char *path, const unsigned char *bytes, size_t size) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, size, f), size);
    fclose(f);
}

/* Reading path fails with status, and the message names the file and contains what. */
static void expect_read_error(const char *path, const char *model, mx_status status, const char *what) {
    mx_model_file file;
    mx_error err = {0};
    cr_assert_eq(mx_model_read(&file, path, model, &err), status, "status for %s: %s", what, err.message);
    cr_assert_not_null(strstr(err.message, path), "message names the file: %s", err.message);
    cr_assert_not_null(strstr(err.message, what), "message says '%s': %s", what, err.message);
    cr_assert_eq(file.count, 0);
    cr_assert_null(file.path);
}

Test(model_file, round_trip_keeps_types_shapes_and_values) {
    const char *path = file_path("sample.mxm");
    write_sample(path);
    mx_model_file file;
    mx_error err = {0};
    cr_assert_eq(mx_model_read(&file, path, "sample", &err), MX_OK, "%s", err.message);
    cr_assert_str_eq(file.model, "sample");
    cr_assert_eq(file.count, 3);
    const mx_model_array *a;
    const size_t want[2] = {2, 3}, any3[3] = {MX_MODEL_ANY_DIM, 1, MX_MODEL_ANY_DIM};
    cr_assert_eq(mx_model_get(&file, "centers", MX_DTYPE_F32, 2, want, &a, &err), MX_OK, "%s", err.message);
    cr_assert_eq(memcmp(a->data, centers, sizeof centers), 0);
    cr_assert_eq(mx_model_get(&file, "inertia", MX_DTYPE_F64, 0, NULL, &a, &err), MX_OK, "%s", err.message);
    cr_assert_eq(*(const double *)a->data, inertia);
    cr_assert_eq(mx_model_get(&file, "cube", MX_DTYPE_I64, 3, any3, &a, &err), MX_OK, "%s", err.message);
    cr_assert_eq(a->dims[0], 2);
    cr_assert_eq(a->dims[2], 2);
    cr_assert_eq(memcmp(a->data, cube, sizeof cube), 0);
    mx_model_file_free(&file);
}

Test(model_file, layout_is_the_documented_one) {
    const char *path = file_path("layout.mxm");
    const size_t dims[1] = {2};
    const float values[2] = {1.0f, -2.0f};
    const mx_model_array array = mx_model_array_make("w", MX_DTYPE_F32, 1, dims, values);
    mx_error err = {0};
    cr_assert_eq(mx_model_write(path, "gmm", &array, 1, &err), MX_OK, "%s", err.message);
    unsigned char got[128];
    const size_t size = read_bytes(path, got, sizeof got);
    unsigned char want[] = {'M', 'X', 'M', 'O', 'D', 'E', 'L', '1', 1, 0, 0, 0, 3, 0, 0, 0, 'g', 'm', 'm',
                            1, 0, 0, 0, 1, 0, 0, 0, 'w', 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0};
    cr_assert_eq(size, sizeof want);
    cr_assert_eq(memcmp(got, want, sizeof want), 0, "byte layout differs from the header comment");
}

Test(model_file, get_rejects_wrong_type_shape_or_name) {
    const char *path = file_path("get.mxm");
    write_sample(path);
    mx_model_file file;
    mx_error err = {0};
    cr_assert_eq(mx_model_read(&file, path, NULL, &err), MX_OK, "%s", err.message);
    const mx_model_array *a;
    const size_t wrong[2] = {2, 4};
    cr_assert_eq(mx_model_get(&file, "centers", MX_DTYPE_F64, 2, wrong, &a, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "float32"), "%s", err.message);
    cr_assert_eq(mx_model_get(&file, "centers", MX_DTYPE_F32, 2, wrong, &a, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, "[2 x 3], expected [2 x 4]"), "%s", err.message);
    cr_assert_eq(mx_model_get(&file, "centers", MX_DTYPE_F32, 1, wrong, &a, &err), MX_ERR_FORMAT);
    cr_assert_eq(mx_model_get(&file, "means", MX_DTYPE_F32, 2, wrong, &a, &err), MX_ERR_FORMAT);
    cr_assert_not_null(strstr(err.message, path), "%s", err.message);
    cr_assert_not_null(strstr(err.message, "no array 'means'"), "%s", err.message);
    mx_model_file_free(&file);
}

Test(model_file, every_truncation_is_a_format_error) {
    const char *path = file_path("whole.mxm"), *cut = file_path("cut.mxm");
    write_sample(path);
    unsigned char bytes[512];
    const size_t size = read_bytes(path, bytes, sizeof bytes);
    for (size_t length = 0; length < size; ++length) {
        write_bytes(cut, bytes, length);
        expect_read_error(cut, "sample", MX_ERR_FORMAT, "truncated");
    }
    bytes[size] = 0;
    write_bytes(cut, bytes, size + 1);
    expect_read_error(cut, "sample", MX_ERR_FORMAT, "1 trailing bytes");
}

/* Offsets in the sample file: magic 0, version 8, name length 12, name 16
 * ("sample", 6 bytes), count 22, first array name length 26, name 30
 * ("centers", 7), dtype 37, ndim 41, dims 45. */
static void expect_patched_error(size_t offset, const void *patch, size_t patch_size, const char *what) {
    const char *path = file_path("patched.mxm");
    write_sample(path);
    unsigned char bytes[512];
    const size_t size = read_bytes(path, bytes, sizeof bytes);
    memcpy(bytes + offset, patch, patch_size);
    write_bytes(path, bytes, size);
    expect_read_error(path, "sample", MX_ERR_FORMAT, what);
}

Test(model_file, malformed_headers_are_format_errors) {
    const uint32_t version = 2, zero = 0, long_name = 65, many = 65, dtype = 9, ndim = 5;
    const uint64_t huge = UINT64_MAX / 2;
    expect_patched_error(0, "MXMODEL2", 8, "wrong magic");
    expect_patched_error(8, &version, 4, "version 2");
    expect_patched_error(12, &long_name, 4, "model name has length 65");
    expect_patched_error(22, &many, 4, "65 arrays");
    expect_patched_error(26, &zero, 4, "array name has length 0");
    expect_patched_error(30, "cube\0\0\0", 7, "NUL");
    expect_patched_error(37, &dtype, 4, "unknown element type 9");
    expect_patched_error(41, &ndim, 4, "5 dimensions");
    expect_patched_error(45, &huge, 8, "truncated");
}

Test(model_file, duplicate_names_and_wrong_model_are_rejected) {
    const char *path = file_path("dup.mxm");
    write_sample(path);
    unsigned char bytes[512];
    const size_t size = read_bytes(path, bytes, sizeof bytes);
    /* "inertia" becomes "centers": same length, so the layout holds. */
    size_t at = 0;
    while (at + 7 <= size && memcmp(bytes + at, "inertia", 7) != 0) ++at;
    cr_assert_lt(at + 7, size);
    memcpy(bytes + at, "centers", 7);
    write_bytes(path, bytes, size);
    expect_read_error(path, "sample", MX_ERR_FORMAT, "appears twice");
    write_sample(path);
    expect_read_error(path, "kmeans", MX_ERR_FORMAT, "holds a 'sample' model, not 'kmeans'");
    expect_read_error(file_path("missing.mxm"), NULL, MX_ERR_IO, "cannot open");
}

Test(model_file, bad_writes_leave_no_file) {
    const size_t dims[1] = {1};
    const float v = 1.0f;
    mx_model_array arrays[2] = {mx_model_array_make("a", MX_DTYPE_F32, 1, dims, &v),
                                mx_model_array_make("a", MX_DTYPE_F32, 1, dims, &v)};
    mx_error err = {0};
    const char *path = file_path("bad.mxm");
    cr_assert_eq(mx_model_write(path, "m", arrays, 2, &err), MX_ERR_ARG);
    cr_assert_not_null(strstr(err.message, "used twice"), "%s", err.message);
    cr_assert_eq(mx_model_write(path, "", arrays, 1, &err), MX_ERR_ARG);
    arrays[1] = mx_model_array_make("b", (mx_dtype)7, 1, dims, &v);
    cr_assert_eq(mx_model_write(path, "m", arrays, 2, &err), MX_ERR_ARG);
    arrays[1] = mx_model_array_make("b", MX_DTYPE_F32, 1, dims, NULL);
    cr_assert_eq(mx_model_write(path, "m", arrays, 2, &err), MX_ERR_ARG);
    cr_assert_eq(access(path, F_OK), -1, "no file after refused writes");
    cr_assert_eq(mx_model_write("/nonexistent-dir/m.mxm", "m", arrays, 1, &err), MX_ERR_IO);
    cr_assert_not_null(strstr(err.message, "/nonexistent-dir/m.mxm"), "%s", err.message);
}

Test(model_data, check_data_names_the_first_bad_value) {
    float X[3 * 4] = {0};
    mx_error err = {0};
    cr_assert_eq(mx_model_check_data_(X, 3, 4, "points", &err), MX_OK);
    X[2 * 4 + 1] = NAN;
    cr_assert_eq(mx_model_check_data_(X, 3, 4, "points", &err), MX_ERR_DOMAIN);
    cr_assert_str_eq(err.message, "points: point 2, feature 1 is NaN");
    X[1 * 4 + 3] = -INFINITY;
    cr_assert_eq(mx_model_check_data_(X, 3, 4, "points", &err), MX_ERR_DOMAIN);
    cr_assert_str_eq(err.message, "points: point 1, feature 3 is infinite");
    cr_assert_eq(mx_model_check_data_(X, 0, 4, "points", &err), MX_ERR_ARG);
    cr_assert_eq(mx_model_check_data_(X, 3, 0, "points", &err), MX_ERR_ARG);
}

/* Fits seeded s and s + 1 must not share restarts (their spread over seeds
 * would otherwise be smaller than it is); run 0 is the seed itself. */
Test(models_common, restart_seeds_of_neighbouring_fits_are_disjoint) {
    enum { fits = 8, runs = 10 };
    uint64_t seen[fits * runs];
    for (size_t f = 0; f < fits; ++f) {
        cr_assert_eq(mx_model_restart_seed_(f, 0), f);
        for (size_t r = 0; r < runs; ++r) seen[f * runs + r] = mx_model_restart_seed_(f, r);
    }
    for (size_t i = 0; i < fits * runs; ++i)
        for (size_t j = i + 1; j < fits * runs; ++j)
            cr_assert_neq(seen[i], seen[j], "fit %zu run %zu and fit %zu run %zu share a seed", i / runs,
                          i % runs, j / runs, j % runs);
}

Test(model_file, a_directory_is_not_a_model_file) {
    mx_model_file file;
    mx_error err = {0};
    cr_assert_eq(mx_model_read(&file, "/tmp", NULL, &err), MX_ERR_IO);
    cr_assert(strstr(err.message, "not a regular file") != NULL, "message: %s", err.message);
}
