/* libFuzzer harness for the .npy reader (npy_parse, the in-memory half of
 * npy_read): any input must parse or fail with a Diag, and a parsed array
 * written back with npy_write (to this process's scratch folder) must read
 * back as the same dtype, shape and bytes.
 * Build and run: tools/fuzz/run.sh npy */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "npy.h"

static void require_same(const NpyArray *a, const NpyArray *b) {
  if (a->dtype != b->dtype || a->rank != b->rank || a->numel != b->numel ||
      memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) != 0 ||
      memcmp(a->data, b->data, (size_t)a->numel * dtype_size(a->dtype)) != 0) {
    fprintf(stderr, "fuzz: npy_write then npy_read changed the array\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Diag d;
  diag_clear(&d);
  NpyArray a;
  memset(&a, 0, sizeof a);
  if (npy_parse(data, size, "f.npy", &a, &d) != 0) {
    fuzz_require_diag(&d); /* and nothing to free: LeakSanitizer checks */
    return 0;
  }
  const char *path = fuzz_scratch_path("rt.npy");
  Diag d2;
  diag_clear(&d2);
  if (npy_write(path, a.dtype, a.rank, a.dims, a.data, &d2) != 0) {
    fprintf(stderr, "fuzz: npy_write failed on a parsed array: %s\n", d2.msg);
    abort();
  }
  NpyArray b;
  if (npy_read(path, &b, &d2) != 0) {
    fprintf(stderr, "fuzz: npy_write's file does not read back: %s\n", d2.msg);
    abort();
  }
  require_same(&a, &b);
  npy_free(&b);
  npy_free(&a);
  return 0;
}
