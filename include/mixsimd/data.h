/* mixsimd/data.h — data sets as float32 matrices: IDX files (MNIST and its
 * kin, plain or gzip-compressed) and text matrices (CSV or whitespace).
 *
 * Every loader fills an mx_dataset: n rows (points) of d features, row-major
 * floats, and optionally one integer label per row. The loaders allocate; the
 * caller releases with mx_dataset_free(). On any error the loader has freed
 * what it allocated, *out is zeroed, and err names the input and the problem.
 *
 * IDX (LeCun et al., the MNIST file format): a big-endian header, then the
 * values. Magic = 00 00 <type> <number of dimensions>; one u32 per dimension.
 * Images: magic 0x00000803 (unsigned bytes, 3 dimensions: count, rows,
 * columns), pixels scaled to [0, 1] by 1/255. Labels: magic 0x00000801
 * (unsigned bytes, 1 dimension: count). A file starting 1f 8b is read as gzip
 * (several concatenated members allowed, RFC 1952 section 2.2). The payload
 * must be exactly as long as the header says: missing or extra bytes are
 * errors. A header may announce at most MX_IDX_MAX_VALUES values, and memory
 * grows with the data actually present, never with what a header claims.
 *
 * Text: one row per line, values separated by commas (CSV) or by blanks.
 * The first line is a header, and skipped, when none of its fields is a
 * number. Blank lines are ignored. Errors: rows of different lengths, a field
 * that is not a number, NaN or Inf or a value beyond float range (the message
 * gives line and column, both counted from 1), no data row, a label that is
 * not an integer. Files of any size are streamed (buffers grow geometrically).
 *
 * Statuses: MX_ERR_ARG (null pointers, a label column outside the rows),
 * MX_ERR_IO (a file cannot be opened or read), MX_ERR_FORMAT (malformed
 * content), MX_ERR_DOMAIN (NaN, Inf or out-of-range values in a text
 * matrix), MX_ERR_NOMEM. Needs zlib (pkg-config zlib) and POSIX.1-2008.
 */
#ifndef MIXSIMD_DATA_H
#define MIXSIMD_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mx_dataset {
    size_t n, d;          /* rows (points) and features                        */
    float *x;             /* n*d, row-major; IDX pixels scaled to [0, 1]        */
    int32_t *labels;      /* n labels, or NULL when the data has none           */
    size_t height, width; /* image shape for IDX image sets (28, 28), else 0    */
} mx_dataset;

/* The most values (pixels or labels) one IDX header may announce: 2^32,
 * 16 GiB of floats. Larger claims are rejected as malformed. */
#define MX_IDX_MAX_VALUES ((uint64_t)1 << 32)

/* label_column of mx_dataset_load_text: no labels, or the last column. */
#define MX_TEXT_NO_LABELS (-1)
#define MX_TEXT_LABELS_LAST (-2)

/* Images from an IDX image file and, when labels_path is not NULL, labels
 * from an IDX label file with as many entries. */
mx_status mx_dataset_load_idx(mx_dataset *out, const char *images_path, const char *labels_path,
                              mx_error *err);
/* The same from bytes in memory (labels may be NULL with labels_bytes 0).
 * Messages name the inputs "<name> images" and "<name> labels". */
mx_status mx_dataset_load_idx_memory(mx_dataset *out, const void *images, size_t images_bytes,
                                     const void *labels, size_t labels_bytes, const char *name,
                                     mx_error *err);
/* A text matrix. label_column: 0-based index of the column holding integer
 * labels (removed from the features), MX_TEXT_LABELS_LAST, or
 * MX_TEXT_NO_LABELS. Integral values written as floats ("3.0") are labels too. */
mx_status mx_dataset_load_text(mx_dataset *out, const char *path, int label_column, mx_error *err);
/* The rows of a followed by those of b, in new memory (out must be neither).
 * Both need the same d, and labels on both or on neither; the image shape is
 * kept when both have the same one. */
