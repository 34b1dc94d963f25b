/* A small streaming JSON writer for the command's result files: objects,
 * arrays, strings (escaped), numbers (17 significant digits, so they read back exactly; NaN and
 * infinities, which JSON lacks, become null) and integer arrays. Commas and
 * indentation are handled here, so callers write only keys and values. */
#ifndef MIXSIMD_TOOLS_JSON_H
#define MIXSIMD_TOOLS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { MX_JSON_MAX_DEPTH = 16 };

typedef struct mx_json {
    FILE *f;
    int depth;
    int has_items[MX_JSON_MAX_DEPTH]; /* whether the open container needs a comma */
    char closer[MX_JSON_MAX_DEPTH];   /* '}' or ']' for each open container        */
} mx_json;

/* Starts the top-level object. */
void mx_json_start(mx_json *json, FILE *f);
/* Closes every open container, the top-level object last, and ends the line. */
void mx_json_finish(mx_json *json);

/* In an object pass the key; in an array pass NULL. */
void mx_json_object(mx_json *json, const char *key);
void mx_json_array(mx_json *json, const char *key);
void mx_json_end(mx_json *json); /* closes the innermost object or array */
void mx_json_string(mx_json *json, const char *key, const char *value);
void mx_json_number(mx_json *json, const char *key, double value);
void mx_json_integer(mx_json *json, const char *key, long long value);
void mx_json_unsigned(mx_json *json, const char *key, unsigned long long value);
void mx_json_bool(mx_json *json, const char *key, int value);
/* An array of integers on one line (assignments, label counts). */
void mx_json_int32_array(mx_json *json, const char *key, const int32_t *values, size_t count);

#endif
