/* Unit tests of the int8 reference interpreter (interp/qref_*.c), the
 * bit-exact oracle of docs/quantization.md.
 *
 * Two kinds of checks:
 *  - small graphs written in textual IR, one or two per kernel, whose
 *    expected codes are worked out by hand from the contract's formulas
 *    (the working is in the comments): rounding ties to even, clamps from
 *    fused relu/relu6, padding that reads z_x, per-channel and per-tensor
 *    weights, broadcasting, saturation, count_include_pad, bilinear
 *    weights, dynamic quantization;
 *  - a property test on random codes from a fixed splitmix64 stream: each
 *    u8 op that only moves codes equals quantize(float op(dequantize(x)))
 *    exactly, and the arithmetic ones (qconv2d, qlinear, qadd/qsub/qmul,
 *    avgpool, global_avgpool, bilinear resize) are within one code of it.
 *    The float side is the float reference interpreter, so this checks the
 *    formulas' sense, not their bits; the hand cases pin the bits.
 * Plus the API: the hook after every node (observe included), raw values,
 * interp_value's f32-only contract, and the errors interp_create and
 * interp_run report.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "interp.h"
#include "ir.h"

/* ---- running textual graphs ---------------------------------------------- */

static void fail_diag(const char *what, const Diag *d) {
  char buf[QCC_DIAG_MSG_MAX + 300];
  print_error("%s failed: %s\n", what, diag_format(d, buf, sizeof buf));
  fail();
}

static Graph *parse(const char *text) {
  Diag d = {0};
  Graph *g = ir_parse(text, strlen(text), "test_qinterp.qir", &d);
  if (!g)
    fail_diag("ir_parse", &d);
  return g;
}

/* Creates the interpreter, sets `inputs` (one array per graph input, may be
 * NULL for graphs without inputs) and runs once. */
static Interp *run(const Graph *g, const float *const *inputs) {
  Diag d = {0};
  Interp *ip = interp_create(g, &d);
  if (!ip)
    fail_diag("interp_create", &d);
  for (int i = 0; i < g->num_inputs; i++)
    interp_set_input(ip, i, inputs[i]);
  if (interp_run(ip, &d))
    fail_diag("interp_run", &d);
  return ip;
}

static const Tensor *tensor(const Graph *g, const char *name) {
  const Tensor *t = ir_graph_find_tensor(g, name);
  if (!t) {
    print_error("no tensor '%s'\n", name);
    fail();
  }
  return t;
}

/* The u8 or i8 codes of tensor `name` equal want[0..n). */
static void expect_codes(const Interp *ip, const Graph *g, const char *name,
                         const int *want, int64_t n) {
  const Tensor *t = tensor(g, name);
  assert_int_equal(ir_tensor_numel(t), n);
  const void *raw = interp_value_raw(ip, t);
  for (int64_t i = 0; i < n; i++) {
    int got = t->dtype == DT_U8 ? ((const uint8_t *)raw)[i]
              : t->dtype == DT_I8 ? ((const int8_t *)raw)[i]
                                  : (fail(), 0);
    if (got != want[i]) {
      print_error("%s[%lld]: got %d, expected %d\n", name, (long long)i, got,
                  want[i]);
      fail();
    }
  }
}
#define EXPECT_CODES(ip, g, name, ...)                                       \
  expect_codes(ip, g, name, (const int[]){__VA_ARGS__},                      \
               (int64_t)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)))

/* Bit-exact float results (the values below are exact in f32). */
static void expect_floats(const Interp *ip, const Graph *g, const char *name,
                          const float *want, int64_t n) {
  const Tensor *t = tensor(g, name);
  assert_int_equal(ir_tensor_numel(t), n);
  const float *got = interp_value(ip, t);
  for (int64_t i = 0; i < n; i++)
    if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
      print_error("%s[%lld]: got %.9g, expected %.9g\n", name, (long long)i,
                  (double)got[i], (double)want[i]);
      fail();
    }
}
#define EXPECT_FLOATS(ip, g, name, ...)                                      \
  expect_floats(ip, g, name, (const float[]){__VA_ARGS__},                   \
                (int64_t)(sizeof((float[]){__VA_ARGS__}) / sizeof(float)))

/* ---- quantize, dequantize, lut -------------------------------------------- */

/* u8 with s = 0.5, z = 10: x / s = 2.5, 3.5, -200, 2000, 0.5, 1.5, -0.5,
 * NaN; half to even gives 2, 4, -200, 2000, 0, 2, -0, and NaN maps to z:
 * + 10 and clamp to [0, 255] -> 12, 14, 0, 255, 10, 12, 10, 10.
 * i8 with s = 0.5, z = -3: the same rounded values - 3, clamped to
 * [-128, 127] -> -1, 1, -128, 127, -3, -1, -3, -3. */
