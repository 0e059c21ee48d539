/* Unit tests of the IR core: attribute completion, shape inference and its
 * range checks, topological sort and cycle reporting, the verifier, shape
 * overflow, and graph statistics. Expected values are worked out by hand
 * from the spec's formulas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ir.h"
#include "stats.h"

static SrcLoc L(int line) { return srcloc("t.yaml", line, 3); }

static Tensor *input(Graph *g, const char *name, int rank, const int64_t *dims) {
  Tensor *t = ir_graph_add_tensor(g, name, TK_INPUT, DT_F32, rank, dims, L(1), NULL);
  assert_non_null(t);
  ir_graph_add_input(g, t);
  return t;
}

static Tensor *constant(Graph *g, const char *name, int rank, const int64_t *dims) {
  Tensor *t = ir_graph_add_tensor(g, name, TK_CONST, DT_F32, rank, dims, L(2), NULL);
  assert_non_null(t);
  ir_tensor_alloc_data(g, t);
  return t;
}

static Tensor *value(Graph *g, const char *name) {
  Tensor *t = ir_graph_add_tensor(g, name, TK_VALUE, DT_F32, 0, NULL, L(3), NULL);
  assert_non_null(t);
  return t;
}

/* Adds a node with the given attrs; returns the completion+inference status. */
static int add(Graph *g, Node **out, OpKind op, const char *name,
               Tensor **ins, int nin, Tensor **outs, int nout,
               const Attr *attrs, int nattrs, Diag *d) {
  Node *n = ir_graph_add_node(g, name, op, ins, nin, outs, nout, attrs, nattrs, L(10));
  if (out)
    *out = n;
  if (ir_node_complete_attrs(g, n, d))
    return -1;
  return ir_infer_node(g, n, d);
}

static Attr ints(Graph *g, AttrKey k, int n, int64_t a, int64_t b, int64_t c, int64_t e) {
  int64_t v[4] = {a, b, c, e};
  return ir_attr_make_ints(g, k, n == 1 ? AK_INT : AK_INTS, v, n);
}

static void test_conv_defaults_and_shape(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[4] = {1, 4, 9, 9}, wd[4] = {8, 2, 3, 3}, bd[1] = {8};
  Tensor *ins[3] = {input(g, "x", 4, xd), constant(g, "w", 4, wd), constant(g, "b", 1, bd)};
  Tensor *y = value(g, "y");
  Attr attrs[3] = {ints(g, ATTR_STRIDE, 2, 2, 2, 0, 0), ints(g, ATTR_PADDING, 2, 1, 0, 0, 0),
                   ints(g, ATTR_GROUPS, 1, 2, 0, 0, 0)};
  Diag d = {0};
  Node *n;
  assert_int_equal(add(g, &n, OP_CONV2D, "c", ins, 3, &y, 1, attrs, 3, &d), 0);
  /* Schema order: stride, padding, dilation, groups; [1,0] -> [1,0,1,0]. */
  assert_int_equal(n->num_attrs, 4);
  assert_int_equal(n->attrs[0].key, ATTR_STRIDE);
  assert_int_equal(n->attrs[1].key, ATTR_PADDING);
  assert_int_equal(n->attrs[1].count, 4);
  const int64_t *p = ir_attr_ints(n, ATTR_PADDING, NULL);
  assert_true(p[0] == 1 && p[1] == 0 && p[2] == 1 && p[3] == 0);
  const int64_t *dil = ir_attr_ints(n, ATTR_DILATION, NULL);
  assert_true(dil[0] == 1 && dil[1] == 1);
  /* H: (9 + 2 - 3) / 2 + 1 = 5; W: (9 - 3) / 2 + 1 = 4. */
  assert_int_equal(y->rank, 4);
  assert_true(y->dims[0] == 1 && y->dims[1] == 8 && y->dims[2] == 5 && y->dims[3] == 4);
  ir_graph_destroy(g);
}

static void expect_error(Graph *g, OpKind op, Tensor **ins, int nin, int nout,
                         const Attr *attrs, int nattrs, const char *msg) {
  Tensor *outs[4];
  for (int i = 0; i < nout; i++)
    outs[i] = value(g, ir_graph_unique_name(g, "out"));
  Diag d = {0};
  assert_int_equal(add(g, NULL, op, "n", ins, nin, outs, nout, attrs, nattrs, &d), -1);
  assert_string_equal(d.msg, msg);
  assert_int_equal(d.loc.line, 10);
}

