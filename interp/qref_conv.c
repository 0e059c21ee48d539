/* int8 reference qconv2d, qlinear and dqlinear: integer dot products
 * followed by the contract's requantization (docs/quantization.md).
 *
 *   acc[o] = b[o] + sum (q_x - z_x) * q_w        exact, in int64
 *   y      = qm_requantize(acc, M[o], z_y, lo, hi)
 *   M[o]   = qm_multiplier((double)s_x * s_w[o], s_y)
 *
 * Only the final sum must fit in int32: two's complement wrapping i32 adds
 * (what the compiled code does) give the same value whenever it does,
 * whatever the partial sums did. A final sum outside int32 is reported.
 *
 * With a fused activation table (4th input), the accumulator is
 * requantized to a table index instead, and the table gives the u8 result:
 *   y = table[qm_requantize(acc, M_t[o], index_zero_point, 0, N - 1)]
 *   M_t[o] = qm_multiplier((double)s_x * s_w[o], index_scale)
 *
 * With an f32 result (a graph output nothing else reads, lower-int8) the
 * accumulator is dequantized instead, one product, no rounding to u8:
 *   y = (float)acc * M[o],  M[o] = qm_multiplier((double)s_x * s_w[o], 1)
 *
 * Padding taps read z_x, as the contract says, so they contribute exactly
 * zero: the loops skip them. They run a whole output row at a time (tap
 * outside, column inside); integer sums do not depend on the order. Weights are symmetric (qref_check_node), so q_w has no zero
 * point to subtract.
 */
#include <stddef.h>
#include <stdlib.h>

#include "out_stage.h"
#include "qref.h"
#include "quant_math.h"
#include "ref.h"

/* Where an accumulator goes (ir_out_stage), with the table's data. */
typedef struct {
  QuantOutStage s;
  const uint8_t *table;
} OutStage;

static OutStage out_stage(const Node *n, const void *const *in) {
  OutStage os = {ir_out_stage(n), NULL};
  if (os.s.kind == OUT_TABLE)
    os.table = in[3];
  return os;
}

/* Writes element i of y. */
static void out_value(const OutStage *os, int32_t acc, float m, void *y,
                      int64_t i) {
  if (os->s.kind == OUT_F32) {
    ((float *)y)[i] = (float)acc * m;
    return;
  }
  int32_t q = qm_requantize(acc, m, os->s.z, os->s.lo, os->s.hi);
  ((uint8_t *)y)[i] = os->table ? os->table[q] : (uint8_t)q;
}

int qref_qconv2d(const Node *n, const void *const *in, void *const *out,
                 Diag *d) {
  const Tensor *xt = n->inputs[0], *wt = n->inputs[1];
  const uint8_t *x = in[0];
  const int8_t *w = in[1];
  const int32_t *b = n->num_inputs > 2 ? in[2] : NULL;
  void *y = out[0];

  OutStage os = out_stage(n, in);
  WindowGeom g;
  ir_window_geom(n, &g);
  int64_t N = g.N, C = g.C, H = g.H, W = g.W, O = g.O, CG = g.CG, KH = g.kh,
          KW = g.kw, OH = g.OH, OW = g.OW, OG = g.OG;

  float s_x = qref_scale(xt->quant, 0);
  int32_t z_x = qref_zero_point(xt->quant, 0);

  int64_t *acc = malloc(sizeof(int64_t) * (size_t)(OW ? OW : 1));
  if (!acc)
    QCC_DIE("out of memory");
  int rc = 0;
  for (int64_t o = 0; o < O && !rc; o++) {
    float m = qm_multiplier((double)s_x * (double)qref_scale(wt->quant, o),
                            (double)os.s.scale);
    int64_t grp = o / OG;
    const int8_t *wo = w + o * CG * KH * KW;
    for (int64_t bi = 0; bi < N && !rc; bi++)
      for (int64_t oh = 0; oh < OH && !rc; oh++) {
        for (int64_t ow = 0; ow < OW; ow++)
          acc[ow] = b ? b[o] : 0;
        for (int64_t c = 0; c < CG; c++) {
          const uint8_t *xc = x + ((bi * C) + grp * CG + c) * H * W;
          for (int64_t kh = 0; kh < KH; kh++) {
            int64_t ih = oh * g.sh - g.pt + kh * g.dh;
            if (ih < 0 || ih >= H)
              continue;
            const uint8_t *row = xc + ih * W;
            for (int64_t kw = 0; kw < KW; kw++) {
              int64_t off = kw * g.dw - g.pl, lo, hi;
              ir_window_taps(OW, W, g.sw, off, &lo, &hi);
              int64_t wv = wo[(c * KH + kh) * KW + kw];
              for (int64_t ow = lo; ow < hi; ow++)
                acc[ow] += (int64_t)(row[ow * g.sw + off] - z_x) * wv;
            }
          }
        }
        for (int64_t ow = 0; ow < OW && !rc; ow++) {
          rc = qref_check_i32(n, acc[ow], d);
          if (!rc)
            out_value(&os, (int32_t)acc[ow], m, y, ((bi * O + o) * OH + oh) * OW + ow);
        }
      }
  }
  free(acc);
  return rc;
}