static void test_quantize_ties_saturation_nan(void **state) {
  (void)state;
  Graph *g = parse("graph @t {\n"
                   "  input %x : f32[8]\n"
                   "  %q = quantize \"q\" (%x) : u8[8] !q.uniform<u8:f32, 0.5:10>\n"
                   "  %qi = quantize \"qi\" (%x) : i8[8] !q.uniform<i8:f32, 0.5:-3>\n"
                   "  output %q\n"
                   "  output %qi\n"
                   "}\n");
  const float x[8] = {1.25f, 1.75f, -100, 1000, 0.25f, 0.75f, -0.25f, NAN};
  Interp *ip = run(g, (const float *[]){x});
  EXPECT_CODES(ip, g, "q", 12, 14, 0, 255, 10, 12, 10, 10);
  EXPECT_CODES(ip, g, "qi", -1, 1, -128, 127, -3, -1, -3, -3);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* (q - z) * s: u8 (0.5, 10): 0 -> -5, 10 -> 0, 255 -> 122.5;
 * i8 (0.25, -3): -128 -> -31.25, 127 -> 32.5. */
static void test_dequantize_u8_i8(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %c : u8[3] !q.uniform<u8:f32, 0.5:10> = dense<[0, 10, 255]>\n"
      "  const %ci : i8[2] !q.uniform<i8:f32, 0.25:-3> = dense<[-128, 127]>\n"
      "  %y = dequantize \"dq\" (%c) : f32[3]\n"
      "  %yi = dequantize \"dqi\" (%ci) : f32[2]\n"
      "  output %y\n"
      "  output %yi\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_FLOATS(ip, g, "y", -5, 0, 122.5f);
  EXPECT_FLOATS(ip, g, "yi", -31.25f, 32.5f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* table[i] = 255 - i, so y = 255 - x: 0, 1, 128, 255 -> 255, 254, 127, 0. */
static void test_lut(void **state) {
  (void)state;
  char text[4096];
  size_t len = (size_t)snprintf(
      text, sizeof text,
      "graph @t {\n"
      "  const %%x : u8[4] !q.uniform<u8:f32, 1:0> = dense<[0, 1, 128, 255]>\n"
      "  const %%table : u8[256] = dense<[");
  for (int i = 0; i < 256; i++)
    len += (size_t)snprintf(text + len, sizeof text - len, "%s%d",
                            i ? ", " : "", 255 - i);
  snprintf(text + len, sizeof text - len,
           "]>\n"
           "  %%y = lut \"l\" (%%x, %%table) : u8[4] !q.uniform<u8:f32, 0.1:3>\n"
           "  output %%y\n"
           "}\n");
  Graph *g = parse(text);
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 255, 254, 127, 0);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- qconv2d, qlinear ------------------------------------------------------ */

/* 3x3 kernel, padding 1, on a 2x2 input with z_x = 100. Offsets
 * X = q - z_x = [[1, 2], [3, 4]], w = [[1, 2, 3], [4, 5, 6], [7, 8, 9]].
 * Padded taps read z_x and add 0, so each output sums the taps that land
 * in the input:
 *   (0,0): 1*5 + 2*6 + 3*8 + 4*9 = 77     (0,1): 1*4 + 2*5 + 3*7 + 4*8 = 67
 *   (1,0): 1*2 + 2*3 + 3*5 + 4*6 = 47     (1,1): 1*1 + 2*2 + 3*4 + 4*5 = 37
 * plus b = 3: acc = 80, 70, 50, 40. M = 0.5 * 0.5 / 1 = 0.25:
 * acc * M = 20, 17.5, 12.5, 10 -> rne 20, 18, 12, 10 (ties to even)
 * -> + z_y = 5: 25, 23, 17, 15. With clamp [18, 24]: 24, 23, 18, 18.
 * (Had padding read code 0, (0,0) would add -100 * (1+2+3+4+7) and
 * saturate at 0.) */
static void test_qconv2d_padding_reads_zero_point(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1, 2, 2] !q.uniform<u8:f32, 0.5:100> = "
      "dense<[101, 102, 103, 104]>\n"
      "  const %w : i8[1, 1, 3, 3] !q.uniform<i8:f32, 0.5:0> = "
      "dense<[1, 2, 3, 4, 5, 6, 7, 8, 9]>\n"
      "  const %b : i32[1] = dense<[3]>\n"
      "  %y = qconv2d \"c\" (%x, %w, %b) {padding = [1, 1]} : "
      "u8[1, 1, 2, 2] !q.uniform<u8:f32, 1:5>\n"
      "  %yc = qconv2d \"cc\" (%x, %w, %b) {padding = [1, 1], "
      "clamp = [18, 24]} : u8[1, 1, 2, 2] !q.uniform<u8:f32, 1:5>\n"
      "  output %y\n"
      "  output %yc\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 25, 23, 17, 15);
  EXPECT_CODES(ip, g, "yc", 24, 23, 18, 18);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* 1x1 conv, 2 -> 2 channels. x offsets (z_x = 128, s_x = 1): [2, -8];
 * both weight rows [10, 3]: sum = 20 - 24 = -4; b = [0, 1]:
 * acc = [-4, -3]. Output s_y = 0.5, z_y = 128.
 * Per channel, s_w = {0.5, 0.25}: M = [1, 0.5]; -4 -> -4 -> 124;
 *   -3 * 0.5 = -1.5 -> -2 (tie to even) -> 126.
 * Per tensor, s_w = 0.5: M = 1 for both: 124, 125. */
static void test_qconv2d_per_channel_vs_per_tensor(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 2, 1, 1] !q.uniform<u8:f32, 1:128> = "
      "dense<[130, 120]>\n"
      "  const %wc : i8[2, 2, 1, 1] !q.uniform<i8:f32:0, {0.5:0, 0.25:0}> = "
      "dense<[10, 3, 10, 3]>\n"
      "  const %wt : i8[2, 2, 1, 1] !q.uniform<i8:f32, 0.5:0> = "
      "dense<[10, 3, 10, 3]>\n"
      "  const %b : i32[2] = dense<[0, 1]>\n"
      "  %yc = qconv2d \"pc\" (%x, %wc, %b) : u8[1, 2, 1, 1] "
      "!q.uniform<u8:f32, 0.5:128>\n"
      "  %yt = qconv2d \"pt\" (%x, %wt, %b) : u8[1, 2, 1, 1] "
      "!q.uniform<u8:f32, 0.5:128>\n"
      "  output %yc\n"
      "  output %yt\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "yc", 124, 126);
  EXPECT_CODES(ip, g, "yt", 124, 125);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* A fused activation table (4th input): the accumulator is requantized
 * with index_scale / index_zero_point to [0, N - 1] and the table gives the
 * code. Same conv as above (acc = 80, 70, 50, 40, s_x * s_w = 0.25), table
 * of 8 entries t[k] = 10 * k, index_scale = 2.5 -> M = 0.1,
 * index_zero_point = 1: 8 + 1 = 9 -> clamped to 7 -> 70; 7 + 1 = 8 -> 7
 * -> 70; 5 + 1 = 6 -> 60; 4 + 1 = 5 -> 50. Negative side: bias -1000
 * gives acc = -923 -> -92.3 -> index < 0 -> clamped to 0 -> t[0] = 0.
 * qlinear: s_x * s_w = 1, x offset 13 - 10 = 3, weight rows [1], [1],
 * b = [0, 2]: acc = 3, 5; M = 1 / 2.5 = 0.4 -> 1.2, 2.0 -> 1, 2 -> + 1 =
 * 2, 3 -> 20, 30. */
static void test_fused_activation_table(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1, 2, 2] !q.uniform<u8:f32, 0.5:100> = "
      "dense<[101, 102, 103, 104]>\n"
      "  const %w : i8[1, 1, 3, 3] !q.uniform<i8:f32, 0.5:0> = "
      "dense<[1, 2, 3, 4, 5, 6, 7, 8, 9]>\n"
      "  const %b : i32[1] = dense<[3]>\n"
      "  const %bn : i32[1] = dense<[-1000]>\n"
      "  const %t : u8[8] = dense<[0, 10, 20, 30, 40, 50, 60, 70]>\n"
      "  %y = qconv2d \"c\" (%x, %w, %b, %t) {padding = [1, 1], "
      "index_scale = 2.5, index_zero_point = 1} : "
      "u8[1, 1, 2, 2] !q.uniform<u8:f32, 1:0>\n"
      "  %yn = qconv2d \"cn\" (%x, %w, %bn, %t) {padding = [1, 1], "
      "index_scale = 2.5, index_zero_point = 1} : "
      "u8[1, 1, 2, 2] !q.uniform<u8:f32, 1:0>\n"
      "  const %v : u8[1, 1] !q.uniform<u8:f32, 1:10> = dense<[13]>\n"
      "  const %m : i8[2, 1] !q.uniform<i8:f32, 1:0> = dense<[1, 1]>\n"
      "  const %c : i32[2] = dense<[0, 2]>\n"
      "  %z = qlinear \"l\" (%v, %m, %c, %t) {index_scale = 2.5, "
      "index_zero_point = 1} : u8[1, 2] !q.uniform<u8:f32, 1:0>\n"
      "  output %y\n"
      "  output %yn\n"
      "  output %z\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 70, 70, 60, 50);
  EXPECT_CODES(ip, g, "yn", 0, 0, 0, 0);
  EXPECT_CODES(ip, g, "z", 20, 30);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x offsets (s_x = 0.5, z_x = 10): [2, -2, 4]; no bias; weight rows
 * [1,1,1], [-3,0,0], [100,0,100], [-20,0,0] -> acc = 4, -6, 600, -40.
 * M = 0.5 * 0.5 / 0.25 = 1, z_y = 20: 24, 14, 620, -20.
 *   clamp [0, 255] (none):            24, 14, 255, 0   (saturation)
 *   relu  = clamp [z_y, 255]:         24, 20, 255, 20
 *   relu6 = clamp [z_y, z_y + 6/s_y]: 24, 20, 44, 20  (6 / 0.25 = 24) */
static void test_qlinear_fused_relu_relu6_and_saturation(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 3] !q.uniform<u8:f32, 0.5:10> = dense<[12, 8, 14]>\n"
      "  const %w : i8[4, 3] !q.uniform<i8:f32, 0.5:0> = "
      "dense<[1, 1, 1, -3, 0, 0, 100, 0, 100, -20, 0, 0]>\n"
      "  %y = qlinear \"fc\" (%x, %w) : u8[1, 4] !q.uniform<u8:f32, 0.25:20>\n"
      "  %yr = qlinear \"fc_relu\" (%x, %w) {clamp = [20, 255]} : "
      "u8[1, 4] !q.uniform<u8:f32, 0.25:20>\n"
      "  %y6 = qlinear \"fc_relu6\" (%x, %w) {clamp = [20, 44]} : "
      "u8[1, 4] !q.uniform<u8:f32, 0.25:20>\n"
      "  output %y\n"
      "  output %yr\n"
      "  output %y6\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 24, 14, 255, 0);
  EXPECT_CODES(ip, g, "yr", 24, 20, 255, 20);
  EXPECT_CODES(ip, g, "y6", 24, 20, 44, 20);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- qadd, qsub, qmul -------------------------------------------------------- */

/* a: u8[2, 1] (0.5, 0), codes [4, 10] -> real offsets 2, 5 (times M_a =
 * 0.5/1); b: u8[3] (0.25, 8), codes [8, 10, 13] -> 0, 0.5, 1.25 (times
 * M_b = 0.25/1). Broadcast to [2, 3]; y (1, 2).
 *   qadd: 2, 2.5, 3.25 | 5, 5.5, 6.25 -> 2, 2, 3 | 5, 6, 6 -> +2:
 *         4, 4, 5 | 7, 8, 8
 *   qadd clamp [5, 7]: 5, 5, 5 | 7, 7, 7
 *   qsub: 2, 1.5, 0.75 | 5, 4.5, 3.75 -> 2, 2, 1 | 5, 4, 4 -> +2:
 *         4, 4, 3 | 7, 6, 6
 *   qmul: (a - z_a)(b - z_b) = 0, 8, 20 | 0, 20, 50, M = 0.5*0.25/1 =
 *         0.125: 0, 1, 2.5 | 0, 2.5, 6.25 -> 0, 1, 2 | 0, 2, 6 -> +2:
 *         2, 3, 4 | 2, 4, 8 */
static void test_qbinary_broadcast_ties_clamp(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %a : u8[2, 1] !q.uniform<u8:f32, 0.5:0> = dense<[4, 10]>\n"
      "  const %b : u8[3] !q.uniform<u8:f32, 0.25:8> = dense<[8, 10, 13]>\n"
      "  %s = qadd \"add\" (%a, %b) : u8[2, 3] !q.uniform<u8:f32, 1:2>\n"
      "  %sc = qadd \"addc\" (%a, %b) {clamp = [5, 7]} : "
      "u8[2, 3] !q.uniform<u8:f32, 1:2>\n"
      "  %d = qsub \"sub\" (%a, %b) : u8[2, 3] !q.uniform<u8:f32, 1:2>\n"
      "  %m = qmul \"mul\" (%a, %b) : u8[2, 3] !q.uniform<u8:f32, 1:2>\n"
      "  output %s\n"
      "  output %sc\n"
      "  output %d\n"
      "  output %m\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "s", 4, 4, 5, 7, 8, 8);
  EXPECT_CODES(ip, g, "sc", 5, 5, 5, 7, 7, 7);
  EXPECT_CODES(ip, g, "d", 4, 4, 3, 7, 6, 6);
  EXPECT_CODES(ip, g, "m", 2, 3, 4, 2, 4, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Saturation of qadd/qsub at both ends, all scales 1, y's z = 100:
 * 250 + 250 = 500 -> 600 -> 255; 0 - 250 = -250 -> -150 -> 0. */
static void test_qbinary_saturation(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %a : u8[1] !q.uniform<u8:f32, 1:0> = dense<[250]>\n"
      "  const %z : u8[1] !q.uniform<u8:f32, 1:0> = dense<[0]>\n"
      "  %s = qadd \"add\" (%a, %a) : u8[1] !q.uniform<u8:f32, 1:100>\n"
      "  %d = qsub \"sub\" (%z, %a) : u8[1] !q.uniform<u8:f32, 1:100>\n"
      "  output %s\n"
      "  output %d\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "s", 255);
  EXPECT_CODES(ip, g, "d", 0);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- dqlinear --------------------------------------------------------------- */

/* x = [[-0.5, 0.0078125, 1, 0], [0, 0, 0, 3.484375]]: over the whole
 * tensor lo = -0.5, hi = 3.484375, hi - lo = 3.984375 = 255/64, so
 * s = 1/64 exactly and z = rne(0.5 * 64) = 32.
 * q_x: -32 -> 0; 0.5 -> 0 (tie to even) -> 32; 64 -> 96; 0 -> 32 |
 *      32, 32, 32, 223 -> 255. Offsets [-32, 0, 64, 0 | 0, 0, 0, 223].
 * w rows [1, 100, 1, 0] (s_w 0.5), [0, 0, 1, 1] (s_w 0.25);
 * acc = [32, 64 | 0, 223]; M = s * s_w = [1/128, 1/256]; b = [1, -1]:
 * y = [0.25 + 1, 0.25 - 1 | 0 + 1, 0.87109375 - 1]
 *   = [1.25, -0.75 | 1, -0.12890625].
 * A per-row range would give row 0 hi = 1 and other codes. */
static void test_dqlinear(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  input %x : f32[2, 4]\n"
      "  const %w : i8[2, 4] !q.uniform<i8:f32:0, {0.5:0, 0.25:0}> = "
      "dense<[1, 100, 1, 0, 0, 0, 1, 1]>\n"
      "  const %b : f32[2] = dense<[1, -1]>\n"
      "  %y = dqlinear \"fc\" (%x, %w, %b) : f32[2, 2]\n"
      "  output %y\n"
      "}\n");
  const float x[8] = {-0.5f, 0.0078125f, 1, 0, 0, 0, 0, 3.484375f};
  Interp *ip = run(g, (const float *[]){x});
  EXPECT_FLOATS(ip, g, "y", 1.25f, -0.75f, 1, -0.12890625f);

  /* All zeros: hi == lo, so s = 1, z = 0, every code 0, acc 0: y = b. */
  const float zeros[8] = {0};
  interp_set_input(ip, 0, zeros);
  Diag d = {0};
  assert_int_equal(interp_run(ip, &d), 0);
  EXPECT_FLOATS(ip, g, "y", 1, -1, 1, -1);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- u8 pools and resize ------------------------------------------------- */

/* z = 200, so a padded element read as z would beat every real code.
 * x = [[10, 50], [30, 20]], kernel 2, stride 1, padding 1 -> 3x3 windows
 * over the padded 4x4; each takes the max of its real elements:
 *   10 50 50 / 30 50 50 / 30 30 20 */
static void test_maxpool_u8_padding_never_wins(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1, 2, 2] !q.uniform<u8:f32, 1:200> = "
      "dense<[10, 50, 30, 20]>\n"
      "  %y = maxpool2d \"p\" (%x) {kernel = [2, 2], stride = [1, 1], "
      "padding = [1, 1]} : u8[1, 1, 3, 3] !q.uniform<u8:f32, 1:200>\n"
      "  output %y\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 10, 50, 50, 30, 50, 50, 30, 30, 20);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* One row, z = 100, offsets [3, 4, 7, -4]; kernel [1, 3], stride 1,
 * padding [0, 1]: windows over columns {-1..1}, {0..2}, {1..3}, {2..4}.
 *   sums (real elements): 7, 14, 7, 3
 *   without padding in the count (2, 3, 3, 2): 3.5, 4.67, 2.33, 1.5
 *     -> 4 (tie to even), 5, 2, 2 -> 104, 105, 102, 102
 *   count_include_pad (3, 3, 3, 3; padding adds q - z = 0):
 *     2.33, 4.67, 2.33, 1 -> 2, 5, 2, 1 -> 102, 105, 102, 101 */
static void test_avgpool_u8_count_include_pad(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1, 1, 4] !q.uniform<u8:f32, 1:100> = "
      "dense<[103, 104, 107, 96]>\n"
      "  %y = avgpool2d \"p\" (%x) {kernel = [1, 3], stride = [1, 1], "
      "padding = [0, 1]} : u8[1, 1, 1, 4] !q.uniform<u8:f32, 1:100>\n"
      "  %yp = avgpool2d \"pp\" (%x) {kernel = [1, 3], stride = [1, 1], "
      "padding = [0, 1], count_include_pad = true} : "
      "u8[1, 1, 1, 4] !q.uniform<u8:f32, 1:100>\n"
      "  output %y\n"
      "  output %yp\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 104, 105, 102, 102);
  EXPECT_CODES(ip, g, "yp", 102, 105, 102, 101);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* z = 10. Channel 0 offsets [1, 2, 3, 4]: 10 / 4 = 2.5 -> 2 -> 12.
 * Channel 1 offsets [-1, -1, -1, -3]: -6 / 4 = -1.5 -> -2 -> 8. */
static void test_global_avgpool_u8(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 2, 2, 2] !q.uniform<u8:f32, 0.3:10> = "
      "dense<[11, 12, 13, 14, 9, 9, 9, 7]>\n"
      "  %y = global_avgpool \"g\" (%x) : u8[1, 2, 1, 1] "
      "!q.uniform<u8:f32, 0.3:10>\n"
      "  output %y\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 12, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* 2x2 -> 3x3, align_corners: source coordinates 0, 0.5, 1 on both axes
 * (the last clamps to lo = hi = 1, weight 0). z = 10, offsets
 * d = [[0, 1], [2, 4]]. Weights (1-ly)(1-lx), (1-ly)lx, ly(1-lx), ly*lx:
 *   row 0 (ly = 0):   0 | 0.5*0 + 0.5*1 = 0.5 -> 0 (tie) | 1
 *   row 1 (ly = 0.5): 0.5*0 + 0.5*2 = 1 | .25*(0+1+2+4) = 1.75 -> 2 |
 *                     0.5*1 + 0.5*4 = 2.5 -> 2 (tie)
 *   row 2 (ly = 0):   2 | 0.5*2 + 0.5*4 = 3 | 4
 * + z: 10 10 11 / 11 12 12 / 12 13 14 */
static void test_resize_bilinear_u8(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1, 2, 2] !q.uniform<u8:f32, 0.1:10> = "
      "dense<[10, 11, 12, 14]>\n"
      "  %y = resize \"r\" (%x) {size = [3, 3], mode = bilinear, "
      "coord = align_corners} : u8[1, 1, 3, 3] !q.uniform<u8:f32, 0.1:10>\n"
      "  output %y\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "y", 10, 10, 11, 11, 12, 12, 12, 13, 14);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* concat on axis 1 then split [1, 2] on axis 1, transpose and flatten on
 * u8: codes move unchanged. */
static void test_data_movement_u8(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %a : u8[2, 1] !q.uniform<u8:f32, 0.5:7> = dense<[1, 2]>\n"
      "  const %b : u8[2, 2] !q.uniform<u8:f32, 0.5:7> = dense<[3, 4, 5, 6]>\n"
      "  %c = concat \"cat\" (%a, %b) {axis = 1} : "
      "u8[2, 3] !q.uniform<u8:f32, 0.5:7>\n"
      "  %s0, %s1 = split \"sp\" (%c) {axis = 1, sizes = [1, 2]} : "
      "u8[2, 1] !q.uniform<u8:f32, 0.5:7>, u8[2, 2] !q.uniform<u8:f32, 0.5:7>\n"
      "  %t = transpose \"tr\" (%c) {perm = [1, 0]} : "
      "u8[3, 2] !q.uniform<u8:f32, 0.5:7>\n"
      "  %f = reshape \"rs\" (%t) {shape = [6]} : "
      "u8[6] !q.uniform<u8:f32, 0.5:7>\n"
      "  output %s0\n"
      "  output %s1\n"
      "  output %f\n"
      "}\n");
  Interp *ip = run(g, NULL);
  EXPECT_CODES(ip, g, "c", 1, 3, 4, 2, 5, 6);
  EXPECT_CODES(ip, g, "s0", 1, 2);
  EXPECT_CODES(ip, g, "s1", 3, 4, 5, 6);
  EXPECT_CODES(ip, g, "f", 1, 2, 3, 5, 4, 6);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- the API -------------------------------------------------------------- */

typedef struct HookLog {
  int calls;
  const char *names[8];
  float observed_sum; /* what the observe node's hook read */
} HookLog;

static void record_hook(void *user, const Node *n, const Interp *ip) {
  HookLog *log = user;
  if (log->calls < 8)
    log->names[log->calls] = n->name;
  log->calls++;
  if (n->op == OP_OBSERVE) {
    const float *x = interp_value(ip, n->inputs[0]);
    log->observed_sum = x[0] + x[1] + x[2] + x[3];
  }
}

/* A mixed graph: observe, quantize (0.5, 128), dequantize, relu.
 * x = [-1, 0.25, 0.75, 100]: x / s = -2, 0.5, 1.5, 200 -> -2, 0, 2, 200
 * -> 126, 128, 130, 255 (saturated); back: -1, 0, 1, 63.5; relu: 0, 0, 1,
 * 63.5. The hook runs after every node, observe included, and there reads
 * the observed input (sum 100). */
static void test_mixed_graph_hook_and_raw_values(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  input %x : f32[4]\n"
      "  observe \"obs\" (%x) {kind = minmax}\n"
      "  %xq = quantize \"q\" (%x) : u8[4] !q.uniform<u8:f32, 0.5:128>\n"
      "  %xd = dequantize \"dq\" (%xq) : f32[4]\n"
      "  %r = relu \"r\" (%xd) : f32[4]\n"
      "  output %r\n"
      "}\n");
  Diag d = {0};
  Interp *ip = interp_create(g, &d);
  if (!ip)
    fail_diag("interp_create", &d);
  HookLog log = {0};
  interp_set_hook(ip, record_hook, &log);
  interp_set_input(ip, 0, (const float[]){-1, 0.25f, 0.75f, 100});
  assert_int_equal(interp_run(ip, &d), 0);
  assert_int_equal(log.calls, 4);
  assert_string_equal(log.names[0], "obs");
  assert_string_equal(log.names[1], "q");
  assert_string_equal(log.names[2], "dq");
  assert_string_equal(log.names[3], "r");
  assert_true(log.observed_sum == 100.0f);
  EXPECT_CODES(ip, g, "xq", 126, 128, 130, 255);
  EXPECT_FLOATS(ip, g, "xd", -1, 0, 1, 63.5f);
  EXPECT_FLOATS(ip, g, "r", 0, 0, 1, 63.5f);
  /* interp_value_raw on an f32 tensor is the same buffer. */
  const Tensor *r = tensor(g, "r");
  assert_ptr_equal(interp_value_raw(ip, r), interp_value(ip, r));
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* interp_value is f32-only: on a u8 tensor it aborts (an internal error,
 * not a diagnostic). Checked in a child process. */
static void test_interp_value_dies_on_u8(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  input %x : f32[2]\n"
      "  %xq = quantize \"q\" (%x) : u8[2] !q.uniform<u8:f32, 1:0>\n"
      "  output %xq\n"
      "}\n");
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2}});
  const Tensor *xq = tensor(g, "xq");
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* Keep the expected "internal error" line out of the test log. */
    if (!freopen("/dev/null", "w", stderr))
      _exit(3);
    (void)interp_value(ip, xq);
    _exit(0); /* not reached when interp_value dies */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Weights must be symmetric: a nonzero weight zero point is refused when
 * the interpreter is created, naming the weight. */
static void test_create_rejects_asymmetric_weight(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 2] !q.uniform<u8:f32, 1:0> = dense<[1, 2]>\n"
      "  const %w : i8[1, 2] !q.uniform<i8:f32, 0.5:3> = dense<[1, 2]>\n"
      "  %y = qlinear \"fc\" (%x, %w) : u8[1, 1] !q.uniform<u8:f32, 1:0>\n"
      "  output %y\n"
      "}\n");
  Diag d = {0};
  assert_null(interp_create(g, &d));
  assert_int_equal(d.has_error, 1);
  assert_non_null(strstr(d.msg, "'w'"));
  assert_non_null(strstr(d.msg, "zero point 3"));
  ir_graph_destroy(g);
}

/* A node the interpreter cannot run (relu reading u8: relu is not
 * u8-capable) is refused, naming the tensor and its type. The graph is
 * built by hand and never verified. */
static void test_create_rejects_unrunnable_node(void **state) {
  (void)state;
  Graph *g = ir_graph_create("q");
  Diag d = {0};
  SrcLoc loc = srcloc("test_qinterp", 7, 1);
  Tensor *x = ir_graph_add_tensor(g, "xq", TK_CONST, DT_U8, 1,
                                  (const int64_t[]){2}, loc, &d);
  Tensor *y = ir_graph_add_tensor(g, "y", TK_VALUE, DT_F32, 1,
                                  (const int64_t[]){2}, loc, &d);
  assert_non_null(x);
  assert_non_null(y);
  ir_tensor_alloc_data(g, x);
  ir_graph_add_node(g, "r", OP_RELU, &x, 1, &y, 1, NULL, 0, loc);
  ir_graph_add_output(g, y);
  assert_null(interp_create(g, &d));
  assert_int_equal(d.has_error, 1);
  assert_non_null(strstr(d.msg, "xq"));
  assert_non_null(strstr(d.msg, "u8"));
  assert_int_equal(d.loc.line, 7);
  ir_graph_destroy(g);
}

/* An accumulator outside int32 is reported by interp_run (lowering never
 * makes one; a hand-written graph can): b = 2^31 - 1 plus 255 * 1. */
static void test_run_reports_i32_overflow(void **state) {
  (void)state;
  Graph *g = parse(
      "graph @t {\n"
      "  const %x : u8[1, 1] !q.uniform<u8:f32, 1:0> = dense<[255]>\n"
      "  const %w : i8[1, 1] !q.uniform<i8:f32, 1:0> = dense<[1]>\n"
      "  const %b : i32[1] = dense<[2147483647]>\n"
      "  %y = qlinear \"fc\" (%x, %w, %b) : u8[1, 1] !q.uniform<u8:f32, 1:0>\n"
      "  output %y\n"
      "}\n");
  Diag d = {0};
  Interp *ip = interp_create(g, &d);
  if (!ip)
    fail_diag("interp_create", &d);
  assert_int_equal(interp_run(ip, &d), -1);
  assert_non_null(strstr(d.msg, "'fc'"));
  assert_non_null(strstr(d.msg, "int32"));
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- property test: u8 kernels against the float ones ------------------- */

typedef struct Rng {
  uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform integer in [lo, hi]. */
static int64_t rng_int(Rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* A scale in [0.01, 0.2), a few significant bits so nothing is special. */
static float rng_scale(Rng *r) {
  return 0.01f + (float)rng_int(r, 0, 1 << 20) * (0.19f / (float)(1 << 20));
}

static SrcLoc here(void) { return srcloc("test_qinterp", 1, 1); }

static QuantParams *qp(Graph *g, DType dt, float s, int32_t z) {
  QuantParams *q = ir_quant_create(g, dt, -1, 1);
  q->scale[0] = s;
  q->zero_point[0] = z;
  return q;
}

static Tensor *new_tensor(Graph *g, TensorKind kind, DType dt, int rank,
                          const int64_t *dims, QuantParams *q) {
  Diag d = {0};
  Tensor *t = ir_graph_add_tensor(g, ir_graph_unique_name(g, "t"), kind, dt,
                                  rank, dims, here(), &d);
  if (!t)
    fail_diag("ir_graph_add_tensor", &d);
  t->quant = q;
  return t;
}

/* A u8 constant of random codes and its dequantized f32 value (computed by
 * the interpreter's dequantize node, checked by test_dequantize_u8_i8). */
static Tensor *random_u8(Graph *g, Rng *r, int rank, const int64_t *dims,
                         QuantParams *q, Tensor **deq) {
  Tensor *t = new_tensor(g, TK_CONST, DT_U8, rank, dims, q);
  uint8_t *p = ir_tensor_alloc_data(g, t);
  for (int64_t i = 0; i < ir_tensor_numel(t); i++)
    p[i] = (uint8_t)rng_int(r, 0, 255);
  *deq = new_tensor(g, TK_VALUE, DT_F32, 0, NULL, NULL);
  ir_graph_add_node(g, ir_graph_unique_name(g, "dq"), OP_DEQUANTIZE, &t, 1,
                    deq, 1, NULL, 0, here());
  return t;
}

/* Deep copies of attributes, so two nodes never share the arrays that
 * shape inference normalizes in place. */
static Attr *copy_attrs(Graph *g, const Attr *a, int n) {
  Attr *c = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++)
    c[i] = a[i].kind == AK_FLOAT || a[i].kind == AK_FLOATS
               ? ir_attr_make_floats(g, a[i].key, a[i].kind, a[i].floats,
                                     a[i].count)
               : ir_attr_make_ints(g, a[i].key, a[i].kind, a[i].ints,
                                   a[i].count);
  return c;
}

/* One comparison: the u8/int8 node `uop` on `uin` and the float node `fop`
 * on `fin` (same attrs, plus `uextra` on the u8 node), every float output
 * quantized with `qy`. Runs, then compares each output's codes: equal when
 * tol == 0, else within tol. Counts outputs strictly inside (0, 255) in
 * *inside, so callers can make sure the comparison was not all
 * saturation. */
typedef struct Pair {
  OpKind uop, fop;
  Tensor **uin, **fin;
  int nin, nout;
  const Attr *attrs;
  int nattrs;
  const Attr *uextra;
  int nuextra;
  QuantParams *qy;
} Pair;

static void check_pair(Graph *g, const Pair *p, int tol, const char *what,
                       int trial, int64_t *inside, int64_t *total) {
  Tensor *yq[4], *yf[4], *yr[4];
  assert_true(p->nout <= 4);
  for (int j = 0; j < p->nout; j++) {
    yq[j] = new_tensor(g, TK_VALUE, DT_F32, 0, NULL, p->qy);
    yf[j] = new_tensor(g, TK_VALUE, DT_F32, 0, NULL, NULL);
    yr[j] = new_tensor(g, TK_VALUE, DT_F32, 0, NULL, p->qy);
  }
  Attr ua[8];
  assert_true(p->nattrs + p->nuextra <= 8);
  memcpy(ua, copy_attrs(g, p->attrs, p->nattrs),
         sizeof(Attr) * (size_t)p->nattrs);
  if (p->nuextra)
    memcpy(ua + p->nattrs, copy_attrs(g, p->uextra, p->nuextra),
           sizeof(Attr) * (size_t)p->nuextra);
  ir_graph_add_node(g, "u", p->uop, p->uin, p->nin, yq, p->nout, ua,
                    p->nattrs + p->nuextra, here());
  ir_graph_add_node(g, "f", p->fop, p->fin, p->nin, yf, p->nout,
                    copy_attrs(g, p->attrs, p->nattrs), p->nattrs, here());
  for (int j = 0; j < p->nout; j++) {
    ir_graph_add_node(g, ir_graph_unique_name(g, "rq"), OP_QUANTIZE, &yf[j],
                      1, &yr[j], 1, NULL, 0, here());
    ir_graph_add_output(g, yq[j]);
    ir_graph_add_output(g, yr[j]);
  }
  Diag d = {0};
  for (int i = 0; i < g->num_nodes; i++)
    if (ir_node_complete_attrs(g, g->nodes[i], &d))
      fail_diag("ir_node_complete_attrs", &d);
  if (ir_graph_sort(g, &d) || ir_graph_infer(g, &d) || ir_verify(g, &d)) {
    print_error("%s trial %d: ", what, trial);
    fail_diag("building the graph", &d);
  }
  Interp *ip = run(g, NULL);
  for (int j = 0; j < p->nout; j++) {
    const uint8_t *a = interp_value_raw(ip, yq[j]);
    const uint8_t *b = interp_value_raw(ip, yr[j]);
    for (int64_t i = 0; i < ir_tensor_numel(yq[j]); i++) {
      int diff = abs((int)a[i] - (int)b[i]);
      if (diff > tol) {
        char *text = ir_print(g);
        print_error("%s trial %d: output %d element %lld: int8 %d, float "
                    "%d\n%s", what, trial, j, (long long)i, a[i], b[i],
                    text ? text : "");
        free(text);
        fail();
      }
      *inside += a[i] > 0 && a[i] < 255;
      (*total)++;
    }
  }
  interp_destroy(ip);
}

#define TRIALS 40
#define A_INTS(g, key, ...)                                                   \
  ir_attr_make_ints(g, key, AK_INTS, (const int64_t[]){__VA_ARGS__},          \
                    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define A_INT(g, key, kind, v)                                                \
  ir_attr_make_ints(g, key, kind, (const int64_t[]){v}, 1)

static void random_dims(Rng *r, int rank, int64_t lo, int64_t hi,
                        int64_t *dims) {
  for (int i = 0; i < rank; i++)
    dims[i] = rng_int(r, lo, hi);
}

/* maxpool2d, concat, split, reshape, flatten, transpose and nearest resize
 * on u8 move codes; dequantization is increasing and quantize(dequantize(q))
 * == q, so the results equal the float op's, requantized, exactly. */
static void test_property_moves_are_exact(void **state) {
  (void)state;
  Rng r = {20240601};
  int64_t inside = 0, total = 0;
  for (int trial = 0; trial < TRIALS; trial++)
    for (int kind = 0; kind < 7; kind++) {
      Graph *g = ir_graph_create("p");
      QuantParams *q = qp(g, DT_U8, rng_scale(&r), (int32_t)rng_int(&r, 0, 255));
      Tensor *uin[3], *fin[3];
      Attr at[4];
      int na = 0, nin = 1, nout = 1;
      OpKind op;
      int64_t dims[4];
      int rank = (int)rng_int(&r, 1, 4);
      const char *what;
      switch (kind) {
      case 0: { /* maxpool2d, padding below the kernel, maybe ceil_mode */
        what = "maxpool2d";
        op = OP_MAXPOOL2D;
        rank = 4;
        random_dims(&r, 4, 1, 7, dims);
        dims[0] = rng_int(&r, 1, 2);
        int64_t kh = rng_int(&r, 1, 3), kw = rng_int(&r, 1, 3);
        int64_t ph = rng_int(&r, 0, kh - 1), pw = rng_int(&r, 0, kw - 1);
        if (dims[2] + 2 * ph < kh)
          dims[2] = kh;
        if (dims[3] + 2 * pw < kw)
          dims[3] = kw;
        at[na++] = A_INTS(g, ATTR_KERNEL, kh, kw);
        at[na++] = A_INTS(g, ATTR_STRIDE, rng_int(&r, 1, 3), rng_int(&r, 1, 3));
        at[na++] = A_INTS(g, ATTR_PADDING, ph, pw);
        at[na++] = A_INT(g, ATTR_CEIL_MODE, AK_BOOL, rng_int(&r, 0, 1));
        break;
      }
      case 1: { /* concat of 2..3 inputs on a random axis */
        what = "concat";
        op = OP_CONCAT;
        random_dims(&r, rank, 1, 4, dims);
        int axis = (int)rng_int(&r, 0, rank - 1);
        nin = (int)rng_int(&r, 2, 3);
        for (int i = 1; i < nin; i++) {
          int64_t di[4];
          memcpy(di, dims, sizeof di);
          di[axis] = rng_int(&r, 1, 3);
          uin[i] = random_u8(g, &r, rank, di, q, &fin[i]);
        }
        at[na++] = A_INT(g, ATTR_AXIS, AK_INT, axis - (rng_int(&r, 0, 1) ? rank : 0));
        break;
      }
      case 2: { /* split into 2..3 pieces of random sizes */
        what = "split";
        op = OP_SPLIT;
        random_dims(&r, rank, 1, 4, dims);
        int axis = (int)rng_int(&r, 0, rank - 1);
        nout = (int)rng_int(&r, 2, 3);
        int64_t sizes[3], sum = 0;
        for (int j = 0; j < nout; j++)
          sum += sizes[j] = rng_int(&r, 1, 3);
        dims[axis] = sum;
        at[na++] = A_INT(g, ATTR_AXIS, AK_INT, axis);
        at[na++] = ir_attr_make_ints(g, ATTR_SIZES, AK_INTS, sizes, nout);
        break;
      }
      case 3: /* reshape to [numel / last, last] with a -1 */
        what = "reshape";
        op = OP_RESHAPE;
        random_dims(&r, rank, 1, 4, dims);
        at[na++] = A_INTS(g, ATTR_SHAPE, -1, dims[rank - 1]);
        break;
      case 4: /* flatten at a random axis */
        what = "flatten";
        op = OP_FLATTEN;
        random_dims(&r, rank, 1, 4, dims);
        at[na++] = A_INT(g, ATTR_AXIS, AK_INT, rng_int(&r, 0, rank));
        break;
      case 5: { /* transpose by a random permutation */
        what = "transpose";
        op = OP_TRANSPOSE;
        random_dims(&r, rank, 1, 4, dims);
        int64_t perm[4] = {0, 1, 2, 3};
        for (int i = rank - 1; i > 0; i--) {
          int j = (int)rng_int(&r, 0, i);
          int64_t t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
        }
        at[na++] = ir_attr_make_ints(g, ATTR_PERM, AK_INTS, perm, rank);
        break;
      }
      default: { /* nearest resize, any coordinate rule, scale or size */
        what = "resize nearest";
        op = OP_RESIZE;
        rank = 4;
        random_dims(&r, 4, 1, 5, dims);
        dims[0] = 1;
        if (rng_int(&r, 0, 1)) {
          static const double scales[] = {0.5, 0.75, 1.5, 2, 3};
          at[na++] = ir_attr_make_floats(
              g, ATTR_SCALE, AK_FLOATS,
              (const double[]){scales[rng_int(&r, 0, 4)],
                               scales[rng_int(&r, 0, 4)]}, 2);
          if (dims[2] < 2)
            dims[2] = 2;
          if (dims[3] < 2)
            dims[3] = 2;
        } else {
          at[na++] = A_INTS(g, ATTR_SIZE, rng_int(&r, 1, 9), rng_int(&r, 1, 9));
        }
        at[na++] = A_INT(g, ATTR_MODE, AK_ENUM, RESIZE_NEAREST);
        at[na++] = A_INT(g, ATTR_COORD, AK_ENUM, rng_int(&r, 0, 3));
        break;
      }
      }
      uin[0] = random_u8(g, &r, rank, dims, q, &fin[0]);
      Pair p = {op, op, uin, fin, nin, nout, at, na, NULL, 0, q};
      check_pair(g, &p, 0, what, trial, &inside, &total);
      ir_graph_destroy(g);
    }
  /* Random codes: nearly all strictly inside the range. */
  assert_true(inside * 10 > total * 9);
}

/* Scale for the output of a dot product of K random terms (x offsets and
 * weights both ~uniform): about three standard deviations of the real
 * value span the codes, so most outputs are not saturated. */
static float dot_output_scale(float s_x, float s_w, int64_t K) {
  return (float)((double)s_x * s_w * 74.0 * 73.0 * sqrt((double)K) * 6.0 /
                 255.0);
}

/* Random i8 weights [O, ...] with per-channel or per-tensor scales, their
 * dequantized f32 copy (computed here: q * s_w[o]) and optionally an i32
 * bias with its f32 value b * s_x * s_w[o]. */
static void random_weights(Graph *g, Rng *r, int rank, const int64_t *dims,
                           float s_x, bool per_channel, bool bias,
                           Tensor **wq, Tensor **wf, Tensor **bq,
                           Tensor **bf, float *s_w0) {
  int64_t O = dims[0];
  QuantParams *qw = ir_quant_create(g, DT_I8, per_channel ? 0 : -1,
                                    per_channel ? (int)O : 1);
  for (int i = 0; i < qw->count; i++)
    qw->scale[i] = rng_scale(r) * 0.1f;
  *s_w0 = qw->scale[0];
  *wq = new_tensor(g, TK_CONST, DT_I8, rank, dims, qw);
  *wf = new_tensor(g, TK_CONST, DT_F32, rank, dims, NULL);
  int8_t *q = ir_tensor_alloc_data(g, *wq);
  float *f = ir_tensor_alloc_data(g, *wf);
  int64_t per_o = ir_tensor_numel(*wq) / O;
  for (int64_t i = 0; i < ir_tensor_numel(*wq); i++) {
    q[i] = (int8_t)rng_int(r, -127, 127);
    f[i] = (float)q[i] * qw->scale[per_channel ? i / per_o : 0];
  }
  *bq = *bf = NULL;
  if (!bias)
    return;
  *bq = new_tensor(g, TK_CONST, DT_I32, 1, dims, NULL);
  *bf = new_tensor(g, TK_CONST, DT_F32, 1, dims, NULL);
  int32_t *bi = ir_tensor_alloc_data(g, *bq);
  float *bv = ir_tensor_alloc_data(g, *bf);
  for (int64_t o = 0; o < O; o++) {
    bi[o] = (int32_t)rng_int(r, -20000, 20000);
    bv[o] = (float)((double)bi[o] * s_x *
                    qw->scale[per_channel ? o : 0]);
  }
}

/* qconv2d and qlinear are within one code of quantize(float conv/linear of
 * the dequantized operands): the two compute the same real number up to
 * f32 rounding, so only a value next to a rounding boundary can differ. */
static void test_property_conv_linear_within_one_code(void **state) {
  (void)state;
  Rng r = {7};
  int64_t inside = 0, total = 0;
  for (int trial = 0; trial < 2 * TRIALS; trial++) {
    Graph *g = ir_graph_create("p");
    bool conv = trial % 2 == 0;
    bool per_channel = rng_int(&r, 0, 1), bias = rng_int(&r, 0, 1);
    float s_x = rng_scale(&r), s_w0;
    QuantParams *qx = qp(g, DT_U8, s_x, (int32_t)rng_int(&r, 0, 255));
    Tensor *uin[3], *fin[3];
    Attr at[4];
    int na = 0;
    int64_t K;
    if (conv) {
      int64_t groups = rng_int(&r, 1, 2);
      int64_t C = groups * rng_int(&r, 1, 3), O = groups * rng_int(&r, 1, 3);
      int64_t kh = rng_int(&r, 1, 3), kw = rng_int(&r, 1, 3);
      int64_t dh = rng_int(&r, 1, 2), dw = rng_int(&r, 1, 2);
      int64_t ph = rng_int(&r, 0, 2), pw = rng_int(&r, 0, 2);
      int64_t H = rng_int(&r, 1, 6), W = rng_int(&r, 1, 6);
      if (H + 2 * ph < dh * (kh - 1) + 1)
        H = dh * (kh - 1) + 1;
      if (W + 2 * pw < dw * (kw - 1) + 1)
        W = dw * (kw - 1) + 1;
      int64_t xd[4] = {rng_int(&r, 1, 2), C, H, W};
      int64_t wd[4] = {O, C / groups, kh, kw};
      uin[0] = random_u8(g, &r, 4, xd, qx, &fin[0]);
      random_weights(g, &r, 4, wd, s_x, per_channel, bias, &uin[1], &fin[1],
                     &uin[2], &fin[2], &s_w0);
      K = (C / groups) * kh * kw;
      at[na++] = A_INTS(g, ATTR_STRIDE, rng_int(&r, 1, 2), rng_int(&r, 1, 2));
      at[na++] = A_INTS(g, ATTR_PADDING, ph, pw);
      at[na++] = A_INTS(g, ATTR_DILATION, dh, dw);
      at[na++] = A_INT(g, ATTR_GROUPS, AK_INT, groups);
    } else {
      K = rng_int(&r, 1, 40);
      int64_t xd[2] = {rng_int(&r, 1, 3), K};
      int64_t wd[2] = {rng_int(&r, 1, 6), K};
      uin[0] = random_u8(g, &r, 2, xd, qx, &fin[0]);
      random_weights(g, &r, 2, wd, s_x, per_channel, bias, &uin[1], &fin[1],
                     &uin[2], &fin[2], &s_w0);
    }
    QuantParams *qy = qp(g, DT_U8, dot_output_scale(s_x, s_w0, K),
                         (int32_t)rng_int(&r, 64, 192));
    Pair p = {conv ? OP_QCONV2D : OP_QLINEAR, conv ? OP_CONV2D : OP_LINEAR,
              uin, fin, bias ? 3 : 2, 1, at, na, NULL, 0, qy};
    check_pair(g, &p, 1, conv ? "qconv2d" : "qlinear", trial, &inside,
               &total);
    ir_graph_destroy(g);
  }
  assert_true(inside * 10 > total * 7);
}

/* qadd/qsub/qmul with broadcasting, avgpool2d (both count rules),
 * global_avgpool and bilinear resize: within one code of the float op on
 * dequantized inputs, requantized. */
static void test_property_arithmetic_within_one_code(void **state) {
  (void)state;
  Rng r = {99};
  int64_t inside = 0, total = 0;
  for (int trial = 0; trial < TRIALS; trial++)
    for (int kind = 0; kind < 6; kind++) {
      Graph *g = ir_graph_create("p");
      float s = rng_scale(&r);
      QuantParams *qx = qp(g, DT_U8, s, (int32_t)rng_int(&r, 0, 255));
      QuantParams *qy = qx;
      Tensor *uin[2], *fin[2];
      Attr at[5], clamp;
      int na = 0, nin = 1, nextra = 0;
      OpKind uop, fop;
      const char *what;
      int64_t dims[4];
      random_dims(&r, 4, 1, 6, dims);
      if (kind < 3) { /* qadd, qsub, qmul: b broadcasts against a */
        static const OpKind uops[] = {OP_QADD, OP_QSUB, OP_QMUL};
        static const OpKind fops[] = {OP_ADD, OP_SUB, OP_MUL};
        static const char *const names[] = {"qadd", "qsub", "qmul"};
        uop = uops[kind];
        fop = fops[kind];
        what = names[kind];
        int rank = (int)rng_int(&r, 1, 4), brank = (int)rng_int(&r, 1, rank);
        int64_t bd[4];
        for (int i = 0; i < brank; i++) /* b's dims: a's trailing, or 1 */
          bd[i] = rng_int(&r, 0, 1) ? dims[rank - brank + i] : 1;
        QuantParams *qb = qp(g, DT_U8, rng_scale(&r),
                             (int32_t)rng_int(&r, 0, 255));
        uin[1] = random_u8(g, &r, brank, bd, qb, &fin[1]);
        uin[0] = random_u8(g, &r, rank, dims, qx, &fin[0]);
        /* Output scale: about the range of the result. */
        float sy = kind == 2 ? s * qb->scale[0] * 128.0f
                             : (s + qb->scale[0]) * 0.75f;
        qy = qp(g, DT_U8, sy, 128);
        nin = 2;
        clamp = A_INTS(g, ATTR_CLAMP, 0, 255);
        nextra = 1;
      } else if (kind == 3) { /* avgpool2d */
        uop = fop = OP_AVGPOOL2D;
        what = "avgpool2d";
        int64_t kh = rng_int(&r, 1, 3), kw = rng_int(&r, 1, 3);
        int64_t ph = rng_int(&r, 0, kh - 1), pw = rng_int(&r, 0, kw - 1);
        if (dims[2] + 2 * ph < kh)
          dims[2] = kh;
        if (dims[3] + 2 * pw < kw)
          dims[3] = kw;
        at[na++] = A_INTS(g, ATTR_KERNEL, kh, kw);
        at[na++] = A_INTS(g, ATTR_STRIDE, rng_int(&r, 1, 2), rng_int(&r, 1, 2));
        at[na++] = A_INTS(g, ATTR_PADDING, ph, pw);
        at[na++] = A_INT(g, ATTR_CEIL_MODE, AK_BOOL, rng_int(&r, 0, 1));
        at[na++] = A_INT(g, ATTR_COUNT_INCLUDE_PAD, AK_BOOL, rng_int(&r, 0, 1));
        uin[0] = random_u8(g, &r, 4, dims, qx, &fin[0]);
      } else if (kind == 4) {
        uop = fop = OP_GLOBAL_AVGPOOL;
        what = "global_avgpool";
        uin[0] = random_u8(g, &r, 4, dims, qx, &fin[0]);
      } else {
        uop = fop = OP_RESIZE;
        what = "resize bilinear";
        at[na++] = A_INTS(g, ATTR_SIZE, rng_int(&r, 1, 9), rng_int(&r, 1, 9));
        at[na++] = A_INT(g, ATTR_MODE, AK_ENUM, RESIZE_BILINEAR);
        at[na++] = A_INT(g, ATTR_COORD, AK_ENUM, rng_int(&r, 0, 3));
        uin[0] = random_u8(g, &r, 4, dims, qx, &fin[0]);
      }
      Pair p = {uop, fop, uin, fin, nin, 1, at, na, &clamp, nextra, qy};
      check_pair(g, &p, 1, what, trial, &inside, &total);
      ir_graph_destroy(g);
    }
  assert_true(inside * 10 > total * 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantize_ties_saturation_nan),
      cmocka_unit_test(test_dequantize_u8_i8),
      cmocka_unit_test(test_lut),
      cmocka_unit_test(test_qconv2d_padding_reads_zero_point),
      cmocka_unit_test(test_qconv2d_per_channel_vs_per_tensor),
      cmocka_unit_test(test_fused_activation_table),
      cmocka_unit_test(test_qlinear_fused_relu_relu6_and_saturation),
      cmocka_unit_test(test_qbinary_broadcast_ties_clamp),
      cmocka_unit_test(test_qbinary_saturation),
      cmocka_unit_test(test_dqlinear),
      cmocka_unit_test(test_maxpool_u8_padding_never_wins),
      cmocka_unit_test(test_avgpool_u8_count_include_pad),
      cmocka_unit_test(test_global_avgpool_u8),
      cmocka_unit_test(test_resize_bilinear_u8),
      cmocka_unit_test(test_data_movement_u8),
      cmocka_unit_test(test_mixed_graph_hook_and_raw_values),
      cmocka_unit_test(test_interp_value_dies_on_u8),
      cmocka_unit_test(test_create_rejects_asymmetric_weight),
      cmocka_unit_test(test_create_rejects_unrunnable_node),
      cmocka_unit_test(test_run_reports_i32_overflow),
      cmocka_unit_test(test_property_moves_are_exact),
      cmocka_unit_test(test_property_conv_linear_within_one_code),
      cmocka_unit_test(test_property_arithmetic_within_one_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
