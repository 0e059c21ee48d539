/* u8 reference pooling: maxpool2d, avgpool2d and global_avgpool on codes
 * whose input and output share one (s, z) (docs/quantization.md).
 *
 * Windows are those of the float kernels (ref_pool.c): output (oh, ow)
 * covers input rows oh*stride - pad_top + [0, KH), clipped to the input for
 * the real elements and, for count_include_pad, to the padded input.
 *  - maxpool: the largest real code. Dequantization is increasing, so this
 *    is the code of the float max, and padding never wins.
 *  - avgpool: v = rne((float)sum(q - z) / (float)count), q = qm_finish(v,
 *    z, 0, 255). Padding counts as q = z (it adds 0 to the sum) when
 *    count_include_pad; the sum is exact and must fit in int32.
 * A window holding no real element is an error, as in the float version.
 */
#include "qref.h"
#include "quant_math.h"
#include "ref.h"

/* The contract's average: sum and count as exact integers, one f32
 * division, round half to even, back to a code. */
static int average(const Node *n, int64_t sum, int64_t count, int32_t z,
                   uint8_t *y, Diag *d) {
  if (qref_check_i32(n, sum, d) || qref_check_i32(n, count, d))
    return -1;
  float v = (float)(int32_t)sum / (float)(int32_t)count;
  *y = (uint8_t)qm_finish(qm_rne(v), z, 0, 255);
  return 0;
}

int qref_maxpool2d_u8(const Node *n, const void *const *in, void *const *out,
                      Diag *d) {
  WindowGeom p;
  ir_window_geom(n, &p);
  for (int64_t nc = 0; nc < p.N * p.C; nc++) {
    const uint8_t *x = (const uint8_t *)in[0] + nc * p.H * p.W;
    uint8_t *y = (uint8_t *)out[0] + nc * p.OH * p.OW;
    for (int64_t oh = 0; oh < p.OH; oh++) {
      int64_t h0 = oh * p.sh - p.pt;
      int64_t hs = ref_max64(h0, 0), he = ref_min64(h0 + p.kh, p.H);
      for (int64_t ow = 0; ow < p.OW; ow++) {
        int64_t w0 = ow * p.sw - p.pl;
        int64_t ws = ref_max64(w0, 0), we = ref_min64(w0 + p.kw, p.W);
        if (hs >= he || ws >= we)
          return ref_pool_empty_window(n, oh, ow, d);
        uint8_t m = 0;
        for (int64_t h = hs; h < he; h++)
          for (int64_t w = ws; w < we; w++)
            if (x[h * p.W + w] > m)
              m = x[h * p.W + w];
        y[oh * p.OW + ow] = m;
      }
    }
  }
  return 0;
}

int qref_avgpool2d_u8(const Node *n, const void *const *in, void *const *out,
                      Diag *d) {
  WindowGeom p;
  ir_window_geom(n, &p);
  bool include_pad = ir_attr_int(n, ATTR_COUNT_INCLUDE_PAD) != 0;
  int32_t z = qref_zero_point(n->inputs[0]->quant, 0);
  for (int64_t nc = 0; nc < p.N * p.C; nc++) {
    const uint8_t *x = (const uint8_t *)in[0] + nc * p.H * p.W;
    uint8_t *y = (uint8_t *)out[0] + nc * p.OH * p.OW;
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
        int64_t sum = 0;
        for (int64_t h = hs; h < he; h++)
          for (int64_t w = ws; w < we; w++)
            sum += x[h * p.W + w] - z;
        int64_t count = include_pad ? hpad * wpad : (he - hs) * (we - ws);
        if (average(n, sum, count, z, &y[oh * p.OW + ow], d))
          return -1;
      }
    }
  }
  return 0;
}

int qref_global_avgpool_u8(const Node *n, const void *const *in,
                           void *const *out, Diag *d) {
  const Tensor *xt = n->inputs[0];
  int64_t NC = xt->dims[0] * xt->dims[1];
  int64_t HW = xt->dims[2] * xt->dims[3];
  int32_t z = qref_zero_point(xt->quant, 0);
  const uint8_t *x = in[0];
  uint8_t *y = out[0];
  for (int64_t nc = 0; nc < NC; nc++) {
    int64_t sum = 0;
    for (int64_t i = 0; i < HW; i++)
      sum += x[nc * HW + i] - z;
    if (average(n, sum, HW, z, &y[nc], d))
      return -1;
  }
  return 0;
}
