/* Data sets by name or path for the mixsimd command (see datasets.h). */
#include "datasets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The MNIST test set's gzip files, compiled in by tools/embed.py. */
extern const unsigned char mx_embedded_t10k_images[], mx_embedded_t10k_labels[];
extern const size_t mx_embedded_t10k_images_size, mx_embedded_t10k_labels_size;

static const char help_text[] =
    "data sets (SPEC):\n"
    "  embedded          the MNIST test set, 10000 x 784 with labels, built into the program\n"
    "  mnist             MNIST, train + test: 70000 x 784 with labels, from the cache\n"
    "                    (datasets/fetch mnist puts it there)\n"
    "  fashion-mnist     Fashion-MNIST, train + test: 70000 x 784 with labels, from the cache\n"
    "                    (datasets/fetch fashion-mnist)\n"
    "  PATH              an IDX image file, plain or gzip; labels come from the file of the\n"
    "                    same name with -labels-idx1-ubyte for -images-idx3-ubyte, if present.\n"
    "                    Any other file is a text matrix: one row per line, values separated\n"
    "                    by commas or blanks, an optional header line; no labels\n"
    "  PATH:label=COL    a text matrix whose column COL (from 0, or 'last') holds integer\n"
    "                    labels, which are not features\n"
    "cache: $MIXSIMD_DATA, else $XDG_CACHE_HOME/mixsimd, else ~/.cache/mixsimd\n";

const char *mx_cli_dataset_help(void) { return help_text; }

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f != NULL) fclose(f);
    return f != NULL;
}

