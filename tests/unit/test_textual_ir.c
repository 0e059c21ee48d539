/* Unit tests of the textual IR (ir/print.c, ir/parse.c, docs/ir.md):
 * the float rule (shortest form that reads back bit-exactly), the exact
 * printed form of a small graph (what FileCheck tests match against),
 * print(parse(print(g))) == print(g) on a hand-built graph holding every op,
 * attribute kind, constant dtype, quantization form and odd float, the
 * forms the parser accepts beyond what the printer writes, one message and
 * location per parse error, and robustness: every prefix of a valid text and
 * every single-byte mutation of it must parse or fail cleanly (run under
 * ASan+UBSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "unary.h"
#include "text.h"

/* ---- helpers ------------------------------------------------------------- */

static Graph *parse_text(const char *text, Diag *d) {
  diag_clear(d);
  return ir_parse(text, strlen(text), "t.qir", d);
}

/* Parses text that must be valid; shows the diagnostic when it is not. */
static Graph *parse_ok(const char *text) {
  Diag d;
  Graph *g = parse_text(text, &d);
  if (!g) {
    char buf[1024];
    print_error("unexpected parse error: %s\n",
                diag_format(&d, buf, sizeof buf));
  }
  assert_non_null(g);
  assert_false(d.has_error);
  return g;
}

/* print -> parse -> print must give the same bytes; returns the first print
 * (caller frees) and, through *out, the re-parsed graph. */
static char *assert_round_trip(const Graph *g, Graph **out) {
  char *a = ir_print(g);
  assert_non_null(a);
  Graph *g2 = parse_ok(a);
  char *b = ir_print(g2);
  assert_non_null(b);
  assert_string_equal(a, b);
  free(b);
  if (out)
    *out = g2;
  else
    ir_graph_destroy(g2);
  return a;
}

static SrcLoc LOC = {"built.c", 1, 1};

static Tensor *add_tensor(Graph *g, const char *name, TensorKind kind, DType dt,
                          int rank, const int64_t *dims) {
  Tensor *t = ir_graph_add_tensor(g, name, kind, dt, rank, dims, LOC, NULL);
  assert_non_null(t);
  if (kind == TK_INPUT)
    ir_graph_add_input(g, t);
  return t;
}

static Tensor *add_f32_const(Graph *g, const char *name, int rank,
                             const int64_t *dims, const float *v) {
  Tensor *t = add_tensor(g, name, TK_CONST, DT_F32, rank, dims);
  float *data = ir_tensor_alloc_data(g, t);
  int64_t n = ir_tensor_numel(t);
  for (int64_t i = 0; i < n; i++)
    data[i] = v ? v[i] : (float)(i % 7) * 0.25f - 0.5f;
  return t;
}

/* Adds a node with fresh result tensors; completes and infers it. */
static Tensor *node(Graph *g, OpKind op, const char *name, Tensor **ins,
                    int nin, const char *out, const Attr *attrs, int nattrs) {
  Tensor *y = add_tensor(g, out, TK_VALUE, DT_F32, 0, NULL);
  Node *n = ir_graph_add_node(g, name, op, ins, nin, &y, 1, attrs, nattrs, LOC);
  Diag d;
  diag_clear(&d);
  assert_int_equal(ir_node_complete_attrs(g, n, &d), 0);
  if (ir_infer_node(g, n, &d)) {
    char buf[1024];
    print_error("%s\n", diag_format(&d, buf, sizeof buf));
    fail();
  }
  return y;
}

static Attr ints_attr(Graph *g, AttrKey k, AttrKind kind, int n, ...) {
  int64_t v[8];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    v[i] = va_arg(ap, int64_t);
  va_end(ap);
  return ir_attr_make_ints(g, k, kind, v, n);
}

static Attr floats_attr(Graph *g, AttrKey k, AttrKind kind, int n, ...) {
  double v[8];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    v[i] = va_arg(ap, double);
  va_end(ap);
  return ir_attr_make_floats(g, k, kind, v, n);
}

#define I64(x) ((int64_t)(x))

static void verify_ok(Graph *g) {
  Diag d;
  diag_clear(&d);
  if (ir_graph_sort(g, &d) || ir_verify(g, &d)) {
    char buf[1024];
    print_error("%s\n", diag_format(&d, buf, sizeof buf));
    fail();
  }
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* ---- floats -------------------------------------------------------------- */

static void test_f32_shortest_form(void **state) {
  (void)state;
  static const struct {
    uint32_t bits;
    const char *text;
  } cases[] = {
      {0x3dcccccd, "0.1"},
      {0x80000000, "-0"},
      {0x00000000, "0"},
      {0x3f800000, "1"},
      {0x40200000, "2.5"},
      {0x3eaaaaab, "0.33333334"},
      {0x00000001, "1e-45"},         /* smallest denormal */
      {0x007fffff, "1.1754942e-38"}, /* largest denormal */
      {0x00800000, "1.1754944e-38"}, /* smallest normal */
      {0x006ce3ee, "1e-38"},         /* a denormal */
      {0x7f7fffff, "3.4028235e+38"},
      {0xff7fffff, "-3.4028235e+38"},
      {0x4b800000, "16777216"},
      {0x4b800001, "16777218"},
      {0x501502f9, "1e+10"},
      {0x7f800000, "inf"},
      {0xff800000, "-inf"},
      {0x7fc00000, "nan"},
      {0xffc00001, "nan"},
  };
  char buf[TEXT_FLOAT_BUF];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = text_format_f32(bits_f32(cases[i].bits), buf);
    if (strcmp(s, cases[i].text) != 0)
      print_error("bits 0x%08x: got %s, want %s\n", cases[i].bits, s,
                  cases[i].text);
    assert_string_equal(s, cases[i].text);
  }
}

/* Every finite float must come back bit-exactly, and no shorter %g form may
 * exist (minimality is what keeps the text readable). */
static void test_f32_round_trip_random(void **state) {
  (void)state;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  char buf[TEXT_FLOAT_BUF], shorter[TEXT_FLOAT_BUF];
  for (int i = 0; i < 100000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint32_t bits = (uint32_t)(x >> 16);
    float f = bits_f32(bits);
    if (!isfinite(f))
      continue;
    const char *s = text_format_f32(f, buf);
    uint32_t back = f32_bits(strtof(s, NULL));
    if (back != bits)
      print_error("0x%08x -> %s -> 0x%08x\n", bits, s, back);
    assert_int_equal(back, bits);
    /* No smaller precision round-trips: the first one that does is the
     * one printed. */
    for (int q = 1; q <= 9; q++) {
      snprintf(shorter, sizeof shorter, "%.*g", q, (double)f);
      if (f32_bits(strtof(shorter, NULL)) == bits) {
        assert_string_equal(shorter, s);
        break;
      }
    }
  }
}

