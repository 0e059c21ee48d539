/* Unit tests of the float reference interpreter on graphs built directly
 * through the IR API, with expected values worked out by hand (the working
 * is in the comments) or taken from math tables. The NumPy goldens
 * (test_golden.c) cover the op matrix; these pin the small cases one can
 * check on paper, plus the API itself: hooks, interp_value on inputs and
 * constants, interp_eval_node on caller buffers, and the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "interp.h"
#include "ir.h"

/* ---- graph building --------------------------------------------------- */

#define DIMS(...) (const int64_t[]){__VA_ARGS__}
#define NDIMS(...) ((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
/* Shape argument pair: rank, dims. */
#define SHAPE(...) NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__)
#define INTS(g, key, ...)                                                    \
  ir_attr_make_ints(g, key, AK_INTS, DIMS(__VA_ARGS__), NDIMS(__VA_ARGS__))
#define INT1(g, key, kind, v) ir_attr_make_ints(g, key, kind, DIMS(v), 1)
#define FLT1(g, key, v) ir_attr_make_floats(g, key, AK_FLOAT, (const double[]){v}, 1)

static SrcLoc here(void) { return srcloc("test_interp", 1, 1); }

static void fail_diag(const char *what, const Diag *d) {
  char buf[QCC_DIAG_MSG_MAX + 300];
  print_error("%s failed: %s\n", what, diag_format(d, buf, sizeof buf));
  fail();
}

static Tensor *add_input(Graph *g, const char *name, int rank,
                         const int64_t *dims) {
  Diag d = {0};
  Tensor *t = ir_graph_add_tensor(g, name, TK_INPUT, DT_F32, rank, dims,
                                  here(), &d);
  if (!t)
    fail_diag("ir_graph_add_tensor", &d);
  ir_graph_add_input(g, t);
  return t;
}

static Tensor *add_const(Graph *g, const char *name, int rank,
                         const int64_t *dims, const float *vals) {
  Diag d = {0};
  Tensor *t = ir_graph_add_tensor(g, name, TK_CONST, DT_F32, rank, dims,
                                  here(), &d);
  if (!t)
    fail_diag("ir_graph_add_tensor", &d);
  float *p = ir_tensor_alloc_data(g, t);
  memcpy(p, vals, (size_t)ir_tensor_numel(t) * sizeof(float));
  return t;
}

/* A computed tensor; its shape comes from inference. */
static Tensor *add_value(Graph *g, const char *name) {
  Diag d = {0};
  Tensor *t = ir_graph_add_tensor(g, name, TK_VALUE, DT_F32, 0, NULL,
                                  here(), &d);
  if (!t)
    fail_diag("ir_graph_add_tensor", &d);
  return t;
}

static Node *add_node(Graph *g, OpKind op, Tensor *const *in, int nin,
                      Tensor *const *out, int nout, const Attr *attrs,
                      int nattrs) {
  char name[64];
  snprintf(name, sizeof name, "%s_%d", op_info(op)->name, g->num_nodes);
  return ir_graph_add_node(g, name, op, in, nin, out, nout, attrs, nattrs,
                           here());
}

/* One node y = op(inputs...) whose output is the graph's output. */
static Tensor *unary_graph_node(Graph *g, OpKind op, Tensor *const *in,
                                int nin, const Attr *attrs, int nattrs) {
  Tensor *y = add_value(g, "y");
  add_node(g, op, in, nin, &y, 1, attrs, nattrs);
  ir_graph_add_output(g, y);
  return y;
}

/* What the frontend does after parsing: complete, sort, infer, verify. */
static void finish(Graph *g) {
  Diag d = {0};
  for (int i = 0; i < g->num_nodes; i++)
    if (ir_node_complete_attrs(g, g->nodes[i], &d))
      fail_diag("ir_node_complete_attrs", &d);
  if (ir_graph_sort(g, &d))
    fail_diag("ir_graph_sort", &d);
  if (ir_graph_infer(g, &d))
    fail_diag("ir_graph_infer", &d);
  if (ir_verify(g, &d))
    fail_diag("ir_verify", &d);
}

/* Finishes g, runs it on `inputs` (one array per graph input) and returns
 * the interpreter for reading values; the caller destroys it. */
static Interp *run(Graph *g, const float *const *inputs) {
  finish(g);
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

static void expect_shape(const Tensor *t, int rank, const int64_t *dims) {
  char a[96], b[96];
  if (t->rank != rank || memcmp(t->dims, dims, sizeof(int64_t) * (size_t)rank)) {
    print_error("tensor '%s': shape %s, expected %s\n", t->name,
                ir_shape_str(t->rank, t->dims, a, sizeof a),
                ir_shape_str(rank, dims, b, sizeof b));
    fail();
  }
}

/* |got - want| <= 1e-6 + 1e-6 |want| elementwise; names the first bad one. */
static void expect_values(const char *what, const float *got,
                          const float *want, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double err = fabs((double)got[i] - (double)want[i]);
    if (!(err <= 1e-6 + 1e-6 * fabs((double)want[i]))) {
      print_error("%s[%lld]: got %.9g, expected %.9g\n", what, (long long)i,
                  (double)got[i], (double)want[i]);
      fail();
    }
  }
}