/* The cache directory, as datasets/fetch chooses it. */
static mx_status cache_dir(char *dir, size_t size, mx_error *err) {
    const char *data = getenv("MIXSIMD_DATA"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int length;
    if (data != NULL && data[0] != '\0') length = snprintf(dir, size, "%s", data);
    else if (xdg != NULL && xdg[0] != '\0') length = snprintf(dir, size, "%s/mixsimd", xdg);
    else if (home != NULL && home[0] != '\0') length = snprintf(dir, size, "%s/.cache/mixsimd", home);
    else return mx_error_set(err, MX_ERR_IO, "no data cache: set MIXSIMD_DATA or HOME");
    if (length < 0 || (size_t)length >= size) return mx_error_set(err, MX_ERR_IO, "data cache path too long");
    return MX_OK;
}

/* <cache>/<name>/<base> or <base>.gz, whichever is there. */
static mx_status find_cached(const char *dir, const char *name, const char *base, char *path, size_t size,
                             mx_error *err) {
    const char *const suffixes[] = {"", ".gz"};
    for (int i = 0; i < 2; ++i) {
        const int length = snprintf(path, size, "%s/%s/%s%s", dir, name, base, suffixes[i]);
        if (length > 0 && (size_t)length < size && file_exists(path)) return MX_OK;
    }
    return mx_error_set(err, MX_ERR_IO, "%s: %s is not in the data cache %s/%s; run datasets/fetch %s", name,
                        base, dir, name, name);
}

static mx_status load_cached_split(const char *dir, const char *name, const char *split, mx_dataset *out,
                                   mx_error *err) {
    char images[4096], labels[4096], base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", split);
    mx_status status = find_cached(dir, name, base, images, sizeof images, err);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", split);
    if (status == MX_OK) status = find_cached(dir, name, base, labels, sizeof labels, err);
    return status != MX_OK ? status : mx_dataset_load_idx(out, images, labels, err);
}

/* The train and test sets of a fetched IDX data set, one after the other. */
static mx_status load_cached(const char *name, mx_dataset *out, mx_error *err) {
    char dir[2048];
    mx_dataset test = {0};
    *out = test; /* so freeing it on failure is safe */
    mx_status status = cache_dir(dir, sizeof dir, err);
    if (status == MX_OK) status = load_cached_split(dir, name, "train", out, err);
    if (status == MX_OK) status = load_cached_split(dir, name, "t10k", &test, err);
    if (status == MX_OK) status = mx_dataset_append(out, &test, err);
    if (status != MX_OK) mx_dataset_free(out);
    mx_dataset_free(&test);
    return status;
}

/* IDX files start with 00 00 08 (unsigned bytes); gzip ones with 1f 8b. */
static int looks_like_idx(const char *path) {
    unsigned char head[3] = {0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    const size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
           (got == 3 && head[0] == 0 && head[1] == 0 && head[2] == 0x08);
}

static mx_status load_idx_path(const char *path, mx_dataset *out, mx_error *err) {
    static const char images_tag[] = "-images-idx3-ubyte", labels_tag[] = "-labels-idx1-ubyte";
    const char *tag = strstr(path, images_tag);
    if (tag == NULL) return mx_dataset_load_idx(out, path, NULL, err);
    char *labels = malloc(strlen(path) + 1);
    if (labels == NULL) return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", path);
    const size_t prefix = (size_t)(tag - path);
    memcpy(labels, path, prefix);
    strcpy(labels + prefix, labels_tag); /* the tags have the same length */
    strcpy(labels + prefix + sizeof labels_tag - 1, tag + sizeof images_tag - 1);
    const mx_status status = mx_dataset_load_idx(out, path, file_exists(labels) ? labels : NULL, err);
    free(labels);
    return status;
}

/* "label=COL" after the last ':' of a path: COL is a 0-based index or "last". */
static mx_status parse_label_suffix(const char *suffix, int *column, mx_error *err) {
    if (strcmp(suffix, "last") == 0) {
        *column = MX_TEXT_LABELS_LAST;
        return MX_OK;
    }
    char *end;
    const long value = strtol(suffix, &end, 10);
    if (end == suffix || *end != '\0' || value < 0 || value > 1000000)
        return mx_error_set(err, MX_ERR_ARG, "label=%s: expected a column number from 0, or 'last'", suffix);
    *column = (int)value;
    return MX_OK;
}

static mx_status load_path(const char *spec, mx_dataset *out, mx_error *err) {
    static const char label_key[] = ":label=";
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || strncmp(colon, label_key, sizeof label_key - 1) != 0) {
        if (!file_exists(spec)) return mx_dataset_load_idx(out, spec, NULL, err); /* names the problem */
        return looks_like_idx(spec) ? load_idx_path(spec, out, err)
                                    : mx_dataset_load_text(out, spec, MX_TEXT_NO_LABELS, err);
    }
    int column = MX_TEXT_NO_LABELS;
    mx_status status = parse_label_suffix(colon + sizeof label_key - 1, &column, err);
    if (status != MX_OK) return status;
    char *path = malloc((size_t)(colon - spec) + 1);
    if (path == NULL) return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", spec);
    memcpy(path, spec, (size_t)(colon - spec));
    path[colon - spec] = '\0';
    status = looks_like_idx(path)
                 ? mx_error_set(err, MX_ERR_ARG, "%s: an IDX file; label= is for text matrices", path)
                 : mx_dataset_load_text(out, path, column, err);
    free(path);
    return status;
}

mx_status mx_cli_load_dataset(const char *spec, mx_dataset *out, mx_error *err) {
    if (spec == NULL || out == NULL || spec[0] == '\0')
        return mx_error_set(err, MX_ERR_ARG, "no data set given (embedded, mnist, fashion-mnist or a path)");
    if (strcmp(spec, "embedded") == 0)
        return mx_dataset_load_idx_memory(out, mx_embedded_t10k_images, mx_embedded_t10k_images_size,
                                          mx_embedded_t10k_labels, mx_embedded_t10k_labels_size,
                                          "embedded MNIST t10k", err);
    if (strcmp(spec, "mnist") == 0 || strcmp(spec, "fashion-mnist") == 0) return load_cached(spec, out, err);
    return load_path(spec, out, err);
}
