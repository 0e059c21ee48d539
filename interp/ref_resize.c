/* Reference resize (ONNX Resize on H and W of an NCHW tensor).
 *
 * Each output row/column maps to a source coordinate through the
 * coordinate transform, computed in double exactly as docs/ops.md writes
 * it, because nearest's floor makes the result jump at integers and every
 * implementation (NumPy goldens, compiled code) must round the same way:
 *   scale = the given scale, or out/in when a size was given
 *   asymmetric          x = o / scale
 *   half_pixel          x = (o + 0.5) / scale - 0.5
 *   pytorch_half_pixel  x = out > 1 ? (o + 0.5) / scale - 0.5 : 0
 *   align_corners       x = out > 1 ? o * (in - 1) / (out - 1) : 0
 *   tf_half_pixel_for_nn  x = (o + 0.5) / scale
 * nearest takes floor(x) (or, by its `nearest` attribute, ceil(x),
 * ceil(x - 0.5) for round_prefer_floor, floor(x + 0.5) for
 * round_prefer_ceil) clamped to [0, in-1]; bilinear clamps x to [0, in-1]
 * and blends the two neighbours (the upper one clamped too).
 */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

/* Mode and coord enum values (RESIZE_*, COORD_*) come from ir.h. */

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
  case COORD_TF_HALF_PIXEL_FOR_NN:
    return ((double)o + 0.5) / scale;
  default:
    QCC_DIE("resize: coord enum %d unknown", coord);
  }
}

void ref_resize_plan_free(ResizePlan *p) {
  free(p->idx);
  free(p->frac);
}

/* One axis: for output index o, neighbours lo[o] <= hi[o] and the weight
 * of hi (nearest: lo == hi, weight 0). */
static double nearest_pixel(int nearest, double x) {
  switch (nearest) {
  case NEAREST_CEIL: return ceil(x);
  case NEAREST_ROUND_PREFER_FLOOR: return ceil(x - 0.5);
  case NEAREST_ROUND_PREFER_CEIL: return floor(x + 0.5);
  default: return floor(x);
  }
}

static void plan_axis(int mode, int nearest, int coord, double scale,
                      int64_t in, int64_t out, ResizeAxis *ax) {
  for (int64_t o = 0; o < out; o++) {
    double x = source_coord(coord, o, scale, in, out);
    if (mode == RESIZE_NEAREST) {
      double f = nearest_pixel(nearest, x);
      /* Clamp in double first: a far-out coordinate must not overflow the
       * conversion to an integer. */
      f = f < 0 ? 0 : f > (double)(in - 1) ? (double)(in - 1) : f;
      ax->lo[o] = ax->hi[o] = (int64_t)f;
      ax->frac[o] = 0;
    } else {
      x = x < 0 ? 0 : x > (double)(in - 1) ? (double)(in - 1) : x;
      int64_t i0 = (int64_t)floor(x);
      ax->lo[o] = i0;
      ax->hi[o] = i0 + 1 < in ? i0 + 1 : in - 1;
      ax->frac[o] = x - (double)i0;
    }
  }
}

int ref_resize_plan(const Node *n, ResizePlan *p, Diag *d) {
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2],
          OW = yt->dims[3];
  p->mode = (int)ir_attr_int(n, ATTR_MODE);
  int coord = (int)ir_attr_int(n, ATTR_COORD);
  if (p->mode != RESIZE_NEAREST && p->mode != RESIZE_BILINEAR)
    QCC_DIE("resize '%s': mode enum %d unknown", n->name, p->mode);
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
  /* One allocation for both axes' plans (H side then W side). */
  size_t cells = (size_t)(OH + OW);
  p->idx = malloc(2 * cells * sizeof *p->idx + 1);
  p->frac = malloc(cells * sizeof *p->frac + 1);
  if (!p->idx || !p->frac)
    QCC_DIE("out of memory");
  p->h = (ResizeAxis){p->idx, p->idx + cells, p->frac};
  p->w = (ResizeAxis){p->idx + OH, p->idx + cells + OH, p->frac + OH};
  int nearest = ir_node_attr(n, ATTR_NEAREST)
                    ? (int)ir_attr_int(n, ATTR_NEAREST)
                    : NEAREST_FLOOR;
  plan_axis(p->mode, nearest, coord, sh, H, OH, &p->h);
  plan_axis(p->mode, nearest, coord, sw, W, OW, &p->w);
  return 0;
}

int ref_resize(const Node *n, const float *const *in, float *const *out,
               Diag *d) {
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int64_t NC = xt->dims[0] * xt->dims[1];
  int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2],
          OW = yt->dims[3];
  ResizePlan plan;
  if (ref_resize_plan(n, &plan, d))
    return -1;
  int mode = plan.mode;
  const ResizeAxis ah = plan.h, aw = plan.w;

  for (int64_t nc = 0; nc < NC; nc++) {
    const float *x = in[0] + nc * H * W;
    float *y = out[0] + nc * OH * OW;
    for (int64_t oh = 0; oh < OH; oh++) {
      const float *r0 = x + ah.lo[oh] * W, *r1 = x + ah.hi[oh] * W;
      double fy = ah.frac[oh];
      if (mode == RESIZE_NEAREST) {
        /* A plain copy: blending with weight 0 would turn inf into NaN. */
        for (int64_t ow = 0; ow < OW; ow++)
          y[oh * OW + ow] = r0[aw.lo[ow]];
        continue;
      }
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t c0 = aw.lo[ow], c1 = aw.hi[ow];
        double fx = aw.frac[ow];
        double top = (1 - fx) * r0[c0] + fx * r0[c1];
        double bot = (1 - fx) * r1[c0] + fx * r1[c1];
        y[oh * OW + ow] = (float)((1 - fy) * top + fy * bot);
      }
    }
  }
  ref_resize_plan_free(&plan);
  return 0;
}