static void test_f64_shortest_form(void **state) {
  (void)state;
  static const struct {
    double v;
    const char *text;
  } cases[] = {
      {1e-5, "1e-05"},
      {0.1, "0.1"},
      {1.0 / 6.0, "0.16666666666666666"},
      {-0.0, "-0"},
      {0.01, "0.01"},
      {6.000000000000001, "6.000000000000001"},
      {2, "2"},
      {4.9406564584124654e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  char buf[TEXT_FLOAT_BUF];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *s = text_format_f64(cases[i].v, buf);
    if (strcmp(s, cases[i].text) != 0)
      print_error("%.17g: got %s, want %s\n", cases[i].v, s, cases[i].text);
    assert_string_equal(s, cases[i].text);
    double back = strtod(s, NULL);
    assert_memory_equal(&back, &cases[i].v, sizeof back);
  }
  assert_string_equal(text_format_f64(-INFINITY, buf), "-inf");
  assert_string_equal(text_format_f64(NAN, buf), "nan");
}

/* ---- the printed form ---------------------------------------------------- */

/* The whole text of a small graph, byte for byte: the format FileCheck
 * tests are written against (docs/ir.md shows the same). */
static void test_print_exact(void **state) {
  (void)state;
  Graph *g = ir_graph_create("lenet");
  int64_t xd[4] = {1, 1, 6, 6}, wd[4] = {2, 1, 3, 3}, bd[1] = {2};
  Tensor *x = add_tensor(g, "image", TK_INPUT, DT_F32, 4, xd);
  float wv[18];
  for (int i = 0; i < 18; i++)
    wv[i] = i == 0 ? 1.0f : 0.0f;
  Tensor *w = add_f32_const(g, "conv1.w", 4, wd, wv);
  float bv[2] = {0.1f, -0.2f};
  Tensor *b = add_f32_const(g, "conv1.b", 1, bd, bv);
  Tensor *s = add_f32_const(g, "s", 0, NULL, (float[]){2.5f});
  w->quant = ir_quant_create(g, DT_I8, 0, 2);
  w->quant->scale[0] = 0.01f, w->quant->scale[1] = 0.02f;
  Tensor *cin[3] = {x, w, b};
  Attr pad = ints_attr(g, ATTR_PADDING, AK_INTS, 2, I64(1), I64(1));
  Tensor *c = node(g, OP_CONV2D, "conv1", cin, 3, "c1", &pad, 1);
  c->quant = ir_quant_create(g, DT_U8, -1, 1);
  c->quant->scale[0] = 0.0213f;
  c->quant->zero_point[0] = 3;
  c->quant->pinned = true;
  Tensor *min[2] = {c, s};
  Tensor *y = node(g, OP_MUL, "scale", min, 2, "y", NULL, 0);
  Attr sizes = ints_attr(g, ATTR_SIZES, AK_INTS, 2, I64(1), I64(1));
  Tensor *y0 = add_tensor(g, "y0", TK_VALUE, DT_F32, 0, NULL);
  Tensor *y1 = add_tensor(g, "y1", TK_VALUE, DT_F32, 0, NULL);
  Tensor *outs[2] = {y0, y1};
  Node *sp =
      ir_graph_add_node(g, "split_3", OP_SPLIT, &y, 1, outs, 2, &sizes, 1, LOC);
  Diag d;
  diag_clear(&d);
  assert_int_equal(ir_node_complete_attrs(g, sp, &d), 0);
  assert_int_equal(ir_infer_node(g, sp, &d), 0);
  ir_graph_add_output(g, y0);
  ir_graph_add_output(g, y1);
  verify_ok(g);

  char *text = assert_round_trip(g, NULL);
  const char *want =
      "graph @lenet {\n"
      "  input %image : f32[1, 1, 6, 6]\n"
      "  const %conv1.w : f32[2, 1, 3, 3] !q.uniform<i8:f32:0, {0.01:0, "
      "0.02:0}> = dense_resource<conv1.w>\n"
      "  const %conv1.b : f32[2] = dense<[0.1, -0.2]>\n"
      "  const %s : f32[] = dense<[2.5]>\n"
      "  %c1 = conv2d \"conv1\" (%image, %conv1.w, %conv1.b) {stride = [1, 1], "
      "padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : f32[1, 2, 6, "
      "6] !q.uniform<u8:f32, 0.0213:3> pinned\n"
      "  %y = mul \"scale\" (%c1, %s) : f32[1, 2, 6, 6]\n"
      "  %y0, %y1 = split \"split_3\" (%y) {axis = 1, sizes = [1, 1]} : "
      "f32[1, 1, 6, 6], f32[1, 1, 6, 6]\n"
      "  output %y0\n"
      "  output %y1\n"
      "}\n"
      "resources {\n"
      "  conv1.w = \"0x0000803F"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "00000000"
      "\"\n"
      "}\n";
  assert_string_equal(text, want);
  free(text);
  ir_graph_destroy(g);
}

/* ---- round trip of everything -------------------------------------------- */

/* Odd floats that must survive: denormals, -0, extremes, non-finite. */
static const uint32_t odd_bits[] = {
    0x00000001, 0x007fffff, 0x00800000, 0x006ce3ee, 0x80000000, 0x00000000,
    0x7f7fffff, 0xff7fffff, 0x3dcccccd, 0x7f800000, 0xff800000, 0x7fc00000,
    0x4b800001, 0x3eaaaaab, 0x80000001, 0xbf800000, 0x33d6bf95, 0x42f6e979,
};
#define NUM_ODD ((int)(sizeof odd_bits / sizeof odd_bits[0]))

/* A graph with every op of ops.def, every attribute kind, every constant
 * dtype inline and as a resource, per-tensor / per-axis / pinned quant, a
 * two-result split, and odd floats in data and attributes. */
static Graph *build_everything(void) {
  Graph *g = ir_graph_create("everything");
  int64_t xd[4] = {1, 4, 8, 8}, wd[4] = {4, 4, 3, 3}, cd[1] = {4},
          bcd[3] = {4, 1, 1};
  Tensor *x = add_tensor(g, "x", TK_INPUT, DT_F32, 4, xd);
  x->quant = ir_quant_create(g, DT_U8, -1, 1);
  x->quant->scale[0] = 1.0f / 255.0f;
  x->quant->zero_point[0] = 128;
  x->quant->pinned = true;
  Tensor *x2 = add_tensor(g, "in/second:0", TK_INPUT, DT_F32, 4, xd);
  Tensor *w = add_f32_const(g, "conv.w", 4, wd, NULL);
  w->quant = ir_quant_create(g, DT_I8, 0, 4);
  for (int i = 0; i < 4; i++)
    w->quant->scale[i] = 0.001f * (float)(i + 1) + 1e-9f;
  Tensor *b = add_f32_const(g, "conv.b", 1, cd, NULL);
  b->quant = ir_quant_create(g, DT_I32, 0, 4);
  for (int i = 0; i < 4; i++)
    b->quant->scale[i] = 1e-6f * (float)(i + 1);
  b->quant->pinned = true;

  Attr conv_attrs[4] = {
      ints_attr(g, ATTR_GROUPS, AK_INT, 1, I64(2)),
      ints_attr(g, ATTR_STRIDE, AK_INTS, 2, I64(1), I64(1)),
      ints_attr(g, ATTR_PADDING, AK_INTS, 4, I64(1), I64(1), I64(1), I64(1)),
  };
  int64_t wgd[4] = {4, 2, 3, 3};
  Tensor *wg = add_f32_const(g, "conv.wg", 4, wgd, NULL);
  Tensor *cin[3] = {x, wg, b};
  Tensor *c = node(g, OP_CONV2D, "conv", cin, 3, "c", conv_attrs, 3);
  (void)w;
  c->quant = ir_quant_create(g, DT_U8, -1, 1);
  c->quant->scale[0] = 0.0213f;
  c->quant->zero_point[0] = 0;

  Tensor *bn_in[5] = {c, add_f32_const(g, "gamma", 1, cd, NULL),
                      add_f32_const(g, "beta", 1, cd, NULL),
                      add_f32_const(g, "mean", 1, cd, NULL),
                      add_f32_const(g, "var", 1, cd, (float[]){1, 2, 3, 4})};
  Tensor *t = node(g, OP_BATCH_NORM, "bn", bn_in, 5, "bn", NULL, 0);
  t = node(g, OP_RELU, "relu", &t, 1, "r", NULL, 0);
  t = node(g, OP_RELU6, "relu6", &t, 1, "r6", NULL, 0);
  Attr clip[2] = {floats_attr(g, ATTR_MIN, AK_FLOAT, 1, -0.0),
                  floats_attr(g, ATTR_MAX, AK_FLOAT, 1, 6.000000000000001)};
  t = node(g, OP_CLIP, "clip", &t, 1, "cl", clip, 2);
  t = node(g, OP_SIGMOID, "sigmoid", &t, 1, "sg", NULL, 0);
  t = node(g, OP_TANH, "tanh", &t, 1, "th", NULL, 0);
  t = node(g, OP_SILU, "silu", &t, 1, "si", NULL, 0);
  t = node(g, OP_HARDSWISH, "hardswish", &t, 1, "hs", NULL, 0);
  t = node(g, OP_HARDSIGMOID, "hardsigmoid", &t, 1, "hsg", NULL, 0);
  Attr alpha = floats_attr(g, ATTR_ALPHA, AK_FLOAT, 1, 0.1);
  t = node(g, OP_LEAKY_RELU, "leaky", &t, 1, "lr", &alpha, 1);
  /* Every other unary op of ir/unary.def without attributes, so a new
   * row needs no edit here. */
  for (int op = OP_LEAKY_RELU + 1; op < OP_COUNT; op++)
    if (ir_op_is_unary((OpKind)op) &&
        !(op_info((OpKind)op)->flags & OPF_INTERNAL) &&
        op_info((OpKind)op)->num_attrs == 0)
      t = node(g, (OpKind)op, op_info((OpKind)op)->name, &t, 1,
               op_info((OpKind)op)->name, NULL, 0);
  Tensor *add_in[2] = {t, x2};
  t = node(g, OP_ADD, "add", add_in, 2, "a", NULL, 0);
  Tensor *sub_in[2] = {t, add_f32_const(g, "bc", 3, bcd, NULL)};
  t = node(g, OP_SUB, "sub", sub_in, 2, "s", NULL, 0);
  Tensor *mul_in[2] = {t, add_f32_const(g, "k", 0, NULL, (float[]){1e-38f})};
  t = node(g, OP_MUL, "mul", mul_in, 2, "m", NULL, 0);
  Tensor *cat_in[2] = {t, x};
  Attr axis1 = ints_attr(g, ATTR_AXIS, AK_INT, 1, I64(1));
  t = node(g, OP_CONCAT, "cat", cat_in, 2, "cat", &axis1, 1);

  Attr sizes = ints_attr(g, ATTR_SIZES, AK_INTS, 2, I64(3), I64(5));
  Tensor *sp[2] = {add_tensor(g, "sp0", TK_VALUE, DT_F32, 0, NULL),
                   add_tensor(g, "sp1", TK_VALUE, DT_F32, 0, NULL)};
  Node *spn =
      ir_graph_add_node(g, "split", OP_SPLIT, &t, 1, sp, 2, &sizes, 1, LOC);
  Diag d;
  diag_clear(&d);
  assert_int_equal(ir_node_complete_attrs(g, spn, &d), 0);
  assert_int_equal(ir_infer_node(g, spn, &d), 0);

  Attr mp = ints_attr(g, ATTR_KERNEL, AK_INTS, 2, I64(2), I64(2));
  Tensor *p0 = node(g, OP_MAXPOOL2D, "maxpool", &sp[0], 1, "mp", &mp, 1);
  Attr ap[5] = {
      ints_attr(g, ATTR_KERNEL, AK_INTS, 2, I64(3), I64(3)),
      ints_attr(g, ATTR_STRIDE, AK_INTS, 2, I64(2), I64(2)),
      ints_attr(g, ATTR_PADDING, AK_INTS, 4, I64(1), I64(1), I64(0), I64(0)),
      ints_attr(g, ATTR_CEIL_MODE, AK_BOOL, 1, I64(1)),
      ints_attr(g, ATTR_COUNT_INCLUDE_PAD, AK_BOOL, 1, I64(1)),
  };
  Tensor *p1 = node(g, OP_AVGPOOL2D, "avgpool", &sp[1], 1, "ap", ap, 5);
  Attr rz[3] = {
      floats_attr(g, ATTR_SCALE, AK_FLOATS, 2, 2.0, 2.0),
      ints_attr(g, ATTR_MODE, AK_ENUM, 1, I64(RESIZE_BILINEAR)),
      ints_attr(g, ATTR_COORD, AK_ENUM, 1, I64(COORD_PYTORCH_HALF_PIXEL))};
  Tensor *r0 = node(g, OP_RESIZE, "up0", &p0, 1, "rs0", rz, 3);
  Attr rz2 = ints_attr(g, ATTR_SIZE, AK_INTS, 2, I64(8), I64(8));
  Tensor *r1 = node(g, OP_RESIZE, "up1", &p1, 1, "rs1", &rz2, 1);
  Tensor *cat2_in[2] = {r0, r1};
  t = node(g, OP_CONCAT, "cat2", cat2_in, 2, "cat2", NULL, 0);
  t = node(g, OP_GLOBAL_AVGPOOL, "gap", &t, 1, "gap", NULL, 0);
  t = node(g, OP_FLATTEN, "flatten", &t, 1, "fl", NULL, 0);
  int64_t wld[2] = {10, 8}, bld[1] = {10};
  Tensor *fc_in[3] = {t, add_f32_const(g, "fc.w", 2, wld, NULL),
                      add_f32_const(g, "fc.b", 1, bld, NULL)};
  t = node(g, OP_LINEAR, "fc", fc_in, 3, "fc", NULL, 0);
  Attr shape = ints_attr(g, ATTR_SHAPE, AK_INTS, 3, I64(1), I64(-1), I64(5));
  t = node(g, OP_RESHAPE, "reshape", &t, 1, "rsh", &shape, 1);
  Attr perm = ints_attr(g, ATTR_PERM, AK_INTS, 3, I64(0), I64(2), I64(1));
  t = node(g, OP_TRANSPOSE, "transpose", &t, 1, "tr", &perm, 1);
  Attr sl[4] = {ints_attr(g, ATTR_STARTS, AK_INTS, 2, I64(-1), I64(0)),
                ints_attr(g, ATTR_ENDS, AK_INTS, 2, I64(-6), I64(1)),
                ints_attr(g, ATTR_AXES, AK_INTS, 2, I64(1), I64(2)),
                ints_attr(g, ATTR_STEPS, AK_INTS, 2, I64(-2), I64(1))};
  t = node(g, OP_SLICE, "slice", &t, 1, "sl", sl, 4);
  Attr pd[3] = {ints_attr(g, ATTR_PADS, AK_INTS, 6, I64(0), I64(1), I64(0),
                          I64(0), I64(-1), I64(2)),
                ints_attr(g, ATTR_MODE, AK_ENUM, 1, I64(2)),
                floats_attr(g, ATTR_VALUE, AK_FLOAT, 1, 0.0)};
  t = node(g, OP_PAD, "pad", &t, 1, "pd", pd, 3);
  Attr ex = floats_attr(g, ATTR_EXPONENT, AK_FLOAT, 1, 3.0);
  t = node(g, OP_POW, "pow", &t, 1, "pw", &ex, 1);
  int64_t wtd[4] = {3, 2, 2, 2};
  Tensor *ct_in[2] = {node(g, OP_RESHAPE, "to4d", &t, 1, "t4",
                           (Attr[]){ints_attr(g, ATTR_SHAPE, AK_INTS, 4, I64(1),
                                              I64(3), I64(-1), I64(1))},
                           1),
                      add_f32_const(g, "ct.w", 4, wtd, NULL)};
  Attr ct[4] = {ints_attr(g, ATTR_STRIDE, AK_INTS, 2, I64(2), I64(2)),
                ints_attr(g, ATTR_PADDING, AK_INTS, 4, I64(0), I64(1), I64(0), I64(0)),
                ints_attr(g, ATTR_OUTPUT_PADDING, AK_INTS, 2, I64(1), I64(0)),
                ints_attr(g, ATTR_GROUPS, AK_INT, 1, I64(1))};
  Tensor *ctr = node(g, OP_CONV_TRANSPOSE, "conv_transpose", ct_in, 2, "ct", ct, 4);
  ir_graph_add_output(g, ctr);
  Tensor *sm = node(g, OP_SOFTMAX, "softmax", &t, 1, "sm", NULL, 0);
  ir_graph_add_output(g, sm);
  ir_graph_add_output(g, sp[1]);

  /* Constants of every dtype, inline (<= 16 elements) and as resources. */
  int64_t n4[1] = {4}, n20[1] = {20}, nodd[1] = {NUM_ODD}, n3[2] = {1, 3};
  Tensor *q;
  q = add_tensor(g, "i8.small", TK_CONST, DT_I8, 1, n4);
  memcpy(ir_tensor_alloc_data(g, q), (int8_t[]){-128, 127, 0, -1}, 4);
  q = add_tensor(g, "u8.small", TK_CONST, DT_U8, 1, n4);
  memcpy(ir_tensor_alloc_data(g, q), (uint8_t[]){0, 255, 1, 128}, 4);
  q = add_tensor(g, "i32.small", TK_CONST, DT_I32, 2, n3);
  memcpy(ir_tensor_alloc_data(g, q), (int32_t[]){INT32_MIN, INT32_MAX, -7}, 12);
  q = add_tensor(g, "i8.big", TK_CONST, DT_I8, 1, n20);
  int8_t *i8 = ir_tensor_alloc_data(g, q);
  for (int i = 0; i < 20; i++)
    i8[i] = (int8_t)(i * 13 - 128);
  q->quant = ir_quant_create(g, DT_I8, 0, 20);
  for (int i = 0; i < 20; i++)
    q->quant->scale[i] = bits_f32(0x3c000000u + (uint32_t)i * 12345u);
  q = add_tensor(g, "u8.big", TK_CONST, DT_U8, 1, n20);
  uint8_t *u8 = ir_tensor_alloc_data(g, q);
  for (int i = 0; i < 20; i++)
    u8[i] = (uint8_t)(255 - i * 11);
  q = add_tensor(g, "i32.big", TK_CONST, DT_I32, 1, n20);
  int32_t *i32 = ir_tensor_alloc_data(g, q);
  for (int i = 0; i < 20; i++)
    i32[i] = (int32_t)(0x7fffffffu - (uint32_t)i * 0x12345679u);
  int64_t n16[1] = {16};
  q = add_tensor(g, "odd.inline", TK_CONST, DT_F32, 1, n16);
  float *f = ir_tensor_alloc_data(g, q);
  for (int i = 0; i < 16; i++)
    f[i] = bits_f32(odd_bits[i]);
  q = add_tensor(g, "odd.resource", TK_CONST, DT_F32, 1, nodd);
  f = ir_tensor_alloc_data(g, q);
  for (int i = 0; i < NUM_ODD; i++)
    f[i] = bits_f32(odd_bits[i]);
  f[11] = bits_f32(0x7fa00001); /* NaN payloads survive resources */
  verify_ok(g);
  return g;
}

static void test_round_trip_everything(void **state) {
  (void)state;
  Graph *g = build_everything();
  Graph *g2;
  char *text = assert_round_trip(g, &g2);

  /* Every op of the model format is in the text (the int8 dialect has its
   * own round-trip test: tests/ir/int8/dialect.qir). */
  for (int op = 0; op < OP_COUNT; op++) {
    if (op_info((OpKind)op)->flags & OPF_INTERNAL)
      continue;
    char needle[64];
    snprintf(needle, sizeof needle, " = %s \"", op_info((OpKind)op)->name);
    if (!strstr(text, needle))
      print_error("op %s missing from:\n%s\n", op_info((OpKind)op)->name, text);
    assert_non_null(strstr(text, needle));
  }
  /* Spot checks of attribute kinds, quant forms and odd floats. */
  static const char *const lines[] = {
      "  input %x : f32[1, 4, 8, 8] !q.uniform<u8:f32, 0.003921569:128> "
      "pinned\n",
      "  input %in/second:0 : f32[1, 4, 8, 8]\n",
      "  const %conv.w : f32[4, 4, 3, 3] !q.uniform<i8:f32:0, {0.0010000011:0, "
      "0.002000001:0, 0.003000001:0, 0.004000001:0}> = "
      "dense_resource<conv.w>\n",
      "!q.uniform<i32:f32:0, {1e-06:0, 2e-06:0, 3e-06:0, 4e-06:0}> pinned = "
      "dense<[",
      " {stride = [1, 1], padding = [1, 1, 1, 1], dilation = [1, 1], groups = "
      "2} : f32[1, 4, 8, 8] !q.uniform<u8:f32, 0.0213:0>\n",
      "{eps = 1e-05}",
      "{min = -0, max = 6.000000000000001}",
      "{alpha = 0.16666666666666666, beta = 0.5}",
      "{alpha = 0.1}",
      "  %sp0, %sp1 = split \"split\" (%cat) {axis = 1, sizes = [3, 5]} : "
      "f32[1, 3, 8, 8], f32[1, 5, 8, 8]\n",
      "{kernel = [3, 3], stride = [2, 2], padding = [1, 1, 0, 0], ceil_mode = "
      "true, count_include_pad = true}",
      "{kernel = [2, 2], stride = [2, 2], padding = [0, 0, 0, 0], ceil_mode = "
      "false}",
      "{scale = [2, 2], mode = bilinear, coord = pytorch_half_pixel}",
      "{size = [8, 8], mode = nearest, coord = asymmetric}",
      "{pads = [0, 1, 0, 0, -1, 2], mode = edge, value = 0}",
      "{shape = [1, -1, 5]}",
      "  const %k : f32[] = dense<[1e-38]>\n",
      "  const %i8.small : i8[4] = dense<[-128, 127, 0, -1]>\n",
      "  const %u8.small : u8[4] = dense<[0, 255, 1, 128]>\n",
      "  const %i32.small : i32[1, 3] = dense<[-2147483648, 2147483647, -7]>\n",
      "  const %odd.inline : f32[16] = dense<[1e-45, 1.1754942e-38, "
      "1.1754944e-38, 1e-38, -0, 0, 3.4028235e+38, -3.4028235e+38, 0.1, inf, "
      "-inf, nan, 16777218, 0.33333334, -1e-45, -1]>\n",
      "  const %odd.resource : f32[18] = dense_resource<odd.resource>\n",
      "  i32.big = \"0xFFFFFF7F86A9CB6D",
      "  output %sm\n  output %sp1\n}\nresources {\n",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    if (!strstr(text, lines[i]))
      print_error("missing:\n%s\nin:\n%s\n", lines[i], text);
    assert_non_null(strstr(text, lines[i]));
  }

  /* The parsed graph holds the same data, bit for bit (NaN payloads too,
   * except inline ones, which print as the one word "nan"). */
  assert_int_equal(g2->num_tensors, g->num_tensors);
  assert_int_equal(g2->num_nodes, g->num_nodes);
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *a = g->tensors[i];
    const Tensor *b2 = ir_graph_find_tensor(g2, a->name);
    assert_non_null(b2);
    assert_int_equal(a->kind, b2->kind);
    assert_int_equal(a->dtype, b2->dtype);
    assert_int_equal(a->rank, b2->rank);
    assert_memory_equal(a->dims, b2->dims, sizeof(int64_t) * (size_t)a->rank);
    assert_int_equal(!a->quant, !b2->quant);
    if (a->quant) {
      assert_int_equal(a->quant->dtype, b2->quant->dtype);
      assert_int_equal(a->quant->axis, b2->quant->axis);
      assert_int_equal(a->quant->count, b2->quant->count);
      assert_int_equal(a->quant->pinned, b2->quant->pinned);
      assert_memory_equal(a->quant->scale, b2->quant->scale,
                          sizeof(float) * (size_t)a->quant->count);
      assert_memory_equal(a->quant->zero_point, b2->quant->zero_point,
                          sizeof(int32_t) * (size_t)a->quant->count);
    }
    if (a->kind != TK_CONST)
      continue;
    int64_t nb = ir_tensor_nbytes(a);
    if (strcmp(a->name, "odd.inline") == 0) {
      const uint32_t *u = a->data, *v = b2->data;
      for (int k = 0; k < 16; k++)
        if (isnan(bits_f32(u[k])))
          assert_true(isnan(bits_f32(v[k])));
        else
          assert_int_equal(u[k], v[k]);
    } else {
      assert_memory_equal(a->data, b2->data, (size_t)nb);
    }
  }
  free(text);
  ir_graph_destroy(g2);
  ir_graph_destroy(g);
}

