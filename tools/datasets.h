/* The data sets the mixsimd command loads: by name (the embedded MNIST test
 * set, the fetched MNIST and Fashion-MNIST) or by path (IDX or text). */
#ifndef MIXSIMD_TOOLS_DATASETS_H
#define MIXSIMD_TOOLS_DATASETS_H

#include <mixsimd/data.h>

/* Loads the data set a command-line SPEC names (see mx_cli_dataset_help). */
mx_status mx_cli_load_dataset(const char *spec, mx_dataset *out, mx_error *err);
/* The text explaining SPEC, for --help. */
const char *mx_cli_dataset_help(void);

#endif