#define EXPECT_OUT(ip, t, ...)                                                \
  do {                                                                        \
    const float want_[] = {__VA_ARGS__};                                      \
    assert_int_equal(ir_tensor_numel(t),                                      \
                     (int64_t)(sizeof want_ / sizeof want_[0]));              \
    expect_values((t)->name, interp_value(ip, t), want_,                      \
                  (int64_t)(sizeof want_ / sizeof want_[0]));                 \
  } while (0)

/* ---- conv2d and linear ------------------------------------------------ */

/* x[i][j] = 4i + j + 1 (4x4), w = Sobel-x [[1,0,-1],[2,0,-2],[1,0,-1]],
 * padding 1, bias 0.5. Output (i, j) = sum over rows r in {-1,0,1} of
 * rw[r] * (x[i+r][j-1] - x[i+r][j+1]) with rw = (1, 2, 1), zero outside.
 *  - j = 1, 2: the difference is -2 on every real row: -2 * (sum of rw over
 *    real rows) = -6 on the border rows (i = 0, 3), -8 inside.
 *  - j = 0: only -x[.][1] = -(4r + 2) = -2, -6, -10, -14 per row:
 *    i=0: -(2*2 + 6) = -10; i=1: -(2 + 12 + 10) = -24;
 *    i=2: -(6 + 20 + 14) = -40; i=3: -(10 + 28) = -38.
 *  - j = 3: only +x[.][2] = 4r + 3 = 3, 7, 11, 15 per row:
 *    i=0: 6 + 7 = 13; i=1: 3 + 14 + 11 = 28; i=2: 7 + 22 + 15 = 44;
 *    i=3: 11 + 30 = 41.
 * Then + 0.5. */
