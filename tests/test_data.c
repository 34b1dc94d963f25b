/* data.h: IDX (plain and gzip) and text loaders, concatenation, their errors;
 * the MNIST test set shipped in datasets/; and the mixsimd command's data sets
 * (tools/datasets.c), the one compiled into the program included. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/data.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets.h"

/* ---- fixtures -------------------------------------------------------------- */
static char dir[] = "/tmp/mixsimd-data-XXXXXX";

static void make_dir(void) { cr_assert_not_null(mkdtemp(dir)); }

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (unlink(child) != 0) remove_tree(child);
    }
    if (d != NULL) closedir(d);
    rmdir(path);
}

static void remove_dir(void) { remove_tree(dir); }

/* A path inside the temporary directory (one static buffer per slot). */
static const char *temp_path(int slot, const char *name) {
    static char paths[4][1024];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    return paths[slot];
}

static void write_file(const char *path, const void *bytes, size_t size) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(bytes, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text) { write_file(path, text, strlen(text)); }

typedef struct {
    unsigned char bytes[4096];
    size_t size;
} blob;

static void put_be32(blob *b, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b->bytes[b->size++] = (unsigned char)(v >> shift);
}

/* An IDX file: magic, dimensions, then `payload` bytes i * 37 + 11 (mod 256). */
static blob idx_file(uint32_t magic, const uint32_t *dims, int ndims, size_t payload) {
    blob b = {.size = 0};
    put_be32(&b, magic);
    for (int i = 0; i < ndims; ++i) put_be32(&b, dims[i]);
    for (size_t i = 0; i < payload; ++i) b.bytes[b.size++] = (unsigned char)(i * 37 + 11);
    return b;
}

enum { N = 3, ROWS = 2, COLS = 4 }; /* the small image set of most tests */
static const uint32_t image_dims[3] = {N, ROWS, COLS};

static blob small_images(void) { return idx_file(0x803, image_dims, 3, N * ROWS * COLS); }

static blob small_labels(size_t count) {
    const uint32_t dims[1] = {(uint32_t)count};
    return idx_file(0x801, dims, 1, count);
}

/* Gzip of bytes [from, to) of b, appended to *out as one gzip member. */
static void gzip_member(const blob *b, size_t from, size_t to, blob *out) {
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)b->bytes + from;
    z.avail_in = (uInt)(to - from);
    z.next_out = out->bytes + out->size;
    z.avail_out = (uInt)(sizeof out->bytes - out->size);
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->size += z.total_out;
    deflateEnd(&z);
}

static blob gzip_of(const blob *b) {
    blob out = {.size = 0};
    gzip_member(b, 0, b->size, &out);
    return out;
}

/* The loaded small image set has the pixels and labels idx_file wrote. */
static void check_small(const mx_dataset *data, int with_labels) {
    cr_assert_eq(data->n, N);
    cr_assert_eq(data->d, ROWS * COLS);
    cr_assert_eq(data->height, ROWS);
    cr_assert_eq(data->width, COLS);
    for (size_t i = 0; i < N * ROWS * COLS; ++i)
        cr_assert_eq(data->x[i], (float)(unsigned char)(i * 37 + 11) / 255.0f, "pixel %zu", i);
    if (!with_labels) {
        cr_assert_null(data->labels);
        return;
    }
    cr_assert_not_null(data->labels);
    for (size_t i = 0; i < N; ++i) cr_assert_eq(data->labels[i], (int32_t)(unsigned char)(i * 37 + 11));
}

/* A failed load: the status, a message naming the input and the problem, *out zeroed. */
static void check_error(mx_status got, const mx_error *err, const mx_dataset *out, mx_status want,
                        const char *input, const char *phrase) {
    cr_assert_eq(got, want, "status %d, expected %d (%s)", got, want, err->message);
    cr_assert(strstr(err->message, input) != NULL, "message does not name %s: %s", input, err->message);
    cr_assert(strstr(err->message, phrase) != NULL, "message lacks \"%s\": %s", phrase, err->message);
    cr_assert(out->n == 0 && out->d == 0 && out->x == NULL && out->labels == NULL, "output not zeroed");
}

