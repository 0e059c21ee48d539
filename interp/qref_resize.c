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
#include "ref.h"
#include "quant_math.h"

int qref_resize_u8(const Node *n, const void *const *in, void *const *out,
                   Diag *d) {
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  int64_t NC = xt->dims[0] * xt->dims[1];
  int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2],
          OW = yt->dims[3];
  /* The float interpreter's sampling plan: the same neighbours, and the
   * same weights rounded once to f32. */
  ResizePlan plan;
  if (ref_resize_plan(n, &plan, d))
    return -1;
  int mode = plan.mode;
  const ResizeAxis ah = plan.h, aw = plan.w;
  int32_t z = qref_zero_point(xt->quant, 0);

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
      float ly = (float)ah.frac[oh];
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t c0 = aw.lo[ow], c1 = aw.hi[ow];
        float lx = (float)aw.frac[ow];
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
  ref_resize_plan_free(&plan);
  return 0;
}
