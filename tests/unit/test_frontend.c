/* Unit tests of the YAML frontend (frontend/yaml_model.c, yaml_doc.c):
 * models parsed from strings and files, with defaults, names, locations,
 * constants (inline and from .npy), pinned quantization parameters, and a
 * table of bad models, each asserting the exact message, line and column.
 * Expected lines/columns were counted on the YAML text itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "npy.h"

static Graph *parse(const char *text, const char *path, Diag *d) {
  diag_clear(d);
  Graph *g = frontend_parse_yaml(text, strlen(text), path, d);
  if (!g) {
    char buf[1024];
    print_error("unexpected error: %s\n", diag_format(d, buf, sizeof buf));
  }
  return g;
}

static void expect_ints(const Node *n, AttrKey key, const int64_t *want,
                        int count) {
  int got;
  const int64_t *v = ir_attr_ints(n, key, &got);
  assert_int_equal(got, count);
  for (int i = 0; i < count; i++)
    assert_int_equal(v[i], want[i]);
}

static void expect_dims(const Tensor *t, int rank, const int64_t *dims) {
  assert_int_equal(t->rank, rank);
  for (int i = 0; i < rank; i++)
    assert_int_equal(t->dims[i], dims[i]);
}

/* ---- good models ---------------------------------------------------------- */

static const char TINY[] =
    "format: 1\n"
    "name: tiny\n"
    "inputs:\n"
    "  - {name: x, shape: [1, 2, 4, 4]}\n"
    "outputs: [y]\n"
    "constants:\n"
    "  w: {dtype: f32, shape: [3, 2, 1, 1], data: [1, 2, 3, 4, 5, 6]}\n"
    "  b: {dtype: f32, shape: [3], data: [0.5, -0.5, 0]}\n"
    "nodes:\n"
    "  - {op: relu, inputs: [c], outputs: [y]}\n"
    "  - {name: conv, op: conv2d, inputs: [x, w, b], outputs: [c],\n"
    "     attrs: {stride: [1, 1], padding: [1, 0]}}\n";

