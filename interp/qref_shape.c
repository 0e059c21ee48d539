/* u8 reference data movement: concat, split, flatten/reshape, transpose on
 * 1-byte codes. Input and output share one (s, z), so every output code is
 * one input code, copied; the layout rules are the float kernels' in
 * ref_shape.c, on bytes instead of floats.
 */
#include <string.h>

#include "qref.h"
#include "pad.h"
#include "quant_math.h"
#include "strided.h"

static int64_t prod(const int64_t *dims, int lo, int hi) {
  int64_t p = 1;
  for (int i = lo; i < hi; i++)
    p *= dims[i];
  return p;
}

static int axis_of(const Node *n, int rank) {
  int64_t axis = ir_attr_int(n, ATTR_AXIS);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    QCC_DIE("%s '%s': axis out of range after verification",
            op_info(n->op)->name, n->name);
  return (int)axis;
}

int qref_concat_u8(const Node *n, const void *const *in, void *const *out,
                   Diag *d) {
  (void)d;
  const Tensor *yt = n->outputs[0];
  int axis = axis_of(n, yt->rank);
  int64_t outer = prod(yt->dims, 0, axis);
  int64_t inner = prod(yt->dims, axis + 1, yt->rank);
  int64_t row = yt->dims[axis] * inner;
  uint8_t *y = out[0];
  int64_t off = 0;
  for (int i = 0; i < n->num_inputs; i++) {
    const uint8_t *x = in[i];
    int64_t chunk = n->inputs[i]->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy(y + o * row + off, x + o * chunk, (size_t)chunk);
    off += chunk;
  }
  return 0;
}

int qref_split_u8(const Node *n, const void *const *in, void *const *out,
                  Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  int axis = axis_of(n, xt->rank);
  int64_t outer = prod(xt->dims, 0, axis);
  int64_t inner = prod(xt->dims, axis + 1, xt->rank);
  int64_t row = xt->dims[axis] * inner;
  const uint8_t *x = in[0];
  int64_t off = 0;
  for (int j = 0; j < n->num_outputs; j++) {
    uint8_t *y = out[j];
    int64_t chunk = n->outputs[j]->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy(y + o * chunk, x + o * row + off, (size_t)chunk);
    off += chunk;
  }
  return 0;
}

int qref_copy_u8(const Node *n, const void *const *in, void *const *out,
                 Diag *d) {
  (void)d;
  int64_t numel = ir_tensor_numel(n->inputs[0]);
  if (numel != ir_tensor_numel(n->outputs[0]))
    QCC_DIE("%s '%s': element count changes in a verified graph",
            op_info(n->op)->name, n->name);
  if (numel > 0)
    memcpy(out[0], in[0], (size_t)numel);
  return 0;
}

/* Transpose and slice: the strided view of ir/strided.h. */
int qref_strided_u8(const Node *n, const void *const *in, void *const *out,
                    Diag *d) {
  (void)d;
  ir_strided_copy(n, in[0], out[0], 1);
  return 0;
}

/* pad on u8: the fill value quantized with the result's parameters (which
 * are the input's: pad is u8-capable only when they agree). */
int qref_pad_u8(const Node *n, const void *const *in, void *const *out,
                Diag *d) {
  (void)d;
  const QuantParams *q = n->outputs[0]->quant;
  uint8_t fill = (uint8_t)qm_quantize((float)ir_attr_float(n, ATTR_VALUE),
                                      q->scale[0], q->zero_point[0], 0, 255);
  ir_pad_copy(n, in[0], out[0], 1, &fill);
  return 0;
}