mx_status mx_dataset_concat(mx_dataset *out, const mx_dataset *a, const mx_dataset *b, mx_error *err);
/* Appends the rows of more to *data, with the same conditions; data's arrays
 * grow by realloc (large blocks move without copying on most systems), so this
 * needs less memory than concat. On failure *data is unchanged. */
mx_status mx_dataset_append(mx_dataset *data, const mx_dataset *more, mx_error *err);
/* Frees the memory and zeroes *data; NULL and zeroed datasets are fine. */
void mx_dataset_free(mx_dataset *data);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_DATA_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_DATA_IMPLEMENTED)
#define MIXSIMD_DATA_IMPLEMENTED
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

void mx_dataset_free(mx_dataset *data) {
    if (data == NULL) return;
    free(data->x);
    free(data->labels);
    memset(data, 0, sizeof *data);
}

/* ---- byte sources: memory, read directly or through zlib's inflate -------- */
typedef struct mx_byte_source_ {
    const char *name;
    const unsigned char *data;
    size_t size, pos; /* plain: read position; gzip: input handed to zlib */
    int gzip, finished;
    z_stream z;
} mx_byte_source_;

static mx_status mx_source_open_(mx_byte_source_ *src, const void *data, size_t size, const char *name,
                                 mx_error *err) {
    memset(src, 0, sizeof *src);
    src->name = name;
    src->data = data;
    src->size = size;
    src->gzip = size >= 2 && src->data[0] == 0x1f && src->data[1] == 0x8b;
    if (src->gzip && inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK) /* 16: gzip wrapper only */
        return mx_error_set(err, MX_ERR_NOMEM, "%s: cannot start gzip decompression", name);
    return MX_OK;
}

static void mx_source_close_(mx_byte_source_ *src) {
    if (src->gzip) inflateEnd(&src->z);
}

static mx_status mx_source_inflate_(mx_byte_source_ *src, unsigned char *dst, size_t want, size_t *got,
                                    mx_error *err) {
    const size_t max_chunk = (size_t)1 << 30; /* zlib counts in uInt */
    while (*got < want && !src->finished) {
        if (src->z.avail_in == 0 && src->pos < src->size) {
            const size_t feed = src->size - src->pos < max_chunk ? src->size - src->pos : max_chunk;
            /* zlib reads through next_in but declares it non-const (without ZLIB_CONST) */
            src->z.next_in = (unsigned char *)(uintptr_t)(src->data + src->pos);
            src->z.avail_in = (uInt)feed;
            src->pos += feed;
        }
        const size_t room = want - *got < max_chunk ? want - *got : max_chunk;
        src->z.next_out = dst + *got;
        src->z.avail_out = (uInt)room;
        const int rc = inflate(&src->z, Z_NO_FLUSH);
        *got += room - src->z.avail_out;
        const int input_left = src->z.avail_in > 0 || src->pos < src->size;
        if (rc == Z_STREAM_END) {
            if (input_left) inflateReset(&src->z); /* another gzip member follows */
            else src->finished = 1;
        } else if (rc == Z_MEM_ERROR) {
            return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory in gzip decompression", src->name);
        } else if (rc == Z_BUF_ERROR && !input_left) {
            return mx_error_set(err, MX_ERR_FORMAT, "%s: corrupt gzip: the compressed data ends mid-stream",
                                src->name);
        } else if (rc != Z_OK) {
            return mx_error_set(err, MX_ERR_FORMAT, "%s: corrupt gzip: %s", src->name,
                                src->z.msg != NULL ? src->z.msg : "inflate failed");
        }
    }
    return MX_OK;
}

/* Reads up to `want` bytes; *got < want only at the end of the data. */
static mx_status mx_source_read_(mx_byte_source_ *src, unsigned char *dst, size_t want, size_t *got,
                                 mx_error *err) {
    *got = 0;
    if (src->gzip) return mx_source_inflate_(src, dst, want, got, err);
    *got = want < src->size - src->pos ? want : src->size - src->pos;
    if (*got > 0) memcpy(dst, src->data + src->pos, *got);
    src->pos += *got;
    return MX_OK;
}

