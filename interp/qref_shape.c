/* u8 reference data movement: concat, split, flatten/reshape, transpose on
 * 1-byte codes. Input and output share one (s, z), so every output code is
 * one input code, copied; the layout rules are the float kernels' in
 * ref_shape.c, on bytes instead of floats.
 */
#include <string.h>

#include "qref.h"

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

int qref_transpose_u8(const Node *n, const void *const *in, void *const *out,
                      Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int rank = xt->rank;
  int cnt;
  const int64_t *perm = ir_attr_ints(n, ATTR_PERM, &cnt);
  if (cnt != rank)
    QCC_DIE("transpose '%s': perm has %d entries for rank %d", n->name, cnt,
            rank);
  int64_t in_stride[QCC_MAX_RANK], st[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0};
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    in_stride[i] = s;
    s *= xt->dims[i];
  }
  for (int i = 0; i < rank; i++) {
    if (perm[i] < 0 || perm[i] >= rank)
      QCC_DIE("transpose '%s': perm entry %lld out of range", n->name,
              (long long)perm[i]);
    st[i] = in_stride[perm[i]]; /* output axis i walks input axis perm[i] */
  }
  const uint8_t *x = in[0];
  uint8_t *y = out[0];
  int64_t numel = ir_tensor_numel(yt), src = 0;
  for (int64_t k = 0; k < numel; k++) {
    y[k] = x[src];
    for (int i = rank - 1; i >= 0; i--) {
      src += st[i];
      if (++idx[i] < yt->dims[i])
        break;
      src -= st[i] * yt->dims[i];
      idx[i] = 0;
    }
  }
  return 0;
}
