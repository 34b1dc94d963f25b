/* mixsimd/io.h — output files that appear whole or not at all.
 *
 * Results, checkpoints and saved models are written to a temporary file beside
 * the destination (same directory, so rename(2) is atomic on POSIX file
 * systems), flushed to disk, then renamed over the destination. A crash or an
 * error mid-write leaves the previous file untouched and no partial one.
 *
 *     mx_atomic_file out;
 *     if (mx_atomic_open(&out, "result.json", &err) != MX_OK) return err.status;
 *     fprintf(out.f, ...);
 *     return mx_atomic_commit(&out, &err);   // or mx_atomic_abort(&out)
 */
#ifndef MIXSIMD_IO_H
#define MIXSIMD_IO_H

#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mx_atomic_file {
    FILE *f;              /* write here between open and commit/abort */
    char *path;           /* the destination            */
    char *temp_path;      /* path + ".tmp.XXXXXX"        */
} mx_atomic_file;

/* Creates the temporary file. MX_ERR_IO (naming the path and the system's
 * reason) if the directory is missing or not writable. */
mx_status mx_atomic_open(mx_atomic_file *file, const char *path, mx_error *err);
/* Checks every write succeeded, syncs, closes and renames onto the destination.
 * On any failure removes the temporary file and returns MX_ERR_IO. Either way
 * the handle is released. */
mx_status mx_atomic_commit(mx_atomic_file *file, mx_error *err);
/* Closes and removes the temporary file; the destination is untouched. */
void mx_atomic_abort(mx_atomic_file *file);

#ifdef __cplusplus
}
#endif
#endif /* MIXSIMD_IO_H */

/* ========================================================================== */
#if defined(MIXSIMD_IMPLEMENTATION) && !defined(MIXSIMD_IO_IMPLEMENTED)
#define MIXSIMD_IO_IMPLEMENTED
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mx_atomic_release_(mx_atomic_file *file) {
    free(file->path);
    free(file->temp_path);
    file->f = NULL;
    file->path = file->temp_path = NULL;
}

mx_status mx_atomic_open(mx_atomic_file *file, const char *path, mx_error *err) {
    if (file == NULL || path == NULL || path[0] == '\0')
        return mx_error_set(err, MX_ERR_ARG, "no output path given");
    static const char suffix[] = ".tmp.XXXXXX";
    const size_t length = strlen(path);
    file->f = NULL;
    file->path = malloc(length + 1);
    file->temp_path = malloc(length + sizeof suffix);
    if (file->path == NULL || file->temp_path == NULL) {
        mx_atomic_release_(file);
        return mx_error_set(err, MX_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(file->path, path, length + 1);
    memcpy(file->temp_path, path, length);
    memcpy(file->temp_path + length, suffix, sizeof suffix);
    const int fd = mkstemp(file->temp_path);
    if (fd < 0) {
        const int reason = errno;
        mx_atomic_release_(file);
        return mx_error_set(err, MX_ERR_IO, "%s: cannot create the output file: %s", path, strerror(reason));
    }
    /* mkstemp creates the file 0600; give it the mode of the file it replaces,
     * or rw-r--r-- for a new one (reading the umask is not thread-safe). */
    struct stat existing;
    fchmod(fd, stat(path, &existing) == 0 ? (existing.st_mode & 07777) : 0644);
    file->f = fdopen(fd, "wb");
    if (file->f == NULL) {
        const int reason = errno;
        close(fd);
        unlink(file->temp_path);
        mx_atomic_release_(file);
        return mx_error_set(err, MX_ERR_IO, "%s: cannot open the output file: %s", path, strerror(reason));
    }
    return MX_OK;
}

mx_status mx_atomic_commit(mx_atomic_file *file, mx_error *err) {
    if (file == NULL || file->f == NULL) return mx_error_set(err, MX_ERR_ARG, "output file is not open");
    int failed = ferror(file->f) || fflush(file->f) != 0 || fsync(fileno(file->f)) != 0;
    int reason = errno;
    if (fclose(file->f) != 0 && !failed) failed = 1, reason = errno;
    if (!failed && rename(file->temp_path, file->path) != 0) failed = 1, reason = errno;
    mx_status status = MX_OK;
    if (failed) {
        unlink(file->temp_path);
        status = mx_error_set(err, MX_ERR_IO, "%s: writing failed: %s", file->path, strerror(reason));
    }
    mx_atomic_release_(file);
    return status;
}

void mx_atomic_abort(mx_atomic_file *file) {
    if (file == NULL || file->f == NULL) return;
    fclose(file->f);
    unlink(file->temp_path);
    mx_atomic_release_(file);
}

#endif /* MIXSIMD_IO_IMPLEMENTATION */