/* Names outside [A-Za-z0-9_.:/-]+ (or holding "//") print quoted. */
static void test_quoted_names(void **state) {
  (void)state;
  Graph *g = ir_graph_create("my graph");
  int64_t d1[1] = {2};
  Tensor *x = add_tensor(g, "a b", TK_INPUT, DT_F32, 1, d1);
  Tensor *c = add_f32_const(g, "x//y", 1, d1, (float[]){1, 2});
  Tensor *in[2] = {x, c};
  Tensor *y = node(g, OP_ADD, "say \"hi\"\\\n\t\x01", in, 2, "", NULL, 0);
  Tensor *z = node(g, OP_RELU, "", &y, 1, "-1", NULL, 0);
  ir_graph_add_output(g, z);
  verify_ok(g);
  char *text = assert_round_trip(g, NULL);
  assert_non_null(strstr(text, "graph @\"my graph\" {\n"));
  assert_non_null(strstr(text, "  input %\"a b\" : f32[2]\n"));
  assert_non_null(strstr(text, "  const %\"x//y\" : f32[2] = dense<[1, 2]>\n"));
  assert_non_null(strstr(text,
                         "  %\"\" = add \"say \\\"hi\\\"\\\\\\n\\t\\x01\" "
                         "(%\"a b\", %\"x//y\") : f32[2]\n"));
  assert_non_null(strstr(text, "  %-1 = relu \"\" (%\"\") : f32[2]\n"));
  free(text);
  ir_graph_destroy(g);
}