/* Loads images (and labels when not NULL) from files and expects an error. */
static void check_idx_files_error(const blob *images, const blob *labels, mx_status want, int named,
                                  const char *phrase) {
    const char *images_path = temp_path(0, "bad-images"), *labels_path = temp_path(1, "bad-labels");
    write_file(images_path, images->bytes, images->size);
    if (labels != NULL) write_file(labels_path, labels->bytes, labels->size);
    mx_dataset data;
    mx_error err = {0};
    const mx_status status = mx_dataset_load_idx(&data, images_path, labels ? labels_path : NULL, &err);
    check_error(status, &err, &data, want, named == 0 ? images_path : labels_path, phrase);
}

/* ---- IDX ------------------------------------------------------------------- */
TestSuite(idx, .init = make_dir, .fini = remove_dir);

Test(idx, plain_files_give_scaled_pixels_labels_and_shape) {
    const blob images = small_images(), labels = small_labels(N);
    write_file(temp_path(0, "images"), images.bytes, images.size);
    write_file(temp_path(1, "labels"), labels.bytes, labels.size);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_idx(&data, temp_path(0, "images"), temp_path(1, "labels"), &err), MX_OK, "%s",
                 err.message);
    check_small(&data, 1);
    mx_dataset_free(&data);
    cr_assert_null(data.x, "free zeroes the dataset");
    cr_assert_eq(mx_dataset_load_idx(&data, temp_path(0, "images"), NULL, &err), MX_OK, "%s", err.message);
    check_small(&data, 0);
    mx_dataset_free(&data);
}

Test(idx, gzip_files_single_and_multi_member_equal_plain) {
    const blob images = small_images(), labels = small_labels(N);
    const blob images_gz = gzip_of(&images), labels_gz = gzip_of(&labels);
    blob multi = {.size = 0};
    gzip_member(&images, 0, 6, &multi); /* the split falls inside the header */
    gzip_member(&images, 6, 20, &multi);
    gzip_member(&images, 20, images.size, &multi);
    write_file(temp_path(0, "images.gz"), images_gz.bytes, images_gz.size);
    write_file(temp_path(1, "labels.gz"), labels_gz.bytes, labels_gz.size);
    write_file(temp_path(2, "multi.gz"), multi.bytes, multi.size);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_idx(&data, temp_path(0, "images.gz"), temp_path(1, "labels.gz"), &err), MX_OK,
                 "%s", err.message);
    check_small(&data, 1);
    mx_dataset_free(&data);
    cr_assert_eq(mx_dataset_load_idx(&data, temp_path(2, "multi.gz"), temp_path(1, "labels.gz"), &err), MX_OK,
                 "%s", err.message);
    check_small(&data, 1);
    mx_dataset_free(&data);
}

Test(idx, memory_loader_reads_both_forms_and_names_its_inputs) {
    const blob images = small_images(), labels = small_labels(N), labels_gz = gzip_of(&labels);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_idx_memory(&data, images.bytes, images.size, labels_gz.bytes, labels_gz.size,
                                            "tiny", &err),
                 MX_OK, "%s", err.message);
    check_small(&data, 1);
    mx_dataset_free(&data);
    const blob few_labels = small_labels(N - 1);
    const mx_status status = mx_dataset_load_idx_memory(&data, images.bytes, images.size, few_labels.bytes,
                                                        few_labels.size, "tiny", &err);
    check_error(status, &err, &data, MX_ERR_FORMAT, "tiny labels", "2 labels for the 3 images of tiny images");
    cr_assert_eq(mx_dataset_load_idx_memory(NULL, images.bytes, images.size, NULL, 0, "tiny", &err), MX_ERR_ARG);
}