/* Fails when data follows the `expected` bytes the header announced. */
static mx_status mx_source_expect_end_(mx_byte_source_ *src, size_t expected, mx_error *err) {
    const size_t counted_max = (size_t)1 << 24; /* enough to say how much, for a message */
    unsigned char scratch[4096];
    size_t extra = 0, chunk;
    do {
        const mx_status status = mx_source_read_(src, scratch, sizeof scratch, &chunk, err);
        if (status != MX_OK) return status;
        extra += chunk;
    } while (chunk == sizeof scratch && extra < counted_max);
    if (extra == 0) return MX_OK;
    return mx_error_set(err, MX_ERR_FORMAT, "%s: %zu%s trailing bytes after the %zu the header announces",
                        src->name, extra, chunk == sizeof scratch ? " or more" : "", expected);
}

/* ---- IDX --------------------------------------------------------------------- */
/* Converts payload bytes to the stored values, values[offset + i] from bytes[i]. */
typedef void (*mx_idx_store_fn_)(void *values, size_t offset, const unsigned char *bytes, size_t count);

static void mx_idx_store_pixels_(void *values, size_t offset, const unsigned char *bytes, size_t count) {
    float *x = (float *)values + offset;
    for (size_t i = 0; i < count; ++i) x[i] = (float)bytes[i] / 255.0f;
}

static void mx_idx_store_labels_(void *values, size_t offset, const unsigned char *bytes, size_t count) {
    int32_t *labels = (int32_t *)values + offset;
    for (size_t i = 0; i < count; ++i) labels[i] = bytes[i];
}

typedef struct mx_idx_kind_ {
    uint32_t magic;         /* 00 00 08 <dims> */
    const char *what;       /* "pixel" or "label", for messages */
    size_t value_size;      /* bytes of one stored value */
    mx_idx_store_fn_ store;
} mx_idx_kind_;

static const mx_idx_kind_ mx_idx_images_ = {0x00000803u, "pixel", sizeof(float), mx_idx_store_pixels_};
static const mx_idx_kind_ mx_idx_labels_ = {0x00000801u, "label", sizeof(int32_t), mx_idx_store_labels_};

