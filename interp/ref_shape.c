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

int ref_transpose(const Node *n, const float *const *in, float *const *out,
                  Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int rank = xt->rank;
  int64_t perm[QCC_MAX_RANK];
  if (ir_node_attr(n, ATTR_PERM)) {
    int cnt;
    const int64_t *p = ir_attr_ints(n, ATTR_PERM, &cnt);
    if (cnt != rank)
      QCC_DIE("transpose '%s': perm has %d entries for rank %d", n->name,
              cnt, rank);
    for (int i = 0; i < rank; i++) {
      if (p[i] < 0 || p[i] >= rank)
        QCC_DIE("transpose '%s': perm entry %lld out of range", n->name,
                (long long)p[i]);
      perm[i] = p[i];
    }
  } else {
    /* ONNX's default: reverse the axes. */
    for (int i = 0; i < rank; i++)
      perm[i] = rank - 1 - i;
  }
  int64_t in_stride[QCC_MAX_RANK], st[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0};
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    in_stride[i] = s;
    s *= xt->dims[i];
  }
  /* Output axis i walks input axis perm[i]. */
  for (int i = 0; i < rank; i++)
    st[i] = in_stride[perm[i]];
  int64_t numel = ir_tensor_numel(yt), src = 0;
  for (int64_t k = 0; k < numel; k++) {
    out[0][k] = in[0][src];
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