static void test_range_errors(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {4, 3, 7, 7}, w2[4] = {4, 3, 3, 3}, w3[3] = {4, 3, 3};
  Tensor *x = input(g, "x", 4, xd);
  Tensor *big[2] = {x, constant(g, "w7", 4, wd)};
  expect_error(g, OP_CONV2D, big, 2, 1, NULL, 0,
               "conv2d 'n': kernel height 7 is larger than the padded input (5)");
  Tensor *ok[2] = {x, constant(g, "w3", 4, w2)};
  Attr grp = ints(g, ATTR_GROUPS, 1, 2, 0, 0, 0);
  expect_error(g, OP_CONV2D, ok, 2, 1, &grp, 1,
               "conv2d 'n': input channels 3 are not divisible by groups 2");
  Attr zs = ints(g, ATTR_STRIDE, 2, 0, 1, 0, 0);
  expect_error(g, OP_CONV2D, ok, 2, 1, &zs, 1, "conv2d 'n': stride height is 0, must be positive");
  Attr np = ints(g, ATTR_PADDING, 4, 0, -1, 0, 0);
  expect_error(g, OP_CONV2D, ok, 2, 1, &np, 1, "conv2d 'n': padding must not be negative");
  Tensor *r3[2] = {x, constant(g, "wr3", 3, w3)};
  expect_error(g, OP_CONV2D, r3, 2, 1, NULL, 0, "conv2d 'n': weight has 3 dims, expected 4");
  int64_t bd[4] = {1, 2, 5, 5};
  Tensor *bc[2] = {x, constant(g, "b2", 4, bd)};
  expect_error(g, OP_ADD, bc, 2, 1, NULL, 0,
               "add 'n': shapes [1, 3, 5, 5] and [1, 2, 5, 5] do not broadcast");
  Attr sizes = ints(g, ATTR_SIZES, 2, 1, 1, 0, 0);
  expect_error(g, OP_SPLIT, &x, 1, 2, &sizes, 1, "split 'n': split sizes sum to 2, axis 1 has 3");
  Attr shape = ints(g, ATTR_SHAPE, 2, 7, -1, 0, 0);
  expect_error(g, OP_RESHAPE, &x, 1, 1, &shape, 1,
               "reshape 'n': cannot reshape 75 elements with a -1 dim");
  Attr perm = ints(g, ATTR_PERM, 4, 0, 1, 1, 3);
  expect_error(g, OP_TRANSPOSE, &x, 1, 1, &perm, 1,
               "transpose 'n': perm is not a permutation of 0..3");
  Attr unknown = ints(g, ATTR_KERNEL, 2, 2, 2, 0, 0);
  expect_error(g, OP_RELU, &x, 1, 1, &unknown, 1, "relu 'n': unknown attribute 'kernel'");
  expect_error(g, OP_MAXPOOL2D, &x, 1, 1, NULL, 0, "maxpool2d 'n': missing attribute 'kernel'");
  double sc[2] = {2, 2};
  Attr both[2] = {ir_attr_make_floats(g, ATTR_SCALE, AK_FLOATS, sc, 2),
                  ints(g, ATTR_SIZE, 2, 4, 4, 0, 0)};
  expect_error(g, OP_RESIZE, &x, 1, 1, both, 2,
               "resize 'n': give exactly one of 'scale' and 'size'");
  ir_graph_destroy(g);
}