static uint32_t mx_load_be32_(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static mx_status mx_idx_read_exact_(mx_byte_source_ *src, unsigned char *dst, size_t want, size_t header_size,
                                    size_t before, mx_error *err) {
    size_t got;
    const mx_status status = mx_source_read_(src, dst, want, &got, err);
    if (status != MX_OK || got == want) return status;
    return mx_error_set(err, MX_ERR_FORMAT, "%s: truncated: %zu header bytes expected, %zu found", src->name,
                        header_size, before + got);
}

/* Checks magic and dimensions; dims[] receives them, *count their product. */
static mx_status mx_idx_read_header_(mx_byte_source_ *src, const mx_idx_kind_ *kind, uint32_t dims[3],
                                     size_t *count, mx_error *err) {
    const unsigned expected_dims = kind->magic & 0xffu;
    const size_t header_size = 4 + 4 * (size_t)expected_dims;
    unsigned char bytes[16];
    mx_status status = mx_idx_read_exact_(src, bytes, 4, header_size, 0, err);
    if (status != MX_OK) return status;
    const uint32_t magic = mx_load_be32_(bytes);
    if (magic >> 16 != 0)
        return mx_error_set(err, MX_ERR_FORMAT, "%s: not an IDX file: magic 0x%08x, expected 0x%08x", src->name,
                            (unsigned)magic, (unsigned)kind->magic);
    if (bytes[2] != 0x08)
        return mx_error_set(err, MX_ERR_FORMAT, "%s: IDX type code 0x%02x, expected 0x08 (unsigned byte)",
                            src->name, bytes[2]);
    if (bytes[3] != expected_dims)
        return mx_error_set(err, MX_ERR_FORMAT, "%s: %u dimensions, expected %u for an IDX %s file", src->name,
                            bytes[3], expected_dims, expected_dims == 3 ? "image" : "label");
    status = mx_idx_read_exact_(src, bytes + 4, header_size - 4, header_size, 4, err);
    if (status != MX_OK) return status;
    uint64_t product = 1;
    for (unsigned i = 0; i < expected_dims; ++i) {
        dims[i] = mx_load_be32_(bytes + 4 + 4 * i);
        if (dims[i] == 0) return mx_error_set(err, MX_ERR_FORMAT, "%s: dimension %u is 0", src->name, i + 1);
        if (product > MX_IDX_MAX_VALUES / dims[i])
            return mx_error_set(err, MX_ERR_FORMAT, "%s: the dimensions announce more than %llu values",
                                src->name, (unsigned long long)MX_IDX_MAX_VALUES);
        product *= dims[i];
    }
    if (product > SIZE_MAX / sizeof(float))
        return mx_error_set(err, MX_ERR_FORMAT, "%s: %llu values do not fit in memory here", src->name,
                            (unsigned long long)product);
    *count = (size_t)product;
    return MX_OK;
}

/* Reads `count` payload bytes, converting them chunk by chunk into a new array
 * sized by what a plain input still holds, or growing (doubling) as a gzip
 * stream delivers: a header announcing more than the input holds costs no
 * memory. *got < count when the data ends early. */
static mx_status mx_idx_read_values_(mx_byte_source_ *src, const mx_idx_kind_ *kind, size_t count, void **out,
                                     size_t *got, mx_error *err) {
    const size_t first = src->gzip ? (size_t)1 << 16 : src->size - src->pos + 1; /* + 1: never 0 */
    unsigned char chunk[1 << 14];
    size_t capacity = 0, read = 1;
    void *values = NULL;
    mx_status status = MX_OK;
    for (*got = 0; status == MX_OK && read > 0 && *got < count; *got += read) {
        if (*got == capacity) {
            const size_t grown = capacity == 0 ? first : 2 * capacity;
            capacity = grown < count ? grown : count;
            void *bigger = realloc(values, capacity * kind->value_size);
            if (bigger == NULL) {
                status = mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory for %zu values", src->name, count);
                break;
            }
            values = bigger;
        }
        const size_t want = capacity - *got < sizeof chunk ? capacity - *got : sizeof chunk;
        status = mx_source_read_(src, chunk, want, &read, err);
        if (status == MX_OK) kind->store(values, *got, chunk, read);
    }
    if (status != MX_OK) {
        free(values);
        return status;
    }
    *out = values;
    return MX_OK;
}

/* Header, then exactly the announced bytes, then the end of the data. When
 * want_count is not 0, the file must hold that many items (labels per image). */
static mx_status mx_idx_read_(const void *data, size_t size, const char *name, const mx_idx_kind_ *kind,
                              size_t want_count, const char *want_source, uint32_t dims[3],
                              void **values, mx_error *err) {
    mx_byte_source_ src;
    size_t count = 0, got = 0;
    *values = NULL;
    mx_status status = mx_source_open_(&src, data, size, name, err);
    if (status != MX_OK) return status;
    status = mx_idx_read_header_(&src, kind, dims, &count, err);
    if (status == MX_OK && want_count != 0 && dims[0] != want_count)
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: %u labels for the %zu images of %s", name,
                              (unsigned)dims[0], want_count, want_source);
    if (status == MX_OK) status = mx_idx_read_values_(&src, kind, count, values, &got, err);
    if (status == MX_OK && got < count)
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: truncated: %zu %s bytes expected, %zu found", name, count,
                              kind->what, got);
    if (status == MX_OK) status = mx_source_expect_end_(&src, count, err);
    mx_source_close_(&src);
    if (status != MX_OK) {
        free(*values);
        *values = NULL;
    }
    return status;
}