static void test_tiny_model(void **state) {
  (void)state;
  Diag d;
  Graph *g = parse(TINY, "tiny.yaml", &d);
  assert_non_null(g);
  assert_string_equal(g->name, "tiny");
  assert_string_equal(g->source_path, "tiny.yaml");

  assert_int_equal(g->num_inputs, 1);
  Tensor *x = g->inputs[0];
  assert_string_equal(x->name, "x");
  assert_int_equal(x->kind, TK_INPUT);
  assert_int_equal(x->dtype, DT_F32);
  expect_dims(x, 4, (const int64_t[]){1, 2, 4, 4});
  assert_int_equal(x->loc.line, 4);
  assert_int_equal(x->loc.col, 12);
  assert_string_equal(x->loc.file, "tiny.yaml");

  /* Sorted: the conv listed second runs first; relu got <op>_<index>. */
  assert_int_equal(g->num_nodes, 2);
  Node *conv = g->nodes[0], *relu = g->nodes[1];
  assert_string_equal(conv->name, "conv");
  assert_int_equal(conv->op, OP_CONV2D);
  assert_int_equal(conv->loc.line, 11);
  assert_int_equal(conv->loc.col, 5);
  assert_string_equal(relu->name, "relu_0");
  assert_int_equal(relu->loc.line, 10);

  /* Defaults filled, [ph, pw] padding expanded. */
  expect_ints(conv, ATTR_STRIDE, (const int64_t[]){1, 1}, 2);
  expect_ints(conv, ATTR_PADDING, (const int64_t[]){1, 0, 1, 0}, 4);
  expect_ints(conv, ATTR_DILATION, (const int64_t[]){1, 1}, 2);
  assert_int_equal(ir_attr_int(conv, ATTR_GROUPS), 1);
  const Attr *stride = ir_node_attr(conv, ATTR_STRIDE);
  assert_int_equal(stride->loc.line, 12);
  assert_int_equal(stride->loc.col, 22);

  Tensor *w = ir_graph_find_tensor(g, "w"), *b = ir_graph_find_tensor(g, "b");
  assert_int_equal(w->kind, TK_CONST);
  const float wv[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {0.5f, -0.5f, 0};
  assert_memory_equal(w->data, wv, sizeof wv);
  assert_memory_equal(b->data, bv, sizeof bv);
  assert_int_equal(w->loc.line, 7);
  assert_int_equal(w->loc.col, 3);

  /* Shapes inferred: H = 4 + 1 + 1 - 1 + 1 = 6. */
  Tensor *c = ir_graph_find_tensor(g, "c"), *y = ir_graph_find_tensor(g, "y");
  expect_dims(c, 4, (const int64_t[]){1, 3, 6, 4});
  expect_dims(y, 4, (const int64_t[]){1, 3, 6, 4});
  assert_ptr_equal(y->producer, relu);
  assert_int_equal(g->num_outputs, 1);
  assert_ptr_equal(g->outputs[0], y);
  assert_null(y->quant);
  ir_graph_destroy(g);
}

/* Block style, an int given for a float attribute, optional sections
 * absent. */
static void test_block_style_and_float_attr(void **state) {
  (void)state;
  Diag d;
  Graph *g = parse("format: 1\n"
                   "name: blk\n"
                   "inputs:\n"
                   "- name: x\n"
                   "  shape: [1, 4]\n"
                   "outputs:\n"
                   "- y\n"
                   "nodes:\n"
                   "- op: leaky_relu\n"
                   "  inputs: [x]\n"
                   "  outputs: [y]\n"
                   "  attrs:\n"
                   "    alpha: 1\n",
                   "dir/blk.yaml", &d);
  assert_non_null(g);
  Node *n = g->nodes[0];
  assert_string_equal(n->name, "leaky_relu_0");
  assert_int_equal(n->loc.line, 9);
  assert_int_equal(n->loc.col, 3);
  assert_true(ir_attr_float(n, ATTR_ALPHA) == 1.0);
  assert_int_equal(ir_node_attr(n, ATTR_ALPHA)->loc.line, 13);
  assert_int_equal(ir_node_attr(n, ATTR_ALPHA)->loc.col, 12);
  expect_dims(g->outputs[0], 2, (const int64_t[]){1, 4});
  ir_graph_destroy(g);
}

/* Enums, booleans, float lists, dependent defaults, several outputs. */
static void test_attribute_kinds(void **state) {
  (void)state;
  Diag d;
  Graph *g = parse(
      "format: 1\n"
      "name: kinds\n"
      "inputs:\n"
      "  - {name: x, shape: [1, 2, 4, 4]}\n"
      "outputs: [y]\n"
      "nodes:\n"
      "  - {name: up, op: resize, inputs: [x], outputs: [r],\n"
      "     attrs: {scale: [2, 2.0], mode: bilinear}}\n"
      "  - {name: pool, op: maxpool2d, inputs: [r], outputs: [p],\n"
      "     attrs: {kernel: [3, 3], ceil_mode: true}}\n"
      "  - {name: sp, op: split, inputs: [p], outputs: [s0, s1],\n"
      "     attrs: {axis: 1, sizes: [1, 1]}}\n"
      "  - {name: cat, op: concat, inputs: [s1, s0], outputs: [y]}\n",
      "kinds.yaml", &d);
  assert_non_null(g);
  Node *up = g->nodes[0], *pool = g->nodes[1], *sp = g->nodes[2];
  int count;
  const double *scale = ir_attr_floats(up, ATTR_SCALE, &count);
  assert_int_equal(count, 2);
  assert_true(scale[0] == 2.0 && scale[1] == 2.0);
  assert_int_equal(ir_attr_int(up, ATTR_MODE), RESIZE_BILINEAR);
  assert_int_equal(ir_attr_int(up, ATTR_COORD), COORD_HALF_PIXEL);
  expect_ints(pool, ATTR_KERNEL, (const int64_t[]){3, 3}, 2);
  expect_ints(pool, ATTR_STRIDE, (const int64_t[]){3, 3}, 2);
  assert_int_equal(ir_attr_int(pool, ATTR_CEIL_MODE), 1);
  /* 8x8 after resize; ceil((8 - 3) / 3) + 1 = 3. */
  expect_dims(pool->outputs[0], 4, (const int64_t[]){1, 2, 3, 3});
  assert_int_equal(sp->num_outputs, 2);
  expect_dims(sp->outputs[1], 4, (const int64_t[]){1, 1, 3, 3});
  expect_dims(g->outputs[0], 4, (const int64_t[]){1, 2, 3, 3});
  ir_graph_destroy(g);
}

static void test_quant_pinned(void **state) {
  (void)state;
  Diag d;
  Graph *g = parse(
      "format: 1\n"
      "name: q\n"
      "inputs:\n"
      "  - {name: x, shape: [1, 2, 4, 4]}\n"
      "outputs: [y]\n"
      "constants:\n"
      "  w: {dtype: f32, shape: [3, 2, 1, 1], data: [1, 2, 3, 4, 5, 6]}\n"
      "nodes:\n"
      "  - {name: conv, op: conv2d, inputs: [x, w], outputs: [y]}\n"
      "quant:\n"
      "  x: {dtype: u8, scale: 0.5, zero_point: 128}\n"
      "  w: {dtype: i8, axis: 0, scale: [0.01, 0.02, 0.03], zero_point: 0}\n"
      "  y: {dtype: u8, axis: -3, scale: [1, 2, 3], zero_point: [0, 1, 255]}\n",
      "q.yaml", &d);
  assert_non_null(g);
  const QuantParams *qx = ir_graph_find_tensor(g, "x")->quant;
  assert_non_null(qx);
  assert_true(qx->pinned);
  assert_int_equal(qx->dtype, DT_U8);
  assert_int_equal(qx->axis, -1);
  assert_int_equal(qx->count, 1);
  assert_true(qx->scale[0] == 0.5f);
  assert_int_equal(qx->zero_point[0], 128);

  const QuantParams *qw = ir_graph_find_tensor(g, "w")->quant;
  assert_true(qw->pinned);
  assert_int_equal(qw->dtype, DT_I8);
  assert_int_equal(qw->axis, 0);
  assert_int_equal(qw->count, 3);
  assert_true(qw->scale[0] == 0.01f && qw->scale[1] == 0.02f &&
              qw->scale[2] == 0.03f);
  for (int i = 0; i < 3; i++)
    assert_int_equal(qw->zero_point[i], 0);

  const QuantParams *qy = ir_graph_find_tensor(g, "y")->quant;
  assert_int_equal(qy->axis, 1); /* -3 of rank 4 */
  assert_int_equal(qy->count, 3);
  assert_true(qy->scale[0] == 1.0f && qy->scale[2] == 3.0f);
  assert_int_equal(qy->zero_point[1], 1);
  assert_int_equal(qy->zero_point[2], 255);
  ir_graph_destroy(g);
}

/* ---- constants from .npy files ------------------------------------------------ */

static char tmpdir[64];

static int make_tmpdir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/qcc_test_frontend_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  static const char *const files[] = {"w.npy", "w2.npy", "w8.npy",
                                      "m.yaml", "sub/w.npy", "sub", NULL};
  char path[256];
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
    remove(path);
  }
  return rmdir(tmpdir);
}

