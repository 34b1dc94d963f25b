/* libFuzzer target for the IDX loader (tools/test-suite fuzz builds and runs it).
 * Each input is tried as an image file (no labels) and as the label file of a
 * fixed valid 2-image set. Besides crashes and sanitizer reports, it aborts when
 * a load breaks the loader's promises: success with an inconsistent dataset or
 * pixels outside [0, 1], failure without a message or with *out not zeroed. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/data.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Two 1 x 2 images: the set every input is tried as labels for. */
static const unsigned char two_images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 64, 128, 255};

static void check_promises(mx_status status, const mx_dataset *data, const mx_error *err) {
    if (status != MX_OK) {
        const int zeroed = data->n == 0 && data->d == 0 && data->x == NULL && data->labels == NULL;
        if (!zeroed || err->status != status || err->message[0] == '\0') abort();
        return;
    }
    if (data->n == 0 || data->d != data->height * data->width || data->x == NULL) abort();
    for (size_t i = 0; i < data->n * data->d; ++i)
        if (!(data->x[i] >= 0.0f && data->x[i] <= 1.0f)) abort();
    for (size_t i = 0; data->labels != NULL && i < data->n; ++i)
        if (data->labels[i] < 0 || data->labels[i] > 255) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size) {
    mx_dataset data;
    mx_error err = {0};
    mx_status status = mx_dataset_load_idx_memory(&data, bytes, size, NULL, 0, "fuzz", &err);
    check_promises(status, &data, &err);
    mx_dataset_free(&data);
    memset(&err, 0, sizeof err);
    status = mx_dataset_load_idx_memory(&data, two_images, sizeof two_images, bytes, size, "fuzz", &err);
    check_promises(status, &data, &err);
    if (status == MX_OK && data.labels == NULL) abort();
    mx_dataset_free(&data);
    return 0;
}
