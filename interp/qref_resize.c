/* u8 reference resize (input and output share one (s, z)).
 *
 * The sampling plan is the float kernel's (ref_resize.c, docs/ops.md): the
 * same double source coordinate per output row/column, the same clamping,
 * the same neighbours. It is repeated here rather than shared because the
 * float file keeps it private; the property test in test_qinterp.c checks
 * that nearest picks the very elements the float version picks.
 *
 *   nearest   y = x[lo_h][lo_w] (a copy of the code)
 *   bilinear  ly = (float)frac_h, lx = (float)frac_w   (double -> f32)
 *             w_tl = (1 - ly) * (1 - lx)   w_tr = (1 - ly) * lx
 *             w_bl = ly * (1 - lx)         w_br = ly * lx      (all f32)
 *             v = ((w_tl*d_tl + w_tr*d_tr) + w_bl*d_bl) + w_br*d_br
 *             with d_i = (float)(q_i - z), every product and sum rounded
 *             to f32 in that order, then y = qm_finish(rne(v), z, 0, 255).
 */
#include <math.h>
#include <stdlib.h>

#include "qref.h"
#include "quant_math.h"

static double source_coord(int coord, int64_t o, double scale, int64_t in,
                           int64_t out) {
  switch (coord) {
  case COORD_ASYMMETRIC:
    return (double)o / scale;
  case COORD_HALF_PIXEL:
    return ((double)o + 0.5) / scale - 0.5;
  case COORD_PYTORCH_HALF_PIXEL:
    return out > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
  case COORD_ALIGN_CORNERS:
    return out > 1 ? (double)o * (double)(in - 1) / (double)(out - 1) : 0.0;
  default:
    QCC_DIE("resize: coord enum %d unknown", coord);
  }
}

/* One axis: neighbours lo[o] <= hi[o] and the f32 weight of hi. */
typedef struct QAxis {
  int64_t *lo, *hi;
  float *frac;
} QAxis;

static void plan_axis(int mode, int coord, double scale, int64_t in,
                      int64_t out, QAxis *ax) {
  for (int64_t o = 0; o < out; o++) {
    double x = source_coord(coord, o, scale, in, out);
    if (mode == RESIZE_NEAREST) {
      double f = floor(x);
      f = f < 0 ? 0 : f > (double)(in - 1) ? (double)(in - 1) : f;
      ax->lo[o] = ax->hi[o] = (int64_t)f;
      ax->frac[o] = 0;
    } else {
      x = x < 0 ? 0 : x > (double)(in - 1) ? (double)(in - 1) : x;
      int64_t i0 = (int64_t)floor(x);
      ax->lo[o] = i0;
      ax->hi[o] = i0 + 1 < in ? i0 + 1 : in - 1;
      ax->frac[o] = (float)(x - (double)i0);
    }
  }
}

int qref_resize_u8(const Node *n, const void *const *in, void *const *out,
                   Diag *d) {
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int64_t NC = xt->dims[0] * xt->dims[1];
  int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2],
          OW = yt->dims[3];
  int mode = (int)ir_attr_int(n, ATTR_MODE);
  int coord = (int)ir_attr_int(n, ATTR_COORD);
  if (mode != RESIZE_NEAREST && mode != RESIZE_BILINEAR)
    QCC_DIE("resize '%s': mode enum %d unknown", n->name, mode);
  double sh, sw;
  if (ir_node_attr(n, ATTR_SCALE)) {
    int cnt;
    const double *s = ir_attr_floats(n, ATTR_SCALE, &cnt);
    sh = s[0];
    sw = s[1];
  } else {
    sh = (double)OH / (double)H;
    sw = (double)OW / (double)W;
  }
  if (H <= 0 || W <= 0 || !(sh > 0) || !(sw > 0))
    return diag_error(d, n->loc, "resize '%s': empty input or non-positive "
                      "scale", n->name);
  int32_t z = qref_zero_point(xt->quant, 0);

  size_t cells = (size_t)(OH + OW);
  int64_t *idx = malloc(2 * cells * sizeof *idx + 1);
  float *frac = malloc(cells * sizeof *frac + 1);
  if (!idx || !frac)
    QCC_DIE("out of memory");
  QAxis ah = {idx, idx + cells, frac};
  QAxis aw = {idx + OH, idx + cells + OH, frac + OH};
  plan_axis(mode, coord, sh, H, OH, &ah);
  plan_axis(mode, coord, sw, W, OW, &aw);

  for (int64_t nc = 0; nc < NC; nc++) {
    const uint8_t *x = (const uint8_t *)in[0] + nc * H * W;
    uint8_t *y = (uint8_t *)out[0] + nc * OH * OW;
    for (int64_t oh = 0; oh < OH; oh++) {
      const uint8_t *r0 = x + ah.lo[oh] * W, *r1 = x + ah.hi[oh] * W;
      if (mode == RESIZE_NEAREST) {
        for (int64_t ow = 0; ow < OW; ow++)
          y[oh * OW + ow] = r0[aw.lo[ow]];
        continue;
      }
      float ly = ah.frac[oh];
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t c0 = aw.lo[ow], c1 = aw.hi[ow];
        float lx = aw.frac[ow];
        float w_tl = (1.0f - ly) * (1.0f - lx), w_tr = (1.0f - ly) * lx;
        float w_bl = ly * (1.0f - lx), w_br = ly * lx;
        float v = w_tl * (float)(r0[c0] - z);
        v = v + w_tr * (float)(r0[c1] - z);
        v = v + w_bl * (float)(r1[c0] - z);
        v = v + w_br * (float)(r1[c1] - z);
        y[oh * OW + ow] = (uint8_t)qm_finish(qm_rne(v), z, 0, 255);
      }
    }
  }
  free(idx);
  free(frac);
  return 0;
}