static void write_npy(const char *name, DType t, int rank, const int64_t *dims,
                      const void *data) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  Diag d;
  diag_clear(&d);
  assert_int_equal(npy_write(path, t, rank, dims, data, &d), 0);
}

static const char *file_model(char *buf, size_t n, const char *file) {
  snprintf(buf, n,
           "format: 1\n"
           "name: f\n"
           "inputs:\n"
           "  - {name: x, shape: [1, 2, 4, 4]}\n"
           "outputs: [y]\n"
           "constants:\n"
           "  w: {dtype: f32, shape: [3, 2, 1, 1], file: %s}\n"
           "nodes:\n"
           "  - {op: conv2d, inputs: [x, w], outputs: [y]}\n",
           file);
  return buf;
}

static void test_constant_from_file(void **state) {
  (void)state;
  const float wv[6] = {1.5f, -2, 3, 4, 5, 6.25f};
  write_npy("w.npy", DT_F32, 4, (const int64_t[]){3, 2, 1, 1}, wv);
  char sub[256];
  snprintf(sub, sizeof sub, "%s/sub", tmpdir);
  assert_int_equal(mkdir(sub, 0755), 0);
  write_npy("sub/w.npy", DT_F32, 4, (const int64_t[]){3, 2, 1, 1}, wv);

  /* Relative to the YAML's folder, from memory and from a file. */
  char text[1024], path[256];
  snprintf(path, sizeof path, "%s/m.yaml", tmpdir);
  Diag d;
  Graph *g = parse(file_model(text, sizeof text, "w.npy"), path, &d);
  assert_non_null(g);
  assert_memory_equal(ir_graph_find_tensor(g, "w")->data, wv, sizeof wv);
  ir_graph_destroy(g);

  file_model(text, sizeof text, "sub/w.npy");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  diag_clear(&d);
  g = frontend_load_yaml(path, &d);
  assert_non_null(g);
  assert_string_equal(g->source_path, path);
  assert_memory_equal(ir_graph_find_tensor(g, "w")->data, wv, sizeof wv);
  ir_graph_destroy(g);
}