/* ---- what the parser accepts beyond the printed form --------------------- */

/* Out-of-order nodes, omitted defaults, padding shorthand, attributes in any
 * order, comments, inline data for big constants, resources for small ones,
 * lowercase hex, quoted resource keys, `{}`: all come back canonical. */
static void test_parse_lenient_forms(void **state) {
  (void)state;
  const char *text =
      "// leading comment\n"
      "graph @m { // trailing comment\n"
      "  output %y\n"
      "  %y = relu \"r\" (%c) : f32[1, 2, 5, 3]\n"
      "  %c = conv2d \"c\" (%x, %w) {groups = 1, padding = [1, 0]} : "
      "f32[1, 2, 5, 3]\n"
      "  const %w : f32[2, 1, 1, 1] = dense_resource<\"w\">\n"
      "  input %x : f32[1, 1, 3, 3]\n"
      "  const %big : i8[17] = dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, "
      "13, 14, 15, 16, -17]>\n"
      "  %z = sigmoid \"s\" (%y) {} : f32[1, 2, 5, 3]\n"
      "}\n"
      "resources {\n"
      "  \"w\" = \"0x0000803f000000c0\" // 1, -2\n"
      "}\n";
  Graph *g = parse_ok(text);
  char *out = ir_print(g);
  const char *want =
      "graph @m {\n"
      "  input %x : f32[1, 1, 3, 3]\n"
      "  const %w : f32[2, 1, 1, 1] = dense<[1, -2]>\n"
      "  const %big : i8[17] = dense_resource<big>\n"
      "  %c = conv2d \"c\" (%x, %w) {stride = [1, 1], padding = [1, 0, 1, 0], "
      "dilation = [1, 1], groups = 1} : f32[1, 2, 5, 3]\n"
      "  %y = relu \"r\" (%c) : f32[1, 2, 5, 3]\n"
      "  %z = sigmoid \"s\" (%y) : f32[1, 2, 5, 3]\n"
      "  output %y\n"
      "}\n"
      "resources {\n"
      "  big = \"0x0102030405060708090A0B0C0D0E0F10EF\"\n"
      "}\n";
  assert_string_equal(out, want);
  /* Locations come from the text. */
  const Tensor *c = ir_graph_find_tensor(g, "c");
  assert_int_equal(c->loc.line, 5);
  assert_int_equal(c->loc.col, 3);
  assert_string_equal(c->loc.file, "t.qir");
  assert_string_equal(g->source_path, "t.qir");
  assert_int_equal(c->producer->loc.line, 5);
  assert_int_equal(c->producer->loc.col, 8);
  free(out);
  ir_graph_destroy(g);
}

