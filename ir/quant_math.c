/* See quant_math.h. Kept free of anything that could change rounding:
 * no -ffast-math, no FMA contraction (set per file in CMakeLists.txt). */
#include "quant_math.h"

#include <math.h>
#include <string.h>

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

int32_t qm_two_slope(int32_t d, float an, float ap, int32_t zy) {
  return qm_finish(qm_rne((float)d * (d < 0 ? an : ap)), zy, 0, 255);
}

/* For a fixed d, qm_two_slope is monotone in the slope; `sign` turns it
 * into a non-decreasing function of the slope's bit pattern (positive
 * floats are ordered like their bit patterns). */
static int32_t slope_value(int32_t d, uint32_t bits, int sign, int32_t zy) {
  float a;
  memcpy(&a, &bits, sizeof a);
  return sign * (qm_two_slope(d, a, a, zy) - zy);
}

/* The first bit pattern in [0, +inf) whose value for d exceeds target
 * (or equals it, with `inclusive`); 0x7f800000 when none does. */
static uint32_t first_above(int32_t d, int sign, int32_t zy, int32_t target,
                            int inclusive) {
  uint32_t lo = 0, hi = 0x7f800000u;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int32_t v = slope_value(d, mid, sign, zy);
    if (inclusive ? v >= target : v > target)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* A slope (>= 0) reproducing t[zi + d] - zy for every d in [from, to], all
 * of one sign: the intersection of each d's interval of slopes. */
static int fit_piece(const uint8_t *t, int32_t zi, int32_t zy, int32_t from,
                     int32_t to, float *slope) {
  uint32_t lo = 0, hi = 0x7f7fffffu;
  for (int32_t d = from; d <= to && lo <= hi; d++) {
    int sign = d > 0 ? 1 : -1;
    int32_t target = sign * ((int32_t)t[zi + d] - zy);
    uint32_t l = first_above(d, sign, zy, target, 1);
    uint32_t h = first_above(d, sign, zy, target, 0);
    if (l >= h)
      return 0; /* no slope gives this entry */
    lo = l > lo ? l : lo;
    hi = h - 1 < hi ? h - 1 : hi;
  }
  if (lo > hi)
    return 0;
  uint32_t bits = lo + (hi - lo) / 2;
  memcpy(slope, &bits, sizeof *slope);
  return 1;
}

int qm_fit_two_slopes(const uint8_t *t, int32_t n, int32_t zi, float *an,
                      float *ap, int32_t *zy) {
  if (n < 1 || zi < 0 || zi >= n)
    return 0;
  *zy = t[zi];
  *an = *ap = 0.0f;
  if (zi > 0 && !fit_piece(t, zi, *zy, -zi, -1, an))
    return 0;
  if (zi < n - 1 && !fit_piece(t, zi, *zy, 1, n - 1 - zi, ap))
    return 0;
  for (int32_t k = 0; k < n; k++) /* the searches' result, checked whole */
    if (qm_two_slope(k - zi, *an, *ap, *zy) != t[k])
      return 0;
  return 1;
}
