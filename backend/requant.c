/* See requant.h. */
#include "requant.h"

#include <stdlib.h>

#include "quant_math.h"

float *requant_multipliers_padded(const Node *n, float s_target, int64_t padded) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  int64_t O = w->dims[0];
  if (padded < O)
    padded = O;
  float *m = calloc((size_t)padded, sizeof(float));
  if (!m)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < O; o++)
    m[o] = qm_multiplier((double)x->quant->scale[0] *
                             (double)w->quant->scale[w->quant->axis < 0 ? 0 : o],
                         (double)s_target);
  return m;
}

float *requant_multipliers(const Node *n, float s_target) {
  return requant_multipliers_padded(n, s_target, 0);
}

OutStage requant_out_stage(KernelCtx *k) {
  const Node *n = k->n;
  OutStage s = {0};
  if (n->outputs[0]->dtype == DT_F32) { /* docs/quantization.md */
    s.f32 = true;
    s.scale = 1.0f;
    return s;
  }
  if (n->num_inputs > 3) {
    s.scale = (float)ir_attr_float(n, ATTR_INDEX_SCALE);
    s.z = (int32_t)ir_attr_int(n, ATTR_INDEX_ZERO_POINT);
    s.lo = 0;
    s.hi = (int32_t)n->inputs[3]->dims[0] - 1;
    s.two_slope = qm_fit_two_slopes(n->inputs[3]->data, s.hi + 1, s.z, &s.an,
                                    &s.ap, &s.zy);
    if (!s.two_slope) {
      s.table = kc_tensor(k, n->inputs[3]);
      return s;
    }
    /* Both slopes are >= 0, so rne(d * a) grows with d: its ends bound it. */
    float d_lo = (float)(s.lo - s.z), d_hi = (float)(s.hi - s.z);
    float y_lo = qm_rne(d_lo * (d_lo < 0 ? s.an : s.ap)) + (float)s.zy;
    float y_hi = qm_rne(d_hi * (d_hi < 0 ? s.an : s.ap)) + (float)s.zy;
    s.two_slope_in_range = s.an >= 0 && s.ap >= 0 && y_lo >= 0 && y_hi <= 255;
    return s;
  }
  const QuantParams *q = n->outputs[0]->quant;
  s.scale = q->scale[0];
  s.z = q->zero_point[0];
  int cnt;
  const int64_t *c = ir_attr_ints(n, ATTR_CLAMP, &cnt);
  s.lo = cnt == 2 ? (int32_t)c[0] : 0;
  s.hi = cnt == 2 ? (int32_t)c[1] : 255;
  return s;
}

/* A rounded value (scalar or vector) clamped to [lo - z, hi - z], still a
 * float. */
static LLVMValueRef clamp_index(Emit *e, const OutStage *s, LLVMValueRef v) {
  LLVMValueRef flo = em_like(v, em_f32(e, (float)(s->lo - s->z)));
  LLVMValueRef fhi = em_like(v, em_f32(e, (float)(s->hi - s->z)));
  v = LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, v, flo, ""), flo, v, "");
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, v, fhi, ""), fhi, v, "");
}

/* qm_two_slope for d = k - index_zero_point, which is the clamped rounded
 * value itself, an integral float: the index is never formed. i32 codes. */
static LLVMValueRef two_slope(Emit *e, const OutStage *s, LLVMValueRef d) {
  LLVMValueRef neg = LLVMBuildFCmp(e->b, LLVMRealOLT, d, em_like(d, em_f32(e, 0.0f)), "");
  LLVMValueRef a = LLVMBuildSelect(e->b, neg, em_like(d, em_f32(e, s->an)),
                                   em_like(d, em_f32(e, s->ap)), "");
  LLVMValueRef y = em_rne(e, LLVMBuildFMul(e->b, d, a, ""));
  if (!s->two_slope_in_range)
    return em_finish(e, y, s->zy, 0, 255);
  /* d is a bounded integral float and a finite: no NaN, and in range. */
  LLVMTypeRef vt = LLVMTypeOf(y);
  LLVMTypeRef it = LLVMGetTypeKind(vt) == LLVMVectorTypeKind
                       ? LLVMVectorType(e->i32, LLVMGetVectorSize(vt))
                       : e->i32;
  LLVMValueRef q = LLVMBuildFPToSI(e->b, y, it, "");
  return s->zy ? LLVMBuildAdd(e->b, q, em_like(q, em_i32(e, s->zy)), "") : q;
}

LLVMValueRef requant_out_value(Emit *e, const OutStage *s, LLVMValueRef acc,
                               LLVMValueRef m) {
  LLVMValueRef v = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, acc, e->f32, ""), m, "");
  if (s->f32)
    return v;
  if (s->two_slope)
    return LLVMBuildTrunc(e->b, two_slope(e, s, clamp_index(e, s, em_rne(e, v))), e->i8, "");
  LLVMValueRef q = em_finish(e, em_rne(e, v), s->z, s->lo, s->hi);
  if (s->table)
    return em_load_at(e, e->i8, s->table, LLVMBuildZExt(e->b, q, e->i64, ""));
  return LLVMBuildTrunc(e->b, q, e->i8, "");
}

LLVMValueRef requant_out_vector(Emit *e, const OutStage *s, LLVMValueRef acc,
                                LLVMValueRef m, unsigned lanes) {
  LLVMTypeRef vf = LLVMVectorType(e->f32, lanes);
  LLVMValueRef v = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, acc, vf, ""), m, "");
  if (s->f32)
    return v;
  v = clamp_index(e, s, em_rne(e, v));
  LLVMTypeRef vi8 = LLVMVectorType(e->i8, lanes);
  if (s->two_slope)
    return LLVMBuildTrunc(e->b, two_slope(e, s, v), vi8, "");
  LLVMValueRef q = LLVMBuildFPToSI(e->b, v, LLVMVectorType(e->i32, lanes), "");
  if (s->z)
    q = LLVMBuildAdd(e->b, q, em_splat_const(em_i32(e, s->z), lanes), "");
  if (!s->table)
    return LLVMBuildTrunc(e->b, q, vi8, "");
  LLVMValueRef r = LLVMGetUndef(vi8);
  for (unsigned j = 0; j < lanes; j++) {
    LLVMValueRef idx = LLVMBuildExtractElement(e->b, q, em_i32(e, j), "");
    LLVMValueRef b = em_load_at(e, e->i8, s->table, LLVMBuildZExt(e->b, idx, e->i64, ""));
    r = LLVMBuildInsertElement(e->b, r, b, em_i32(e, j), "");
  }
  return r;
}
