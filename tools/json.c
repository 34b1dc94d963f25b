#include "json.h"

#include <math.h>

static void indent(const mx_json *json) {
    fputc('\n', json->f);
    for (int i = 0; i < json->depth; ++i) fputs("  ", json->f);
}

static void write_escaped(FILE *f, const char *text) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; ++c) {
        if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
        else if (*c == '\n') fputs("\\n", f);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}

/* Comma, new line and key before every item. */
static void begin_item(mx_json *json, const char *key) {
    if (json->has_items[json->depth]) fputc(',', json->f);
    json->has_items[json->depth] = 1;
    indent(json);
    if (key != NULL) {
        write_escaped(json->f, key);
        fputs(": ", json->f);
    }
}

/* Nesting deeper than MX_JSON_MAX_DEPTH - 1 is a programming error; the
 * writer then stays at the deepest level rather than overrun its arrays. */
static void open_container(mx_json *json, const char *key, char opener, char closer) {
    begin_item(json, key);
    fputc(opener, json->f);
    if (json->depth + 1 < MX_JSON_MAX_DEPTH) ++json->depth;
    json->has_items[json->depth] = 0;
    json->closer[json->depth] = closer;
}

void mx_json_start(mx_json *json, FILE *f) {
    json->f = f;
    json->depth = 0;
    fputc('{', f);
    ++json->depth; /* the top-level object is the first open container */
    json->has_items[1] = 0;
    json->closer[1] = '}';
}

void mx_json_finish(mx_json *json) {
    while (json->depth > 0) mx_json_end(json);
    fputc('\n', json->f);
}

void mx_json_object(mx_json *json, const char *key) { open_container(json, key, '{', '}'); }
void mx_json_array(mx_json *json, const char *key) { open_container(json, key, '[', ']'); }

void mx_json_end(mx_json *json) {
    if (json->depth == 0) return;
    const char closer = json->closer[json->depth];
    const int had_items = json->has_items[json->depth];
    --json->depth;
    if (had_items) indent(json);
    fputc(closer, json->f);
}

void mx_json_string(mx_json *json, const char *key, const char *value) {
    begin_item(json, key);
    if (value == NULL) fputs("null", json->f);
    else write_escaped(json->f, value);
}

void mx_json_number(mx_json *json, const char *key, double value) {
    begin_item(json, key);
    if (isfinite(value)) fprintf(json->f, "%.17g", value);
    else fputs("null", json->f);
}

void mx_json_integer(mx_json *json, const char *key, long long value) {
    begin_item(json, key);
    fprintf(json->f, "%lld", value);
}

void mx_json_unsigned(mx_json *json, const char *key, unsigned long long value) {
    begin_item(json, key);
    fprintf(json->f, "%llu", value);
}

void mx_json_bool(mx_json *json, const char *key, int value) {
    begin_item(json, key);
    fputs(value ? "true" : "false", json->f);
}

void mx_json_int32_array(mx_json *json, const char *key, const int32_t *values, size_t count) {
    begin_item(json, key);
    fputc('[', json->f);
    for (size_t i = 0; i < count; ++i) fprintf(json->f, i ? ",%d" : "%d", (int)values[i]);
    fputc(']', json->f);
}