/* The text need not be NUL-terminated: only `len` bytes are read. */
static void test_parse_respects_len(void **state) {
  (void)state;
  const char *full = "graph @m {\n  input %x : f32[1]\n  output %x\n}\nJUNK";
  Diag d;
  diag_clear(&d);
  size_t len = strlen(full) - 4;
  char *copy = malloc(len);
  memcpy(copy, full, len);
  Graph *g = ir_parse(copy, len, "t.qir", &d);
  assert_non_null(g);
  ir_graph_destroy(g);
  free(copy);
  diag_clear(&d);
  assert_null(ir_parse(NULL, 0, NULL, &d));
  char buf[256];
  assert_string_equal(diag_format(&d, buf, sizeof buf),
                      "<text>:1:1: error: expected 'graph', got end of file");
}

/* ---- errors -------------------------------------------------------------- */

#define HDR "graph @m {\n  input %x : f32[1, 2]\n"

static const struct {
  const char *text, *want;
} error_cases[] = {
    {"", "t.qir:1:1: error: expected 'graph', got end of file"},
    {"// only a comment\n",
     "t.qir:2:1: error: expected 'graph', got end of file"},
    {"graf @m {}", "t.qir:1:1: error: expected 'graph', got 'graf'"},
    {"graph m {}",
     "t.qir:1:7: error: expected graph name (@name) after 'graph', got 'm'"},
    {"graph @ {}", "t.qir:1:7: error: expected a name after '@'"},
    {"graph @m {\n  input %x f32[1]\n}",
     "t.qir:2:12: error: expected ':' after value name, got 'f32'"},
    {"graph @m {\n  input x : f32[1]\n}",
     "t.qir:2:9: error: expected value name after 'input', got 'x'"},
    {"graph @m {\n  input %x : f16[1]\n}",
     "t.qir:2:14: error: unknown dtype 'f16'"},
    {"graph @m {\n  input %x : f32[1, -2]\n}",
     "t.qir:2:21: error: dimension '-2' out of range [0, 1099511627776]"},
    {"graph @m {\n  input %x : f32[1, 2x]\n}",
     "t.qir:2:21: error: bad number '2x'"},
    {"graph @m {\n  input %x : f32[1.5]\n}",
     "t.qir:2:18: error: expected dimension, got '1.5'"},
    {"graph @m {\n  input %x : f32[1, 2, 3, 4, 5, 6, 7, 8, 9]\n}",
     "t.qir:2:42: error: too many dimensions (at most 8)"},
    {"graph @m {\n  input %x : f32[1048576, 1048576, 2]\n}",
     "t.qir:2:14: error: shape has too many elements"},
    {"graph @m {\n  input %x : f32[1\n}",
     "t.qir:3:1: error: expected ',' or ']' in the shape, got '}'"},
    {HDR "  %y = conv3d \"c\" (%x) : f32[1, 2]\n}",
     "t.qir:3:8: error: unknown op 'conv3d'"},
    {HDR "  %y = relu r (%x) : f32[1, 2]\n}",
     "t.qir:3:13: error: expected node name (a quoted string) after op "
     "'relu', got 'r'"},
    {HDR "  %y = relu \"r (%x) : f32[1, 2]\n}",
     "t.qir:3:13: error: unterminated string"},
    {HDR "  %y = relu \"r\\q\" (%x) : f32[1, 2]\n}",
     "t.qir:3:15: error: bad escape '\\q' in string"},
    {HDR "  %y = relu \"r\\x4\" (%x) : f32[1, 2]\n}",
     "t.qir:3:15: error: '\\x' must be followed by two hex digits"},
    {HDR "  %y = relu \"r\\", "t.qir:3:13: error: unterminated string"},
    {HDR "  %y = relu \"r\" (%x) {alpha = 1} : f32[1, 2]\n}",
     "t.qir:3:23: error: unknown attribute 'alpha' for op 'relu'"},
    {HDR "  %y = softmax \"r\" (%x) {axis = 1, axis = 1} : f32[1, 2]\n}",
     "t.qir:3:36: error: duplicate attribute 'axis'"},
    {HDR "  %y = softmax \"r\" (%x) {axis = 1.0} : f32[1, 2]\n}",
     "t.qir:3:33: error: expected integer, got '1.0'"},
    {HDR "  %y = softmax \"r\" (%x) {axis = [1]} : f32[1, 2]\n}",
     "t.qir:3:33: error: expected integer, got '['"},
    {HDR "  %y = leaky_relu \"r\" (%x) {alpha = 1e999} : f32[1, 2]\n}",
     "t.qir:3:37: error: number '1e999' out of range"},
    {HDR "  %y = leaky_relu \"r\" (%x) {alpha = nan} : f32[1, 2]\n}",
     "t.qir:3:29: error: leaky_relu 'r': attribute 'alpha' must be finite"},
    {HDR "  %y = resize \"r\" (%x) {scale = [2, 2], mode = cubic} : f32[1, "
         "2]\n}",
     "t.qir:3:48: error: resize 'r': attribute 'mode' must be one of "
     "nearest, bilinear; found 'cubic'"},
    {HDR "  %y = resize \"r\" (%x) {scale = 2} : f32[1, 2]\n}",
     "t.qir:3:33: error: expected '[' to open the list of attribute 'scale', "
     "got '2'"},
    {HDR "  %y = maxpool2d \"r\" (%x) {kernel = [2, 2], ceil_mode = 1} : "
         "f32[1, 2]\n}",
     "t.qir:3:57: error: expected true or false, got '1'"},
    {HDR "  %y = relu \"r\" (%z) : f32[1, 2]\n}",
     "t.qir:3:18: error: undefined value '%z'"},
    {HDR "  %x = relu \"r\" (%x) : f32[1, 2]\n}",
     "t.qir:3:3: error: redefinition of value '%x' (first defined at line 2)"},
    {HDR "  output %q\n}", "t.qir:3:10: error: undefined value '%q'"},
    {HDR "  %y = relu \"r\" (%x, %x) : f32[1, 2]\n}",
     "t.qir:3:8: error: relu takes 1 operand, got 2"},
    {HDR "  %y = conv2d \"r\" (%x) : f32[1, 2]\n}",
     "t.qir:3:8: error: conv2d takes 2 to 3 operands, got 1"},
    {HDR "  %y = concat \"r\" () : f32[1, 2]\n}",
     "t.qir:3:8: error: concat takes at least 1 operand, got 0"},
    {HDR "  %y, %z = relu \"r\" (%x) : f32[1, 2], f32[1, 2]\n}",
     "t.qir:3:12: error: relu takes 1 result, got 2"},
    {HDR "  %y, %z = split \"r\" (%x) {sizes = [1, 1]} : f32[1, 1]\n}",
     "t.qir:3:46: error: node has 2 results but 1 types"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 3]\n}",
     "t.qir:3:24: error: type mismatch for '%y': declared f32[1, 3], "
     "inferred f32[1, 2]"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !q.uniform<u8:f32, 0.5:0>\n"
         "  %z = relu \"s\" (%y) : u8[1, 2]\n}",
     "t.qir:4:24: error: type mismatch for '%z': declared u8[1, 2], inferred "
     "f32[1, 2]"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !q.uniform<f32:f32, 0.5:0>\n}",
     "t.qir:3:45: error: quantized storage type must be u8, i8 or i32, got "
     "'f32'"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !q.uniform<u8:f32:2, {0.5:0}>\n}",
     "t.qir:3:52: error: quantization axis 2 out of range for rank 2"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !quant.uniform<u8:f32, 0.5:0>\n}",
     "t.qir:3:35: error: expected 'q.uniform' after '!', got "
     "'quant.uniform'"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !q.uniform<u8:f32, 0.5:0.5>\n}",
     "t.qir:3:57: error: expected zero point, got '0.5'"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2] !q.uniform<u8:f32, 0.5:0}>\n}",
     "t.qir:3:58: error: expected '>' to close the quantized type, got '}'"},
    {HDR "}", "t.qir:3:1: error: graph has no outputs"},
    {HDR "  const %c : f32[3] = dense<[1, 2]>\n}",
     "t.qir:3:23: error: dense<> has 2 elements, the type needs 3"},
    {HDR "  const %c : u8[2] = dense<[1, 256]>\n}",
     "t.qir:3:32: error: u8 element '256' out of range [0, 255]"},
    {HDR "  const %c : i8[1] = dense<[-129]>\n}",
     "t.qir:3:29: error: i8 element '-129' out of range [-128, 127]"},
    {HDR "  const %c : f32[1] = dense<[4e38]>\n}",
     "t.qir:3:30: error: number '4e38' out of range for f32"},
    {HDR "  const %c : f32[1] = dense<[0x10]>\n}",
     "t.qir:3:30: error: bad number '0x10'"},
    {HDR "  const %c : f32[1] = dense<[infinity]>\n}",
     "t.qir:3:30: error: expected number, got 'infinity'"},
    {HDR "  const %c : f32[1] = [1]\n}",
     "t.qir:3:23: error: expected 'dense' or 'dense_resource', got '['"},
    {HDR "  const %c : f32[2] = dense_resource<c>\n}\n",
     "t.qir:3:38: error: undefined resource 'c'"},
    {HDR "  const %c : f32[2] = dense_resource<c>\n}\nresources {\n"
         "  c = \"0x0000803F\"\n}\n",
     "t.qir:6:7: error: resource 'c' has 4 bytes, f32[2] needs 8"},
    {HDR "  const %c : f32[1] = dense_resource<c>\n}\nresources {\n"
         "  c = \"0x0000803G\"\n}\n",
     "t.qir:6:17: error: bad hex digit 'G' in resource 'c'"},
    {HDR "  const %c : u8[1] = dense_resource<c>\n}\nresources {\n"
         "  c = \"0x012\"\n}\n",
     "t.qir:6:7: error: odd number of hex digits in resource 'c'"},
    {HDR "  const %c : u8[1] = dense_resource<c>\n}\nresources {\n"
         "  c = \"01\"\n}\n",
     "t.qir:6:7: error: resource 'c' must start with \"0x\""},
    {HDR "  const %c : u8[1] = dense_resource<c>\n}\nresources {\n"
         "  c = \"0x01\"\n  c = \"0x02\"\n}\n",
     "t.qir:7:3: error: duplicate resource 'c'"},
    {HDR "  const %c : u8[1] = dense<[1]>\n}\nresources {\n"
         "  c = \"0x01\"\n}\n",
     "t.qir:6:3: error: unused resource 'c'"},
    {HDR "  output %x\n}\nresources {\n  c = 0x01\n}\n",
     "t.qir:6:7: error: expected a quoted hex string for resource 'c', got "
     "'0x01'"},
    {HDR "  output %x\n}\n}",
     "t.qir:5:1: error: expected end of file, got '}'"},
    {HDR "  output %x\n", "t.qir:4:1: error: expected 'input', 'const', "
                          "'output', a node or '}', got end of file"},
    {HDR "  output %x\n  $\n}", "t.qir:4:3: error: unexpected character '$'"},
    {HDR "  output %x\n  \x01\n}",
     "t.qir:4:3: error: unexpected character '\\x01'"},
    {HDR "  %y = relu \"r\\x00\" (%x) : f32[1, 2]\n}",
     "t.qir:3:15: error: '\\x00' is not allowed in a string"},
    {HDR "  %y = relu \"r\x02\" (%x) : f32[1, 2]\n}",
     "t.qir:3:15: error: control character '\\x02' in string"},
    {HDR "  input %w : f32[99999999999999999999]\n}",
     "t.qir:3:18: error: dimension '99999999999999999999' out of range [0, "
     "1099511627776]"},
    {HDR "  %y = add \"a\" (%x, %z) : f32[1, 2]\n"
         "  %z = add \"b\" (%x, %y) : f32[1, 2]\n  output %z\n}",
     "t.qir:3:8: error: add 'a' is on a cycle: 'a' -> 'b' -> 'a'"},
    {HDR "  %y = clip \"c\" (%x) {min = 0} : f32[1, 2]\n}",
     "t.qir:3:8: error: clip 'c': missing attribute 'max'"},
    {HDR "  %y = relu \"r\" (%x) : f32[1, 2]\n  %y2 = relu \"r\" (%y) : f32[1, "
         "2]\n  output %y2\n  %y9, %y10 = split \"s\" (%x) {axis = 1, sizes = "
         "[1, 2]} : f32[1, 1], f32[1, 2]\n}",
     "t.qir:6:15: error: split 's': split sizes sum to 3, axis 1 has 2"},
};

