/* Calibration observers: the statistics gathered for one float tensor while
 * the calibration set runs (see calib.h for the layout and
 * docs/calibration.md for the reasoning).
 *
 * The histogram keeps 0 on a bin edge and grows its range by merging k old
 * bins into one new bin, k an integer: an old bin [n·w, (n+1)·w) always
 * lies inside exactly one new bin [m·k·w, (m+1)·k·w), so growing moves whole
 * counts and never splits one (k = 1 just moves the zero edge) (PyTorch's HistogramObserver instead
 * re-spreads mass over a new grid, which blurs it a little on every
 * growth). The price is that one growth can make bins up to about twice as
 * coarse as a histogram built in one go over the final range.
 */
#include "calib.h"
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int calib_observer_init(Observer *o, ObserverKind kind, int bins, Diag *d) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  if (kind != OBS_MINMAX && kind != OBS_MOVING_MINMAX &&
      kind != OBS_HISTOGRAM)
    return diag_error(d, srcloc(NULL, 0, 0), "unknown observer kind %d",
                      (int)kind);
  if (kind != OBS_HISTOGRAM)
    return 0;
  if (bins < CALIB_MIN_BINS || bins > CALIB_MAX_BINS)
    return diag_error(d, srcloc(NULL, 0, 0),
                      "histogram observer needs %d to %d bins, got %d",
                      CALIB_MIN_BINS, CALIB_MAX_BINS, bins);
  o->hist = calloc((size_t)bins, sizeof *o->hist);
  if (!o->hist)
    return diag_error(d, srcloc(NULL, 0, 0),
                      "out of memory for a %d-bin histogram", bins);
  o->bins = bins;
  return 0;
}

void calib_observer_free(Observer *o) {
  free(o->hist);
  o->hist = NULL;
}

/* The bin a non-zero finite value falls in. Negative values stay in
 * [0, zero_bin) and positive ones in [zero_bin, bins) whatever rounding
 * does at the outer edges; the growth step has made the range cover them. */
static int hist_bin_of(const Observer *o, double x, double inv_width) {
  double f = floor(x * inv_width);
  if (x < 0) {
    /* f in [-zero_bin, -1] up to rounding at the outer edge. */
    if (f < -(double)o->zero_bin)
      f = -(double)o->zero_bin;
    if (f > -1)
      f = -1;
  } else {
    if (f > (double)(o->bins - o->zero_bin - 1))
      f = (double)(o->bins - o->zero_bin - 1);
    if (f < 0)
      f = 0;
  }
  return o->zero_bin + (int)f;
}

/* First range: [min(bmin,0), max(bmax,0)] spread over bins - 1 widths, so
 * that rounding both sides outward to whole bins around the zero edge still
 * fits (ceil(x) + ceil(y) <= bins when x + y = bins - 1). */
static void hist_set_first_range(Observer *o, double bmin, double bmax) {
  double neg = bmin < 0 ? -bmin : 0, pos = bmax > 0 ? bmax : 0;
  o->width = (neg + pos) / (o->bins - 1);
  double a = ceil(neg / o->width);
  if (a > o->bins)
    a = o->bins;
  if (pos > 0 && a >= o->bins)
    a = o->bins - 1; /* rounding: keep at least one positive bin */
  o->zero_bin = (int)a;
  o->lo = -o->zero_bin * o->width;
  o->hi = (o->bins - o->zero_bin) * o->width;
}

/* ceil(x / k) for x >= 0, in doubles (x may be far beyond int64). */
static double ceil_div(double x, double k) { return ceil(x / k); }