static void test_pool_and_resize_shapes(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[4] = {1, 2, 6, 6};
  Tensor *x = input(g, "x", 4, xd);
  Diag d = {0};
  /* ceil_mode: (6 - 3 + 2 - 1) / 2 + 1 = 3; last window starts at 4 < 6. */
  Attr pa[3] = {ints(g, ATTR_KERNEL, 2, 3, 3, 0, 0), ints(g, ATTR_STRIDE, 2, 2, 2, 0, 0),
                ir_attr_make_ints(g, ATTR_CEIL_MODE, AK_BOOL, (int64_t[]){1}, 1)};
  Tensor *p = value(g, "p");
  assert_int_equal(add(g, NULL, OP_MAXPOOL2D, "p", &x, 1, &p, 1, pa, 3, &d), 0);
  assert_true(p->dims[2] == 3 && p->dims[3] == 3);
  /* Stride defaults to the kernel. */
  Attr k2 = ints(g, ATTR_KERNEL, 2, 2, 2, 0, 0);
  Tensor *q = value(g, "q");
  Node *n;
  assert_int_equal(add(g, &n, OP_AVGPOOL2D, "q", &x, 1, &q, 1, &k2, 1, &d), 0);
  const int64_t *st = ir_attr_ints(n, ATTR_STRIDE, NULL);
  assert_true(st[0] == 2 && st[1] == 2);
  assert_true(q->dims[2] == 3 && q->dims[3] == 3);
  /* Resize by 1.5: floor(6 * 1.5) = 9; bilinear defaults to half_pixel. */
  double sc[2] = {1.5, 1.5};
  Attr ra[2] = {ir_attr_make_floats(g, ATTR_SCALE, AK_FLOATS, sc, 2),
                ir_attr_make_ints(g, ATTR_MODE, AK_ENUM, (int64_t[]){RESIZE_BILINEAR}, 1)};
  Tensor *r = value(g, "r");
  assert_int_equal(add(g, &n, OP_RESIZE, "r", &x, 1, &r, 1, ra, 2, &d), 0);
  assert_true(r->dims[2] == 9 && r->dims[3] == 9);
  assert_int_equal(ir_attr_int(n, ATTR_COORD), COORD_HALF_PIXEL);
  /* Split without sizes: equal parts, filled in. */
  Tensor *s[2] = {value(g, "s0"), value(g, "s1")};
  assert_int_equal(add(g, &n, OP_SPLIT, "s", &x, 1, s, 2, NULL, 0, &d), 0);
  int cnt;
  const int64_t *sz = ir_attr_ints(n, ATTR_SIZES, &cnt);
  assert_int_equal(cnt, 2);
  assert_true(sz[0] == 1 && sz[1] == 1 && s[1]->dims[1] == 1);
  /* Softmax axis -1 normalizes to 3; flatten keeps leading dims. */
  Tensor *sm = value(g, "sm");
  assert_int_equal(add(g, &n, OP_SOFTMAX, "sm", &x, 1, &sm, 1, NULL, 0, &d), 0);
  assert_int_equal(ir_attr_int(n, ATTR_AXIS), 3);
  Attr ax2 = ints(g, ATTR_AXIS, 1, 2, 0, 0, 0);
  Tensor *f = value(g, "f");
  assert_int_equal(add(g, NULL, OP_FLATTEN, "f", &x, 1, &f, 1, &ax2, 1, &d), 0);
  assert_true(f->rank == 3 && f->dims[0] == 1 && f->dims[1] == 2 && f->dims[2] == 36);
  ir_graph_destroy(g);
}

static void test_sort_and_cycle(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[2] = {1, 4};
  Tensor *x = input(g, "x", 2, xd);
  Tensor *a = value(g, "a"), *b = value(g, "b");
  /* Listed out of order: b = relu(a) before a = sigmoid(x). */
  ir_graph_add_node(g, "second", OP_RELU, &a, 1, &b, 1, NULL, 0, L(5));
  ir_graph_add_node(g, "first", OP_SIGMOID, &x, 1, &a, 1, NULL, 0, L(6));
  ir_graph_add_output(g, b);
  Diag d = {0};
  assert_int_equal(ir_graph_sort(g, &d), 0);
  assert_string_equal(g->nodes[0]->name, "first");
  assert_int_equal(ir_graph_infer(g, &d), 0);
  assert_int_equal(ir_verify(g, &d), 0);
  ir_graph_destroy(g);

  g = ir_graph_create("c");
  x = input(g, "x", 2, xd);
  Tensor *p = value(g, "p"), *q = value(g, "q"), *r = value(g, "r");
  Tensor *pq[2] = {x, q};
  ir_graph_add_node(g, "start", OP_ADD, pq, 2, &p, 1, NULL, 0, L(7));
  ir_graph_add_node(g, "loop_a", OP_RELU, &p, 1, &q, 1, NULL, 0, L(8));
  ir_graph_add_node(g, "after", OP_RELU, &q, 1, &r, 1, NULL, 0, L(9));
  diag_clear(&d);
  assert_int_equal(ir_graph_sort(g, &d), -1);
  assert_string_equal(d.msg, "add 'start' is on a cycle: 'start' -> 'loop_a' -> 'start'");
  assert_int_equal(d.loc.line, 7);
  ir_graph_destroy(g);
}

