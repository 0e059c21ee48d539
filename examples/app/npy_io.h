/* A tiny, self-contained .npy reader and writer for the example app: float32,
 * little-endian, C order only (what qcc's models take and give). Nothing of
 * qcc is needed; copy these two files into your own project if they help.
 *
 * The reader trusts nothing in the file: it checks the magic, the version,
 * the header's length and syntax (a Python dict with exactly 'descr',
 * 'fortran_order' and 'shape'), the element count against overflow, and that
 * the file holds exactly the data the header announces, before it allocates.
 * The writer produces the header numpy's np.save (and `qcc run`) writes, so
 * files written here are byte-identical to theirs for the same array. */
#ifndef APP_NPY_IO_H
#define APP_NPY_IO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define APP_NPY_MAX_DIMS 8

typedef struct app_npy {
  int rank;
  int64_t dims[APP_NPY_MAX_DIMS];
  int64_t numel;
  float *data; /* malloc'd; numel floats */
} app_npy;

/* Reads PATH into *out. Returns 0, or -1 with a one-line reason in err
 * ("PATH: ..."); *out is then empty. */
int app_npy_read_f32(const char *path, app_npy *out, char *err, size_t errlen);

/* Writes an f32 array of the given shape to PATH (through PATH.tmp and a
 * rename, so a failure never leaves a half-written file). Returns 0, or -1
 * with a reason in err. */
int app_npy_write_f32(const char *path, int rank, const int64_t *dims,
                      const float *data, char *err, size_t errlen);

void app_npy_free(app_npy *a);

#ifdef __cplusplus
}
#endif

#endif
