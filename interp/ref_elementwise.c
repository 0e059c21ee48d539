/* Reference elementwise ops: the unary activations, inference batch_norm,
 * and add/sub/mul with NumPy broadcasting.
 *
 * Unary activations are ir/unary.def's definitions, evaluated in double and
 * rounded to f32 once, so they are as close to the exact value as f32
 * allows; the 256-entry u8 tables built later (design.md) are computed from
 * the same definitions. add/sub/mul
 * are done directly in f32, which is already the correctly rounded result.
 */
#include <math.h>

#include "ref.h"
#include "unary.h"

int ref_unary(const Node *n, const float *const *in, float *const *out,
              Diag *d) {
  if (!ir_op_is_unary(n->op))
    return diag_error(d, n->loc, "%s '%s': not a unary activation",
                      op_info(n->op)->name, n->name);
  const float *x = in[0];
  float *y = out[0];
  int64_t numel = ir_tensor_numel(n->inputs[0]);
  double a, b;
  ir_unary_params(n, &a, &b);
  for (int64_t i = 0; i < numel; i++)
    y[i] = (float)ir_unary_apply(n->op, a, b, x[i]);
  return 0;
}

int ref_batch_norm(const Node *n, const float *const *in, float *const *out,
                   Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  const float *x = in[0], *gamma = in[1], *beta = in[2], *mean = in[3],
              *var = in[4];
  float *y = out[0];
  double eps = ir_attr_float(n, ATTR_EPS);
  /* Channels are axis 1 for any rank >= 2 (ONNX BatchNormalization). */
  int64_t N = xt->dims[0], C = xt->rank > 1 ? xt->dims[1] : 1;
  int64_t inner = ref_prod(xt->dims, 2, xt->rank);
  for (int64_t c = 0; c < C; c++) {
    double inv = 1.0 / sqrt((double)var[c] + eps);
    for (int64_t b = 0; b < N; b++) {
      const float *xc = x + (b * C + c) * inner;
      float *yc = y + (b * C + c) * inner;
      for (int64_t i = 0; i < inner; i++)
        yc[i] = (float)(((double)xc[i] - mean[c]) * inv * gamma[c] +
                        beta[c]);
    }
  }
  return 0;
}

int ref_binary(const Node *n, const float *const *in, float *const *out,
               Diag *d) {
  const Tensor *yt = n->outputs[0];
  int rank = yt->rank;
  int64_t sa[QCC_MAX_RANK], sb[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0};
  ref_broadcast_strides(n->inputs[0], rank, sa);
  ref_broadcast_strides(n->inputs[1], rank, sb);
  if (n->op != OP_ADD && n->op != OP_SUB && n->op != OP_MUL)
    return diag_error(d, n->loc, "%s '%s': not a binary arithmetic op",
                      op_info(n->op)->name, n->name);
  const float *a = in[0], *b = in[1];
  float *y = out[0];
  int64_t numel = ir_tensor_numel(yt), oa = 0, ob = 0;
  for (int64_t i = 0; i < numel; i++) {
    float va = a[oa], vb = b[ob];
    y[i] = n->op == OP_ADD ? va + vb : n->op == OP_SUB ? va - vb : va * vb;
    ref_broadcast_step(yt, idx, sa, sb, &oa, &ob);
  }
  return 0;
}
