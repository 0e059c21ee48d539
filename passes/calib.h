/* Calibration statistics and range estimation: the numerical core of
 * post-training static quantization.
 *
 * An Observer watches one float tensor while the calibration set runs
 * through the float model (the `insert-observers` / `calibrate` passes feed
 * it one sample's tensor per call). When the run is over, calib_range_
 * estimate() turns what it saw into the clipping range [lo, hi] that u8
 * asymmetric quantization of that tensor should cover, and
 * calib_quant_params_u8() turns the range into (scale, zero_point); weights
 * get symmetric i8 scales from calib_weight_scales(). docs/calibration.md
 * gives every formula and the reasons behind it.
 *
 * Histogram layout (OBS_HISTOGRAM). The real value 0 is always a bin edge:
 * bin b covers [(b - zero_bin)·width, (b - zero_bin + 1)·width), so
 * hist[0 .. zero_bin) hold negative values and hist[zero_bin .. bins) hold
 * positive ones. Exact zeros (frequent after ReLU, always exactly
 * representable) are counted in `zeros`, not in a bin. When a batch falls
 * outside the range, the bin width grows by an integer factor k >= 1 and old
 * bins merge k to one without being split (k = 1 only moves the zero edge
 * inside the array), so counts stay exact:
 *     sum(hist) + zeros == count   (counts are integers held in doubles).
 *
 * Ownership: an Observer is a value the caller owns; calib_observer_init()
 * allocates its histogram and calib_observer_free() releases it. Nothing
 * here prints or exits; errors come back as -1 with a Diag.
 */
#ifndef QCC_CALIB_H
#define QCC_CALIB_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define CALIB_MIN_BINS 2048
#define CALIB_MAX_BINS (1 << 24)
/* Moving-average observers: new = old + CALIB_EMA_CONSTANT·(batch - old). */
#define CALIB_EMA_CONSTANT 0.01

typedef enum ObserverKind {
  OBS_MINMAX,        /* running min/max */
  OBS_MOVING_MINMAX, /* EMA of per-batch min/max; the first batch initializes */
  OBS_HISTOGRAM,     /* exact min/max plus a growing histogram */
} ObserverKind;

typedef struct Observer {
  ObserverKind kind;
  /* Finite values only. OBS_MINMAX / OBS_HISTOGRAM: the extremes seen so
   * far; OBS_MOVING_MINMAX: the moving averages. Meaningless while
   * count == 0. */
  double min, max;
  int64_t count;     /* finite values seen */
  int64_t nonfinite; /* NaN and ±inf values seen, ignored otherwise */
  int64_t batches;   /* updates that carried at least one finite value */
  /* ---- OBS_HISTOGRAM only ---- */
  int64_t zeros; /* exact zeros (±0.0); never in a bin */
  int bins;      /* number of bins, >= CALIB_MIN_BINS */
  int zero_bin;  /* index of the first positive bin, 0..bins */
  double width;  /* bin width; 0 until the first non-zero value */
  double lo, hi; /* histogram range: -zero_bin·width, (bins - zero_bin)·width */
  double *hist;  /* bins counts (whole numbers), owned */
} Observer;

/* Sets *o up empty. OBS_HISTOGRAM needs CALIB_MIN_BINS <= bins <=
 * CALIB_MAX_BINS (an error otherwise) and allocates the histogram; the other
 * kinds ignore bins. Returns 0, or -1 with a Diag. */
int calib_observer_init(Observer *o, ObserverKind kind, int bins, Diag *d);
/* Releases the histogram; *o may then be initialized again. */
void calib_observer_free(Observer *o);
/* Adds one sample's tensor (n values). NaN and ±inf are counted in
 * o->nonfinite and otherwise ignored; a call without finite values changes
 * nothing else (and is not a batch for the moving average). */
void calib_observer_update(Observer *o, const float *x, int64_t n);

typedef enum RangeMethod {
  RANGE_MINMAX,     /* observed min/max */
  RANGE_PERCENTILE, /* (100-P)th and Pth percentiles of the histogram */
  RANGE_ENTROPY,    /* KL-divergence minimization (TensorRT-style) */
  RANGE_MSE,        /* minimal expected quantize-dequantize squared error */
} RangeMethod;

typedef struct RangeOptions {
  RangeMethod method;
  double percentile;    /* RANGE_PERCENTILE: P in (50, 100] */
  int num_quant_levels; /* 256 for u8; 2..65536 */
} RangeOptions;

/* Parses "minmax", "percentile:P" (50 < P <= 100), "entropy" or "mse" into
 * *out (num_quant_levels = 256). Returns 0, or -1 with a Diag whose
 * message names the bad text. */
int calib_range_parse(const char *s, RangeOptions *out, Diag *d);

/* The clipping range [*lo, *hi] for quantizing what *o observed to
 * opt->num_quant_levels asymmetric levels. Always *lo <= 0 <= *hi and
 * *hi > *lo; a tensor that was all zeros gets [0, 1]. The range never
 * extends past the observed data (beyond including 0), so one-signed data
 * gets an exact 0 on its empty side. RANGE_MINMAX works with every
 * observer; the other methods need OBS_HISTOGRAM. An observer that saw no
 * finite value is an error. Returns 0, or -1 with a Diag. */
int calib_range_estimate(const Observer *o, const RangeOptions *opt,
                         float *lo, float *hi, Diag *d);

/* Symmetric i8 weight scales, scale = max|w| / 127, so that w/scale lies in
 * [-127, 127]. w holds `channels` blocks of `per_channel` values (output
 * channel = axis 0). per_tensor: one scale over all of w, written to
 * scales[0]; otherwise scales[c] for each channel. Non-finite weights are
 * skipped (the caller rejects them). A block whose max|w|/127 is zero or not
 * a normal float (an all-zero channel) gets scale 1/127: its weights
 * quantize to 0 whatever the scale, and a tiny scale would make its i32 bias
 * (bias / (s_x·s_w)) overflow. */
void calib_weight_scales(const float *w, int64_t channels,
                         int64_t per_channel, bool per_tensor, float *scales);

/* u8 asymmetric parameters covering [lo, hi] (first widened to include 0):
 * scale = (hi - lo)/255, zero_point = clamp(round_half_even(-lo/scale), 0,
 * 255). Rounding the zero point "nudges" the represented range to
 * [-zp·scale, (255 - zp)·scale], shifted by less than scale/2, so that the
 * real 0 is exactly the code zp. A range of zero width, or one whose scale
 * would not be a normal float, is treated as [0, 1]. */
void calib_quant_params_u8(float lo, float hi, float *scale,
                           int32_t *zero_point);

#endif