static void expect_file_error(const char *file, const char *msg) {
  char text[1024], path[256];
  snprintf(path, sizeof path, "%s/m.yaml", tmpdir);
  Diag d;
  diag_clear(&d);
  file_model(text, sizeof text, file);
  assert_null(frontend_parse_yaml(text, strlen(text), path, &d));
  assert_string_equal(d.msg, msg);
  assert_string_equal(d.file, path);
  assert_int_equal(d.loc.line, 7);
  assert_int_equal(d.loc.col, 46); /* the file name */
}

static void test_constant_file_errors(void **state) {
  (void)state;
  write_npy("w2.npy", DT_F32, 2, (const int64_t[]){3, 2},
            (const float[6]){0});
  write_npy("w8.npy", DT_I8, 4, (const int64_t[]){3, 2, 1, 1},
            (const int8_t[6]){0});
  expect_file_error("nope.npy", "constant 'w': 'nope.npy': cannot open: No "
                                "such file or directory");
  expect_file_error("w2.npy", "constant 'w': 'w2.npy' has shape [3, 2], "
                              "declared [3, 2, 1, 1]");
  expect_file_error("w8.npy",
                    "constant 'w': 'w8.npy' has dtype i8, declared f32");
  expect_file_error(QCC_SOURCE_DIR "/tests/bad/npy_truncated.npy",
                    "constant 'w': '" QCC_SOURCE_DIR
                    "/tests/bad/npy_truncated.npy': truncated: expected 24 "
                    "bytes of data, found 10");
}

static void test_load_missing_yaml(void **state) {
  (void)state;
  Diag d;
  diag_clear(&d);
  assert_null(frontend_load_yaml("/nonexistent/model.yaml", &d));
  assert_string_equal(d.file, "/nonexistent/model.yaml");
  assert_int_equal(d.loc.line, 0);
  assert_string_equal(d.msg, "cannot open: No such file or directory");
}

/* ---- bad models ---------------------------------------------------------------- */

#define HEAD                                                                   \
  "format: 1\n"                                                                \
  "name: m\n"                                                                  \
  "inputs:\n"                                                                  \
  "  - {name: x, shape: [1, 2, 4, 4]}\n"                                       \
  "outputs: [y]\n"
#define RELU                                                                   \
  "nodes:\n"                                                                   \
  "  - {op: relu, inputs: [x], outputs: [y]}\n"

