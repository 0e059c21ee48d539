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

/* conv_transpose (ONNX ConvTranspose), as a gather per output element:
 * y[n, o, i, j] = b[o] + sum over the group's input channels c and taps
 * (kh, kw) with i + pt - kh = ih * sh and j + pl - kw = iw * sw inside the
 * input of x[n, c, ih, iw] * w[c, o % (O / groups), kh, kw], in double in
 * the order (c, kh, kw). */
int ref_conv_transpose(const Node *n, const float *const *in,
                       float *const *out, Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0], *wt = n->inputs[1], *yt = n->outputs[0];
  const float *x = in[0], *w = in[1];
  const float *b = n->num_inputs > 2 ? in[2] : NULL;
  int cs, cp;
  const int64_t *st = ir_attr_ints(n, ATTR_STRIDE, &cs);
  const int64_t *pad = ir_attr_ints(n, ATTR_PADDING, &cp);
  int64_t groups = ir_attr_int(n, ATTR_GROUPS);
  int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3];
  int64_t OG = wt->dims[1], KH = wt->dims[2], KW = wt->dims[3];
  int64_t O = yt->dims[1], OH = yt->dims[2], OW = yt->dims[3], CG = C / groups;
  int64_t sh = st[0], sw = st[1], pt = pad[0], pl = pad[1];
  for (int64_t bi = 0; bi < N; bi++)
    for (int64_t o = 0; o < O; o++) {
      int64_t grp = o / OG, ol = o % OG;
      for (int64_t i = 0; i < OH; i++)
        for (int64_t j = 0; j < OW; j++) {
          double acc = b ? (double)b[o] : 0.0;
          for (int64_t c = grp * CG; c < (grp + 1) * CG; c++)
            for (int64_t kh = 0; kh < KH; kh++) {
              int64_t th = i + pt - kh;
              if (th < 0 || th % sh || th / sh >= H)
                continue;
              for (int64_t kw = 0; kw < KW; kw++) {
                int64_t tw = j + pl - kw;
                if (tw < 0 || tw % sw || tw / sw >= W)
                  continue;
                acc += (double)x[((bi * C + c) * H + th / sh) * W + tw / sw] *
                       (double)w[((c * OG + ol) * KH + kh) * KW + kw];
              }
            }
          out[0][((bi * O + o) * OH + i) * OW + j] = (float)acc;
        }
    }
  return 0;
}
