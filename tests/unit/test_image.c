/* Unit tests of photo preprocessing (frontend/image.c on the runtime's
 * qcc_preprocess_*): recipes parse or are refused with a message; a 2x2 PPM written here comes out with the
 * documented arithmetic — channel order, (x - mean) / std, identity resize
 * at the same size, bilinear half-pixel upsampling, padding to a square
 * with 0 at the bottom/right — and a corrupt file is an error, not a
 * crash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"

static const char *write_ppm(const char *name, int w, int h,
                             const unsigned char *rgb) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", QCC_BINARY_DIR, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fprintf(f, "P6\n%d %d\n255\n", w, h);
  fwrite(rgb, 1, (size_t)(w * h * 3), f);
  fclose(f);
  return path;
}

static void test_parse(void **state) {
  (void)state;
  ImagePrep p;
  Diag d = {0};
  assert_int_equal(image_prep_parse("size=416x320,mean=1:2:3,std=4,bgr,pad", &p, "r", &d), 0);
  assert_int_equal(p.width, 416);
  assert_int_equal(p.height, 320);
  assert_true(p.mean[0] == 1 && p.mean[1] == 2 && p.mean[2] == 3);
  assert_true(p.std[0] == 4 && p.std[1] == 4 && p.std[2] == 4);
  assert_true(p.bgr && p.pad_square);
  const char *bad[] = {"size=0x4", "size=4", "mean=1:2", "std=0", "std=1:0:1",
                       "flip", "mean=a", "size=4x4x", "mean=1:2:3:4", "rgbx",
                       "size=99999x4", "std=", "pad,,x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Diag e = {0};
    assert_int_not_equal(image_prep_parse(bad[i], &p, "r", &e), 0);
    assert_true(e.has_error);
  }
}

/* 2x2 image, pixels (r, g, b): (10,20,30) (40,50,60) / (70,80,90) (100,110,120) */
static const unsigned char px[12] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};

static void test_same_size(void **state) {
  (void)state;
  const char *path = write_ppm("t_same.ppm", 2, 2, px);
  ImagePrep p;
  Diag d = {0};
  assert_int_equal(image_prep_parse("size=2x2,mean=10:20:30,std=2,bgr", &p, "r", &d), 0);
  float out[12];
  assert_int_equal(image_load(path, &p, out, &d), 0);
  /* channel 0 is blue: (30 - 10) / 2 = 10, (60-10)/2 = 25, ... */
  float want[12] = {10, 25, 40, 55, 0, 15, 30, 45, -10, 5, 20, 35};
  for (int i = 0; i < 12; i++)
    assert_float_equal(out[i], want[i], 1e-6);
}

/* 2x2 -> 4x4, red channel: half-pixel centres map output x=1 to source
 * 0.25, so the value there is 10*0.75 + 40*0.25 = 17.5 on row 0; output
 * x=0 maps to -0.25, clamped to 0. */
static void test_upsample(void **state) {
  (void)state;
  const char *path = write_ppm("t_up.ppm", 2, 2, px);
  ImagePrep p;
  Diag d = {0};
  assert_int_equal(image_prep_parse("size=4x4", &p, "r", &d), 0);
  float out[48];
  assert_int_equal(image_load(path, &p, out, &d), 0);
  assert_float_equal(out[0], 10.0f, 1e-5);
  assert_float_equal(out[1], 17.5f, 1e-5);
  assert_float_equal(out[2], 32.5f, 1e-5);
  assert_float_equal(out[3], 40.0f, 1e-5);
  /* row 1 maps to y=0.25: 17.5 between rows 10 and 70 at x=0 */
  assert_float_equal(out[4], 10.0f * 0.75f + 70.0f * 0.25f, 1e-5);
}

/* 2x1 image padded to 2x2 (zeros below), then kept at 2x2. */
static void test_pad(void **state) {
  (void)state;
  const char *path = write_ppm("t_pad.ppm", 2, 1, px);
  ImagePrep p;
  Diag d = {0};
  assert_int_equal(image_prep_parse("size=2x2,pad", &p, "r", &d), 0);
  float out[12];
  assert_int_equal(image_load(path, &p, out, &d), 0);
  assert_float_equal(out[0], 10.0f, 1e-6);
  assert_float_equal(out[1], 40.0f, 1e-6);
  assert_float_equal(out[2], 0.0f, 1e-6);
  assert_float_equal(out[3], 0.0f, 1e-6);
}

static void test_corrupt(void **state) {
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/t_bad.png", QCC_BINARY_DIR);
  FILE *f = fopen(path, "wb");
  fputs("\x89PNG\r\n\x1a\n garbage", f);
  fclose(f);
  ImagePrep p;
  Diag d = {0};
  assert_int_equal(image_prep_parse("size=2x2", &p, "r", &d), 0);
  float out[12];
  assert_int_not_equal(image_load(path, &p, out, &d), 0);
  assert_true(d.has_error);
  assert_true(image_is_image_file("a/b.JPG") && !image_is_image_file("a.npy"));
}

/* The runtime's own entry points, as an app calls them: one-line errors
 * naming the bad step, and the photo-to-tensor scale boxes are mapped back
 * with (padding makes it square). */
static void test_runtime_api(void **state) {
  (void)state;
  qcc_preprocess p;
  char err[160];
  assert_int_equal(qcc_preprocess_parse("size=4x2,mean=1,std=2,pad", &p, err, sizeof err), 0);
  assert_int_equal(qcc_preprocess_parse("size=4x2,gamma=2", &p, err, sizeof err), -1);
  assert_non_null(strstr(err, "'gamma=2'"));
  assert_null(strchr(err, '\n'));
  /* Found by fuzzing (tests/fuzz/findings/recipe_mean_overflows_float.txt):
   * 1e39 is a finite double but an infinite float. */
  assert_int_equal(qcc_preprocess_parse("mean=1e39", &p, err, sizeof err), -1);
  assert_non_null(strstr(err, "bad value 'mean=1e39'"));
  assert_int_equal(qcc_preprocess_parse("std=1:2:-3e38", &p, err, sizeof err), 0);
  assert_int_equal(qcc_preprocess_parse("std=1:2:-4e38", &p, err, sizeof err), -1);
  /* A line break inside a bad step stays out of the one-line error. */
  assert_int_equal(qcc_preprocess_parse("gam\nma=2", &p, err, sizeof err), -1);
  assert_null(strchr(err, '\n'));
  assert_non_null(strstr(err, "gam?ma=2"));
  assert_int_equal(qcc_preprocess_parse("", &p, err, sizeof err), 0);
  assert_true(p.std[0] == 1 && p.width == 0 && !p.bgr);
  p.width = 416;
  p.height = 416;
  float sx, sy;
  qcc_preprocess_scale(&p, 832, 416, &sx, &sy);
  assert_true(sx == 2.0f && sy == 1.0f);
  p.pad_square = 1;
  qcc_preprocess_scale(&p, 832, 416, &sx, &sy);
  assert_true(sx == 2.0f && sy == 2.0f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),  cmocka_unit_test(test_same_size),
      cmocka_unit_test(test_upsample), cmocka_unit_test(test_pad),
      cmocka_unit_test(test_corrupt), cmocka_unit_test(test_runtime_api),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
