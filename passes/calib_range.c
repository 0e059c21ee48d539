/* Range estimation: from what an Observer saw to the clipping range [lo, hi]
 * of a u8 asymmetric quantizer, plus the small formulas the quantization
 * passes share (u8 parameters from a range, i8 weight scales).
 *
 * The estimators read the histogram through one density model: each bin's
 * count is spread uniformly over the bin, except that the first and last
 * occupied bins are narrowed to the exact observed min and max, and exact
 * zeros are a point mass at 0. Percentile inverts that model's CDF; mse
 * integrates squared error over it exactly; entropy works on the bins
 * themselves, as TensorRT's calibrator does. docs/calibration.md has the
 * formulas, the search grids and measured speed.
 */
#include "calib.h"
#include "ir.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static SrcLoc no_loc(void) { return srcloc(NULL, 0, 0); }

/* ---- parsing -------------------------------------------------------------- */

int calib_range_parse(const char *s, RangeOptions *out, Diag *d) {
  RangeOptions o = {RANGE_MINMAX, 100.0, 256};
  if (strcmp(s, "minmax") == 0) {
    o.method = RANGE_MINMAX;
  } else if (strcmp(s, "entropy") == 0) {
    o.method = RANGE_ENTROPY;
  } else if (strcmp(s, "mse") == 0) {
    o.method = RANGE_MSE;
  } else if (strncmp(s, "percentile:", 11) == 0) {
    const char *num = s + 11;
    char *end = NULL;
    double p = *num ? strtod(num, &end) : NAN;
    /* Below 50 the "low" percentile would lie above the "high" one. */
    if (!end || *end || !(p > 50 && p <= 100))
      return diag_error(d, no_loc(),
                        "percentile must be a number in (50, 100], got '%s'",
                        num);
    o.method = RANGE_PERCENTILE;
    o.percentile = p;
  } else {
    return diag_error(d, no_loc(),
                      "unknown range method '%s' (expected minmax, "
                      "percentile:P, entropy or mse)",
                      s);
  }
  *out = o;
  return 0;
}

/* ---- shared quantization formulas ------------------------------------------ */

void calib_quant_params_u8(float lo, float hi, float *scale,
                           int32_t *zero_point) {
  double l = lo < 0 ? lo : 0, h = hi > 0 ? hi : 0;
  double s = (h - l) / 255.0;
  /* Zero width (an all-zero tensor) or a scale that would be subnormal,
   * zero or infinite as a float: any scale represents such a tensor, and
   * [0, 1] keeps downstream requantization multipliers ordinary. */
  if (!(s >= FLT_MIN && s <= FLT_MAX) || isnan(s)) {
    l = 0;
    s = 1.0 / 255.0;
  }
  float sf = (float)s;
  /* The zero point is derived from the float scale the kernels will use,
   * so that -lo/scale is what the runtime sees. Round half to even, as
   * requantization does (docs/design.md). */
  double z = nearbyint(-l / (double)sf);
  if (z < 0)
    z = 0;
  if (z > 255)
    z = 255;
  *scale = sf;
  *zero_point = (int32_t)z;
}

void calib_weight_scales(const float *w, int64_t channels,
                         int64_t per_channel, bool per_tensor, float *scales) {
  int64_t blocks = per_tensor ? 1 : channels;
  int64_t len = per_tensor ? channels * per_channel : per_channel;
  for (int64_t c = 0; c < blocks; c++) {
    const float *p = w + c * len;
    double m = 0;
    for (int64_t i = 0; i < len; i++) {
      double v = fabs((double)p[i]);
      if (isfinite(v) && v > m)
        m = v;
    }
    float s = (float)(m / 127.0);
    if (!(s >= FLT_MIN))
      s = 1.0f / 127.0f; /* all-zero block: see calib.h */
    scales[c] = s;
  }
}

/* ---- the density model ------------------------------------------------------ */

typedef struct Model {
  const Observer *o;
  int nb, a;    /* bins, zero_bin */
  double w;     /* bin width */
  double total; /* sum of hist (exact zeros excluded) */
  /* Prefix sums over bins [0, b): mass, sum x, sum x^2 under the model. */
  double *c0, *c1, *c2;
} Model;

