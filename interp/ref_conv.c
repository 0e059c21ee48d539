/* Reference conv2d and linear: the direct definitions, one output element at
 * a time. Each output is a dot product accumulated in double, starting from
 * the bias, in the fixed order (input channel, kernel row, kernel column),
 * and rounded to f32 once; the products of two floats are exact in double,
 * so only the additions round, each far below f32 precision.
 *
 * Padding is not materialized: taps that fall outside the input are skipped,
 * which is the same as reading zeros.
 *
 * The loops run a whole output row at a time (tap outside, column inside),
 * which gives every element exactly the same sequence of additions as the
 * element-at-a-time form, only in a cache- and vector-friendly order.
 */
#include <stddef.h>
#include <stdlib.h>

#include "ref.h"

int ref_conv2d(const Node *n, const float *const *in, float *const *out,
               Diag *d) {
  (void)d;
  const float *x = in[0], *w = in[1];
  const float *b = n->num_inputs > 2 ? in[2] : NULL;
  float *y = out[0];

  WindowGeom g;
  ir_window_geom(n, &g);
  int64_t N = g.N, C = g.C, H = g.H, W = g.W, O = g.O, CG = g.CG, KH = g.kh,
          KW = g.kw, OH = g.OH, OW = g.OW, OG = g.OG;

  double *acc = malloc(sizeof(double) * (size_t)(OW ? OW : 1));
  if (!acc)
    QCC_DIE("out of memory");
  for (int64_t bi = 0; bi < N; bi++)
    for (int64_t o = 0; o < O; o++) {
      int64_t grp = o / OG;
      const float *wo = w + o * CG * KH * KW;
      for (int64_t oh = 0; oh < OH; oh++) {
        for (int64_t ow = 0; ow < OW; ow++)
          acc[ow] = b ? (double)b[o] : 0.0;
        for (int64_t c = 0; c < CG; c++) {
          const float *xc = x + ((bi * C) + grp * CG + c) * H * W;
          for (int64_t kh = 0; kh < KH; kh++) {
            int64_t ih = oh * g.sh - g.pt + kh * g.dh;
            if (ih < 0 || ih >= H)
              continue;
            const float *row = xc + ih * W;
            for (int64_t kw = 0; kw < KW; kw++) {
              int64_t off = kw * g.dw - g.pl, lo, hi;
              ir_window_taps(OW, W, g.sw, off, &lo, &hi);
              double wv = (double)wo[(c * KH + kh) * KW + kw];
              for (int64_t ow = lo; ow < hi; ow++)
                acc[ow] += (double)row[ow * g.sw + off] * wv;
            }
          }
        }
        float *yr = y + ((bi * O + o) * OH + oh) * OW;
        for (int64_t ow = 0; ow < OW; ow++)
          yr[ow] = (float)acc[ow];
      }
    }
  free(acc);
  return 0;
}

int ref_linear(const Node *n, const float *const *in, float *const *out,
               Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0], *wt = n->inputs[1];
  const float *x = in[0], *w = in[1];
  const float *b = n->num_inputs > 2 ? in[2] : NULL;
  float *y = out[0];
  int64_t M = wt->dims[0], K = wt->dims[1];
  /* Rows are every leading index of x; the spec's x is [N, K]. */
  int64_t rows = ref_prod(xt->dims, 0, xt->rank - 1);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t m = 0; m < M; m++) {
      double acc = b ? (double)b[m] : 0.0;
      for (int64_t k = 0; k < K; k++)
        acc += (double)x[r * K + k] * (double)w[m * K + k];
      y[r * M + m] = (float)acc;
    }
  return 0;
}