static void test_error_messages(void **state) {
  (void)state;
  int failures = 0;
  for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
    Diag d;
    Graph *g = parse_text(error_cases[i].text, &d);
    char buf[1024];
    const char *got = g ? "(parsed)" : diag_format(&d, buf, sizeof buf);
    if (strcmp(got, error_cases[i].want) != 0) {
      print_error("case %zu:\n%s\n got: %s\nwant: %s\n\n", i,
                  error_cases[i].text, got, error_cases[i].want);
      failures++;
    }
    ir_graph_destroy(g);
  }
  assert_int_equal(failures, 0);
}

/* ---- robustness ---------------------------------------------------------- */

/* A text that exercises every construct, for the prefix and mutation runs. */
static const char *robust_text =
    "// comment\n"
    "graph @r {\n"
    "  input %x : f32[1, 2, 4, 4] !q.uniform<u8:f32, 0.5:3> pinned\n"
    "  const %w : f32[2, 2, 1, 1] !q.uniform<i8:f32:0, {0.25:0, 1e-3:0}> = "
    "dense<[1, -0, nan, -inf]>\n"
    "  const %big : u8[17] = dense_resource<big>\n"
    "  const %\"q k\" : i32[] = dense<[-7]>\n"
    "  %c = conv2d \"c\\x41\" (%x, %w) {stride = [1, 1], padding = [0, 0]} : "
    "f32[1, 2, 4, 4]\n"
    "  %a, %b = split \"s\" (%c) {axis = 1, sizes = [1, 1]} : f32[1, 1, 4, "
    "4], f32[1, 1, 4, 4]\n"
    "  %p = avgpool2d \"p\" (%a) {kernel = [2, 2], ceil_mode = true} : f32[1, "
    "1, 2, 2]\n"
    "  %u = resize \"u\" (%p) {scale = [2.5, 2], mode = nearest} : f32[1, 1, "
    "5, 4]\n"
    "  %e = leaky_relu \"e\" (%b) {alpha = 1e-05} : f32[1, 1, 4, 4]\n"
    "  output %u\n"
    "  output %e\n"
    "}\n"
    "resources {\n"
    "  big = \"0x000102030405060708090A0B0C0D0E0F10\"\n"
    "}\n";

