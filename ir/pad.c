/* pad's geometry (pad.h). */
#include "pad.h"

#include <string.h>

static const int64_t *pads_of(const Node *n, int *count) {
  return ir_attr_ints(n, ATTR_PADS, count);
}

int ir_pad_infer(const Node *n, int64_t *dims, Diag *d) {
  const Tensor *x = n->inputs[0];
  int cnt;
  const int64_t *p = pads_of(n, &cnt);
  int64_t mode = ir_attr_int(n, ATTR_MODE);
  if (cnt != 2 * x->rank)
    return ir_node_error(d, n, "pads has %d entries, expected 2 * rank = %d",
                         cnt, 2 * x->rank);
  for (int a = 0; a < x->rank; a++) {
    int64_t lo = p[a], hi = p[a + x->rank], dim = x->dims[a];
    if (lo > (1 << 20) || hi > (1 << 20) || lo < -dim || hi < -dim)
      return ir_node_error(d, n, "pads [%lld, %lld] on axis %d of size %lld "
                           "out of range", (long long)lo, (long long)hi, a,
                           (long long)dim);
    dims[a] = dim + lo + hi;
    if (dims[a] < 1)
      return ir_node_error(d, n, "pads leave axis %d empty", a);
    if (mode == PAD_REFLECT && (lo >= dim || hi >= dim))
      return ir_node_error(d, n, "reflect pads [%lld, %lld] must be smaller "
                           "than axis %d's size %lld", (long long)lo,
                           (long long)hi, a, (long long)dim);
  }
  return 0;
}

int64_t ir_pad_source(const Node *n, int axis, int64_t i) {
  const Tensor *x = n->inputs[0];
  int cnt;
  const int64_t *p = pads_of(n, &cnt);
  int64_t dim = x->dims[axis], s = i - p[axis];
  if (s >= 0 && s < dim)
    return s;
  switch (ir_attr_int(n, ATTR_MODE)) {
  case PAD_REFLECT: return s < 0 ? -s : 2 * (dim - 1) - s;
  case PAD_EDGE: return s < 0 ? 0 : dim - 1;
  default: return -1;
  }
}

void ir_pad_copy(const Node *n, const void *in, void *out, size_t elem_size,
                 const void *fill) {
  const Tensor *x = n->inputs[0], *y = n->outputs[0];
  int rank = y->rank;
  int64_t in_stride[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0}, s = 1;
  for (int a = rank - 1; a >= 0; a--) {
    in_stride[a] = s;
    s *= x->dims[a];
  }
  const char *src = in;
  char *dst = out;
  int64_t numel = ir_tensor_numel(y);
  for (int64_t k = 0; k < numel; k++) {
    int64_t off = 0;
    bool inside = true;
    for (int a = 0; a < rank && inside; a++) {
      int64_t si = ir_pad_source(n, a, idx[a]);
      inside = si >= 0;
      off += si * in_stride[a];
    }
    memcpy(dst + k * (int64_t)elem_size,
           inside ? src + off * (int64_t)elem_size : fill, elem_size);
    for (int a = rank - 1; a >= 0; a--) {
      if (++idx[a] < y->dims[a])
        break;
      idx[a] = 0;
    }
  }
}
