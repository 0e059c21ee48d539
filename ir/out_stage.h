/* The output stage of qconv2d and qlinear (docs/quantization.md): where
 * an i32 accumulator goes, derived from the node once for the int8
 * interpreter and the backend's kernels.
 *
 *   u8 result:     q = clamp(rne(acc * M[o]) + z_y, lo, hi)
 *   fused table:   q = table[clamp(rne(acc * M_t[o]) + z_i, 0, N - 1)]
 *   f32 result:    y = (float)acc * M[o], nothing rounded
 *
 * with M[o] = qm_multiplier((double)s_x * s_w[o], scale). */
#ifndef QCC_OUT_STAGE_H
#define QCC_OUT_STAGE_H

#include "ir.h"

typedef enum { OUT_U8, OUT_TABLE, OUT_F32 } OutKind;

typedef struct QuantOutStage {
  OutKind kind;
  float scale;       /* s_y, index_scale with a table, 1 for an f32 result */
  int32_t z, lo, hi; /* zero point and clamp of the code, or of the index */
} QuantOutStage;

/* The stage of an inferred qconv2d / qlinear node (its clamp, index and
 * scale attributes already checked by the verifier). */
QuantOutStage ir_out_stage(const Node *n);

#endif