Test(idx, malformed_headers_are_rejected_by_name) {
    const uint32_t zero_dim[3] = {N, 0, COLS}, overflow[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu},
                   over_cap[3] = {65536, 256, 257};
    blob b = small_images();
    b.bytes[0] = 0x01;
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "not an IDX file: magic 0x01000803, expected 0x00000803");
    b = small_images();
    b.bytes[2] = 0x0d; /* float */
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "IDX type code 0x0d, expected 0x08");
    b = small_labels(N); /* a label file given as images */
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "1 dimensions, expected 3 for an IDX image file");
    b = idx_file(0x803, zero_dim, 3, 0);
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "dimension 2 is 0");
    b = idx_file(0x803, overflow, 3, 0);
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "announce more than 4294967296 values");
    b = idx_file(0x803, over_cap, 3, 0);
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "announce more than 4294967296 values");
    b = small_images();
    b.size = 7;
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "truncated: 16 header bytes expected, 7 found");
    b.size = 0;
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "truncated: 16 header bytes expected, 0 found");
}

Test(idx, wrong_payload_lengths_are_rejected_with_numbers) {
    blob b = small_images();
    b.size -= 4;
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "truncated: 24 pixel bytes expected, 20 found");
    b.size += 7;
    check_idx_files_error(&b, NULL, MX_ERR_FORMAT, 0, "3 trailing bytes after the 24 the header announces");
    const blob images = small_images();
    blob gz = gzip_of(&b);
    check_idx_files_error(&gz, NULL, MX_ERR_FORMAT, 0, "3 trailing bytes after the 24");
    b = small_labels(N);
    b.size -= 1;
    check_idx_files_error(&images, &b, MX_ERR_FORMAT, 1, "truncated: 3 label bytes expected, 2 found");
    b = small_labels(N + 1);
    check_idx_files_error(&images, &b, MX_ERR_FORMAT, 1, "4 labels for the 3 images of");
    check_idx_files_error(&images, &images, MX_ERR_FORMAT, 1, "3 dimensions, expected 1 for an IDX label file");
}

Test(idx, corrupt_gzip_is_rejected) {
    const blob images = small_images();
    blob gz = gzip_of(&images);
    gz.size -= 5; /* the stream stops inside the trailer */
    check_idx_files_error(&gz, NULL, MX_ERR_FORMAT, 0, "corrupt gzip: the compressed data ends mid-stream");
    gz = gzip_of(&images);
    gz.bytes[gz.size - 6] ^= 0x40; /* the CRC-32 of the trailer */
    check_idx_files_error(&gz, NULL, MX_ERR_FORMAT, 0, "corrupt gzip: incorrect data check");
    gz = gzip_of(&images);
    gz.bytes[3] = 0xe0; /* reserved flag bits */
    check_idx_files_error(&gz, NULL, MX_ERR_FORMAT, 0, "corrupt gzip");
    gz = gzip_of(&images);
    memcpy(gz.bytes + gz.size, "junk", 4); /* not a second member */
    gz.size += 4;
    check_idx_files_error(&gz, NULL, MX_ERR_FORMAT, 0, "corrupt gzip");
}

Test(idx, missing_file_is_an_io_error) {
    mx_dataset data;
    mx_error err = {0};
    const char *path = temp_path(0, "no-such-file");
    check_error(mx_dataset_load_idx(&data, path, NULL, &err), &err, &data, MX_ERR_IO, path, "cannot open");
    const blob images = small_images();
    write_file(temp_path(1, "images"), images.bytes, images.size);
    check_error(mx_dataset_load_idx(&data, temp_path(1, "images"), path, &err), &err, &data, MX_ERR_IO, path,
                "No such file");
}

/* ---- the MNIST test set in datasets/ ------------------------------------------ */
static const char *datasets_file(int slot, const char *name) {
    const char *root = getenv("MIXSIMD_DATASETS");
    cr_assert_not_null(root, "MIXSIMD_DATASETS (set by meson) names the source tree's datasets/");
    static char paths[2][1024];
    snprintf(paths[slot], sizeof paths[slot], "%s/mnist-t10k/%s", root, name);
    return paths[slot];
}