/* Widens the range, if needed, to cover [bmin, bmax] (0 already inside). */
static void hist_grow(Observer *o, double bmin, double bmax) {
  double w = o->width;
  int a = o->zero_bin, nb = o->bins;
  /* Extents in old bin widths that the new range must cover on each side:
   * the batch, and the occupied part of the old histogram (empty old bins
   * at the ends need not survive). */
  double need_n = bmin < 0 ? ceil(-bmin / w) : 0;
  double need_p = bmax > 0 ? ceil(bmax / w) : 0;
  if (need_n <= a && need_p <= nb - a)
    return;
  int first = -1, last = -1;
  for (int b = 0; b < nb; b++)
    if (o->hist[b] != 0) {
      if (first < 0)
        first = b;
      last = b;
    }
  double ext_n = need_n, ext_p = need_p;
  if (first >= 0 && first < a && a - first > ext_n)
    ext_n = a - first;
  if (last >= a && last + 1 - a > ext_p)
    ext_p = last + 1 - a;
  /* Smallest integer k >= 1 with ceil(ext_n/k) + ceil(ext_p/k) <= bins.
   * k = 1 keeps the width and only moves the zero edge, when the occupied
   * bins still fit (e.g. data that first spread to one side, then to the
   * other). Starting from (ext_n + ext_p)/bins, a few steps suffice; beyond
   * 2^20 jump straight to a k that always fits (the sum is then < bins). */
  double k = ceil((ext_n + ext_p) / nb);
  if (k < 1)
    k = 1;
  if (k > 1048576.0) {
    k = ceil((ext_n + ext_p) / (nb - 2));
  } else {
    while (ceil_div(ext_n, k) + ceil_div(ext_p, k) > nb)
      k += 1;
  }
  double cn = ceil_div(ext_n, k), cp = ceil_div(ext_p, k);
  /* Spare bins go to the sides in proportion to their extents, so a side
   * without data gets none (one-signed data keeps its resolution). */
  double slack = nb - cn - cp;
  double a_new = cn + floor(slack * ext_n / (ext_n + ext_p));
  int an = (int)a_new;

  double *nh = calloc((size_t)nb, sizeof *nh);
  if (!nh)
    QCC_DIE("out of memory growing a %d-bin histogram", nb);
  bool small_k = k <= nb; /* else every old bin lands next to the zero edge */
  int64_t ki = small_k ? (int64_t)k : 0;
  for (int b = 0; b < nb; b++) {
    if (o->hist[b] == 0)
      continue;
    int64_t dist = (int64_t)b - a; /* old bin index relative to zero */
    int64_t m;                     /* floor(dist / k) */
    if (small_k)
      m = dist >= 0 ? dist / ki : -((-dist + ki - 1) / ki);
    else
      m = dist >= 0 ? 0 : -1;
    nh[an + m] += o->hist[b];
  }
  free(o->hist);
  o->hist = nh;
  o->width = w * k;
  o->zero_bin = an;
  o->lo = -an * o->width;
  o->hi = (nb - an) * o->width;
}

static void hist_add(Observer *o, const float *x, int64_t n, double bmin,
                     double bmax, int64_t batch_zeros) {
  if (bmin == 0 && bmax == 0) { /* only zeros: nothing to bin */
    o->zeros += batch_zeros;
    return;
  }
  if (o->width == 0)
    hist_set_first_range(o, bmin, bmax);
  else
    hist_grow(o, bmin, bmax);
  double inv = 1.0 / o->width;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    if (!isfinite(v) || v == 0)
      continue;
    o->hist[hist_bin_of(o, v, inv)] += 1;
  }
  o->zeros += batch_zeros;
}

void calib_observer_update(Observer *o, const float *x, int64_t n) {
  int64_t finite = 0, zeros = 0;
  double bmin = INFINITY, bmax = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    if (!isfinite(v)) {
      o->nonfinite++;
      continue;
    }
    finite++;
    if (v == 0)
      zeros++;
    if (v < bmin)
      bmin = v;
    if (v > bmax)
      bmax = v;
  }
  if (finite == 0)
    return;
  if (o->kind == OBS_MOVING_MINMAX && o->batches > 0) {
    o->min += CALIB_EMA_CONSTANT * (bmin - o->min);
    o->max += CALIB_EMA_CONSTANT * (bmax - o->max);
  } else if (o->batches == 0) {
    o->min = bmin;
    o->max = bmax;
  } else {
    if (bmin < o->min)
      o->min = bmin;
    if (bmax > o->max)
      o->max = bmax;
  }
  if (o->kind == OBS_HISTOGRAM)
    hist_add(o, x, n, bmin, bmax, zeros);
  o->count += finite;
  o->batches++;
}
