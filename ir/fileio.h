/* Whole-file reads and atomic writes. Every output qcc produces goes through
 * qcc_write_file_atomic: a temporary file in the same folder, then rename(),
 * so a failed run never leaves a half-written file behind. */
#ifndef QCC_FILEIO_H
#define QCC_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* The largest file qcc reads: far above any model's weights, far below
 * what would exhaust memory by accident. */
#define QCC_MAX_FILE_BYTES ((uint64_t)4 << 30)

/* Reads `path` into a malloc'd buffer (NUL-terminated; *len excludes the
 * NUL). Only regular files of at most QCC_MAX_FILE_BYTES are read; a FIFO,
 * a device or a folder is refused at once. Errors name the file. */
int qcc_read_file(const char *path, char **data, size_t *len, Diag *d);
int qcc_write_file_atomic(const char *path, const void *data, size_t len,
                          Diag *d);
/* Creates `path` and missing parents (mode 0777 & ~umask). */
int qcc_make_dirs(const char *path, Diag *d);
/* The same, calling made(user, folder) for each folder it creates. */
int qcc_make_dirs_noting(const char *path, void (*made)(void *, const char *),
                         void *user, Diag *d);

#endif