static void check_no_crash(const char *text, size_t len) {
  Diag d;
  diag_clear(&d);
  Graph *g = ir_parse(text, len, "fuzz.qir", &d);
  if (g) {
    assert_false(d.has_error);
    char *p = ir_print(g);
    assert_non_null(p);
    free(p);
    ir_graph_destroy(g);
  } else {
    assert_true(d.has_error);
    assert_true(d.msg[0] != 0);
    assert_true(d.loc.line >= 1 && d.loc.col >= 1);
  }
}

static void test_every_prefix(void **state) {
  (void)state;
  size_t n = strlen(robust_text);
  Graph *g = parse_ok(robust_text);
  ir_graph_destroy(g);
  int parsed = 0;
  for (size_t len = 0; len <= n; len++) {
    /* A private copy of exactly len bytes, so ASan sees any over-read. */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, robust_text, len);
    Diag d;
    diag_clear(&d);
    Graph *pg = ir_parse(copy, len, "p.qir", &d);
    parsed += pg != NULL;
    if (!pg) {
      assert_true(d.has_error);
      assert_true(d.loc.line >= 1);
    }
    ir_graph_destroy(pg);
    free(copy);
  }
  /* Only the whole text and the text minus its final newline are valid. */
  assert_int_equal(parsed, 2);
  /* The printed form of the big graph, too. */
  Graph *big = build_everything();
  char *text = ir_print(big);
  size_t m = strlen(text);
  for (size_t len = 0; len <= m; len += 7) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    check_no_crash(copy, len);
    free(copy);
  }
  free(text);
  ir_graph_destroy(big);
}

