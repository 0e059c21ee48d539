/* qcc runtime: the types the generated code's descriptor uses, a small
 * pthread pool for the parallel entry point, and photo preprocessing. Installed with qcc; apps that
 * link a compiled model include the model's header, which includes this.
 * Depends on nothing of qcc (libc and libpthread only). */
#ifndef QCC_RUNTIME_H
#define QCC_RUNTIME_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCC_MAX_DIMS 8
#define QCC_WORKSPACE_ALIGNMENT 64

/* What <name>_run and <name>_run_parallel return. */
enum {
  QCC_STATUS_OK = 0,
  /* A NULL pointer, or a workspace not QCC_WORKSPACE_ALIGNMENT-aligned:
   * nothing was computed. */
  QCC_STATUS_BAD_ARGUMENT = -1,
  /* An int8 model was given NaN or an infinity to quantize (in practice: an
   * input held one). The outputs are written, computed with NaN as the
   * zero point and infinities clamped to the quantized range, exactly as
   * the int8 reference interpreter does, but they are not to be trusted.
   * Float models propagate NaN into their outputs instead and return 0. */
  QCC_STATUS_NONFINITE_INPUT = 1,
};

enum { QCC_DTYPE_F32 = 0, QCC_DTYPE_U8 = 1, QCC_DTYPE_I8 = 2, QCC_DTYPE_I32 = 3 };

/* One input or output of a compiled model (always f32, NCHW). */
typedef struct qcc_tensor_info {
  const char *name;
  int64_t dims[QCC_MAX_DIMS];
  int64_t bytes;
  int32_t rank;
  int32_t dtype;
} qcc_tensor_info;

/* The quantization parameters of one u8 activation inside the model:
 * real = scale * (q - zero_point). */
typedef struct qcc_quant_info {
  const char *tensor;
  float scale;
  int32_t zero_point;
} qcc_quant_info;

typedef struct qcc_model_info {
  const char *name;
  const char *qcc_version;
  const char *source;      /* the model file it was compiled from */
  const char *source_hash; /* hash of the model's graph */
  const char *target;      /* avx2, avx512vnni, generic, ... */
  const qcc_tensor_info *inputs;
  const qcc_tensor_info *outputs;
  const qcc_quant_info *quant;
  int64_t workspace_size;
  int64_t workspace_alignment;
  int32_t num_inputs;
  int32_t num_outputs;
  int32_t num_quant;
  int32_t int8_nodes;
  int32_t f32_nodes;
} qcc_model_info;

/* Work split: fn(ctx, begin, end) must be called for disjoint ranges
 * covering [0, n) exactly once each, and parallel_for returns when all
 * calls have returned. A caller may supply its own implementation. n may
 * be 0 (nothing to call): a run's entry point does that before phases it
 * runs on the calling thread alone, so that a pool may wake its sleeping
 * threads meanwhile (qcc_threadpool does); it must then return at once. */
typedef void (*qcc_task_fn)(void *ctx, int64_t begin, int64_t end);
typedef struct qcc_parallel {
  void (*parallel_for)(void *pool, qcc_task_fn fn, void *ctx, int64_t n);
  void *pool;
} qcc_parallel;

/* A fixed pool of threads (the calling thread takes part). NULL when
 * threads cannot be created. Its workers are pinned one per CPU, other
 * than the creating thread's, when the process may use enough CPUs
 * (environment QCC_THREADPOOL_PIN=0: not pinned). */
typedef struct qcc_threadpool qcc_threadpool;
qcc_threadpool *qcc_threadpool_create(int num_threads);
void qcc_threadpool_destroy(qcc_threadpool *pool);
/* The pool as a qcc_parallel for a model's _run_parallel entry point. */
qcc_parallel qcc_threadpool_parallel(qcc_threadpool *pool);

/* Photo preprocessing: the very code qcc's --preprocess uses for
 * calibration, so an app feeds its model what the model was calibrated on.
 * A recipe is a comma-separated list:
 *   size=WxH              tensor size
 *   mean=R:G:B  std=R:G:B (x - mean) / std per channel, on 0..255 values,
 *                         in the tensor's channel order; one value applies
 *                         to all three channels
 *   rgb | bgr             channel order of the tensor (default rgb)
 *   stretch | pad         resize the whole photo to WxH (default), or first
 *                         pad it to a square at the bottom/right with 0
 * Resizing is bilinear with half-pixel centres, edges clamped. */
typedef struct qcc_preprocess {
  int32_t width, height; /* 0 until a recipe or the caller sets them */
  float mean[3], std[3];
  int32_t bgr, pad_square;
} qcc_preprocess;

/* Parses recipe into p; on error returns -1 and writes one line to err. */
int qcc_preprocess_parse(const char *recipe, qcc_preprocess *p, char *err,
                         size_t err_size);
/* rgb: w x h pixels, 3 bytes each, row-major. out: 3 x height x width f32
 * (CHW). p->width and p->height must be set. */
void qcc_preprocess_image(const qcc_preprocess *p, const unsigned char *rgb,
                          int32_t w, int32_t h, float *out);
/* How many photo pixels one tensor pixel spans, along x and y: multiply a
 * box found on the tensor by these to get it on the photo. */
void qcc_preprocess_scale(const qcc_preprocess *p, int32_t w, int32_t h,
                          float *scale_x, float *scale_y);

#ifdef __cplusplus
}
#endif

#endif
