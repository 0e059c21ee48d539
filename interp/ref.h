/* Internal to the float reference interpreter: the one signature every
 * reference kernel shares, the kernels themselves (one file per family),
 * and small shape helpers they all need. Nothing outside interp/ includes
 * this; the public API is interp.h.
 *
 * Every kernel reads shapes from the node's tensors (already inferred and
 * verified) and attributes through ir_attr_* (complete after
 * ir_node_complete_attrs). Dot products and reductions accumulate in double
 * and round to f32 once at the end, so the result does not depend on the
 * summation order to within f32 rounding (docs/ops.md).
 */
#ifndef QCC_INTERP_REF_H
#define QCC_INTERP_REF_H

#include "ir.h"
#include "window.h"

/* Evaluates node n: in[i] holds the elements of n->inputs[i], out[j] has
 * room for n->outputs[j]. 0, or -1 with the reason in d. */
typedef int (*RefKernel)(const Node *n, const float *const *in,
                         float *const *out, Diag *d);

int ref_conv_transpose(const Node *n, const float *const *in,
                       float *const *out, Diag *d);
int ref_conv2d(const Node *n, const float *const *in, float *const *out,
               Diag *d);
int ref_linear(const Node *n, const float *const *in, float *const *out,
               Diag *d);
int ref_batch_norm(const Node *n, const float *const *in, float *const *out,
                   Diag *d);
int ref_unary(const Node *n, const float *const *in, float *const *out,
              Diag *d);
int ref_binary(const Node *n, const float *const *in, float *const *out,
               Diag *d);
int ref_concat(const Node *n, const float *const *in, float *const *out,
               Diag *d);
int ref_split(const Node *n, const float *const *in, float *const *out,
              Diag *d);
int ref_copy(const Node *n, const float *const *in, float *const *out,
             Diag *d);
int ref_pad(const Node *n, const float *const *in, float *const *out,
            Diag *d);
int ref_strided(const Node *n, const float *const *in, float *const *out,
                Diag *d);
int ref_maxpool2d(const Node *n, const float *const *in, float *const *out,
                  Diag *d);
int ref_avgpool2d(const Node *n, const float *const *in, float *const *out,
                  Diag *d);
int ref_global_avgpool(const Node *n, const float *const *in,
                       float *const *out, Diag *d);
int ref_resize(const Node *n, const float *const *in, float *const *out,
               Diag *d);
int ref_softmax(const Node *n, const float *const *in, float *const *out,
                Diag *d);

/* Resize's sampling plan, shared by the float and u8 kernels so both pick
 * the same neighbours and weights: per output row (h) and column (w), the
 * neighbours lo <= hi and the weight of hi (0 for nearest). */
typedef struct ResizeAxis {
  int64_t *lo, *hi;
  double *frac;
} ResizeAxis;

typedef struct ResizePlan {
  int mode; /* RESIZE_NEAREST or RESIZE_BILINEAR */
  ResizeAxis h, w;
  int64_t *idx; /* storage of both axes */
  double *frac;
} ResizePlan;

/* Builds the plan for resize node n (freed with ref_resize_plan_free). */
int ref_resize_plan(const Node *n, ResizePlan *p, Diag *d);
void ref_resize_plan_free(ResizePlan *p);

/* The error for a window that sees only padding (inference forbids it). */
int ref_pool_empty_window(const Node *n, int64_t oh, int64_t ow, Diag *d);

static inline int64_t ref_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t ref_min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* NumPy broadcasting of t against an output of `rank` dims: dims align on
 * the right; a missing or size-1 dim gets stride 0. */
static inline void ref_broadcast_strides(const Tensor *t, int rank,
                                         int64_t *strides) {
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    int k = i - (rank - t->rank); /* t's own axis, < 0 when missing */
    if (k < 0 || t->dims[k] == 1) {
      strides[i] = 0;
    } else {
      strides[i] = s;
      s *= t->dims[k];
    }
  }
}

/* One odometer step over y's index, moving both inputs' offsets. */
static inline void ref_broadcast_step(const Tensor *y, int64_t *idx,
                                      const int64_t *sa, const int64_t *sb,
                                      int64_t *oa, int64_t *ob) {
  for (int k = y->rank - 1; k >= 0; k--) {
    *oa += sa[k];
    *ob += sb[k];
    if (++idx[k] < y->dims[k])
      return;
    *oa -= sa[k] * y->dims[k];
    *ob -= sb[k] * y->dims[k];
    idx[k] = 0;
  }
}

/* Product of dims[lo..hi). Shapes are verified, so it cannot overflow. */
static inline int64_t ref_prod(const int64_t *dims, int lo, int hi) {
  int64_t p = 1;
  for (int i = lo; i < hi; i++)
    p *= dims[i];
  return p;
}

/* An axis attribute in [-rank, rank) made non-negative; verified graphs
 * never hold anything else, so out of range is an internal bug. */
static inline int ref_axis(const Node *n, int64_t axis, int rank) {
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    QCC_DIE("%s '%s': axis out of range after verification",
            op_info(n->op)->name, n->name);
  return (int)axis;
}

#endif
