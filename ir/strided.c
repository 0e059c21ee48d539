/* Strided views (strided.h): slice's ONNX geometry and the view of a
 * transpose or slice. */
#include "strided.h"

#include <limits.h>
#include <string.h>

bool ir_is_strided_view(OpKind op) {
  return op == OP_TRANSPOSE || op == OP_SLICE;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

int ir_slice_infer(const Node *n, int64_t *start, int64_t *step,
                   int64_t *len, Diag *d) {
  const Tensor *x = n->inputs[0];
  int ns, ne, na = 0, nst = 0;
  const int64_t *starts = ir_attr_ints(n, ATTR_STARTS, &ns);
  const int64_t *ends = ir_attr_ints(n, ATTR_ENDS, &ne);
  const int64_t *axes =
      ir_node_attr(n, ATTR_AXES) ? ir_attr_ints(n, ATTR_AXES, &na) : NULL;
  const int64_t *steps =
      ir_node_attr(n, ATTR_STEPS) ? ir_attr_ints(n, ATTR_STEPS, &nst) : NULL;
  if (ne != ns || (axes && na != ns) || (steps && nst != ns))
    return ir_node_error(d, n, "starts, ends, axes and steps must have the "
                         "same length");
  if (ns > x->rank)
    return ir_node_error(d, n, "%d axes sliced, input has %d dims", ns,
                         x->rank);
  bool seen[QCC_MAX_RANK] = {0};
  for (int a = 0; a < x->rank; a++) {
    start[a] = 0;
    step[a] = 1;
    len[a] = x->dims[a];
  }
  for (int i = 0; i < ns; i++) {
    int64_t a = axes ? axes[i] : i;
    if (a < 0)
      a += x->rank;
    if (a < 0 || a >= x->rank)
      return ir_node_error(d, n, "axis %lld is out of range for %d dims",
                           (long long)(axes ? axes[i] : i), x->rank);
    if (seen[a])
      return ir_node_error(d, n, "axis %lld is sliced twice", (long long)a);
    seen[a] = true;
    int64_t dim = x->dims[a], s = steps ? steps[i] : 1;
    if (s == 0)
      return ir_node_error(d, n, "step 0 on axis %lld", (long long)a);
    if (s == INT64_MIN)
      return ir_node_error(d, n, "step out of range on axis %lld",
                           (long long)a);
    /* ONNX: negative indices count from the end; then starts clamp to
     * [0, dim] ([0, dim - 1] stepping back), ends to [0, dim] ([-1,
     * dim - 1] stepping back). */
    int64_t b = starts[i], e = ends[i];
    b = b < 0 ? (b < -dim ? 0 : b + dim) : b;
    e = e < 0 ? (e < -dim ? (s > 0 ? 0 : -1) : e + dim) : e;
    if (s > 0) {
      b = clamp64(b, 0, dim);
      e = clamp64(e, 0, dim);
    } else {
      b = clamp64(b, 0, dim - 1);
      e = clamp64(e, -1, dim - 1);
    }
    int64_t span = s > 0 ? e - b : b - e, as = s > 0 ? s : -s;
    len[a] = span <= 0 ? 0 : 1 + (span - 1) / as; /* no overflow near 2^63 */
    start[a] = len[a] ? b : 0;
    /* One element (or none) needs no step: a huge one would overflow the
     * view's stride. */
    step[a] = len[a] > 1 ? s : 1;
  }
  return 0;
}

void ir_strided_view(const Node *n, int64_t *base, int64_t *stride) {
  const Tensor *x = n->inputs[0];
  int64_t in_stride[QCC_MAX_RANK], s = 1;
  for (int a = x->rank - 1; a >= 0; a--) {
    in_stride[a] = s;
    s *= x->dims[a];
  }
  *base = 0;
  if (n->op == OP_TRANSPOSE) {
    int cnt;
    const int64_t *perm = ir_attr_ints(n, ATTR_PERM, &cnt);
    for (int a = 0; a < cnt; a++)
      stride[a] = in_stride[perm[a]]; /* output axis a walks input perm[a] */
    return;
  }
  if (n->op != OP_SLICE)
    QCC_DIE("%s '%s' is not a strided view", op_info(n->op)->name, n->name);
  int64_t start[QCC_MAX_RANK], step[QCC_MAX_RANK], len[QCC_MAX_RANK];
  Diag d;
  if (ir_slice_infer(n, start, step, len, &d))
    QCC_DIE("%s", d.msg);
  for (int a = 0; a < x->rank; a++) {
    *base += start[a] * in_stride[a];
    stride[a] = step[a] * in_stride[a];
  }
}

void ir_strided_copy(const Node *n, const void *in, void *out,
                     size_t elem_size) {
  const Tensor *y = n->outputs[0];
  int64_t base, st[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0};
  ir_strided_view(n, &base, st);
  const char *x = in;
  char *o = out;
  int64_t numel = ir_tensor_numel(y), src = base;
  for (int64_t k = 0; k < numel; k++) {
    memcpy(o + k * (int64_t)elem_size, x + src * (int64_t)elem_size,
           elem_size);
    for (int i = y->rank - 1; i >= 0; i--) {
      src += st[i];
      if (++idx[i] < y->dims[i])
        break;
      src -= st[i] * y->dims[i];
      idx[i] = 0;
    }
  }
}
