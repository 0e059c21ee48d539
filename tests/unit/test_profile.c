/* Calibration profiles: profile_format writes what profile_load reads back,
 * for any names (the fuzzer found that a quote, a line break or a control
 * character in a name broke the round trip: tests/fuzz/findings/), and
 * ranges are checked as the f32 values the passes use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile.h"

static const char *write_temp(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/qcc_test_profile_%ld.yaml", (long)getpid());
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* profile_format, then profile_load of what it wrote, into *q. */
static void round_trip(const Profile *p, Profile *q) {
  char *text = profile_format(p);
  const char *path = write_temp(text);
  free(text);
  Diag d;
  diag_clear(&d);
  assert_int_equal(profile_load(path, q, &d), 0);
  unlink(path);
}

static void test_quotes_round_trip(void **state) {
  (void)state;
  ProfileRange ranges[3] = {{.tensor = "it's", .lo = -1.5f, .hi = 2.25f},
                            {.tensor = "''", .lo = 0, .hi = 3.0e38f},
                            {.tensor = "a\nb\t\"c\\\x01\u2028\xc2\x85", .lo = -1, .hi = 1}};
  Profile p = {.samples = 7, .ranges = ranges, .num_ranges = 3};
  snprintf(p.model, sizeof p.model, "m'odel");
  snprintf(p.graph_hash, sizeof p.graph_hash, "0123456789abcdef");
  snprintf(p.method, sizeof p.method, "m'");
  Profile q;
  round_trip(&p, &q);
  assert_string_equal(q.model, "m'odel");
  assert_string_equal(q.method, "m'");
  assert_int_equal(q.samples, 7);
  assert_int_equal(q.num_ranges, 3);
  assert_string_equal(q.ranges[0].tensor, "it's");
  assert_string_equal(q.ranges[1].tensor, "''");
  assert_string_equal(q.ranges[2].tensor, "a\nb\t\"c\\\x01\u2028\xc2\x85");
  assert_true(q.ranges[0].lo == -1.5f && q.ranges[0].hi == 2.25f);
  assert_true(q.ranges[1].lo == 0 && q.ranges[1].hi == 3.0e38f);
  profile_free(&q);
}

static void test_no_ranges_round_trip(void **state) {
  (void)state;
  Profile p = {.samples = 1};
  snprintf(p.model, sizeof p.model, "m");
  snprintf(p.graph_hash, sizeof p.graph_hash, "0123456789abcdef");
  snprintf(p.method, sizeof p.method, "minmax");
  Profile q;
  round_trip(&p, &q);
  assert_int_equal(q.num_ranges, 0);
  profile_free(&q);
}

static void expect_error(const char *range, const char *msg) {
  char text[256];
  snprintf(text, sizeof text,
           "format: qcc-profile-1\nmodel: m\ngraph_hash: h\nmethod: minmax\n"
           "samples: 1\nranges:\n  x: %s\n", range);
  const char *path = write_temp(text);
  Profile q;
  Diag d;
  diag_clear(&d);
  assert_int_equal(profile_load(path, &q, &d), -1);
  unlink(path);
  assert_non_null(strstr(d.msg, msg));
}

static void test_ranges_as_f32(void **state) {
  (void)state;
  expect_error("[0, 1e39]", "outside the f32 range");
  expect_error("[-1e39, 1]", "outside the f32 range");
  expect_error("[0, 1e-50]", "lo < hi (as f32)");
  expect_error("[1, 2]", "lo <= 0 <= hi");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quotes_round_trip),
      cmocka_unit_test(test_ranges_as_f32),
      cmocka_unit_test(test_no_ranges_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
