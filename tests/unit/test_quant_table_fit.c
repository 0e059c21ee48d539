/* qm_fit_two_slopes (ir/quant_math.h): a fused activation table that two
 * f32 slopes reproduce is computed by the kernels instead of looked up, so
 * a fit must reproduce every entry, and a table no two slopes reproduce
 * must be refused. The tables are built here from the contract's formula
 * (docs/quantization.md: t[k] = quantize_y(f((k - zi) * s)) in double),
 * independently of passes/lower_int8.c, and every entry is checked here by
 * its own loop. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "quant_math.h"

enum { N = 1024 };

typedef double (*Act)(double x, double alpha);

static double leaky(double x, double alpha) { return x >= 0 ? x : alpha * x; }
static double sigmoid(double x, double alpha) {
  (void)alpha;
  return 1.0 / (1.0 + exp(-x));
}
static double clip01(double x, double alpha) {
  (void)alpha;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
static double negate(double x, double alpha) {
  (void)alpha;
  return -x;
}

/* The fused table of the contract: index scale s and zero point zi over the
 * accumulator, output quantized with (sy, zy). */
static void make_table(uint8_t *t, Act f, double alpha, double s, int32_t zi,
                       double sy, int32_t zy) {
  for (int32_t k = 0; k < N; k++) {
    double y = nearbyint(f((double)(k - zi) * s, alpha) / sy) + zy;
    t[k] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
  }
}

/* Whether the fit's slopes give t[k] for every k, counted by this test. */
static int mismatches(const uint8_t *t, int32_t zi, float an, float ap,
                      int32_t zy) {
  int bad = 0;
  for (int32_t k = 0; k < N; k++)
    bad += qm_two_slope(k - zi, an, ap, zy) != t[k];
  return bad;
}

typedef struct Case {
  double alpha, s_pre, sy;
  int32_t z_pre, zy;
} Case;

/* Leaky ReLU over ranges like the detectors' (index scale = s_pre*255/1023,
 * index zero point = rne(z_pre*1023/255)), zero points at both ends and in
 * the middle, and outputs that saturate. */
static const Case LEAKY[] = {
    {0.1, 0.0204897, 0.0204897 * 0.9, 26, 26},   {0.1, 0.0137, 0.0137, 40, 40},
    {0.01, 0.05, 0.03, 128, 5},                  {0.2, 0.004, 0.004, 0, 0},
    {0.1, 0.01, 0.012, 255, 250},                {0.1, 0.1, 0.02, 100, 30},
    {0.0, 0.02, 0.02, 60, 0},                    {0.3, 0.00338485, 0.00327462, 122, 32},
};

static int32_t index_zp(int32_t z_pre) {
  return (int32_t)nearbyint((double)z_pre * (N - 1) / 255.0);
}

static void test_leaky_tables_fit(void **state) {
  (void)state;
  uint8_t t[N];
  for (size_t i = 0; i < sizeof LEAKY / sizeof *LEAKY; i++) {
    const Case *c = &LEAKY[i];
    int32_t zi = index_zp(c->z_pre);
    make_table(t, leaky, c->alpha, c->s_pre * 255.0 / (N - 1), zi, c->sy, c->zy);
    float an = -1, ap = -1;
    int32_t zy = -1;
    assert_true(qm_fit_two_slopes(t, N, zi, &an, &ap, &zy));
    assert_int_equal(zy, t[zi]);
    assert_int_equal(mismatches(t, zi, an, ap, zy), 0);
    /* the slopes are the activation's, near alpha*s/sy and s/sy */
    double s = c->s_pre * 255.0 / (N - 1);
    if (zi < N - 1)
      assert_true(fabs(ap - s / c->sy) <= 1e-3 * (s / c->sy));
    if (zi > 0 && c->alpha > 0)
      assert_true(fabs(an - c->alpha * s / c->sy) <= 1e-2 * (c->alpha * s / c->sy));
  }
}

static void test_clipped_table_fits(void **state) {
  (void)state;
  uint8_t t[N];
  int32_t zi = 300;
  /* (an index scale of 0.004 would put entries on exact ties of the double
   * arithmetic, which f32 products need not round the same way: the fit
   * then refuses, and the kernels look the table up) */
  make_table(t, clip01, 0, 0.0041, zi, 1.0 / 255, 0);
  assert_int_equal(t[N - 1], 255); /* saturated: the clamp does it */
  float an, ap;
  int32_t zy;
  assert_true(qm_fit_two_slopes(t, N, zi, &an, &ap, &zy));
  assert_int_equal(mismatches(t, zi, an, ap, zy), 0);
}

static void test_other_tables_refused(void **state) {
  (void)state;
  uint8_t t[N];
  float an, ap;
  int32_t zy;
  make_table(t, sigmoid, 0, 8.0 / N, N / 2, 1.0 / 255, 0);
  assert_false(qm_fit_two_slopes(t, N, N / 2, &an, &ap, &zy));
  /* a falling table needs a negative slope, which the kernels do not take */
  make_table(t, negate, 0, 0.01, N / 2, 0.05, 128);
  assert_false(qm_fit_two_slopes(t, N, N / 2, &an, &ap, &zy));
  /* one entry off by one in the middle of either piece */
  const Case *c = &LEAKY[0];
  int32_t zi = index_zp(c->z_pre);
  for (int piece = 0; piece < 2; piece++) {
    make_table(t, leaky, c->alpha, c->s_pre * 255.0 / (N - 1), zi, c->sy, c->zy);
    int32_t k = piece ? zi + (N - zi) / 2 : zi / 2;
    t[k] = (uint8_t)(t[k] + (t[k] < 255 ? 1 : -1));
    assert_false(qm_fit_two_slopes(t, N, zi, &an, &ap, &zy));
  }
}

static void test_bad_arguments_refused(void **state) {
  (void)state;
  uint8_t t[N] = {0};
  float an, ap;
  int32_t zy;
  assert_false(qm_fit_two_slopes(t, N, -1, &an, &ap, &zy));
  assert_false(qm_fit_two_slopes(t, N, N, &an, &ap, &zy));
  assert_false(qm_fit_two_slopes(t, 0, 0, &an, &ap, &zy));
  /* a constant table: slopes small enough to round to it */
  assert_true(qm_fit_two_slopes(t, N, 7, &an, &ap, &zy));
  assert_int_equal(zy, 0);
  assert_int_equal(mismatches(t, 7, an, ap, zy), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_leaky_tables_fit),
      cmocka_unit_test(test_clipped_table_fits),
      cmocka_unit_test(test_other_tables_refused),
      cmocka_unit_test(test_bad_arguments_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