/* The support [u, v] a bin's mass is spread over. */
static void bin_support(const Model *m, int b, double *u, double *v) {
  double e = (double)(b - m->a) * m->w;
  double lo = e, hi = e + m->w;
  if (lo < m->o->min)
    lo = m->o->min;
  if (hi > m->o->max)
    hi = m->o->max;
  if (hi < lo) /* only when rounding put a value one bin off */
    lo = hi = 0.5 * (lo + hi);
  *u = lo;
  *v = hi;
}

static int model_init(Model *m, const Observer *o, Diag *d) {
  memset(m, 0, sizeof *m);
  m->o = o;
  m->nb = o->bins;
  m->a = o->zero_bin;
  m->w = o->width;
  size_t n = (size_t)m->nb + 1;
  m->c0 = malloc(n * sizeof *m->c0);
  m->c1 = malloc(n * sizeof *m->c1);
  m->c2 = malloc(n * sizeof *m->c2);
  if (!m->c0 || !m->c1 || !m->c2) {
    free(m->c0);
    free(m->c1);
    free(m->c2);
    return diag_error(d, no_loc(), "out of memory estimating a range");
  }
  m->c0[0] = m->c1[0] = m->c2[0] = 0;
  for (int b = 0; b < m->nb; b++) {
    double h = o->hist[b], u, v;
    bin_support(m, b, &u, &v);
    /* Uniform on [u, v]: mean (u+v)/2, mean square (u^2+uv+v^2)/3. */
    m->c0[b + 1] = m->c0[b] + h;
    m->c1[b + 1] = m->c1[b] + h * 0.5 * (u + v);
    m->c2[b + 1] = m->c2[b] + h * (u * u + u * v + v * v) / 3.0;
  }
  m->total = m->c0[m->nb];
  return 0;
}

static void model_free(Model *m) {
  free(m->c0);
  free(m->c1);
  free(m->c2);
}

/* Mass, first and second moment of the modelled values below t (exact zeros
 * excluded: they add nothing to either moment). */
static void model_below(const Model *m, double t, double r[3]) {
  double f = floor(t / m->w) + m->a;
  int b = f < 0 ? 0 : f > m->nb - 1 ? m->nb - 1 : (int)f;
  r[0] = m->c0[b];
  r[1] = m->c1[b];
  r[2] = m->c2[b];
  double h = m->o->hist[b];
  if (h == 0)
    return;
  double u, v;
  bin_support(m, b, &u, &v);
  if (t <= u)
    return;
  if (t >= v || v == u) {
    r[0] += h;
    r[1] += m->c1[b + 1] - m->c1[b];
    r[2] += m->c2[b + 1] - m->c2[b];
    return;
  }
  /* The part [u, t] of a uniform bin, in factored forms that do not cancel
   * when u and t are close. */
  double dens = h / (v - u), dt = t - u;
  r[0] += dens * dt;
  r[1] += dens * dt * (t + u) * 0.5;
  r[2] += dens * dt * (t * t + t * u + u * u) / 3.0;
}

/* The value below which mass q lies (0 <= q <= total + zeros). */
static double model_quantile(const Model *m, double q) {
  const Observer *o = m->o;
  double cum = 0;
  for (int b = 0; b <= m->nb; b++) {
    if (b == m->a) { /* exact zeros sit between the two sides */
      double z = (double)o->zeros;
      if (z > 0 && cum + z >= q)
        return 0;
      cum += z;
    }
    if (b == m->nb)
      break;
    double h = o->hist[b];
    if (h > 0 && cum + h >= q) {
      double u, v, f = (q - cum) / h;
      bin_support(m, b, &u, &v);
      return u + (v - u) * (f < 0 ? 0 : f > 1 ? 1 : f);
    }
    cum += h;
  }
  return o->max;
}

/* ---- percentile ------------------------------------------------------------ */

static void estimate_percentile(const Model *m, double p, double *lo,
                                double *hi) {
  double all = m->total + (double)m->o->zeros;
  *lo = model_quantile(m, all * (100.0 - p) / 100.0);
  *hi = model_quantile(m, all * p / 100.0);
}

