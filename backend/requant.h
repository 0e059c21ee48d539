/* The output stage of qconv2d/qlinear, shared by their kernels: per
 * channel multipliers and the requantization of an i32 accumulator to a
 * u8 code, straight (with the fused clamp) or through the fused
 * activation table (docs/quantization.md). */
#ifndef QCC_BACKEND_REQUANT_H
#define QCC_BACKEND_REQUANT_H

#include "kernel.h"

typedef struct OutStage {
  float scale;     /* s_y, or index_scale with a table, or 1 for f32 */
  int32_t z, lo, hi;
  LLVMValueRef table; /* NULL without a fused table, or with a computed one */
  /* A fused table that two slopes reproduce exactly (qm_fit_two_slopes):
   * computed per lane instead of looked up, the index never formed. */
  bool two_slope;
  float an, ap;
  int32_t zy;
  /* The two slopes keep every index's code inside [0, 255] unclamped
   * (checked at both ends, the map being monotone): no clamp, no NaN
   * test in the vector form. */
  bool two_slope_in_range;
  bool f32;           /* f32 result: acc * M, nothing rounded to u8 */
  /* The integer route of the vector stage: every reachable acc * M (and
   * its slope product) is within 2^30, so the value is rounded straight
   * to i32 (one instruction with AVX-512's embedded rounding), the zero
   * point added and the clamp done on integers, the last [0, 255] of it
   * by the saturating narrow (packs); the two-slope table's index clamp
   * moves after the slopes, where the map's monotony lets it. */
  bool wide;
  bool avx512;        /* the target has AVX-512 (embedded rounding, packs) */
  int32_t wlo, whi;   /* the integer clamp of the wide value */
} OutStage;

OutStage requant_out_stage(KernelCtx *k);
/* What one result element is stored as: f32, or a u8 code (i8). */
static inline LLVMTypeRef requant_out_type(const Emit *e, const OutStage *s) {
  return s->f32 ? e->f32 : e->i8;
}
/* M[o] = mult(s_x * s_w[o], s_target) for every output channel (malloc'd,
 * padded with zeros to `padded` entries when padded > O). */
float *requant_multipliers(const Node *n, float s_target);
float *requant_multipliers_padded(const Node *n, float s_target, int64_t padded);
/* acc (i32) -> u8 code (i8 value), or the f32 value with s->f32. */
LLVMValueRef requant_out_value(Emit *e, const OutStage *s, LLVMValueRef acc,
                               LLVMValueRef m);

/* The same for a vector of accumulators (<N x i32>) with a vector of
 * multipliers (<N x float>): <N x i8> codes (<N x float> with s->f32). Accumulators are integers, so
 * no NaN can arise (the scalar path's NaN rule is moot) and the results
 * equal requant_out_value lane by lane. */
LLVMValueRef requant_out_vector(Emit *e, const OutStage *s, LLVMValueRef acc,
                                LLVMValueRef m, unsigned lanes);

/* The integer route (s->wide): <N x i32> values whose codes are the
 * values clamped to [0, 255]; requant_narrow makes the codes. */
LLVMValueRef requant_out_wide(Emit *e, const OutStage *s, LLVMValueRef acc,
                              LLVMValueRef m, unsigned lanes);
/* count (1, 2 or 4) wide vectors of `lanes` as one <count * lanes x i8>
 * vector of codes, in order (4 x 16 lanes: one zmm of packs). */
LLVMValueRef requant_narrow(Emit *e, const OutStage *s, const LLVMValueRef *wide,
                            unsigned count, unsigned lanes);

/* Four <16 x i8> code vectors in the packs' order: byte 16l + 4j + i is
 * codes[j][4l + i] (each 16-byte lane takes four codes of each vector). */
LLVMValueRef requant_lane_order(Emit *e, const LLVMValueRef *codes);
/* Four wide <16 x i32> vectors (s->wide) narrowed to codes in that order
 * (AVX-512: two vpackssdw and one vpackuswb, nothing more). */
LLVMValueRef requant_narrow_lanes(Emit *e, const OutStage *s, const LLVMValueRef *wide);

#endif
