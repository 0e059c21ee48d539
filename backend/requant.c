/* See requant.h. */
#include "requant.h"

#include <math.h>
#include <stdlib.h>

#include "dot_step.h"
#include "out_stage.h"
#include "quant_math.h"
#include "target.h"

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

/* Whether every acc this node can produce, times its channel's
 * multiplier and then by `slope` (the larger two-slope factor, or 1),
 * stays within 2^30: |acc| <= |b| + max(z_x, 255 - z_x) * sum |w| for
 * u8 inputs, and the products are finite, so the wide route's direct
 * conversion to i32 cannot overflow. */
static bool wide_fits(const Node *n, float scale, double slope) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  if (w->dtype != DT_I8 || !w->data || x->dtype != DT_U8 || !isfinite(slope))
    return false;
  const int8_t *wd = w->data;
  const int32_t *bias = n->num_inputs > 2 && n->inputs[2]->dtype == DT_I32 ? n->inputs[2]->data : NULL;
  int64_t O = w->dims[0], per = ir_tensor_numel(w) / O;
  double zx = x->quant->zero_point[0], span = zx > 255 - zx ? zx : 255 - zx;
  float *m = requant_multipliers(n, scale);
  bool ok = true;
  for (int64_t o = 0; o < O && ok; o++) {
    double sum = 0;
    for (int64_t i = 0; i < per; i++)
      sum += abs(wd[o * per + i]);
    double acc = (bias ? fabs((double)bias[o]) : 0.0) + span * sum;
    ok = isfinite(m[o]) && (acc * fabs((double)m[o]) * 1.0001 + 1.0) * slope < 1073741824.0;
  }
  free(m);
  return ok;
}

/* The two-slope code of index k: rne(d * a(d)) + zy, d = k - z. */
static int32_t slope_code(const OutStage *s, int32_t k) {
  float d = (float)(k - s->z);
  return (int32_t)qm_rne(d * (d < 0 ? s->an : s->ap)) + s->zy;
}

/* The integer route where its bound holds (see OutStage.wide). */
static void choose_wide(const Node *n, TargetKind t, OutStage *s) {
  s->avx512 = target_info(t)->i8.kind == STEP_VNNI512;
  s->wlo = 0;
  s->whi = 255;
  if (s->two_slope) {
    if (!(s->an >= 0 && s->ap >= 0) || !wide_fits(n, s->scale, fmax(1.0, fmax(s->an, s->ap))))
      return;
    /* The codes of the index range's ends bound every code (monotone). */
    int32_t y_lo = slope_code(s, s->lo), y_hi = slope_code(s, s->hi);
    s->wlo = y_lo > 0 ? y_lo : 0;
    s->whi = y_hi < 255 ? y_hi : 255;
    s->wide = s->wlo <= s->whi;
    return;
  }
  if (s->table || !wide_fits(n, s->scale, 1.0))
    return;
  s->wlo = s->lo;
  s->whi = s->hi;
  s->wide = 0 <= s->lo && s->lo <= s->hi && s->hi <= 255;
}

OutStage requant_out_stage(KernelCtx *k) {
  const Node *n = k->n;
  QuantOutStage q = ir_out_stage(n);
  OutStage s = {.scale = q.scale, .z = q.z, .lo = q.lo, .hi = q.hi,
                .f32 = q.kind == OUT_F32};
  if (q.kind == OUT_F32) /* docs/quantization.md */
    return s;
  if (q.kind == OUT_TABLE) {
    s.two_slope = qm_fit_two_slopes(n->inputs[3]->data, s.hi + 1, s.z, &s.an,
                                    &s.ap, &s.zy);
    if (!s.two_slope) {
      s.table = kc_tensor(k, n->inputs[3]);
      return s;
    }
    /* Both slopes are >= 0, so rne(d * a) grows with d: its ends bound it. */
    s.two_slope_in_range = s.an >= 0 && s.ap >= 0 && slope_code(&s, s.lo) >= 0 &&
                           slope_code(&s, s.hi) <= 255;
  }
  choose_wide(n, k->target, &s);
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

/* rne(v) as i32 lanes, v finite and within 2^30: vcvtps2dq {rn-sae}
 * with AVX-512 (the rounding in the instruction, whatever MXCSR says),
 * else the rounding then the exact truncating conversion. */
static LLVMValueRef round_to_i32(Emit *e, const OutStage *s, LLVMValueRef v, unsigned lanes) {
  LLVMTypeRef vi = LLVMVectorType(e->i32, lanes);
  if (s->avx512 && lanes == 16) {
    LLVMTypeRef pt[4] = {LLVMTypeOf(v), vi, e->i16, e->i32};
    LLVMValueRef args[4] = {v, LLVMGetUndef(vi), LLVMConstInt(e->i16, 0xffff, 0),
                            em_i32(e, 8 /* _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC */)};
    return em_x86_call(e, "llvm.x86.avx512.mask.cvtps2dq.512", vi, pt, 4, args);
  }
  return LLVMBuildFPToSI(e->b, em_rne(e, v), vi, "");
}

static LLVMValueRef clamp_i32(Emit *e, LLVMValueRef q, int32_t lo, int32_t hi) {
  LLVMTypeRef t = LLVMTypeOf(q);
  if (lo > 0) {
    LLVMValueRef a[2] = {q, em_like(q, em_i32(e, lo))};
    q = em_intrinsic(e, "llvm.smax", t, a, 2);
  }
  if (hi < 255) {
    LLVMValueRef a[2] = {q, em_like(q, em_i32(e, hi))};
    q = em_intrinsic(e, "llvm.smin", t, a, 2);
  }
  return q;
}

LLVMValueRef requant_out_wide(Emit *e, const OutStage *s, LLVMValueRef acc,
                              LLVMValueRef m, unsigned lanes) {
  LLVMTypeRef vf = LLVMVectorType(e->f32, lanes);
  LLVMValueRef v = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, acc, vf, ""), m, "");
  int32_t z = s->z;
  if (s->two_slope) {
    /* The index clamp is left out: rne(d * a(d)) grows with d, so the
     * clamp of the codes to those of the range's ends (wlo, whi) gives
     * the same code. */
    LLVMValueRef d = em_rne(e, v);
    LLVMValueRef neg = LLVMBuildFCmp(e->b, LLVMRealOLT, d, em_like(d, em_f32(e, 0.0f)), "");
    LLVMValueRef a = LLVMBuildSelect(e->b, neg, em_like(d, em_f32(e, s->an)),
                                     em_like(d, em_f32(e, s->ap)), "");
    v = LLVMBuildFMul(e->b, d, a, "");
    z = s->zy;
  }
  LLVMValueRef q = round_to_i32(e, s, v, lanes);
  if (z)
    q = LLVMBuildAdd(e->b, q, em_like(q, em_i32(e, z)), "");
  return clamp_i32(e, q, s->wlo, s->whi);
}