/* Every byte replaced by each of a set of troublesome bytes. */
static void test_single_byte_mutations(void **state) {
  (void)state;
  static const char subst[] = {0,    '"', '%', '@', '[', ']', '{', '}',
                               ',',  ':', '=', '<', '>', '!', '/', '\\',
                               '\n', '-', '9', 'x', ' ', '.', 'e', (char)0xff};
  size_t n = strlen(robust_text);
  char *copy = malloc(n);
  int ok = 0;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < sizeof subst; k++) {
      memcpy(copy, robust_text, n);
      copy[i] = subst[k];
      Diag d;
      diag_clear(&d);
      Graph *g = ir_parse(copy, n, "m.qir", &d);
      if (g) {
        ok++;
        char *p = ir_print(g);
        assert_non_null(p);
        /* Whatever parsed must print stably. */
        Graph *g2 = parse_ok(p);
        char *p2 = ir_print(g2);
        assert_string_equal(p, p2);
        free(p2);
        free(p);
        ir_graph_destroy(g2);
        ir_graph_destroy(g);
      } else {
        assert_true(d.has_error);
      }
    }
  }
  free(copy);
  assert_true(ok > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32_shortest_form),
      cmocka_unit_test(test_f32_round_trip_random),
      cmocka_unit_test(test_f64_shortest_form),
      cmocka_unit_test(test_print_exact),
      cmocka_unit_test(test_round_trip_everything),
      cmocka_unit_test(test_quoted_names),
      cmocka_unit_test(test_parse_lenient_forms),
      cmocka_unit_test(test_parse_respects_len),
      cmocka_unit_test(test_error_messages),
      cmocka_unit_test(test_every_prefix),
      cmocka_unit_test(test_single_byte_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