int qref_qlinear(const Node *n, const void *const *in, void *const *out,
                 Diag *d) {
  const Tensor *xt = n->inputs[0], *wt = n->inputs[1];
  const uint8_t *x = in[0];
  const int8_t *w = in[1];
  const int32_t *b = n->num_inputs > 2 ? in[2] : NULL;
  void *y = out[0];
  OutStage os = out_stage(n, in);
  int64_t rows = xt->dims[0], K = xt->dims[1], M = wt->dims[0];
  float s_x = qref_scale(xt->quant, 0);
  int32_t z_x = qref_zero_point(xt->quant, 0);
  for (int64_t o = 0; o < M; o++) {
    float m = qm_multiplier((double)s_x * (double)qref_scale(wt->quant, o),
                            (double)os.s.scale);
    for (int64_t r = 0; r < rows; r++) {
      int64_t acc = b ? b[o] : 0;
      for (int64_t k = 0; k < K; k++)
        acc += (int64_t)(x[r * K + k] - z_x) * w[o * K + k];
      if (qref_check_i32(n, acc, d))
        return -1;
      out_value(&os, (int32_t)acc, m, y, r * M + o);
    }
  }
  return 0;
}

/* Dynamic quantization of x, once per call over the whole tensor. NaN
 * elements take no part in the range (every comparison with them is
 * false) and quantize to z (qm_quantize). */
static void dynamic_params(const float *x, int64_t numel, float *s,
                           int32_t *z) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < numel; i++) {
    if (x[i] < lo)
      lo = x[i];
    if (x[i] > hi)
      hi = x[i];
  }
  if (hi == lo) { /* all zero: any scale is exact; take 1 */
    *s = 1.0f;
    *z = 0;
    return;
  }
  float range = hi - lo;
  *s = range / 255.0f;
  *z = qm_finish(qm_rne(-lo / *s), 0, 0, 255);
}

int qref_dqlinear(const Node *n, const void *const *in, void *const *out,
                  Diag *d) {
  const Tensor *xt = n->inputs[0], *wt = n->inputs[1];
  const float *x = in[0];
  const int8_t *w = in[1];
  const float *b = n->num_inputs > 2 ? in[2] : NULL;
  float *y = out[0];
  int64_t rows = xt->dims[0], K = xt->dims[1], M = wt->dims[0];
  float s;
  int32_t z;
  dynamic_params(x, rows * K, &s, &z);
  for (int64_t o = 0; o < M; o++) {
    float m = qm_multiplier((double)s * (double)qref_scale(wt->quant, o), 1.0);
    for (int64_t r = 0; r < rows; r++) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; k++) {
        int32_t q = qm_quantize(x[r * K + k], s, z, 0, 255);
        acc += (int64_t)(q - z) * w[o * K + k];
      }
      if (qref_check_i32(n, acc, d))
        return -1;
      /* Two roundings, product then sum: no fused multiply-add. */
      float v = (float)(int32_t)acc * m;
      y[r * M + o] = b ? v + b[o] : v;
    }
  }
  return 0;
}