static const struct BadCase {
  const char *id;
  int line, col;
  const char *yaml, *msg;
} BAD[] = {
    {"unknown_op", 7, 10,
     HEAD
     "nodes:\n"
     "  - {op: conv3d, inputs: [x], outputs: [y]}\n",
     "unknown op 'conv3d'"},
    {"unknown_node_key", 7, 43,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: [y], foo: 1}\n",
     "unknown key 'foo' in node"},
    {"missing_op", 7, 5,
     HEAD
     "nodes:\n"
     "  - {inputs: [x], outputs: [y]}\n",
     "missing required key 'op' in node"},
    {"unknown_attr", 7, 57,
     HEAD
     "nodes:\n"
     "  - {op: leaky_relu, inputs: [x], outputs: [y], attrs: {alpah: 0.1}}\n",
     "leaky_relu 'leaky_relu_0': unknown attribute 'alpah'"},
    {"attr_not_list", 7, 64,
     HEAD
     "nodes:\n"
     "  - {op: maxpool2d, inputs: [x], outputs: [y], attrs: {kernel: 2}}\n",
     "maxpool2d 'maxpool2d_0': attribute 'kernel' must be a list of integers"},
    {"attr_item", 7, 68,
     HEAD
     "nodes:\n"
     "  - {op: maxpool2d, inputs: [x], outputs: [y], attrs: {kernel: [2, two]}}\n",
     "maxpool2d 'maxpool2d_0': attribute 'kernel' must be a list of integers"},
    {"attr_bool", 7, 83,
     HEAD
     "nodes:\n"
     "  - {op: maxpool2d, inputs: [x], outputs: [y], attrs: {kernel: [2, 2], ceil_mode: yes}}\n",
     "maxpool2d 'maxpool2d_0': attribute 'ceil_mode' must be true or false"},
    {"attr_enum", 7, 73,
     HEAD
     "nodes:\n"
     "  - {op: resize, inputs: [x], outputs: [y], attrs: {size: [8, 8], mode: cubic}}\n",
     "resize 'resize_0': attribute 'mode' must be one of nearest, bilinear; found 'cubic'"},
    {"attr_nan", 7, 64,
     HEAD
     "nodes:\n"
     "  - {op: leaky_relu, inputs: [x], outputs: [y], attrs: {alpha: .nan}}\n",
     "leaky_relu 'leaky_relu_0': attribute 'alpha' must be a number"},
    {"attr_overflow", 7, 64,
     HEAD
     "nodes:\n"
     "  - {op: leaky_relu, inputs: [x], outputs: [y], attrs: {alpha: 1e999}}\n",
     "leaky_relu 'leaky_relu_0': attribute 'alpha': 1e999 is out of range"},
    {"attr_count", 7, 64,
     HEAD
     "nodes:\n"
     "  - {op: maxpool2d, inputs: [x], outputs: [y], attrs: {kernel: [2, 2, 2]}}\n",
     "maxpool2d 'maxpool2d_0': attribute 'kernel' needs 2 values, got 3"},
    {"bad_tensor_name", 7, 39,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: ['y y']}\n",
     "invalid tensor name 'y y': use only letters, digits and _ . : / -"},
    {"bad_node_name", 7, 12,
     HEAD
     "nodes:\n"
     "  - {name: 'r#1', op: relu, inputs: [x], outputs: [y]}\n",
     "invalid node name 'r#1': use only letters, digits and _ . : / -"},
    {"dup_node", 8, 12,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: [a]}\n"
     "  - {name: relu_0, op: relu, inputs: [a], outputs: [y]}\n",
     "duplicate node name 'relu_0'"},
    {"dup_tensor", 7, 39,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: [x]}\n",
     "tensor 'x' is defined more than once"},
    {"undefined_input", 7, 25,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [z], outputs: [y]}\n",
     "relu 'relu_0': input 'z' is not defined"},
    {"not_produced", 5, 11,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: [r]}\n",
     "output 'y' is not produced by any node"},
    {"arity", 7, 23,
     HEAD
     "nodes:\n"
     "  - {op: add, inputs: [x], outputs: [y]}\n",
     "add 'add_0': takes 2 inputs, got 1"},
    {"out_arity", 7, 38,
     HEAD
     "nodes:\n"
     "  - {op: relu, inputs: [x], outputs: [y, y2]}\n",
     "relu 'relu_0': produces 1 output, got 2"},
    {"dup_key", 7, 16,
     HEAD
     "nodes:\n"
     "  - {op: relu, op: relu, inputs: [x], outputs: [y]}\n",
     "duplicate key 'op' in node"},
    {"cycle", 8, 5,
     HEAD
     RELU
     "  - {name: a, op: relu, inputs: [b1], outputs: [a1]}\n"
     "  - {name: b, op: relu, inputs: [a1], outputs: [b1]}\n",
     "relu 'a' is on a cycle: 'a' -> 'b' -> 'a'"},
    {"data_len", 7, 37,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [2], data: [1, 2, 3]}\n"
     RELU,
     "constant 'w': data has 3 values, shape [2] needs 2"},
    {"data_u8", 7, 40,
     HEAD
     "constants:\n"
     "  w: {dtype: u8, shape: [2], data: [1, 256]}\n"
     RELU,
     "constant 'w': value 256 is out of range for u8"},
    {"data_i8", 7, 40,
     HEAD
     "constants:\n"
     "  w: {dtype: i8, shape: [2], data: [1, 2.5]}\n"
     RELU,
     "constant 'w' data: expected an integer, found '2.5'"},
    {"data_f32", 7, 41,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [2], data: [1, 1e39]}\n"
     RELU,
     "constant 'w': value 1e39 is out of range for f32"},
    {"data_and_file", 7, 48,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [1], data: [1], file: w.npy}\n"
     RELU,
     "constant 'w': give either 'data' or 'file', not both"},
    {"no_data", 7, 6,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [1]}\n"
     RELU,
     "constant 'w': needs 'data' or 'file'"},
    {"const_dtype", 7, 14,
     HEAD
     "constants:\n"
     "  w: {dtype: f16, shape: [1], data: [1]}\n"
     RELU,
     "constant 'w': unknown dtype 'f16' (expected f32, i8, u8 or i32)"},
    {"const_key", 7, 31,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [1], values: [1]}\n"
     RELU,
     "unknown key 'values' in constant 'w'"},
    {"quant_len", 9, 34,
     HEAD
     RELU
     "quant:\n"
     "  x: {dtype: u8, axis: 1, scale: [0.1, 0.2, 0.3], zero_point: 0}\n",
     "quant 'x': scale has 3 values, axis 1 has size 2"},
    {"quant_zp_len", 9, 58,
     HEAD
     RELU
     "quant:\n"
     "  x: {dtype: u8, axis: 1, scale: [0.1, 0.2], zero_point: [1, 2, 3]}\n",
     "quant 'x': zero_point has 3 values, axis 1 has size 2"},
    {"quant_unknown", 9, 3,
     HEAD
     RELU
     "quant:\n"
     "  nope: {dtype: u8, scale: 0.1, zero_point: 0}\n",
     "quant: unknown tensor 'nope'"},
    {"quant_zp", 9, 42,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, scale: 0.1, zero_point: -1}\n",
     "quant 'y': zero_point -1 is out of range for u8 [0, 255]"},
    {"quant_scale", 9, 25,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, scale: -0.5, zero_point: 0}\n",
     "quant 'y': scale -0.5 is not a positive f32"},
    {"quant_tiny_scale", 9, 25,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, scale: 1e-60, zero_point: 0}\n",
     "quant 'y': scale 1e-60 is not a positive f32"},
    {"quant_no_axis", 9, 25,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, scale: [0.1], zero_point: 0}\n",
     "quant 'y': per-channel lists need 'axis'"},
    {"quant_axis", 9, 24,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, axis: 4, scale: [0.1], zero_point: 0}\n",
     "quant 'y': axis 4 is out of range for rank 4"},
    {"quant_dtype", 9, 14,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: f32, scale: 0.1, zero_point: 0}\n",
     "quant 'y': dtype must be u8, i8 or i32, found 'f32'"},
    {"quant_dup", 10, 3,
     HEAD
     RELU
     "quant:\n"
     "  y: {dtype: u8, scale: 0.1, zero_point: 0}\n"
     "  y: {dtype: u8, scale: 0.2, zero_point: 0}\n",
     "quant: duplicate entry for 'y'"},
    {"format2", 1, 9,
     "format: 2\n"
     "name: m\n",
     "format must be 1, found '2'"},
    {"format_str", 1, 9,
     "format: '1'\n"
     "name: m\n",
     "format must be 1, found the string '1'"},
    {"missing_inputs", 2, 1,
     "# a comment\n"
     "format: 1\n"
     "name: m\n"
     "outputs: [y]\n"
     "nodes: []\n",
     "missing required key 'inputs' in model"},
    {"unknown_top", 8, 1,
     HEAD
     RELU
     "extra: 1\n",
     "unknown key 'extra' in model"},
    {"model_name", 2, 7,
     "format: 1\n"
     "name: my-model\n",
     "model name 'my-model' is not a C identifier"},
    {"model_name_digit", 2, 7,
     "format: 1\n"
     "name: 9lives\n",
     "model name '9lives' is not a C identifier"},
    {"shape_quoted", 4, 26,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [1, '2']}\n",
     "input 'x' shape: expected an integer, found the string '2'"},
    {"shape_zero", 4, 26,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [1, 0]}\n",
     "input 'x' shape: dimension 0 is not positive"},
    {"shape_rank", 4, 22,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [1, 1, 1, 1, 1, 1, 1, 1, 1]}\n",
     "input 'x' shape: rank 9 exceeds the maximum of 8"},
    {"shape_huge", 4, 22,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [4294967296, 4294967296]}\n",
     "input 'x' shape: too many elements"},
    {"shape_int_range", 4, 23,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [99999999999999999999]}\n",
     "input 'x' shape: integer 99999999999999999999 is out of range"},
    {"no_inputs", 3, 9,
     "format: 1\n"
     "name: m\n"
     "inputs: []\n",
     "inputs: expected at least one input"},
    {"inputs_map", 3, 9,
     "format: 1\n"
     "name: m\n"
     "inputs: {x: 1}\n",
     "inputs: expected a list, found a mapping"},
    {"input_key", 4, 27,
     "format: 1\n"
     "name: m\n"
     "inputs:\n"
     "  - {name: x, shape: [1], dtype: f32}\n",
     "unknown key 'dtype' in input"},
    {"second_doc", 9, 1,
     HEAD
     RELU
     "---\n"
     "foo: 1\n",
     "expected one YAML document, found a second one"},
    {"root_list", 1, 1,
     "- 1\n"
     "- 2\n",
     "model: expected a mapping, found a list"},
    {"empty", 1, 1,
     "# nothing here\n",
     "empty document: expected a model"},
    {"infer_conv", 9, 5,
     HEAD
     "constants:\n"
     "  w: {dtype: f32, shape: [3, 2, 1], data: [1, 2, 3, 4, 5, 6]}\n"
     "nodes:\n"
     "  - {name: c, op: conv2d, inputs: [x, w], outputs: [y]}\n",
     "conv2d 'c': weight has 3 dims, expected 4"},
};

