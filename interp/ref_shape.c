/* Reference data-movement ops: concat, split, flatten, reshape, transpose.
 * No arithmetic: every output element is one input element, copied.
 *
 * concat and split see a tensor as [outer, axis * inner] blocks, so each is
 * a loop of memcpy's. flatten and reshape keep the row-major order, so they
 * are one copy; their output shapes come from inference (docs/ops.md says
 * how `0` and `-1` resolve).
 */
#include <string.h>

#include "ref.h"
#include "pad.h"
#include "strided.h"

int ref_concat(const Node *n, const float *const *in, float *const *out,
               Diag *d) {
  (void)d;
  const Tensor *yt = n->outputs[0];
  int axis = ref_axis(n, ir_attr_int(n, ATTR_AXIS), yt->rank);
  int64_t outer = ref_prod(yt->dims, 0, axis);
  int64_t inner = ref_prod(yt->dims, axis + 1, yt->rank);
  int64_t row = yt->dims[axis] * inner; /* one output block */
  int64_t off = 0;
  for (int i = 0; i < n->num_inputs; i++) {
    int64_t chunk = n->inputs[i]->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy(out[0] + o * row + off, in[i] + o * chunk,
             (size_t)chunk * sizeof(float));
    off += chunk;
  }
  return 0;
}

int ref_split(const Node *n, const float *const *in, float *const *out,
              Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  int axis = ref_axis(n, ir_attr_int(n, ATTR_AXIS), xt->rank);
  int64_t outer = ref_prod(xt->dims, 0, axis);
  int64_t inner = ref_prod(xt->dims, axis + 1, xt->rank);
  int64_t row = xt->dims[axis] * inner;
  int64_t off = 0;
  /* The output shapes already say how big each piece is, whether the sizes
   * were given or the split is equal. */
  for (int j = 0; j < n->num_outputs; j++) {
    int64_t chunk = n->outputs[j]->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy(out[j] + o * chunk, in[0] + o * row + off,
             (size_t)chunk * sizeof(float));
    off += chunk;
  }
  return 0;
}

int ref_copy(const Node *n, const float *const *in, float *const *out,
             Diag *d) {
  (void)d;
  int64_t numel = ir_tensor_numel(n->inputs[0]);
  if (numel != ir_tensor_numel(n->outputs[0]))
    QCC_DIE("%s '%s': element count changes in a verified graph",
            op_info(n->op)->name, n->name);
  if (numel > 0)
    memcpy(out[0], in[0], (size_t)numel * sizeof(float));
  return 0;
}

/* Transpose and slice: the strided view of ir/strided.h. */
int ref_strided(const Node *n, const float *const *in, float *const *out,
                Diag *d) {
  (void)d;
  ir_strided_copy(n, in[0], out[0], sizeof(float));
  return 0;
}

int ref_pad(const Node *n, const float *const *in, float *const *out,
            Diag *d) {
  (void)d;
  float fill = (float)ir_attr_float(n, ATTR_VALUE);
  ir_pad_copy(n, in[0], out[0], sizeof(float), &fill);
  return 0;
}