static void test_verify_rejects_bad_graphs(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[2] = {1, 4};
  Tensor *x = input(g, "x", 2, xd), *y = value(g, "y");
  Diag d = {0};
  assert_int_equal(add(g, NULL, OP_RELU, "r", &x, 1, &y, 1, NULL, 0, &d), 0);
  ir_graph_add_output(g, y);
  assert_int_equal(ir_verify(g, &d), 0);
  /* A wrong recorded shape is caught. */
  y->dims[1] = 5;
  assert_int_equal(ir_verify(g, &d), -1);
  assert_string_equal(d.msg, "relu 'r': output 'y' is f32[1, 5], inferred f32[1, 4]");
  /* Bad quantization parameters are caught. */
  diag_clear(&d);
  y->quant = ir_quant_create(g, DT_U8, -1, 1);
  y->quant->scale[0] = 0.1f;
  y->quant->zero_point[0] = 300;
  assert_int_equal(ir_verify(g, &d), -1);
  assert_string_equal(d.msg, "tensor 'y': zero point 300 is out of range for u8");
  /* Duplicate names are refused at creation. */
  diag_clear(&d);
  assert_null(ir_graph_add_tensor(g, "x", TK_VALUE, DT_F32, 0, NULL, L(4), &d));
  assert_string_equal(d.msg, "tensor 'x' is defined more than once");
  ir_graph_destroy(g);
}

static void test_shape_overflow(void **state) {
  (void)state;
  int64_t dims[3] = {INT64_MAX / 2, 3, 1}, n;
  assert_int_equal(ir_shape_numel(3, dims, &n), -1);
  int64_t big[2] = {1 << 21, 1 << 20}; /* 2^41 > QCC_MAX_ELEMENTS */
  assert_int_equal(ir_shape_numel(2, big, &n), -1);
  int64_t ok[2] = {1 << 20, 1 << 19};
  assert_int_equal(ir_shape_numel(2, ok, &n), 0);
  assert_true(n == (int64_t)1 << 39);
  int64_t neg[1] = {-1};
  assert_int_equal(ir_shape_numel(1, neg, &n), -1);
}

static void test_stats(void **state) {
  (void)state;
  Graph *g = ir_graph_create("m");
  int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 3, 3};
  Tensor *ins[2] = {input(g, "x", 4, xd), constant(g, "w", 4, wd)};
  Tensor *y = value(g, "y"), *z = value(g, "z");
  Diag d = {0};
  Attr pad = ints(g, ATTR_PADDING, 2, 1, 1, 0, 0);
  assert_int_equal(add(g, NULL, OP_CONV2D, "c", ins, 2, &y, 1, &pad, 1, &d), 0);
  assert_int_equal(add(g, NULL, OP_RELU, "r", &y, 1, &z, 1, NULL, 0, &d), 0);
  ir_graph_add_output(g, z);
  GraphStats s;
  ir_graph_stats(g, &s);
  /* 4*8*8 outputs x 3*3*3 weights each. */
  assert_int_equal(s.macs, 4 * 8 * 8 * 27);
  assert_int_equal(s.params, 108);
  assert_int_equal(s.ops[OP_CONV2D], 1);
  /* x, y and z are alive together while relu runs: 768 + 1024 + 1024. */
  assert_int_equal(s.peak_live_bytes, 768 + 1024 + 1024);
  assert_int_equal(s.activation_bytes, 768 + 1024 + 1024);
  ir_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_defaults_and_shape),
      cmocka_unit_test(test_range_errors),
      cmocka_unit_test(test_pool_and_resize_shapes),
      cmocka_unit_test(test_sort_and_cycle),
      cmocka_unit_test(test_verify_rejects_bad_graphs),
      cmocka_unit_test(test_shape_overflow),
      cmocka_unit_test(test_stats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