/* ---- mse ------------------------------------------------------------------- */

/* Expected squared error, summed over all observed values, of quantizing to
 * `levels` codes with the parameters [lo, hi] yields after the zero point
 * is rounded (the grid actually used, with 0 on it). Values beyond the ends
 * clip to the end codes; values inside round to the nearest code. */
static double mse_eval(const Model *m, double lo, double hi, int levels) {
  double s = (hi - lo) / (levels - 1);
  double z = nearbyint(-lo / s);
  if (z < 0)
    z = 0;
  if (z > levels - 1)
    z = levels - 1;
  double g0 = -z * s, gl = (levels - 1 - z) * s;
  double prev[3], cur[3], err = 0;
  model_below(m, g0, prev);
  err += prev[2] - 2 * g0 * prev[1] + g0 * g0 * prev[0];
  for (int q = 0; q < levels; q++) {
    double g = g0 + q * s;
    double t = q == levels - 1 ? gl : g + 0.5 * s;
    model_below(m, t, cur);
    double d0 = cur[0] - prev[0], d1 = cur[1] - prev[1], d2 = cur[2] - prev[2];
    if (d0 > 0)
      err += d2 - 2 * g * d1 + g * g * d0;
    memcpy(prev, cur, sizeof prev);
  }
  double a0 = m->total - prev[0], a1 = m->c1[m->nb] - prev[1],
         a2 = m->c2[m->nb] - prev[2];
  if (a0 > 0)
    err += a2 - 2 * gl * a1 + gl * gl * a0;
  return err;
}

#define MSE_GRID 48   /* candidate thresholds per side, geometric */
#define MSE_REFINE 17 /* points per refinement step */

/* Minimizes f(x) = mse with one side fixed, over x in [x0, x1] (x >= 0 is
 * the threshold magnitude on side `side`: 0 = lo, 1 = hi). Repeated grids,
 * each MSE_REFINE points, shrinking to the neighbours of the best. */
static double mse_refine(const Model *m, int levels, int side, double other,
                         double x0, double x1, double best_x,
                         double *best_f) {
  for (int it = 0; it < 6 && x1 > x0; it++) {
    double step = (x1 - x0) / (MSE_REFINE - 1);
    for (int k = 0; k < MSE_REFINE; k++) {
      double x = x0 + k * step;
      double lo = side == 0 ? -x : -other, hi = side == 0 ? other : x;
      if (!(hi - lo > 0))
        continue;
      double f = mse_eval(m, lo, hi, levels);
      if (f < *best_f) {
        *best_f = f;
        best_x = x;
      }
    }
    double nx0 = best_x - step, nx1 = best_x + step;
    x0 = nx0 > x0 ? nx0 : x0;
    x1 = nx1 < x1 ? nx1 : x1;
  }
  return best_x;
}

static void estimate_mse(const Model *m, int levels, double *lo, double *hi) {
  double ext[2] = {m->o->min < 0 ? -m->o->min : 0,
                   m->o->max > 0 ? m->o->max : 0};
  /* Per side: 0 (clip the whole side to 0) and MSE_GRID thresholds spaced
   * geometrically from half a bin to the observed extreme. */
  double grid[2][MSE_GRID + 1];
  int ng[2];
  double ratio[2];
  for (int s = 0; s < 2; s++) {
    ng[s] = 1;
    grid[s][0] = 0;
    ratio[s] = 1;
    if (ext[s] == 0)
      continue;
    double tmin = 0.5 * m->w < ext[s] ? 0.5 * m->w : ext[s];
    ratio[s] = pow(ext[s] / tmin, 1.0 / (MSE_GRID - 1));
    for (int k = 0; k < MSE_GRID; k++)
      grid[s][ng[s]++] =
          k == MSE_GRID - 1 ? ext[s] : tmin * pow(ratio[s], k);
  }
  double best = INFINITY;
  int bi = 0, bj = 0;
  for (int i = 0; i < ng[0]; i++)
    for (int j = 0; j < ng[1]; j++) {
      if (i == 0 && j == 0)
        continue;
      double f = mse_eval(m, -grid[0][i], grid[1][j], levels);
      if (f < best) {
        best = f;
        bi = i;
        bj = j;
      }
    }
  double t[2] = {grid[0][bi], grid[1][bj]};
  int idx[2] = {bi, bj};
  /* Alternate 1-D refinements: first inside the coarse grid's neighbours,
   * then within one grid ratio of the current value. */
  for (int round = 0; round < 3; round++)
    for (int s = 0; s < 2; s++) {
      if (ext[s] == 0)
        continue;
      double x0, x1;
      if (round == 0) {
        x0 = idx[s] > 0 ? grid[s][idx[s] - 1] : 0;
        x1 = idx[s] + 1 < ng[s] ? grid[s][idx[s] + 1] : ext[s];
      } else {
        x0 = t[s] / ratio[s];
        x1 = t[s] * ratio[s];
        if (t[s] == 0)
          x1 = grid[s][1];
        if (x1 > ext[s])
          x1 = ext[s];
      }
      t[s] = mse_refine(m, levels, s, t[1 - s], x0, x1, t[s], &best);
    }
  *lo = -t[0];
  *hi = t[1];
}

