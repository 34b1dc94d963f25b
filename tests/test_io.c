/* io.h: an output file appears whole on commit, and never in part. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/mixsimd.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mixsimd-io-XXXXXX";

static void make_dir(void) { cr_assert_not_null(mkdtemp(dir)); }

static void remove_dir(void) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.') unlink(path);
    }
    if (d != NULL) closedir(d);
    rmdir(dir);
}

static size_t entries_in_dir(void) {
    DIR *d = opendir(dir);
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) count += e->d_name[0] != '.';
    closedir(d);
    return count;
}

static void read_whole(const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s exists", path);
    const size_t got = fread(out, 1, size - 1, f);
    out[got] = '\0';
    fclose(f);
}

TestSuite(io, .init = make_dir, .fini = remove_dir);

Test(io, commit_replaces_the_destination_whole) {
    char path[512], text[64];
    snprintf(path, sizeof path, "%s/out.json", dir);
    mx_atomic_file out;
    mx_error err = {0};
    for (int version = 1; version <= 2; ++version) {
        cr_assert_eq(mx_atomic_open(&out, path, &err), MX_OK, "%s", err.message);
        fprintf(out.f, "{\"version\": %d}\n", version);
        cr_assert_eq(mx_atomic_commit(&out, &err), MX_OK, "%s", err.message);
    }
    read_whole(path, text, sizeof text);
    cr_assert_str_eq(text, "{\"version\": 2}\n");
    cr_assert_eq(entries_in_dir(), 1, "no temporary file is left behind");
}

Test(io, abort_leaves_the_old_file_and_no_temporary) {
    char path[512], text[64];
    snprintf(path, sizeof path, "%s/model.bin", dir);
    mx_atomic_file out;
    cr_assert_eq(mx_atomic_open(&out, path, NULL), MX_OK);
    fputs("old", out.f);
    cr_assert_eq(mx_atomic_commit(&out, NULL), MX_OK);
    cr_assert_eq(mx_atomic_open(&out, path, NULL), MX_OK);
    fputs("half of the new conte", out.f);
    mx_atomic_abort(&out);
    read_whole(path, text, sizeof text);
    cr_assert_str_eq(text, "old");
    cr_assert_eq(entries_in_dir(), 1);
}

Test(io, missing_directory_names_the_path) {
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/out.json", dir);
    mx_atomic_file out;
    mx_error err = {0};
    cr_assert_eq(mx_atomic_open(&out, path, &err), MX_ERR_IO);
    cr_assert(strstr(err.message, path) != NULL, "message: %s", err.message);
    cr_assert(strstr(err.message, "No such file") != NULL, "message: %s", err.message);
    cr_assert_eq(mx_atomic_open(&out, "", &err), MX_ERR_ARG);
}

/* mkstemp makes 0600 files; a result must be as readable as any other file,
 * and replacing a file keeps its permissions. */
Test(io, new_files_are_rw_r_r_and_replaced_files_keep_their_mode) {
    char path[512];
    snprintf(path, sizeof path, "%s/mode.json", dir);
    mx_atomic_file out;
    struct stat info;
    cr_assert_eq(mx_atomic_open(&out, path, NULL), MX_OK);
    cr_assert_eq(mx_atomic_commit(&out, NULL), MX_OK);
    cr_assert_eq(stat(path, &info), 0);
    cr_assert_eq(info.st_mode & 0777, 0644, "new file mode %o", info.st_mode & 0777);
    chmod(path, 0640);
    cr_assert_eq(mx_atomic_open(&out, path, NULL), MX_OK);
    cr_assert_eq(mx_atomic_commit(&out, NULL), MX_OK);
    cr_assert_eq(stat(path, &info), 0);
    cr_assert_eq(info.st_mode & 0777, 0640, "replaced file mode %o", info.st_mode & 0777);
}
