/* onnx_consumer INPUT.npy OUTPUT_DIR: runs onnx_model (qcc_add_model of an
 * .onnx file in CMakeLists.txt), a model of one input and one output, and
 * writes OUTPUT_DIR/<output>.npy. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "npy_io.h"
#include "onnx_model.h"

static int fail(const char *msg) {
  fprintf(stderr, "onnx_consumer: error: %s\n", msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return fail("usage: onnx_consumer INPUT.npy OUTPUT_DIR");
  const qcc_model_info *m = &onnx_model_info;
  if (m->num_inputs != 1 || m->num_outputs != 1)
    return fail("the model does not have one input and one output");
  char err[512];
  app_npy in;
  if (app_npy_read_f32(argv[1], &in, err, sizeof err))
    return fail(err);
  if (in.numel * (int64_t)sizeof(float) != m->inputs[0].bytes) {
    app_npy_free(&in);
    return fail("the input does not have the model's input size");
  }
  size_t ws_size = ((size_t)ONNX_MODEL_WORKSPACE_SIZE + 63) / 64 * 64;
  void *ws = aligned_alloc(ONNX_MODEL_WORKSPACE_ALIGNMENT, ws_size ? ws_size : 64);
  float *y = malloc((size_t)m->outputs[0].bytes);
  int rc = 1;
  char path[1024];
  if (!ws || !y)
    fail("out of memory");
  else if (onnx_model_run(ws, in.data, y) != 0)
    fail("onnx_model_run failed");
  else if (snprintf(path, sizeof path, "%s/%s.npy", argv[2],
                    m->outputs[0].name) < 0 ||
           app_npy_write_f32(path, m->outputs[0].rank, m->outputs[0].dims, y,
                             err, sizeof err))
    fail(err);
  else
    rc = 0;
  free(ws);
  free(y);
  app_npy_free(&in);
  return rc;
}