/* MNIST t10k: 10000 images of 28 x 28, the known label counts and mean pixel. */
static void check_mnist_t10k(const mx_dataset *data) {
    static const size_t counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    cr_assert_eq(data->n, 10000);
    cr_assert_eq(data->d, 784);
    cr_assert(data->height == 28 && data->width == 28);
    size_t histogram[10] = {0};
    for (size_t i = 0; i < data->n; ++i) {
        cr_assert(data->labels[i] >= 0 && data->labels[i] <= 9, "label %d", data->labels[i]);
        histogram[data->labels[i]]++;
    }
    for (int k = 0; k < 10; ++k) cr_assert_eq(histogram[k], counts[k], "digit %d: %zu", k, histogram[k]);
    double sum = 0.0;
    for (size_t i = 0; i < data->n * data->d; ++i) sum += data->x[i];
    const double mean = sum / (double)(data->n * data->d);
    cr_assert(fabs(mean - 0.13251) < 5e-6, "mean pixel %.7f", mean);
}

Test(mnist, shipped_t10k_files_have_the_known_statistics) {
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_idx(&data, datasets_file(0, "t10k-images-idx3-ubyte.gz"),
                                     datasets_file(1, "t10k-labels-idx1-ubyte.gz"), &err),
                 MX_OK, "%s", err.message);
    check_mnist_t10k(&data);
    mx_dataset_free(&data);
}

/* ---- text ---------------------------------------------------------------------- */
TestSuite(text, .init = make_dir, .fini = remove_dir);

static mx_dataset load_text_ok(const char *text, int label_column) {
    write_text(temp_path(0, "m.csv"), text);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_text(&data, temp_path(0, "m.csv"), label_column, &err), MX_OK, "%s",
                 err.message);
    return data;
}

static void check_floats(const mx_dataset *data, size_t n, size_t d, const float *want) {
    cr_assert(data->n == n && data->d == d, "shape %zu x %zu, expected %zu x %zu", data->n, data->d, n, d);
    cr_assert(data->height == 0 && data->width == 0);
    for (size_t i = 0; i < n * d; ++i) cr_assert_eq(data->x[i], want[i], "x[%zu] = %g", i, data->x[i]);
}

Test(text, csv_with_header_and_a_label_column) {
    mx_dataset data = load_text_ok("a, b ,label,c\n1,2,0,3\n\n3.5, -4e-1 ,7,1e3\n", 2);
    check_floats(&data, 2, 3, (const float[]){1, 2, 3, 3.5f, -0.4f, 1000});
    cr_assert(data.labels[0] == 0 && data.labels[1] == 7);
    mx_dataset_free(&data);
}

Test(text, blank_separated_with_crlf_and_last_or_first_column_labels) {
    const char *text = "1 2\t3.0\r\n  4  5 6e0\r\n";
    mx_dataset data = load_text_ok(text, MX_TEXT_LABELS_LAST);
    check_floats(&data, 2, 2, (const float[]){1, 2, 4, 5});
    cr_assert(data.labels[0] == 3 && data.labels[1] == 6);
    mx_dataset_free(&data);
    data = load_text_ok(text, 0);
    check_floats(&data, 2, 2, (const float[]){2, 3, 5, 6});
    cr_assert(data.labels[0] == 1 && data.labels[1] == 4);
    mx_dataset_free(&data);
    data = load_text_ok(text, MX_TEXT_NO_LABELS);
    check_floats(&data, 2, 3, (const float[]){1, 2, 3, 4, 5, 6});
    cr_assert_null(data.labels);
    mx_dataset_free(&data);
}

/* Writes text and expects the loader to fail naming the file and the problem. */
static void check_text_error(const char *text, int label_column, mx_status want, const char *phrase) {
    const char *path = temp_path(0, "bad.txt");
    write_text(path, text);
    mx_dataset data;
    mx_error err = {0};
    check_error(mx_dataset_load_text(&data, path, label_column, &err), &err, &data, want, path, phrase);
}

