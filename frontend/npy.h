/* NumPy .npy files: versions 1.0, 2.0 and 3.0, little-endian, C order,
 * dtypes <f4 |i1 |u1 <i4 (mapped to f32 i8 u8 i32). Never trusts the file:
 * every header field, the data length and the shape are checked, and errors
 * name the file (Diag loc: file = path, line = 0).
 */
#ifndef QCC_NPY_H
#define QCC_NPY_H

#include "ir.h"

typedef struct NpyArray {
  DType dtype;
  int rank;
  int64_t dims[QCC_MAX_RANK];
  int64_t numel;
  void *data; /* malloc'd, numel * dtype_size(dtype) bytes */
} NpyArray;

/* Reads a whole .npy file. Caller frees with npy_free. */
int npy_read(const char *path, NpyArray *out, Diag *d);
/* Parses an in-memory .npy image; `path` only names it in messages. */
int npy_parse(const unsigned char *buf, size_t len, const char *path,
              NpyArray *out, Diag *d);
void npy_free(NpyArray *a);
/* Writes a version 1.0 .npy file atomically (temporary file + rename). */
int npy_write(const char *path, DType dtype, int rank, const int64_t *dims,
              const void *data, Diag *d);

#endif
