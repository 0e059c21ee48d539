/* int8 reference qadd, qsub and qmul with NumPy broadcasting.
 *
 *   qadd/qsub  v = rne((float)(a - z_a) * M_a  +/-  (float)(b - z_b) * M_b)
 *              M_a = qm_multiplier(s_a, s_y), M_b = qm_multiplier(s_b, s_y)
 *   qmul       v = rne((float)((a - z_a) * (b - z_b)) * M)
 *              M = qm_multiplier((double)s_a * s_b, s_y)
 *   y = qm_finish(v, z_y, lo, hi)
 *
 * qadd/qsub round three times, in a fixed order: each product to f32, then
 * the sum or difference; the file is built without FMA contraction so the
 * compiler cannot merge them. qmul's integer product is exact (|.| <= 255²).
 * The index walk is the float add's odometer over the output shape.
 */
#include "qref.h"
#include "ref.h"
#include "quant_math.h"

int qref_qbinary(const Node *n, const void *const *in, void *const *out,
                 Diag *d) {
  const Tensor *at = n->inputs[0], *bt = n->inputs[1], *yt = n->outputs[0];
  if (n->op != OP_QADD && n->op != OP_QSUB && n->op != OP_QMUL)
    return diag_error(d, n->loc, "%s '%s': not a quantized binary op",
                      op_info(n->op)->name, n->name);
  int rank = yt->rank;
  int64_t sa[QCC_MAX_RANK], sb[QCC_MAX_RANK], idx[QCC_MAX_RANK] = {0};
  ref_broadcast_strides(at, rank, sa);
  ref_broadcast_strides(bt, rank, sb);
  int32_t lo, hi;
  qref_clamp(n, &lo, &hi);

  float s_a = qref_scale(at->quant, 0), s_b = qref_scale(bt->quant, 0);
  float s_y = qref_scale(yt->quant, 0);
  int32_t z_a = qref_zero_point(at->quant, 0);
  int32_t z_b = qref_zero_point(bt->quant, 0);
  int32_t z_y = qref_zero_point(yt->quant, 0);
  float m_a = qm_multiplier(s_a, s_y), m_b = qm_multiplier(s_b, s_y);
  float m_ab = qm_multiplier((double)s_a * (double)s_b, s_y);

  const uint8_t *a = in[0], *b = in[1];
  uint8_t *y = out[0];
  int64_t numel = ir_tensor_numel(yt), oa = 0, ob = 0;
  for (int64_t i = 0; i < numel; i++) {
    int32_t da = a[oa] - z_a, db = b[ob] - z_b;
    float v;
    if (n->op == OP_QMUL) {
      v = (float)(da * db) * m_ab;
    } else {
      float pa = (float)da * m_a;
      float pb = (float)db * m_b;
      v = n->op == OP_QADD ? pa + pb : pa - pb;
    }
    y[i] = (uint8_t)qm_finish(qm_rne(v), z_y, lo, hi);
    ref_broadcast_step(yt, idx, sa, sb, &oa, &ob);
  }
  return 0;
}
