/* Reference pooling: maxpool2d, avgpool2d, global_avgpool.
 *
 * A window of output (oh, ow) covers input rows oh*stride - pad_top + [0, KH)
 * and the same for columns. Output sizes (with ceil_mode's rule that the
 * last window must start inside the input or the left/top padding) come
 * from shape inference; here only the window contents matter:
 *  - maxpool takes the max over the window's real input elements, so
 *    padding never wins, not even over negative inputs;
 *  - avgpool sums the real elements in double and divides by their count,
 *    or, with count_include_pad, by the window's size clipped to the padded
 *    input (PyTorch's rule: positions past the bottom/right padding, which
 *    only ceil_mode creates, are never counted).
 * A window holding no real element has no defined value; it is reported as
 * an error rather than given one (docs/ops.md).
 */
#include <math.h>

#include "ref.h"

int ref_pool_empty_window(const Node *n, int64_t oh, int64_t ow, Diag *d) {
  return diag_error(d, n->loc, "%s '%s': pooling window at output (%lld, "
                    "%lld) covers only padding", op_info(n->op)->name,
                    n->name, (long long)oh, (long long)ow);
}

int ref_maxpool2d(const Node *n, const float *const *in, float *const *out,
                  Diag *d) {
  WindowGeom p;
  ir_window_geom(n, &p);
  for (int64_t nc = 0; nc < p.N * p.C; nc++) {
    const float *x = in[0] + nc * p.H * p.W;
    float *y = out[0] + nc * p.OH * p.OW;
    for (int64_t oh = 0; oh < p.OH; oh++) {
      int64_t h0 = oh * p.sh - p.pt;
      int64_t hs = ref_max64(h0, 0), he = ref_min64(h0 + p.kh, p.H);
      for (int64_t ow = 0; ow < p.OW; ow++) {
        int64_t w0 = ow * p.sw - p.pl;
        int64_t ws = ref_max64(w0, 0), we = ref_min64(w0 + p.kw, p.W);
        if (hs >= he || ws >= we)
          return ref_pool_empty_window(n, oh, ow, d);
        float m = x[hs * p.W + ws];
        for (int64_t h = hs; h < he; h++)
          for (int64_t w = ws; w < we; w++) {
            float v = x[h * p.W + w];
            /* NaN propagates, as in PyTorch. */
            if (v > m || isnan(v))
              m = v;
          }
        y[oh * p.OW + ow] = m;
      }
    }
  }
  return 0;
}

int ref_avgpool2d(const Node *n, const float *const *in, float *const *out,
                  Diag *d) {
  WindowGeom p;
  ir_window_geom(n, &p);
  bool include_pad = ir_attr_int(n, ATTR_COUNT_INCLUDE_PAD) != 0;
  for (int64_t nc = 0; nc < p.N * p.C; nc++) {
    const float *x = in[0] + nc * p.H * p.W;
    float *y = out[0] + nc * p.OH * p.OW;
    for (int64_t oh = 0; oh < p.OH; oh++) {
      int64_t h0 = oh * p.sh - p.pt;
      int64_t hs = ref_max64(h0, 0), he = ref_min64(h0 + p.kh, p.H);
      /* The window clipped to the padded input, for count_include_pad. */
      int64_t hpad = ref_min64(h0 + p.kh, p.H + p.pb) - h0;
      for (int64_t ow = 0; ow < p.OW; ow++) {
        int64_t w0 = ow * p.sw - p.pl;
        int64_t ws = ref_max64(w0, 0), we = ref_min64(w0 + p.kw, p.W);
        int64_t wpad = ref_min64(w0 + p.kw, p.W + p.pr) - w0;
        if (hs >= he || ws >= we)
          return ref_pool_empty_window(n, oh, ow, d);
        double sum = 0;
        for (int64_t h = hs; h < he; h++)
          for (int64_t w = ws; w < we; w++)
            sum += x[h * p.W + w];
        int64_t count = include_pad ? hpad * wpad : (he - hs) * (we - ws);
        y[oh * p.OW + ow] = (float)(sum / (double)count);
      }
    }
  }
  return 0;
}

int ref_global_avgpool(const Node *n, const float *const *in,
                       float *const *out, Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  int64_t NC = xt->dims[0] * xt->dims[1];
  int64_t HW = ref_prod(xt->dims, 2, xt->rank);
  for (int64_t nc = 0; nc < NC; nc++) {
    double sum = 0;
    for (int64_t i = 0; i < HW; i++)
      sum += in[0][nc * HW + i];
    out[0][nc] = (float)(sum / (double)HW);
  }
  return 0;
}