static void test_conv2d_sobel_padded(void **state) {
  (void)state;
  Graph *g = ir_graph_create("conv");
  float xv[16], wv[9] = {1, 0, -1, 2, 0, -2, 1, 0, -1}, bv[1] = {0.5f};
  for (int i = 0; i < 16; i++)
    xv[i] = (float)(i + 1);
  Tensor *in[3] = {add_input(g, "x", SHAPE(1, 1, 4, 4)),
                   add_const(g, "w", SHAPE(1, 1, 3, 3), wv),
                   add_const(g, "b", SHAPE(1), bv)};
  Attr attrs[] = {INTS(g, ATTR_PADDING, 1, 1)};
  Tensor *y = unary_graph_node(g, OP_CONV2D, in, 3, attrs, 1);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(y, SHAPE(1, 1, 4, 4));
  EXPECT_OUT(ip, y,
             -9.5f, -5.5f, -5.5f, 13.5f,
             -23.5f, -7.5f, -7.5f, 28.5f,
             -39.5f, -7.5f, -7.5f, 44.5f,
             -37.5f, -5.5f, -5.5f, 41.5f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Depthwise (groups = C = O = 2), 2x2 kernel, stride 2, padding only at the
 * bottom and right ([0, 0, 1, 1]), no bias, on 3x3 planes.
 * ch0: x = 1..9, w = all ones: window sums
 *   (0,0) 1+2+4+5 = 12, (0,1) 3+6 = 9, (1,0) 7+8 = 15, (1,1) 9.
 * ch1: x = all ones, w = [[1,2],[3,4]]: the real taps' weights
 *   (0,0) 1+2+3+4 = 10, (0,1) 1+3 = 4, (1,0) 1+2 = 3, (1,1) 1. */
static void test_conv2d_depthwise_stride2_asym_pad(void **state) {
  (void)state;
  Graph *g = ir_graph_create("dw");
  float xv[18], wv[8] = {1, 1, 1, 1, 1, 2, 3, 4};
  for (int i = 0; i < 9; i++) {
    xv[i] = (float)(i + 1);
    xv[9 + i] = 1;
  }
  Tensor *in[2] = {add_input(g, "x", SHAPE(1, 2, 3, 3)),
                   add_const(g, "w", SHAPE(2, 1, 2, 2), wv)};
  Attr attrs[] = {INTS(g, ATTR_STRIDE, 2, 2),
                  INTS(g, ATTR_PADDING, 0, 0, 1, 1),
                  INT1(g, ATTR_GROUPS, AK_INT, 2)};
  Tensor *y = unary_graph_node(g, OP_CONV2D, in, 2, attrs, 3);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(y, SHAPE(1, 2, 2, 2));
  EXPECT_OUT(ip, y, 12, 9, 15, 9, 10, 4, 3, 1);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x[i][j] = 5i + j (5x5), 2x2 ones kernel with dilation 2 (taps at offsets
 * 0 and 2): y[i][j] = x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2]
 *                  = 4(5i + j) + 2 + 10 + 12 = 4(5i + j) + 24, 3x3 out. */
static void test_conv2d_dilation2(void **state) {
  (void)state;
  Graph *g = ir_graph_create("dil");
  float xv[25], wv[4] = {1, 1, 1, 1};
  for (int i = 0; i < 25; i++)
    xv[i] = (float)i;
  Tensor *in[2] = {add_input(g, "x", SHAPE(1, 1, 5, 5)),
                   add_const(g, "w", SHAPE(1, 1, 2, 2), wv)};
  Attr attrs[] = {INTS(g, ATTR_DILATION, 2, 2)};
  Tensor *y = unary_graph_node(g, OP_CONV2D, in, 2, attrs, 1);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(y, SHAPE(1, 1, 3, 3));
  EXPECT_OUT(ip, y, 24, 28, 32, 44, 48, 52, 64, 68, 72);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Two input channels into one output: channel sums weighted 1 and -1, a
 * 1x1 kernel, so y = x0 - x1 + 0.25 elementwise. */
static void test_conv2d_1x1_two_channels(void **state) {
  (void)state;
  Graph *g = ir_graph_create("pw");
  float xv[8] = {1, 2, 3, 4, 10, 20, 30, 40}, wv[2] = {1, -1},
        bv[1] = {0.25f};
  Tensor *in[3] = {add_input(g, "x", SHAPE(1, 2, 2, 2)),
                   add_const(g, "w", SHAPE(1, 2, 1, 1), wv),
                   add_const(g, "b", SHAPE(1), bv)};
  Tensor *y = unary_graph_node(g, OP_CONV2D, in, 3, NULL, 0);
  Interp *ip = run(g, (const float *[]){xv});
  EXPECT_OUT(ip, y, -8.75f, -17.75f, -26.75f, -35.75f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* y = x w^T + b: x = [[1,2,3],[4,5,6]], w = [[1,0,-1],[.5,.5,.5]],
 * b = [10, -1]: row 0: 1 - 3 + 10 = 8, 0.5 * 6 - 1 = 2;
 *               row 1: 4 - 6 + 10 = 8, 0.5 * 15 - 1 = 6.5. */
static void test_linear(void **state) {
  (void)state;
  Graph *g = ir_graph_create("fc");
  float xv[6] = {1, 2, 3, 4, 5, 6}, wv[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f},
        bv[2] = {10, -1};
  Tensor *in[3] = {add_input(g, "x", SHAPE(2, 3)),
                   add_const(g, "w", SHAPE(2, 3), wv),
                   add_const(g, "b", SHAPE(2), bv)};
  Tensor *y = unary_graph_node(g, OP_LINEAR, in, 3, NULL, 0);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(y, SHAPE(2, 2));
  EXPECT_OUT(ip, y, 8, 2, 8, 6.5f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Without bias: same x and w, rows 1 - 3 = -2, 3; 4 - 6 = -2, 7.5. */
static void test_linear_no_bias(void **state) {
  (void)state;
  Graph *g = ir_graph_create("fc");
  float xv[6] = {1, 2, 3, 4, 5, 6}, wv[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  Tensor *in[2] = {add_input(g, "x", SHAPE(2, 3)),
                   add_const(g, "w", SHAPE(2, 3), wv)};
  Tensor *y = unary_graph_node(g, OP_LINEAR, in, 2, NULL, 0);
  Interp *ip = run(g, (const float *[]){xv});
  EXPECT_OUT(ip, y, -2, 3, -2, 7.5f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- elementwise ------------------------------------------------------ */

static const float act_x[6] = {-4, -1, 0, 0.5f, 3, 8};

static Interp *run_act(Graph *g, OpKind op, const Attr *attrs, int nattrs,
                       Tensor **y) {
  Tensor *x = add_input(g, "x", SHAPE(6));
  *y = unary_graph_node(g, op, &x, 1, attrs, nattrs);
  return run(g, (const float *[]){act_x});
}

static void test_piecewise_activations(void **state) {
  (void)state;
  Tensor *y;
  Graph *g = ir_graph_create("a");
  Interp *ip = run_act(g, OP_RELU, NULL, 0, &y);
  EXPECT_OUT(ip, y, 0, 0, 0, 0.5f, 3, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);

  g = ir_graph_create("a");
  ip = run_act(g, OP_RELU6, NULL, 0, &y);
  EXPECT_OUT(ip, y, 0, 0, 0, 0.5f, 3, 6);
  interp_destroy(ip);
  ir_graph_destroy(g);

  g = ir_graph_create("a");
  Attr clip[] = {FLT1(g, ATTR_MIN, -0.5), FLT1(g, ATTR_MAX, 2)};
  ip = run_act(g, OP_CLIP, clip, 2, &y);
  EXPECT_OUT(ip, y, -0.5f, -0.5f, 0, 0.5f, 2, 2);
  interp_destroy(ip);
  ir_graph_destroy(g);

  g = ir_graph_create("a");
  Attr leaky[] = {FLT1(g, ATTR_ALPHA, 0.1)};
  ip = run_act(g, OP_LEAKY_RELU, leaky, 1, &y);
  EXPECT_OUT(ip, y, -0.4f, -0.1f, 0, 0.5f, 3, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);

  /* Default alpha 0.01. */
  g = ir_graph_create("a");
  ip = run_act(g, OP_LEAKY_RELU, NULL, 0, &y);
  EXPECT_OUT(ip, y, -0.04f, -0.01f, 0, 0.5f, 3, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);

  /* Defaults alpha 1/6, beta 1/2: clamp(x/6 + 1/2, 0, 1):
   * -4 -> -1/6 -> 0; -1 -> 1/3; 0 -> 1/2; 0.5 -> 7/12; 3 -> 1; 8 -> 1. */
  g = ir_graph_create("a");
  ip = run_act(g, OP_HARDSIGMOID, NULL, 0, &y);
  EXPECT_OUT(ip, y, 0, 1.0f / 3, 0.5f, 7.0f / 12, 1, 1);
  interp_destroy(ip);
  ir_graph_destroy(g);

  /* alpha 0.2, beta 0.4: -4 -> -0.4 -> 0; -1 -> 0.2; 0 -> 0.4;
   * 0.5 -> 0.5; 3 -> 1.0; 8 -> 2.0 -> 1. */
  g = ir_graph_create("a");
  Attr hs[] = {FLT1(g, ATTR_ALPHA, 0.2), FLT1(g, ATTR_BETA, 0.4)};
  ip = run_act(g, OP_HARDSIGMOID, hs, 2, &y);
  EXPECT_OUT(ip, y, 0, 0.2f, 0.4f, 0.5f, 1, 1);
  interp_destroy(ip);
  ir_graph_destroy(g);

  /* x * clamp(x + 3, 0, 6) / 6: -4 -> 0; -1 -> -2/6; 0 -> 0;
   * 0.5 -> 0.5 * 3.5 / 6 = 7/24; 3 -> 3; 8 -> 8. */
  g = ir_graph_create("a");
  ip = run_act(g, OP_HARDSWISH, NULL, 0, &y);
  EXPECT_OUT(ip, y, 0, -1.0f / 3, 0, 7.0f / 24, 3, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Values of the logistic function, tanh and x * logistic(x) at
 * -4, -1, 0, 0.5, 3, 8 (to 9 significant digits, from math tables). */
static void test_smooth_activations(void **state) {
  (void)state;
  Tensor *y;
  Graph *g = ir_graph_create("a");
  Interp *ip = run_act(g, OP_SIGMOID, NULL, 0, &y);
  EXPECT_OUT(ip, y, 0.01798621f, 0.268941421f, 0.5f, 0.622459331f,
             0.952574127f, 0.99966465f);
  interp_destroy(ip);
  ir_graph_destroy(g);

  g = ir_graph_create("a");
  ip = run_act(g, OP_TANH, NULL, 0, &y);
  EXPECT_OUT(ip, y, -0.9993293f, -0.761594156f, 0, 0.462117157f,
             0.995054754f, 0.999999775f);
  interp_destroy(ip);
  ir_graph_destroy(g);

  g = ir_graph_create("a");
  ip = run_act(g, OP_SILU, NULL, 0, &y);
  EXPECT_OUT(ip, y, -0.0719448398f, -0.268941421f, 0, 0.311229666f,
             2.85772238f, 7.9973172f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x = [1, 2 | 3, 4] over 2 channels; gamma [2, 1], beta [0, 1],
 * mean [1, 3], var [3.25, 0.25], eps 0.75, so sqrt(var + eps) = [2, 1]:
 * ch0: (1-1)/2*2 + 0 = 0, (2-1)/2*2 = 1; ch1: (3-3)/1 + 1 = 1, 1 + 1 = 2. */
static void test_batch_norm(void **state) {
  (void)state;
  Graph *g = ir_graph_create("bn");
  float xv[4] = {1, 2, 3, 4};
  Tensor *in[5] = {add_input(g, "x", SHAPE(1, 2, 1, 2)),
                   add_const(g, "gamma", SHAPE(2), (const float[]){2, 1}),
                   add_const(g, "beta", SHAPE(2), (const float[]){0, 1}),
                   add_const(g, "mean", SHAPE(2), (const float[]){1, 3}),
                   add_const(g, "var", SHAPE(2), (const float[]){3.25f, 0.25f})};
  Attr attrs[] = {FLT1(g, ATTR_EPS, 0.75)};
  Tensor *y = unary_graph_node(g, OP_BATCH_NORM, in, 5, attrs, 1);
  Interp *ip = run(g, (const float *[]){xv});
  EXPECT_OUT(ip, y, 0, 1, 1, 2);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* [1, 2, 2, 2] + [1, 2, 1, 1]: channel 0 gets +10, channel 1 gets +20. */
static void test_add_channel_broadcast(void **state) {
  (void)state;
  Graph *g = ir_graph_create("add");
  float av[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Tensor *in[2] = {add_input(g, "a", SHAPE(1, 2, 2, 2)),
                   add_const(g, "b", SHAPE(1, 2, 1, 1), (const float[]){10, 20})};
  Tensor *y = unary_graph_node(g, OP_ADD, in, 2, NULL, 0);
  Interp *ip = run(g, (const float *[]){av});
  expect_shape(y, SHAPE(1, 2, 2, 2));
  EXPECT_OUT(ip, y, 11, 12, 13, 14, 25, 26, 27, 28);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Rank mismatch, broadcasting both ways: a [3, 1] - b [2] -> [3, 2]:
 * a = [1, 2, 3] down, b = [10, 100] across: y[i][j] = a[i] - b[j]. */
static void test_sub_both_sides_broadcast(void **state) {
  (void)state;
  Graph *g = ir_graph_create("sub");
  Tensor *in[2] = {add_input(g, "a", SHAPE(3, 1)),
                   add_input(g, "b", SHAPE(2))};
  Tensor *y = unary_graph_node(g, OP_SUB, in, 2, NULL, 0);
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3},
                                        (const float[]){10, 100}});
  expect_shape(y, SHAPE(3, 2));
  EXPECT_OUT(ip, y, -9, -99, -8, -98, -7, -97);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Scalar-like [1] times [2, 2]; and the operands swapped. */
static void test_mul_scalar_like(void **state) {
  (void)state;
  Graph *g = ir_graph_create("mul");
  Tensor *in[2] = {add_const(g, "s", SHAPE(1), (const float[]){-2}),
                   add_input(g, "x", SHAPE(2, 2))};
  Tensor *y = unary_graph_node(g, OP_MUL, in, 2, NULL, 0);
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3, 0.5f}});
  expect_shape(y, SHAPE(2, 2));
  EXPECT_OUT(ip, y, -2, -4, -6, -1);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- pooling ---------------------------------------------------------- */

/* x = [[-1,-2],[-3,-4]], kernel 2, stride 1, padding 1: 3x3 windows, each
 * the max of its real elements only (a zero from padding would win):
 * corners see one element, edges two, the centre all four. */
static void test_maxpool_padding_never_wins(void **state) {
  (void)state;
  Graph *g = ir_graph_create("mp");
  Tensor *x = add_input(g, "x", SHAPE(1, 1, 2, 2));
  Attr attrs[] = {INTS(g, ATTR_KERNEL, 2, 2), INTS(g, ATTR_STRIDE, 1, 1),
                  INTS(g, ATTR_PADDING, 1, 1)};
  Tensor *y = unary_graph_node(g, OP_MAXPOOL2D, &x, 1, attrs, 3);
  Interp *ip = run(g, (const float *[]){(const float[]){-1, -2, -3, -4}});
  expect_shape(y, SHAPE(1, 1, 3, 3));
  EXPECT_OUT(ip, y, -1, -1, -2, -1, -1, -2, -3, -3, -4);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x = [1, 2, 3] in a 1x3 plane, kernel [1,2], stride [1,2], padding 1 on
 * the left and right, ceil_mode: padded width 5, (5-2)/2 = 1.5 -> ceil 2,
 * + 1 = 3 windows, but the third would start at padded 4 = the right
 * padding, so it is dropped: 2 windows, [pad, 1] -> 1 and [2, 3] -> 3. */
static void test_maxpool_ceil_mode_drops_window_in_padding(void **state) {
  (void)state;
  Graph *g = ir_graph_create("mp");
  Tensor *x = add_input(g, "x", SHAPE(1, 1, 1, 3));
  Attr attrs[] = {INTS(g, ATTR_KERNEL, 1, 2), INTS(g, ATTR_STRIDE, 1, 2),
                  INTS(g, ATTR_PADDING, 0, 1, 0, 1),
                  INT1(g, ATTR_CEIL_MODE, AK_BOOL, 1)};
  Tensor *y = unary_graph_node(g, OP_MAXPOOL2D, &x, 1, attrs, 4);
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3}});
  expect_shape(y, SHAPE(1, 1, 1, 2));
  EXPECT_OUT(ip, y, 1, 3);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x = [[1,2],[3,4]], kernel 2, stride 1, padding 1 (3x3 windows).
 * Window sums: corners 1, 2, 3, 4; edges 1+2, 1+3, 2+4, 3+4; centre 10.
 * count_include_pad false divides by the real count (1, 2 or 4);
 * true divides every window by 4. */
static void test_avgpool_count_include_pad(void **state) {
  (void)state;
  for (int inc = 0; inc < 2; inc++) {
    Graph *g = ir_graph_create("ap");
    Tensor *x = add_input(g, "x", SHAPE(1, 1, 2, 2));
    Attr attrs[] = {INTS(g, ATTR_KERNEL, 2, 2), INTS(g, ATTR_STRIDE, 1, 1),
                    INTS(g, ATTR_PADDING, 1, 1),
                    INT1(g, ATTR_COUNT_INCLUDE_PAD, AK_BOOL, inc)};
    Tensor *y = unary_graph_node(g, OP_AVGPOOL2D, &x, 1, attrs, 4);
    Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3, 4}});
    if (inc)
      EXPECT_OUT(ip, y, 0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1);
    else
      EXPECT_OUT(ip, y, 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4);
    interp_destroy(ip);
    ir_graph_destroy(g);
  }
}

/* x = [1..5] in a 1x5 plane, kernel [1,2], stride [1,2], padding right 1,
 * ceil_mode: windows start at 0, 2, 4 (the last one starts inside the
 * input, so it stays): [1,2] -> 1.5, [3,4] -> 3.5, [5, pad]:
 *  - count_include_pad false: 5 / 1 = 5;
 *  - true: the pad cell counts, 5 / 2 = 2.5.
 * Without right padding the last window [5, beyond] gets 5 either way: a
 * cell past the padded input never counts. */
static void test_avgpool_ceil_mode_divisors(void **state) {
  (void)state;
  static const struct {
    int pad_right, include_pad;
    float last;
  } cases[] = {{1, 0, 5}, {1, 1, 2.5f}, {0, 0, 5}, {0, 1, 5}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    Graph *g = ir_graph_create("ap");
    Tensor *x = add_input(g, "x", SHAPE(1, 1, 1, 5));
    Attr attrs[] = {INTS(g, ATTR_KERNEL, 1, 2), INTS(g, ATTR_STRIDE, 1, 2),
                    INTS(g, ATTR_PADDING, 0, 0, 0, cases[k].pad_right),
                    INT1(g, ATTR_CEIL_MODE, AK_BOOL, 1),
                    INT1(g, ATTR_COUNT_INCLUDE_PAD, AK_BOOL,
                         cases[k].include_pad)};
    Tensor *y = unary_graph_node(g, OP_AVGPOOL2D, &x, 1, attrs, 5);
    Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3, 4, 5}});
    expect_shape(y, SHAPE(1, 1, 1, 3));
    EXPECT_OUT(ip, y, 1.5f, 3.5f, cases[k].last);
    interp_destroy(ip);
    ir_graph_destroy(g);
  }
}

/* Channel means: 1..4 -> 2.5; -1, -1, -1, 5 -> 0.5. */
static void test_global_avgpool(void **state) {
  (void)state;
  Graph *g = ir_graph_create("gap");
  Tensor *x = add_input(g, "x", SHAPE(1, 2, 2, 2));
  Tensor *y = unary_graph_node(g, OP_GLOBAL_AVGPOOL, &x, 1, NULL, 0);
  Interp *ip = run(g, (const float *[]){
                          (const float[]){1, 2, 3, 4, -1, -1, -1, 5}});
  expect_shape(y, SHAPE(1, 2, 1, 1));
  EXPECT_OUT(ip, y, 2.5f, 0.5f);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- resize ----------------------------------------------------------- */

/* Nearest, scale 2, asymmetric: source = floor(o / 2), each pixel 2x2. */
static void test_resize_nearest_scale2(void **state) {
  (void)state;
  Graph *g = ir_graph_create("rs");
  Tensor *x = add_input(g, "x", SHAPE(1, 1, 2, 2));
  Attr attrs[] = {ir_attr_make_floats(g, ATTR_SCALE, AK_FLOATS,
                                      (const double[]){2, 2}, 2)};
  Tensor *y = unary_graph_node(g, OP_RESIZE, &x, 1, attrs, 1);
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2, 3, 4}});
  expect_shape(y, SHAPE(1, 1, 4, 4));
  EXPECT_OUT(ip, y, 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Bilinear, align_corners, size [3, 3] from [[0,2],[4,6]]: sources
 * o * (2-1)/(3-1) = 0, 0.5, 1 on both axes, so the middle row/column are
 * the averages: [[0,1,2],[2,3,4],[4,5,6]]. */
static void test_resize_bilinear_align_corners(void **state) {
  (void)state;
  Graph *g = ir_graph_create("rs");
  Tensor *x = add_input(g, "x", SHAPE(1, 1, 2, 2));
  Attr attrs[] = {INTS(g, ATTR_SIZE, 3, 3),
                  INT1(g, ATTR_MODE, AK_ENUM, RESIZE_BILINEAR),
                  INT1(g, ATTR_COORD, AK_ENUM, COORD_ALIGN_CORNERS)};
  Tensor *y = unary_graph_node(g, OP_RESIZE, &x, 1, attrs, 3);
  Interp *ip = run(g, (const float *[]){(const float[]){0, 2, 4, 6}});
  expect_shape(y, SHAPE(1, 1, 3, 3));
  EXPECT_OUT(ip, y, 0, 1, 2, 2, 3, 4, 4, 5, 6);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Bilinear with the default coord (half_pixel), scale 2, a 1x2 plane
 * [0, 4]: column sources (o + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
 * clamped to 0, 0.25, 0.75, 1 -> 0, 1, 3, 4; rows -0.25, 0.25 both clamp
 * to row 0 (there is only one). */
static void test_resize_bilinear_half_pixel_clamps(void **state) {
  (void)state;
  Graph *g = ir_graph_create("rs");
  Tensor *x = add_input(g, "x", SHAPE(1, 1, 1, 2));
  Attr attrs[] = {ir_attr_make_floats(g, ATTR_SCALE, AK_FLOATS,
                                      (const double[]){2, 2}, 2),
                  INT1(g, ATTR_MODE, AK_ENUM, RESIZE_BILINEAR)};
  Tensor *y = unary_graph_node(g, OP_RESIZE, &x, 1, attrs, 2);
  Interp *ip = run(g, (const float *[]){(const float[]){0, 4}});
  expect_shape(y, SHAPE(1, 1, 2, 4));
  EXPECT_OUT(ip, y, 0, 1, 3, 4, 0, 1, 3, 4);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- data movement and softmax ---------------------------------------- */

/* Three inputs on axis 1, with 2 rows in front of the axis so the blocks
 * interleave: a [2,1,1], b [2,2,1], c [2,1,1] -> [2,4,1]; row 0 is
 * a0 b0 b1 c0, row 1 is a1 b2 b3 c1. */
static void test_concat_three_inputs(void **state) {
  (void)state;
  Graph *g = ir_graph_create("cat");
  Tensor *in[3] = {add_input(g, "a", SHAPE(2, 1, 1)),
                   add_input(g, "b", SHAPE(2, 2, 1)),
                   add_const(g, "c", SHAPE(2, 1, 1), (const float[]){7, 8})};
  Tensor *y = unary_graph_node(g, OP_CONCAT, in, 3, NULL, 0);
  Interp *ip = run(g, (const float *[]){(const float[]){1, 2},
                                        (const float[]){3, 4, 5, 6}});
  expect_shape(y, SHAPE(2, 4, 1));
  EXPECT_OUT(ip, y, 1, 3, 4, 7, 2, 5, 6, 8);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* [2, 3] split on axis 1 into sizes [1, 2]: [[0],[3]] and [[1,2],[4,5]]. */
static void test_split_sizes(void **state) {
  (void)state;
  Graph *g = ir_graph_create("split");
  Tensor *x = add_input(g, "x", SHAPE(2, 3));
  Tensor *outs[2] = {add_value(g, "p"), add_value(g, "q")};
  Attr attrs[] = {INTS(g, ATTR_SIZES, 1, 2)};
  add_node(g, OP_SPLIT, &x, 1, outs, 2, attrs, 1);
  ir_graph_add_output(g, outs[0]);
  ir_graph_add_output(g, outs[1]);
  Interp *ip = run(g, (const float *[]){(const float[]){0, 1, 2, 3, 4, 5}});
  expect_shape(outs[0], SHAPE(2, 1));
  expect_shape(outs[1], SHAPE(2, 2));
  EXPECT_OUT(ip, outs[0], 0, 3);
  EXPECT_OUT(ip, outs[1], 1, 2, 4, 5);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Equal split (no sizes) of [4] into two: [0, 1] and [2, 3], on axis -1. */
static void test_split_equal(void **state) {
  (void)state;
  Graph *g = ir_graph_create("split");
  Tensor *x = add_input(g, "x", SHAPE(4));
  Tensor *outs[2] = {add_value(g, "p"), add_value(g, "q")};
  Attr attrs[] = {INT1(g, ATTR_AXIS, AK_INT, -1)};
  add_node(g, OP_SPLIT, &x, 1, outs, 2, attrs, 1);
  ir_graph_add_output(g, outs[0]);
  ir_graph_add_output(g, outs[1]);
  Interp *ip = run(g, (const float *[]){(const float[]){0, 1, 2, 3}});
  EXPECT_OUT(ip, outs[0], 0, 1);
  EXPECT_OUT(ip, outs[1], 2, 3);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* flatten (axis 2) then reshape [0, -1]: row-major order never changes. */
static void test_flatten_reshape_keep_order(void **state) {
  (void)state;
  Graph *g = ir_graph_create("fr");
  float xv[12];
  for (int i = 0; i < 12; i++)
    xv[i] = (float)i;
  Tensor *x = add_input(g, "x", SHAPE(1, 2, 3, 2));
  Tensor *f = add_value(g, "f"), *y = add_value(g, "y");
  Attr fa[] = {INT1(g, ATTR_AXIS, AK_INT, 2)};
  Attr ra[] = {INTS(g, ATTR_SHAPE, 0, -1)};
  add_node(g, OP_FLATTEN, &x, 1, &f, 1, fa, 1);
  add_node(g, OP_RESHAPE, &f, 1, &y, 1, ra, 1);
  ir_graph_add_output(g, y);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(f, SHAPE(1, 2, 6));
  expect_shape(y, SHAPE(1, 12));
  EXPECT_OUT(ip, y, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* x[i][j][k] = 100i + 10j + k with shape [2, 3, 2], perm [2, 0, 1]:
 * y[k][i][j] = x[i][j][k], shape [2, 2, 3]. */
static void test_transpose_3d(void **state) {
  (void)state;
  Graph *g = ir_graph_create("tr");
  float xv[12];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 2; k++)
        xv[(i * 3 + j) * 2 + k] = (float)(100 * i + 10 * j + k);
  Tensor *x = add_input(g, "x", SHAPE(2, 3, 2));
  Attr attrs[] = {INTS(g, ATTR_PERM, 2, 0, 1)};
  Tensor *y = unary_graph_node(g, OP_TRANSPOSE, &x, 1, attrs, 1);
  Interp *ip = run(g, (const float *[]){xv});
  expect_shape(y, SHAPE(2, 2, 3));
  EXPECT_OUT(ip, y, 0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* Softmax on axis 0 of [3, 2]: column 0 = [0, ln 2, ln 3] gives
 * [1, 2, 3] / 6; column 1 = [1000, 1000, 1000] must not overflow: 1/3 each. */
static void test_softmax_stable(void **state) {
  (void)state;
  Graph *g = ir_graph_create("sm");
  Tensor *x = add_input(g, "x", SHAPE(3, 2));
  Attr attrs[] = {INT1(g, ATTR_AXIS, AK_INT, 0)};
  Tensor *y = unary_graph_node(g, OP_SOFTMAX, &x, 1, attrs, 1);
  Interp *ip = run(g, (const float *[]){(const float[]){
                          0, 1000, (float)M_LN2, 1000, (float)log(3.0), 1000}});
  EXPECT_OUT(ip, y, 1.0f / 6, 1.0f / 3, 2.0f / 6, 1.0f / 3, 3.0f / 6, 1.0f / 3);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* ---- the API ---------------------------------------------------------- */

typedef struct HookLog {
  int calls;
  const char *names[4];
  float first_value; /* element 0 of the node's output when the hook ran */
} HookLog;

static void record_hook(void *user, const Node *n, const Interp *ip) {
  HookLog *log = user;
  if (log->calls < 4)
    log->names[log->calls] = n->name;
  if (log->calls == 0)
    log->first_value = interp_value(ip, n->outputs[0])[0];
  log->calls++;
}

/* relu then neg-scale: the hook sees each node once, in topological order
 * (the nodes are added in reverse), with the node's output already
 * computed; interp_value also reads inputs and constants. */
static void test_hook_order_and_values(void **state) {
  (void)state;
  Graph *g = ir_graph_create("h");
  Tensor *x = add_input(g, "x", SHAPE(2));
  Tensor *k = add_const(g, "k", SHAPE(1), (const float[]){-3});
  Tensor *r = add_value(g, "r"), *y = add_value(g, "y");
  Tensor *mul_in[2] = {r, k};
  ir_graph_add_node(g, "second", OP_MUL, mul_in, 2, &y, 1, NULL, 0, here());
  ir_graph_add_node(g, "first", OP_RELU, &x, 1, &r, 1, NULL, 0, here());
  ir_graph_add_output(g, y);
  finish(g);
  Diag d = {0};
  Interp *ip = interp_create(g, &d);
  assert_non_null(ip);
  HookLog log = {0};
  interp_set_hook(ip, record_hook, &log);
  interp_set_input(ip, 0, (const float[]){-5, 2});
  assert_int_equal(interp_run(ip, &d), 0);
  assert_int_equal(log.calls, 2);
  assert_string_equal(log.names[0], "first");
  assert_string_equal(log.names[1], "second");
  assert_true(log.first_value == 0.0f);
  EXPECT_OUT(ip, y, 0, -6);
  EXPECT_OUT(ip, x, -5, 2);
  EXPECT_OUT(ip, k, -3);
  EXPECT_OUT(ip, r, 0, 2);

  /* A second run with new inputs recomputes everything. */
  interp_set_input(ip, 0, (const float[]){1, -1});
  assert_int_equal(interp_run(ip, &d), 0);
  assert_int_equal(log.calls, 4);
  EXPECT_OUT(ip, y, -3, 0);
  interp_destroy(ip);
  ir_graph_destroy(g);
}

/* interp_eval_node on caller buffers, as constant folding uses it. */
static void test_eval_node_on_caller_buffers(void **state) {
  (void)state;
  Graph *g = ir_graph_create("fold");
  Tensor *a = add_const(g, "a", SHAPE(2, 2), (const float[]){1, 2, 3, 4});
  Tensor *b = add_const(g, "b", SHAPE(2), (const float[]){10, 20});
  Tensor *in[2] = {a, b};
  Tensor *y = unary_graph_node(g, OP_ADD, in, 2, NULL, 0);
  finish(g);
  const float av[4] = {1, 2, 3, 4}, bv[2] = {10, 20};
  float out[4] = {0};
  const float *ins[2] = {av, bv};
  float *outs[1] = {out};
  Diag d = {0};
  assert_int_equal(interp_eval_node(g->nodes[0], ins, outs, &d), 0);
  assert_int_equal(d.has_error, 0);
  expect_values(y->name, out, (const float[]){11, 22, 13, 24}, 4);
  ir_graph_destroy(g);
}

/* A node whose input is not f32 is refused by interp_eval_node too (the
 * graph is never verified, only the node is looked at). */
static void test_eval_node_rejects_non_f32(void **state) {
  (void)state;
  Graph *g = ir_graph_create("q");
  Diag d = {0};
  Tensor *x = ir_graph_add_tensor(g, "xq", TK_INPUT, DT_U8, 1, DIMS(2),
                                  here(), &d);
  Tensor *y = ir_graph_add_tensor(g, "yq", TK_VALUE, DT_F32, 1, DIMS(2),
                                  here(), &d);
  Node *n = add_node(g, OP_RELU, &x, 1, &y, 1, NULL, 0);
  const float xin[2] = {1, 2};
  float yout[2];
  const float *ins[1] = {xin};
  float *outs[1] = {yout};
  assert_int_equal(interp_eval_node(n, ins, outs, &d), -1);
  assert_non_null(strstr(d.msg, "xq"));
  assert_int_equal(d.loc.line, 1);
  ir_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv2d_sobel_padded),
      cmocka_unit_test(test_conv2d_depthwise_stride2_asym_pad),
      cmocka_unit_test(test_conv2d_dilation2),
      cmocka_unit_test(test_conv2d_1x1_two_channels),
      cmocka_unit_test(test_linear),
      cmocka_unit_test(test_linear_no_bias),
      cmocka_unit_test(test_piecewise_activations),
      cmocka_unit_test(test_smooth_activations),
      cmocka_unit_test(test_batch_norm),
      cmocka_unit_test(test_add_channel_broadcast),
      cmocka_unit_test(test_sub_both_sides_broadcast),
      cmocka_unit_test(test_mul_scalar_like),
      cmocka_unit_test(test_maxpool_padding_never_wins),
      cmocka_unit_test(test_maxpool_ceil_mode_drops_window_in_padding),
      cmocka_unit_test(test_avgpool_count_include_pad),
      cmocka_unit_test(test_avgpool_ceil_mode_divisors),
      cmocka_unit_test(test_global_avgpool),
      cmocka_unit_test(test_resize_nearest_scale2),
      cmocka_unit_test(test_resize_bilinear_align_corners),
      cmocka_unit_test(test_resize_bilinear_half_pixel_clamps),
      cmocka_unit_test(test_concat_three_inputs),
      cmocka_unit_test(test_split_sizes),
      cmocka_unit_test(test_split_equal),
      cmocka_unit_test(test_flatten_reshape_keep_order),
      cmocka_unit_test(test_transpose_3d),
      cmocka_unit_test(test_softmax_stable),
      cmocka_unit_test(test_hook_order_and_values),
      cmocka_unit_test(test_eval_node_on_caller_buffers),
      cmocka_unit_test(test_eval_node_rejects_non_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