/* [0, 255] by saturation: the clamp, then the truncation. */
static LLVMValueRef narrow_one(Emit *e, LLVMValueRef q, unsigned lanes) {
  LLVMTypeRef t = LLVMTypeOf(q);
  LLVMValueRef a[2] = {q, em_like(q, em_i32(e, 0))};
  q = em_intrinsic(e, "llvm.smax", t, a, 2);
  LLVMValueRef b[2] = {q, em_like(q, em_i32(e, 255))};
  q = em_intrinsic(e, "llvm.smin", t, b, 2);
  return LLVMBuildTrunc(e->b, q, LLVMVectorType(e->i8, lanes), "");
}

LLVMValueRef requant_lane_order(Emit *e, const LLVMValueRef *codes) {
  LLVMValueRef lo = em_concat(e, codes[0], codes[1], 16), hi = em_concat(e, codes[2], codes[3], 16);
  LLVMValueRef idx[64];
  for (unsigned l = 0; l < 4; l++)
    for (unsigned j = 0; j < 4; j++)
      for (unsigned i = 0; i < 4; i++)
        idx[16 * l + 4 * j + i] = em_i32(e, (int32_t)(32 * (j / 2) + 16 * (j % 2) + 4 * l + i));
  return LLVMBuildShuffleVector(e->b, lo, hi, LLVMConstVector(idx, 64), "");
}

LLVMValueRef requant_narrow_lanes(Emit *e, const OutStage *s, const LLVMValueRef *wide) {
  if (s->avx512) {
    /* vpackssdw (i32 -> i16, signed saturation) and vpackuswb (i16 -> u8,
     * unsigned saturation) clamp to [0, 255] exactly and work per 16-byte
     * lane, in exactly this order. */
    LLVMTypeRef v16 = LLVMVectorType(e->i32, 16), w32 = LLVMVectorType(e->i16, 32);
    LLVMTypeRef pd[2] = {v16, v16}, pw[2] = {w32, w32};
    LLVMValueRef a01[2] = {wide[0], wide[1]}, a23[2] = {wide[2], wide[3]};
    LLVMValueRef p[2] = {em_x86_call(e, "llvm.x86.avx512.packssdw.512", w32, pd, 2, a01),
                         em_x86_call(e, "llvm.x86.avx512.packssdw.512", w32, pd, 2, a23)};
    return em_x86_call(e, "llvm.x86.avx512.packuswb.512", LLVMVectorType(e->i8, 64), pw, 2, p);
  }
  LLVMValueRef c[4];
  for (int j = 0; j < 4; j++)
    c[j] = narrow_one(e, wide[j], 16);
  return requant_lane_order(e, c);
}

LLVMValueRef requant_narrow(Emit *e, const OutStage *s, const LLVMValueRef *wide,
                            unsigned count, unsigned lanes) {
  if (count == 4 && s->avx512 && lanes == 16) {
    /* The packs' order, then one vpermd: dword 4l + j holds vector j's
     * lanes 4l..4l+3. */
    LLVMTypeRef v16 = LLVMVectorType(e->i32, 16);
    LLVMValueRef idx[16];
    for (unsigned t = 0; t < 16; t++)
      idx[t] = em_i32(e, (int32_t)(4 * (t % 4) + t / 4));
    LLVMValueRef dw = LLVMBuildBitCast(e->b, requant_narrow_lanes(e, s, wide), v16, "");
    dw = LLVMBuildShuffleVector(e->b, dw, LLVMGetUndef(v16), LLVMConstVector(idx, 16), "");
    return LLVMBuildBitCast(e->b, dw, LLVMVectorType(e->i8, 64), "");
  }
  LLVMValueRef r[4];
  for (unsigned i = 0; i < count; i++)
    r[i] = narrow_one(e, wide[i], lanes);
  /* Pairs joined by one shuffle each, until one vector is left. */
  for (unsigned n = count, w = lanes; n > 1; n /= 2, w *= 2)
    for (unsigned i = 0; i < n / 2; i++)
      r[i] = em_concat(e, r[2 * i], r[2 * i + 1], w);
  return r[0];
}

LLVMValueRef requant_out_vector(Emit *e, const OutStage *s, LLVMValueRef acc,
                                LLVMValueRef m, unsigned lanes) {
  LLVMTypeRef vf = LLVMVectorType(e->f32, lanes);
  if (s->wide && !s->f32) {
    LLVMValueRef w = requant_out_wide(e, s, acc, m, lanes);
    return requant_narrow(e, s, &w, 1, lanes);
  }
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
