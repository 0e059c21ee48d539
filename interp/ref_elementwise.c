/* Reference elementwise ops: the unary activations, inference batch_norm,
 * and add/sub/mul with NumPy broadcasting.
 *
 * Transcendental activations are evaluated in double and rounded to f32
 * once, so they are as close to the exact value as f32 allows; the 256-entry
 * u8 tables built later (design.md) are computed the same way. add/sub/mul
 * are done directly in f32, which is already the correctly rounded result.
 */
#include <math.h>

#include "ref.h"

/* Lower/upper bound of clip: a missing bound is no bound, so a partially
 * specified clip stays well defined whatever the schema's defaults are. */
static double clip_bound(const Node *n, AttrKey key, double none) {
  return ir_node_attr(n, key) ? ir_attr_float(n, key) : none;
}

int ref_unary(const Node *n, const float *const *in, float *const *out,
              Diag *d) {
  const float *x = in[0];
  float *y = out[0];
  int64_t numel = ir_tensor_numel(n->inputs[0]);
  double lo = 0, hi = 0, alpha = 0, beta = 0;
  switch (n->op) {
  case OP_CLIP:
    lo = clip_bound(n, ATTR_MIN, -INFINITY);
    hi = clip_bound(n, ATTR_MAX, INFINITY);
    break;
  case OP_LEAKY_RELU:
    alpha = ir_attr_float(n, ATTR_ALPHA);
    break;
  case OP_HARDSIGMOID:
    alpha = ir_attr_float(n, ATTR_ALPHA);
    beta = ir_attr_float(n, ATTR_BETA);
    break;
  default:
    break;
  }
  for (int64_t i = 0; i < numel; i++) {
    double v = x[i], r;
    switch (n->op) {
    case OP_RELU: r = v > 0 ? v : 0; break;
    case OP_RELU6: r = v < 0 ? 0 : v > 6 ? 6 : v; break;
    case OP_CLIP: r = v < lo ? lo : v > hi ? hi : v; break;
    case OP_SIGMOID: r = 1.0 / (1.0 + exp(-v)); break;
    case OP_TANH: r = tanh(v); break;
    case OP_SILU: r = v * (1.0 / (1.0 + exp(-v))); break;
    case OP_HARDSWISH: {
      double t = v + 3;
      t = t < 0 ? 0 : t > 6 ? 6 : t;
      r = v * t / 6;
      break;
    }
    case OP_HARDSIGMOID: {
      double t = alpha * v + beta;
      r = t < 0 ? 0 : t > 1 ? 1 : t;
      break;
    }
    case OP_LEAKY_RELU: r = v >= 0 ? v : alpha * v; break;
    case OP_REQUANTIZE: r = v; break;
    default:
      return diag_error(d, n->loc, "%s '%s': not a unary activation",
                        op_info(n->op)->name, n->name);
    }
    y[i] = (float)r;
  }
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