Test(text, malformed_matrices_are_rejected_with_line_and_column) {
    check_text_error("1,2,3\n4,5,6\n7,8\n", -1, MX_ERR_FORMAT, "line 3 has 2 columns, line 1 has 3");
    check_text_error("x,y\n1,2\n3,4,5\n", -1, MX_ERR_FORMAT, "line 3 has 3 columns, line 2 has 2");
    check_text_error("1,2\n3,abc\n", -1, MX_ERR_FORMAT, "line 2, column 2: not a number");
    check_text_error("x,y\nx,y\n", -1, MX_ERR_FORMAT, "line 2, column 1: not a number");
    check_text_error("1 2 nan\n", -1, MX_ERR_DOMAIN, "line 1, column 3: nan is not a finite float");
    check_text_error("1,2\n-inf,2\n", -1, MX_ERR_DOMAIN, "line 2, column 1: -inf is not a finite float");
    check_text_error("1,2\n3,1e39\n", -1, MX_ERR_DOMAIN, "line 2, column 2: 1e+39 is not a finite float");
    check_text_error("1,,2\n", -1, MX_ERR_FORMAT, "line 1, column 2: empty field");
    check_text_error("1,2,\n", -1, MX_ERR_FORMAT, "line 1, column 3: empty field");
    check_text_error("", -1, MX_ERR_FORMAT, "no data rows");
    check_text_error("a,b,c\n\n", -1, MX_ERR_FORMAT, "no data rows");
    check_text_error("1,2,0\n1,2,2.5\n", 2, MX_ERR_FORMAT, "line 2, column 3: label 2.5 is not an integer");
    check_text_error("1,2,0\n1,2,3e10\n", 2, MX_ERR_FORMAT, "label 3e+10 is outside the int32 range");
    check_text_error("1,2\n", 2, MX_ERR_ARG, "label column 2, but line 1 has 2 columns");
    check_text_error("7\n8\n", MX_TEXT_LABELS_LAST, MX_ERR_FORMAT, "no feature columns");
    mx_dataset data;
    mx_error err = {0};
    const char *missing = temp_path(1, "missing.csv");
    check_error(mx_dataset_load_text(&data, missing, -1, &err), &err, &data, MX_ERR_IO, missing, "cannot open");
}

Test(text, a_large_file_streams_through_growing_buffers) {
    enum { ROWS_BIG = 300000, COLS_BIG = 4 };
    const char *path = temp_path(0, "big.txt");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "f0 f1 f2 label\n");
    for (long i = 0; i < ROWS_BIG; ++i) fprintf(f, "%ld %.2f %ld %ld\n", i, i * 0.25, -i, i % 10);
    cr_assert_eq(fclose(f), 0);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_load_text(&data, path, MX_TEXT_LABELS_LAST, &err), MX_OK, "%s", err.message);
    cr_assert(data.n == ROWS_BIG && data.d == COLS_BIG - 1);
    for (size_t i = 0; i < ROWS_BIG; i += 4999) {
        cr_assert_eq(data.x[i * 3], (float)i);
        cr_assert_eq(data.x[i * 3 + 1], (float)(i * 0.25));
        cr_assert_eq(data.x[i * 3 + 2], -(float)i);
        cr_assert_eq(data.labels[i], (int32_t)(i % 10));
    }
    mx_dataset_free(&data);
}

/* ---- concatenation ------------------------------------------------------------- */
Test(concat, rows_and_labels_follow_each_other) {
    float xa[] = {1, 2, 3, 4}, xb[] = {5, 6};
    int32_t la[] = {7, 8}, lb[] = {9};
    const mx_dataset a = {.n = 2, .d = 2, .x = xa, .labels = la, .height = 1, .width = 2};
    const mx_dataset b = {.n = 1, .d = 2, .x = xb, .labels = lb, .height = 1, .width = 2};
    mx_dataset out;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_concat(&out, &a, &b, &err), MX_OK, "%s", err.message);
    cr_assert(out.n == 3 && out.d == 2 && out.height == 1 && out.width == 2);
    for (int i = 0; i < 6; ++i) cr_assert_eq(out.x[i], (float)(i + 1));
    cr_assert(out.labels[0] == 7 && out.labels[1] == 8 && out.labels[2] == 9);
    mx_dataset_free(&out);
}