/* ---- entropy --------------------------------------------------------------- */

/* A P-bin whose Q is empty gets probability KL_EPS: less than one value in
 * a calibration set of up to 1e9 values, so clipping mass into a region the
 * data never reached costs log(p/KL_EPS) per unit of that mass. */
#define KL_EPS 1e-9
#define KL_GRID 128 /* candidates per 1-D search level */

typedef struct Kl {
  const Observer *o;
  int nb, a, levels;
  double *pre;   /* prefix sums of hist, nb + 1 */
  int *nz;       /* indices of the non-empty bins, ascending */
  int nnz;
  double *gmass; /* per code: unfolded mass */
  int *gcount;   /* per code: bins with P > 0 */
} Kl;

static int kl_code(int b, int s, double scale) {
  return (int)floor((b - s + 0.5) * scale + 0.5);
}

/* First index k with nz[k] >= b. */
static int kl_lower(const Kl *k, int b) {
  int lo = 0, hi = k->nnz;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (k->nz[mid] < b)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* KL(P || Q) for the candidate of i bins below zero and j above it. */
static double kl_eval(const Kl *k, int i, int j) {
  const double *h = k->o->hist;
  int s = k->a - i, e = k->a + j, n = i + j;
  double total = k->pre[k->nb];
  double below = k->pre[s], above = total - k->pre[e];
  double in = k->pre[e] - k->pre[s];
  if (n <= 0 || in <= 0)
    return INFINITY;
  double scale = (double)(k->levels - 1) / n;
  memset(k->gmass, 0, (size_t)k->levels * sizeof *k->gmass);
  memset(k->gcount, 0, (size_t)k->levels * sizeof *k->gcount);
  int first = kl_lower(k, s), end = kl_lower(k, e);
  for (int t = first; t < end; t++) {
    int q = kl_code(k->nz[t], s, scale);
    k->gmass[q] += h[k->nz[t]];
    k->gcount[q]++;
  }
  /* Outliers make an empty edge bin part of P's support. */
  bool extra_s = below > 0 && h[s] == 0;
  bool extra_e = above > 0 && h[e - 1] == 0 && !(extra_s && e - 1 == s);
  if (extra_s)
    k->gcount[kl_code(s, s, scale)]++;
  if (extra_e)
    k->gcount[kl_code(e - 1, s, scale)]++;
  double kl = 0;
  for (int t = first - (extra_s ? 1 : 0); t < end + (extra_e ? 1 : 0); t++) {
    int b = t < first ? s : t >= end ? e - 1 : k->nz[t];
    double p = h[b];
    if (b == s)
      p += below;
    if (b == e - 1)
      p += above;
    int q = kl_code(b, s, scale);
    double pn = p / total;
    double qn = k->gmass[q] / k->gcount[q] / in;
    if (qn < KL_EPS)
      qn = KL_EPS;
    kl += pn * log(pn / qn);
  }
  return kl;
}

/* A line through the candidate plane: mode 0 varies i with j fixed, 1
 * varies j with i fixed, 2 is the symmetric start (i = min(x, ni), j =
 * min(x, pj)). */
typedef struct KlLine {
  const Kl *k;
  int mode, fixed, ni, pj;
} KlLine;

static double kl_line(const KlLine *l, int x) {
  switch (l->mode) {
  case 0:
    return kl_eval(l->k, x, l->fixed);
  case 1:
    return kl_eval(l->k, l->fixed, x);
  default:
    return kl_eval(l->k, x < l->ni ? x : l->ni, x < l->pj ? x : l->pj);
  }
}

/* argmin over integers x0..x1: exhaustive when there are at most KL_GRID
 * of them; otherwise KL_GRID points (geometric at the first level, so that
 * small thresholds are searched as finely, relatively, as large ones), then
 * again between the neighbours of the best, down to single bins. Ties go to
 * the smaller range. */
static int kl_argmin(const KlLine *l, int x0, int x1) {
  bool geometric = x0 > 0;
  for (;;) {
    int pts[KL_GRID];
    int np = 0;
    if (x1 - x0 + 1 <= KL_GRID) {
      for (int x = x0; x <= x1; x++)
        pts[np++] = x;
    } else {
      double r = geometric ? pow((double)x1 / x0, 1.0 / (KL_GRID - 1)) : 0;
      for (int t = 0; t < KL_GRID; t++) {
        int x = geometric ? (int)lround(x0 * pow(r, t))
                          : x0 + (int)((int64_t)(x1 - x0) * t / (KL_GRID - 1));
        if (t == KL_GRID - 1)
          x = x1;
        if (np == 0 || x > pts[np - 1])
          pts[np++] = x;
      }
    }
    int best = 0;
    double bf = INFINITY;
    for (int t = 0; t < np; t++) {
      double f = kl_line(l, pts[t]);
      if (f < bf) {
        bf = f;
        best = t;
      }
    }
    if (x1 - x0 + 1 <= KL_GRID)
      return pts[best];
    x0 = best > 0 ? pts[best - 1] + 1 : x0;
    x1 = best + 1 < np ? pts[best + 1] - 1 : x1;
    if (best > 0 && x0 > pts[best])
      x0 = pts[best];
    if (x1 < pts[best])
      x1 = pts[best];
    geometric = false;
  }
}

static int estimate_entropy(const Observer *o, int levels, double *lo,
                            double *hi, Diag *d) {
  Kl k = {.o = o, .nb = o->bins, .a = o->zero_bin, .levels = levels};
  k.pre = malloc(((size_t)k.nb + 1) * sizeof *k.pre);
  k.nz = malloc((size_t)k.nb * sizeof *k.nz);
  k.gmass = malloc((size_t)levels * sizeof *k.gmass);
  k.gcount = malloc((size_t)levels * sizeof *k.gcount);
  if (!k.pre || !k.nz || !k.gmass || !k.gcount) {
    free(k.pre);
    free(k.nz);
    free(k.gmass);
    free(k.gcount);
    return diag_error(d, no_loc(), "out of memory estimating a range");
  }
  k.pre[0] = 0;
  for (int b = 0; b < k.nb; b++) {
    k.pre[b + 1] = k.pre[b] + o->hist[b];
    if (o->hist[b] != 0)
      k.nz[k.nnz++] = b;
  }
  /* Occupied extent on each side, in bins from the zero edge. */
  int ni = 0, pj = 0;
  if (k.nnz > 0) {
    if (k.nz[0] < k.a)
      ni = k.a - k.nz[0];
    if (k.nz[k.nnz - 1] >= k.a)
      pj = k.nz[k.nnz - 1] + 1 - k.a;
  }
  int bi = ni, bj = pj;
  /* A candidate must span at least `levels` bins, or its codes are coarser
   * than nothing the histogram can see and KL measures only clipping (and
   * would shrink to one bin). Data narrower than that keeps its extent. */
  if (ni + pj > levels) {
    if (ni == 0) {
      KlLine l = {&k, 1, 0, ni, pj};
      bj = kl_argmin(&l, levels, pj);
    } else if (pj == 0) {
      KlLine l = {&k, 0, 0, ni, pj};
      bi = kl_argmin(&l, levels, ni);
    } else {
      int small = ni < pj ? ni : pj, large = ni < pj ? pj : ni;
      int m0 = (levels + 1) / 2;
      if (levels - small > m0)
        m0 = levels - small;
      KlLine sym = {&k, 2, 0, ni, pj};
      int m = kl_argmin(&sym, m0, large);
      bi = m < ni ? m : ni;
      bj = m < pj ? m : pj;
      /* Then each side alone, the other fixed, until neither moves. */
      for (int round = 0; round < 4; round++) {
        KlLine lj = {&k, 1, bi, ni, pj};
        int nj = kl_argmin(&lj, levels - bi > 0 ? levels - bi : 0, pj);
        KlLine li = {&k, 0, nj, ni, pj};
        int nii = kl_argmin(&li, levels - nj > 0 ? levels - nj : 0, ni);
        bool same = nj == bj && nii == bi;
        bi = nii;
        bj = nj;
        if (same)
          break;
      }
    }
  }
  *lo = -(double)bi * o->width;
  *hi = (double)bj * o->width;
  free(k.pre);
  free(k.nz);
  free(k.gmass);
  free(k.gcount);
  return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

static const char *method_name(RangeMethod m) {
  switch (m) {
  case RANGE_MINMAX:
    return "minmax";
  case RANGE_PERCENTILE:
    return "percentile";
  case RANGE_ENTROPY:
    return "entropy";
  case RANGE_MSE:
    return "mse";
  }
  return "?";
}

int calib_range_estimate(const Observer *o, const RangeOptions *opt,
                         float *lo, float *hi, Diag *d) {
  if (opt->num_quant_levels < 2 || opt->num_quant_levels > 65536)
    return diag_error(d, no_loc(),
                      "number of quantization levels must be in [2, 65536], "
                      "got %d",
                      opt->num_quant_levels);
  if (opt->method != RANGE_MINMAX && opt->method != RANGE_PERCENTILE &&
      opt->method != RANGE_ENTROPY && opt->method != RANGE_MSE)
    return diag_error(d, no_loc(), "unknown range method %d",
                      (int)opt->method);
  if (opt->method == RANGE_PERCENTILE &&
      !(opt->percentile > 50 && opt->percentile <= 100))
    return diag_error(d, no_loc(), "percentile must be in (50, 100], got %g",
                      opt->percentile);
  if (opt->method != RANGE_MINMAX && o->kind != OBS_HISTOGRAM)
    return diag_error(d, no_loc(),
                      "range method '%s' needs a histogram observer",
                      method_name(opt->method));
  if (o->count == 0)
    return diag_error(d, no_loc(),
                      "the observer saw no finite value (%lld non-finite)",
                      (long long)o->nonfinite);
  /* Every range stays inside the data (widened to include 0). */
  double dmin = o->min < 0 ? o->min : 0, dmax = o->max > 0 ? o->max : 0;
  double l = dmin, h = dmax;
  if (opt->method != RANGE_MINMAX && o->width > 0) {
    if (opt->method == RANGE_ENTROPY) {
      if (estimate_entropy(o, opt->num_quant_levels, &l, &h, d) != 0)
        return -1;
    } else {
      Model m;
      if (model_init(&m, o, d) != 0)
        return -1;
      if (opt->method == RANGE_PERCENTILE)
        estimate_percentile(&m, opt->percentile, &l, &h);
      else
        estimate_mse(&m, opt->num_quant_levels, &l, &h);
      model_free(&m);
    }
  }
  if (l > 0)
    l = 0;
  if (h < 0)
    h = 0;
  if (l < dmin)
    l = dmin;
  if (h > dmax)
    h = dmax;
  /* A method can collapse the range (e.g. a percentile landing on a mass of
   * zeros) while the data is not all zero: fall back to the data's range. */
  if (!(h > l)) {
    l = dmin;
    h = dmax;
  }
  if (l == 0)
    l = 0; /* +0, never -0: "-0" would leak into printed IR and profiles */
  float lf = (float)l, hf = (float)h;
  if (!(hf > lf)) { /* all zeros (or too narrow for a float) */
    lf = 0;
    hf = 1;
  }
  *lo = lf;
  *hi = hf;
  return 0;
}