static mx_status mx_idx_load_(mx_dataset *out, const void *images, size_t images_bytes, const char *images_name,
                              const void *labels, size_t labels_bytes, const char *labels_name, mx_error *err) {
    uint32_t dims[3], label_dims[3];
    void *pixels = NULL, *label_values = NULL;
    mx_status status = mx_idx_read_(images, images_bytes, images_name, &mx_idx_images_, 0, NULL, dims, &pixels, err);
    if (status != MX_OK) return status;
    if (labels != NULL)
        status = mx_idx_read_(labels, labels_bytes, labels_name, &mx_idx_labels_, dims[0], images_name,
                              label_dims, &label_values, err);
    if (status != MX_OK) {
        free(pixels);
        return status;
    }
    const mx_dataset data = {.n = dims[0], .d = (size_t)dims[1] * dims[2], .x = pixels, .labels = label_values,
                             .height = dims[1], .width = dims[2]};
    *out = data;
    return MX_OK;
}

mx_status mx_dataset_load_idx_memory(mx_dataset *out, const void *images, size_t images_bytes,
                                     const void *labels, size_t labels_bytes, const char *name,
                                     mx_error *err) {
    if (out != NULL) memset(out, 0, sizeof *out);
    if (out == NULL || images == NULL)
        return mx_error_set(err, MX_ERR_ARG, "mx_dataset_load_idx_memory: no output or no image bytes");
    char images_name[256], labels_name[256];
    snprintf(images_name, sizeof images_name, "%s images", name != NULL ? name : "IDX");
    snprintf(labels_name, sizeof labels_name, "%s labels", name != NULL ? name : "IDX");
    return mx_idx_load_(out, images, images_bytes, images_name, labels, labels_bytes, labels_name, err);
}