Test(concat, mismatched_sets_are_refused) {
    float x[6] = {0};
    int32_t labels[3] = {0};
    const mx_dataset two = {.n = 3, .d = 2, .x = x, .labels = labels}, three = {.n = 2, .d = 3, .x = x};
    const mx_dataset unlabelled = {.n = 3, .d = 2, .x = x};
    mx_dataset out;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_concat(&out, &two, &three, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "2 and 3 features") != NULL, "%s", err.message);
    cr_assert_eq(mx_dataset_concat(&out, &two, &unlabelled, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "unlabelled") != NULL, "%s", err.message);
    cr_assert(out.x == NULL && out.n == 0);
    mx_dataset copy = two;
    cr_assert_eq(mx_dataset_concat(&copy, &copy, &two, &err), MX_ERR_ARG, "aliasing is refused");
}

Test(concat, append_grows_the_first_set) {
    float x[] = {1, 2, 3, 4};
    int32_t labels[] = {5, 6};
    const mx_dataset more = {.n = 2, .d = 2, .x = x, .labels = labels, .height = 1, .width = 2};
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_dataset_concat(&data, &more, &more, &err), MX_OK, "%s", err.message);
    cr_assert_eq(mx_dataset_append(&data, &more, &err), MX_OK, "%s", err.message);
    cr_assert(data.n == 6 && data.d == 2 && data.height == 1 && data.width == 2);
    for (int i = 0; i < 12; ++i) cr_assert_eq(data.x[i], x[i % 4]);
    for (int i = 0; i < 6; ++i) cr_assert_eq(data.labels[i], labels[i % 2]);
    const mx_dataset other_shape = {.n = 1, .d = 2, .x = x, .labels = labels, .height = 2, .width = 1};
    cr_assert_eq(mx_dataset_append(&data, &other_shape, &err), MX_OK, "%s", err.message);
    cr_assert(data.n == 7 && data.height == 0 && data.width == 0, "a mixed shape is no image shape");
    const mx_dataset unlabelled = {.n = 1, .d = 2, .x = x};
    cr_assert_eq(mx_dataset_append(&data, &unlabelled, &err), MX_ERR_ARG);
    cr_assert(data.n == 7, "a refused append leaves the data as it was");
    cr_assert_eq(mx_dataset_append(&data, &data, &err), MX_ERR_ARG);
    mx_dataset_free(&data);
}

/* ---- the mixsimd command's data sets (tools/datasets.c) ------------------------- */
TestSuite(cli, .init = make_dir, .fini = remove_dir);

Test(cli, embedded_set_is_the_shipped_mnist_t10k) {
    mx_dataset embedded, shipped;
    mx_error err = {0};
    cr_assert_eq(mx_cli_load_dataset("embedded", &embedded, &err), MX_OK, "%s", err.message);
    check_mnist_t10k(&embedded);
    cr_assert_eq(mx_dataset_load_idx(&shipped, datasets_file(0, "t10k-images-idx3-ubyte.gz"),
                                     datasets_file(1, "t10k-labels-idx1-ubyte.gz"), &err),
                 MX_OK, "%s", err.message);
    cr_assert_eq(memcmp(embedded.x, shipped.x, shipped.n * shipped.d * sizeof(float)), 0);
    cr_assert_eq(memcmp(embedded.labels, shipped.labels, shipped.n * sizeof(int32_t)), 0);
    mx_dataset_free(&embedded);
    mx_dataset_free(&shipped);
}

