/* See quant_math.h. Kept free of anything that could change rounding:
 * no -ffast-math, no FMA contraction (set per file in CMakeLists.txt). */
#include "quant_math.h"

#include <math.h>

float qm_rne(float v) { return nearbyintf(v); }

float qm_multiplier(double num, double den) { return (float)(num / den); }

int32_t qm_finish(float v, int32_t z, int32_t lo, int32_t hi) {
  float flo = (float)(lo - z), fhi = (float)(hi - z);
  if (v != v)
    v = 0.0f; /* NaN only from NaN inputs; map to the zero point */
  v = v < flo ? flo : v;
  v = v > fhi ? fhi : v;
  return (int32_t)v + z;
}

int32_t qm_requantize(int32_t acc, float m, int32_t z, int32_t lo, int32_t hi) {
  float v = (float)acc * m;
  return qm_finish(qm_rne(v), z, lo, hi);
}

int32_t qm_quantize(float x, float s, int32_t z, int32_t lo, int32_t hi) {
  float v = x / s;
  return qm_finish(qm_rne(v), z, lo, hi);
}

float qm_dequantize(int32_t q, float s, int32_t z) {
  return (float)(q - z) * s;
}