/* The whole file in a new buffer (grown by doubling when the size is unknown, as for pipes). */
static mx_status mx_read_file_(const char *path, unsigned char **out, size_t *size, mx_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return mx_error_set(err, MX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* A regular file's size (+ 1 to see its end at once); 64 KiB to start otherwise. */
    struct stat info;
    const int regular = fstat(fileno(f), &info) == 0 && S_ISREG(info.st_mode) && (uintmax_t)info.st_size < SIZE_MAX;
    size_t capacity = regular ? (size_t)info.st_size + 1 : (size_t)1 << 16, used = 0;
    unsigned char *buffer = malloc(capacity);
    while (buffer != NULL) {
        used += fread(buffer + used, 1, capacity - used, f);
        if (used < capacity) break;
        unsigned char *bigger = capacity <= SIZE_MAX / 2 ? realloc(buffer, 2 * capacity) : NULL;
        if (bigger == NULL) free(buffer);
        buffer = bigger;
        capacity *= 2;
    }
    const int failed = buffer != NULL && ferror(f);
    const int reason = errno;
    fclose(f);
    if (buffer == NULL) return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (failed) {
        free(buffer);
        return mx_error_set(err, MX_ERR_IO, "%s: read error: %s", path, strerror(reason));
    }
    *out = buffer;
    *size = used;
    return MX_OK;
}

mx_status mx_dataset_load_idx(mx_dataset *out, const char *images_path, const char *labels_path,
                              mx_error *err) {
    if (out != NULL) memset(out, 0, sizeof *out);
    if (out == NULL || images_path == NULL)
        return mx_error_set(err, MX_ERR_ARG, "mx_dataset_load_idx: no output or no image path");
    unsigned char *images = NULL, *labels = NULL;
    size_t images_bytes = 0, labels_bytes = 0;
    mx_status status = mx_read_file_(images_path, &images, &images_bytes, err);
    if (status == MX_OK && labels_path != NULL) status = mx_read_file_(labels_path, &labels, &labels_bytes, err);
    if (status == MX_OK)
        status = mx_idx_load_(out, images, images_bytes, images_path, labels, labels_bytes, labels_path, err);
    free(images);
    free(labels);
    return status;
}

/* ---- text matrices ------------------------------------------------------------ */
typedef struct mx_text_reader_ {
    const char *path;
    size_t line_no, first_row_line;
    size_t columns;         /* fields per row, set by the first data row */
    int label_column;       /* resolved index, or -1 */
    double *fields;         /* the current line's values */
    size_t fields_capacity;
    mx_dataset data;
    size_t rows_capacity;
} mx_text_reader_;

static int mx_is_blank_(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static char *mx_skip_blanks_(char *p) {
    while (mx_is_blank_(*p)) ++p;
    return p;
}

/* strtod over the whole token, which ends at a comma, a blank or the line's end. */
static int mx_parse_number_(char *token, size_t length, double *value) {
    const char saved = token[length];
    token[length] = '\0';
    char *end;
    *value = strtod(token, &end);
    token[length] = saved;
    return length > 0 && end == token + length;
}

static mx_status mx_text_push_field_(mx_text_reader_ *r, size_t count, double value, mx_error *err) {
    if (count == r->fields_capacity) {
        const size_t capacity = r->fields_capacity == 0 ? 64 : 2 * r->fields_capacity;
        double *bigger = realloc(r->fields, capacity * sizeof(double));
        if (bigger == NULL) return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", r->path);
        r->fields = bigger;
        r->fields_capacity = capacity;
    }
    r->fields[count] = value;
    return MX_OK;
}

/* Splits a line into r->fields. *count = 0 for a blank line. *first_bad is
 * the 1-based column of the first non-number (0 if none) and *numbers the
 * count of fields that are numbers. */
static mx_status mx_text_split_(mx_text_reader_ *r, char *line, size_t *count, size_t *first_bad,
                                size_t *numbers, mx_error *err) {
    *count = *first_bad = *numbers = 0;
    char *p = mx_skip_blanks_(line);
    while (*p != '\0') {
        size_t length = 0;
        while (p[length] != '\0' && p[length] != ',' && !mx_is_blank_(p[length])) ++length;
        if (length == 0)
            return mx_error_set(err, MX_ERR_FORMAT, "%s: line %zu, column %zu: empty field", r->path, r->line_no,
                                *count + 1);
        double value = 0.0;
        if (mx_parse_number_(p, length, &value)) ++*numbers;
        else if (*first_bad == 0) *first_bad = *count + 1;
        const mx_status status = mx_text_push_field_(r, (*count)++, value, err);
        if (status != MX_OK) return status;
        p = mx_skip_blanks_(p + length);
        if (*p == ',') {
            p = mx_skip_blanks_(p + 1);
            if (*p == '\0')
                return mx_error_set(err, MX_ERR_FORMAT, "%s: line %zu, column %zu: empty field", r->path,
                                    r->line_no, *count + 1);
        }
    }
    return MX_OK;
}

/* The first data row fixes the number of columns and the label column. */
static mx_status mx_text_set_shape_(mx_text_reader_ *r, size_t columns, int label_column, mx_error *err) {
    r->columns = columns;
    r->first_row_line = r->line_no;
    r->label_column = label_column == MX_TEXT_LABELS_LAST ? (int)(columns - 1) : label_column;
    if (r->label_column >= 0 && (size_t)r->label_column >= columns)
        return mx_error_set(err, MX_ERR_ARG, "%s: label column %d, but line %zu has %zu columns", r->path,
                            label_column, r->line_no, columns);
    r->data.d = columns - (r->label_column >= 0);
    if (r->data.d == 0)
        return mx_error_set(err, MX_ERR_FORMAT, "%s: no feature columns besides the labels", r->path);
    return MX_OK;
}

static mx_status mx_text_grow_rows_(mx_text_reader_ *r, mx_error *err) {
    const size_t capacity = r->rows_capacity == 0 ? 1024 : 2 * r->rows_capacity;
    if (capacity > SIZE_MAX / sizeof(float) / r->data.d)
        return mx_error_set(err, MX_ERR_NOMEM, "%s: too many rows for memory", r->path);
    float *x = realloc(r->data.x, capacity * r->data.d * sizeof(float));
    if (x != NULL) r->data.x = x;
    int32_t *labels = r->label_column >= 0 ? realloc(r->data.labels, capacity * sizeof(int32_t)) : NULL;
    if (labels != NULL) r->data.labels = labels;
    if (x == NULL || (r->label_column >= 0 && labels == NULL))
        return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory at line %zu", r->path, r->line_no);
    r->rows_capacity = capacity;
    return MX_OK;
}

/* Appends the split line as a row: finite float features and an integer label. */
static mx_status mx_text_append_row_(mx_text_reader_ *r, mx_error *err) {
    if (r->data.n == r->rows_capacity) {
        const mx_status status = mx_text_grow_rows_(r, err);
        if (status != MX_OK) return status;
    }
    float *row = r->data.x + r->data.n * r->data.d;
    for (size_t j = 0, k = 0; j < r->columns; ++j) {
        const double v = r->fields[j];
        if ((int)j == r->label_column) {
            if (v != floor(v) || v < INT32_MIN || v > INT32_MAX)
                return mx_error_set(err, MX_ERR_FORMAT, "%s: line %zu, column %zu: label %g is %s", r->path,
                                    r->line_no, j + 1, v,
                                    v != floor(v) ? "not an integer" : "outside the int32 range");
            r->data.labels[r->data.n] = (int32_t)v;
        } else {
            const float value = (float)v;
            if (!isfinite(value))
                return mx_error_set(err, MX_ERR_DOMAIN, "%s: line %zu, column %zu: %g is not a finite float",
                                    r->path, r->line_no, j + 1, v);
            row[k++] = value;
        }
    }
    r->data.n++;
    return MX_OK;
}

static mx_status mx_text_line_(mx_text_reader_ *r, char *line, int label_column, mx_error *err) {
    size_t count, first_bad, numbers;
    mx_status status = mx_text_split_(r, line, &count, &first_bad, &numbers, err);
    if (status != MX_OK || count == 0) return status;
    const int is_first = r->columns == 0;
    if (is_first && numbers == 0 && r->first_row_line == 0) {
        r->first_row_line = r->line_no; /* a header: skipped, and only one */
        return MX_OK;
    }
    if (first_bad != 0)
        return mx_error_set(err, MX_ERR_FORMAT, "%s: line %zu, column %zu: not a number", r->path, r->line_no,
                            first_bad);
    if (is_first) status = mx_text_set_shape_(r, count, label_column, err);
    else if (count != r->columns)
        status = mx_error_set(err, MX_ERR_FORMAT, "%s: line %zu has %zu columns, line %zu has %zu", r->path,
                              r->line_no, count, r->first_row_line, r->columns);
    return status != MX_OK ? status : mx_text_append_row_(r, err);
}

mx_status mx_dataset_load_text(mx_dataset *out, const char *path, int label_column, mx_error *err) {
    if (out != NULL) memset(out, 0, sizeof *out);
    if (out == NULL || path == NULL || label_column < MX_TEXT_LABELS_LAST)
        return mx_error_set(err, MX_ERR_ARG, "mx_dataset_load_text: no output, no path or label column %d",
                            label_column);
    FILE *f = fopen(path, "r");
    if (f == NULL) return mx_error_set(err, MX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    mx_text_reader_ r = {.path = path, .label_column = -1};
    char *line = NULL;
    size_t line_capacity = 0;
    mx_status status = MX_OK;
    while (status == MX_OK && getline(&line, &line_capacity, f) != -1) {
        r.line_no++;
        status = mx_text_line_(&r, line, label_column, err);
    }
    if (status == MX_OK && ferror(f)) status = mx_error_set(err, MX_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (status == MX_OK && r.data.n == 0) status = mx_error_set(err, MX_ERR_FORMAT, "%s: no data rows", path);
    free(line);
    free(r.fields);
    fclose(f);
    if (status != MX_OK) {
        mx_dataset_free(&r.data);
        return status;
    }
    float *exact = realloc(r.data.x, r.data.n * r.data.d * sizeof(float)); /* give back the spare rows */
    if (exact != NULL) r.data.x = exact;
    *out = r.data;
    return MX_OK;
}

/* ---- concatenation ------------------------------------------------------------ */
static mx_status mx_dataset_joinable_(const mx_dataset *a, const mx_dataset *b, mx_error *err) {
    if (a->d != b->d)
        return mx_error_set(err, MX_ERR_ARG, "cannot concatenate data sets of %zu and %zu features", a->d, b->d);
    if ((a->labels == NULL) != (b->labels == NULL))
        return mx_error_set(err, MX_ERR_ARG, "cannot concatenate a labelled data set with an unlabelled one");
    const size_t n = a->n + b->n;
    if (n < a->n || (a->d > 0 && n > SIZE_MAX / sizeof(float) / a->d))
        return mx_error_set(err, MX_ERR_NOMEM, "cannot concatenate: %zu + %zu rows overflow", a->n, b->n);
    return MX_OK;
}

/* Grows data's arrays to hold n rows (+ 1 byte: a valid pointer even for 0). */
static mx_status mx_dataset_reserve_(mx_dataset *data, size_t n, int with_labels, mx_error *err) {
    float *x = realloc(data->x, n * data->d * sizeof(float) + 1);
    if (x != NULL) data->x = x;
    int32_t *labels = with_labels ? realloc(data->labels, n * sizeof(int32_t) + 1) : NULL;
    if (labels != NULL) data->labels = labels;
    if (x == NULL || (with_labels && labels == NULL))
        return mx_error_set(err, MX_ERR_NOMEM, "out of memory for %zu rows of %zu features", n, data->d);
    return MX_OK;
}

/* Copies the rows of src after those of data (room reserved); a differing
 * image shape leaves none. */
static void mx_dataset_put_rows_(mx_dataset *data, const mx_dataset *src) {
    if (src->n * src->d > 0) memcpy(data->x + data->n * data->d, src->x, src->n * src->d * sizeof(float));
    if (src->labels != NULL && src->n > 0) memcpy(data->labels + data->n, src->labels, src->n * sizeof(int32_t));
    data->n += src->n;
    if (data->height != src->height || data->width != src->width) data->height = data->width = 0;
}

mx_status mx_dataset_concat(mx_dataset *out, const mx_dataset *a, const mx_dataset *b, mx_error *err) {
    if (out == NULL || a == NULL || b == NULL || out == a || out == b)
        return mx_error_set(err, MX_ERR_ARG, "mx_dataset_concat: null or aliased datasets");
    memset(out, 0, sizeof *out);
    mx_status status = mx_dataset_joinable_(a, b, err);
    if (status != MX_OK) return status;
    mx_dataset data = {.d = a->d, .height = a->height, .width = a->width};
    status = mx_dataset_reserve_(&data, a->n + b->n, a->labels != NULL, err);
    if (status != MX_OK) {
        mx_dataset_free(&data);
        return status;
    }
    mx_dataset_put_rows_(&data, a);
    mx_dataset_put_rows_(&data, b);
    *out = data;
    return MX_OK;
}

mx_status mx_dataset_append(mx_dataset *data, const mx_dataset *more, mx_error *err) {
    if (data == NULL || more == NULL || data == more)
        return mx_error_set(err, MX_ERR_ARG, "mx_dataset_append: null or aliased datasets");
    mx_status status = mx_dataset_joinable_(data, more, err);
    if (status == MX_OK) status = mx_dataset_reserve_(data, data->n + more->n, data->labels != NULL, err);
    if (status == MX_OK) mx_dataset_put_rows_(data, more);
    return status;
}

#endif /* MIXSIMD_DATA_IMPLEMENTATION */
