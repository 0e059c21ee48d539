/* consumer INPUT.npy OUTPUT_DIR: runs lenet_model (qcc_add_model in
 * CMakeLists.txt) on one input, once with lenet_model_run and once with
 * lenet_model_run_parallel on a 2-thread qcc_threadpool; fails unless both
 * give the same bytes, then writes OUTPUT_DIR/<output>.npy. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lenet_model.h"
#include "npy_io.h"

static int fail(const char *msg) {
  fprintf(stderr, "consumer: error: %s\n", msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return fail("usage: consumer INPUT.npy OUTPUT_DIR");
  const qcc_model_info *m = &lenet_model_info;
  if (m->num_inputs != 1 || m->num_outputs != 1 ||
      m->outputs[0].bytes != LENET_MODEL_LOGITS_BYTES)
    return fail("the library does not match lenet_model.h");
  char err[512];
  app_npy in;
  if (app_npy_read_f32(argv[1], &in, err, sizeof err))
    return fail(err);
  if (in.numel != LENET_MODEL_IMAGE_SIZE) {
    app_npy_free(&in);
    return fail("the input does not have the model's input size");
  }
  size_t ws_size = ((size_t)LENET_MODEL_WORKSPACE_SIZE + 63) / 64 * 64;
  void *ws = aligned_alloc(LENET_MODEL_WORKSPACE_ALIGNMENT, ws_size ? ws_size : 64);
  float *a = malloc(LENET_MODEL_LOGITS_BYTES), *b = malloc(LENET_MODEL_LOGITS_BYTES);
  qcc_threadpool *pool = qcc_threadpool_create(2);
  int rc = 1;
  if (!ws || !a || !b || !pool) {
    fail("out of memory");
    goto done;
  }
  qcc_parallel par = qcc_threadpool_parallel(pool);
  if (lenet_model_run(ws, in.data, a) != 0 ||
      lenet_model_run_parallel(ws, &par, in.data, b) != 0) {
    fail("lenet_model_run failed");
    goto done;
  }
  if (memcmp(a, b, LENET_MODEL_LOGITS_BYTES) != 0) {
    fail("serial and 2-thread results differ");
    goto done;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.npy", argv[2], m->outputs[0].name);
  if (app_npy_write_f32(path, m->outputs[0].rank, m->outputs[0].dims, a, err,
                        sizeof err)) {
    fail(err);
    goto done;
  }
  printf("consumer: %s (%s, %s): %s[0..2] = %g %g %g; wrote %s\n", m->name,
         m->target, m->qcc_version, m->outputs[0].name, a[0], a[1], a[2], path);
  rc = 0;
done:
  qcc_threadpool_destroy(pool);
  free(a);
  free(b);
  free(ws);
  app_npy_free(&in);
  return rc;
}