Test(cli, idx_path_finds_its_labels_by_name) {
    const blob images = small_images(), labels = small_labels(N), images_gz = gzip_of(&images);
    write_file(temp_path(0, "toy-images-idx3-ubyte.gz"), images_gz.bytes, images_gz.size);
    write_file(temp_path(1, "toy-labels-idx1-ubyte.gz"), labels.bytes, labels.size);
    write_file(temp_path(2, "lone-images-idx3-ubyte"), images.bytes, images.size);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_cli_load_dataset(temp_path(0, "toy-images-idx3-ubyte.gz"), &data, &err), MX_OK, "%s",
                 err.message);
    check_small(&data, 1);
    mx_dataset_free(&data);
    cr_assert_eq(mx_cli_load_dataset(temp_path(2, "lone-images-idx3-ubyte"), &data, &err), MX_OK, "%s",
                 err.message);
    check_small(&data, 0);
    mx_dataset_free(&data);
}

Test(cli, text_path_with_a_label_suffix) {
    write_text(temp_path(0, "points.txt"), "1 2 5\n3 4 6\n");
    char spec[1100];
    mx_dataset data;
    mx_error err = {0};
    snprintf(spec, sizeof spec, "%s:label=last", temp_path(0, "points.txt"));
    cr_assert_eq(mx_cli_load_dataset(spec, &data, &err), MX_OK, "%s", err.message);
    check_floats(&data, 2, 2, (const float[]){1, 2, 3, 4});
    cr_assert(data.labels[0] == 5 && data.labels[1] == 6);
    mx_dataset_free(&data);
    snprintf(spec, sizeof spec, "%s:label=0", temp_path(0, "points.txt"));
    cr_assert_eq(mx_cli_load_dataset(spec, &data, &err), MX_OK, "%s", err.message);
    check_floats(&data, 2, 2, (const float[]){2, 5, 4, 6});
    mx_dataset_free(&data);
    cr_assert_eq(mx_cli_load_dataset(temp_path(0, "points.txt"), &data, &err), MX_OK, "%s", err.message);
    cr_assert(data.d == 3 && data.labels == NULL);
    mx_dataset_free(&data);
    snprintf(spec, sizeof spec, "%s:label=x", temp_path(0, "points.txt"));
    cr_assert_eq(mx_cli_load_dataset(spec, &data, &err), MX_ERR_ARG);
    cr_assert(strstr(err.message, "label=x") != NULL, "%s", err.message);
}

Test(cli, named_sets_come_from_the_cache_or_say_how_to_fetch) {
    cr_assert_eq(setenv("MIXSIMD_DATA", dir, 1), 0);
    mx_dataset data;
    mx_error err = {0};
    cr_assert_eq(mx_cli_load_dataset("fashion-mnist", &data, &err), MX_ERR_IO);
    cr_assert(strstr(err.message, "run datasets/fetch fashion-mnist") != NULL, "%s", err.message);
    /* A cache with a tiny "mnist": train plain, test gzip, as the fetch script may leave them. */
    const blob images = small_images(), labels = small_labels(N);
    const blob images_gz = gzip_of(&images), labels_gz = gzip_of(&labels);
    cr_assert_eq(mkdir(temp_path(0, "mnist"), 0700), 0);
    write_file(temp_path(0, "mnist/train-images-idx3-ubyte"), images.bytes, images.size);
    write_file(temp_path(1, "mnist/train-labels-idx1-ubyte"), labels.bytes, labels.size);
    write_file(temp_path(2, "mnist/t10k-images-idx3-ubyte.gz"), images_gz.bytes, images_gz.size);
    cr_assert_eq(mx_cli_load_dataset("mnist", &data, &err), MX_ERR_IO, "the test labels are missing");
    cr_assert(strstr(err.message, "t10k-labels-idx1-ubyte is not in the data cache") != NULL, "%s", err.message);
    write_file(temp_path(3, "mnist/t10k-labels-idx1-ubyte.gz"), labels_gz.bytes, labels_gz.size);
    cr_assert_eq(mx_cli_load_dataset("mnist", &data, &err), MX_OK, "%s", err.message);
    cr_assert(data.n == 2 * N && data.d == ROWS * COLS && data.height == ROWS);
    for (size_t i = 0; i < N * ROWS * COLS; ++i) cr_assert_eq(data.x[i], data.x[i + N * ROWS * COLS]);
    mx_dataset_free(&data);
}
