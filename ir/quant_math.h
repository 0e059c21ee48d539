/* The integer arithmetic contract of the int8 dialect (docs/quantization.md),
 * in one place: the int8 reference interpreter and the backend's constant
 * folding both call these, so "bit-exact" has one definition. Everything is
 * f32 with round-half-to-even, in a fixed order, with no fused
 * multiply-add (this file is compiled with -ffp-contract=off). */
#ifndef QCC_QUANT_MATH_H
#define QCC_QUANT_MATH_H

#include <stdint.h>

/* Round half to even (the default IEEE mode, like vcvtps2dq). */
float qm_rne(float v);
/* A multiplier rounded once to f32 from its exact double value. */
float qm_multiplier(double num, double den);
/* Clamp v (already rounded) to [lo - z, hi - z], convert, add z. Clamping
 * in float first keeps out-of-int-range values exact. */
int32_t qm_finish(float v, int32_t z, int32_t lo, int32_t hi);
/* q = clamp(rne(acc * m) + z, lo, hi). */
int32_t qm_requantize(int32_t acc, float m, int32_t z, int32_t lo, int32_t hi);
/* q = clamp(rne(x / s) + z, lo, hi) (ONNX QuantizeLinear). NaN -> z. */
int32_t qm_quantize(float x, float s, int32_t z, int32_t lo, int32_t hi);
/* (q - z) * s. */
float qm_dequantize(int32_t q, float s, int32_t z);

/* A fused activation table computed instead of looked up: the code for
 * k = index_zero_point + d is finish(rne((float)d * (d < 0 ? an : ap)))
 * + zy, clamped to [0, 255]. */
int32_t qm_two_slope(int32_t d, float an, float ap, int32_t zy);
/* Whether two slopes >= 0 reproduce the table t[0..n-1] of index zero
 * point zi exactly, entry by entry (leaky ReLU's and clip's tables, when no
 * rounding of the table's double arithmetic disagrees with this f32 one);
 * on success the slopes and zy = t[zi]. */
int qm_fit_two_slopes(const uint8_t *t, int32_t n, int32_t zi, float *an,
                      float *ap, int32_t *zy);

#endif