static void test_bad_models(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    const struct BadCase *c = &BAD[i];
    Diag d;
    diag_clear(&d);
    Graph *g = frontend_parse_yaml(c->yaml, strlen(c->yaml), "m.yaml", &d);
    char buf[1024];
    if (g || d.loc.line != c->line || d.loc.col != c->col ||
        strcmp(d.msg, c->msg) != 0)
      print_error("case %s: got %s\n", c->id,
                  g ? "no error" : diag_format(&d, buf, sizeof buf));
    assert_null(g);
    assert_string_equal(d.file, "m.yaml");
    assert_string_equal(d.msg, c->msg);
    assert_int_equal(d.loc.line, c->line);
    assert_int_equal(d.loc.col, c->col);
  }
}

/* libyaml's own errors, with our 1-based positions. */
static void test_syntax_errors(void **state) {
  (void)state;
  static const struct {
    const char *yaml;
    int line, col;
    const char *msg;
  } cases[] = {
      {"format: 1\nname: m\ninputs: [\n", 4, 1,
       "YAML syntax error: did not find expected node content while parsing "
       "a flow node"},
      {"format: 1\nname: m: n\n", 2, 8,
       "YAML syntax error: mapping values are not allowed in this context"},
      {"format: 1\nname: \xff\n", 2, 7,
       "YAML syntax error: invalid leading UTF-8 octet"},
      {"format: 1\nname: *nope\n", 2, 7,
       "YAML syntax error: found undefined alias"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Diag d;
    diag_clear(&d);
    assert_null(frontend_parse_yaml(cases[i].yaml, strlen(cases[i].yaml),
                                    "m.yaml", &d));
    assert_string_equal(d.msg, cases[i].msg);
    assert_int_equal(d.loc.line, cases[i].line);
    assert_int_equal(d.loc.col, cases[i].col);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_model),
      cmocka_unit_test(test_block_style_and_float_attr),
      cmocka_unit_test(test_attribute_kinds),
      cmocka_unit_test(test_quant_pinned),
      cmocka_unit_test(test_constant_from_file),
      cmocka_unit_test(test_constant_file_errors),
      cmocka_unit_test(test_load_missing_yaml),
      cmocka_unit_test(test_bad_models),
      cmocka_unit_test(test_syntax_errors),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
