/* Shape inference: the output shapes and types of every op from its inputs
 * and attributes, with every range rule of the spec checked on the way
 * (zero stride, negative padding, kernel larger than the padded input,
 * channels not divisible by groups, broadcast mismatch, split sizes...).
 * Negative axes are normalized in place, so later stages see 0..rank-1.
 * All shape arithmetic is overflow-checked. */
#include "ir.h"
#include "pad.h"
#include "strided.h"
#include "window.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NODE_ERR(d, n, ...) ir_node_error(d, n, __VA_ARGS__)

/* Records output i's shape; its dtype is set by ir_infer_node. */
static int set_output(const Node *n, int i, int rank, const int64_t *dims,
                      Diag *d) {
  int64_t numel;
  if (ir_shape_numel(rank, dims, &numel))
    return NODE_ERR(d, n, "output shape is too large");
  Tensor *t = n->outputs[i];
  t->rank = rank;
  memmove(t->dims, dims, sizeof(int64_t) * (size_t)rank);
  return 0;
}

static int expect_rank(const Node *n, int idx, const char *what, int rank,
                       Diag *d) {
  const Tensor *t = n->inputs[idx];
  if (t->rank != rank)
    return NODE_ERR(d, n, "%s has %d dims, expected %d", what, t->rank, rank);
  return 0;
}

static int normalize_axis(Node *n, AttrKey key, int rank, bool allow_rank,
                          Diag *d) {
  Attr *a = (Attr *)ir_node_attr(n, key);
  int64_t ax = a->ints[0];
  int64_t hi = allow_rank ? rank : rank - 1;
  if (ax < 0)
    ax += rank;
  if (ax < 0 || ax > hi)
    return diag_error(d, a->loc.line ? a->loc : n->loc,
                      "%s '%s': axis %lld is out of range for rank %d",
                      op_info(n->op)->name, n->name, (long long)a->ints[0],
                      rank);
  a->ints[0] = ax;
  return 0;
}

/* An optional bias (input 2) must be [O]. */
static int check_bias(const Node *n, int64_t O, Diag *d) {
  if (n->num_inputs <= 2)
    return 0;
  const Tensor *b = n->inputs[2];
  if (b->rank == 1 && b->dims[0] == O)
    return 0;
  char s[96];
  return NODE_ERR(d, n, "bias has shape %s, expected [%lld]",
                  ir_shape_str(b->rank, b->dims, s, sizeof s), (long long)O);
}

static int infer_conv2d(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  if (expect_rank(n, 0, "input", 4, d) || expect_rank(n, 1, "weight", 4, d))
    return -1;
  int64_t groups = ir_attr_int(n, ATTR_GROUPS);
  int64_t C = x->dims[1], O = w->dims[0];
  if (groups <= 0)
    return NODE_ERR(d, n, "groups is %lld, must be positive",
                    (long long)groups);
  if (C % groups)
    return NODE_ERR(d, n, "input channels %lld are not divisible by groups %lld",
                    (long long)C, (long long)groups);
  if (O % groups)
    return NODE_ERR(d, n,
                    "output channels %lld are not divisible by groups %lld",
                    (long long)O, (long long)groups);
  if (w->dims[1] != C / groups)
    return NODE_ERR(d, n, "weight has %lld input channels, expected %lld",
                    (long long)w->dims[1], (long long)(C / groups));
  if (check_bias(n, O, d))
    return -1;
  int64_t oh, ow;
  if (ir_window_infer(n, &oh, &ow, d))
    return -1;
  int64_t dims[4] = {x->dims[0], O, oh, ow};
  return set_output(n, 0, 4, dims, d);
}

/* ONNX ConvTranspose: OH = (H - 1) * sh - pt - pb + KH + output_padding. */
static int infer_conv_transpose(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  if (expect_rank(n, 0, "input", 4, d) || expect_rank(n, 1, "weight", 4, d))
    return -1;
  int64_t groups = ir_attr_int(n, ATTR_GROUPS), C = x->dims[1];
  int cs, cp, co;
  const int64_t *st = ir_attr_ints(n, ATTR_STRIDE, &cs);
  const int64_t *pad = ir_attr_ints(n, ATTR_PADDING, &cp);
  const int64_t *op = ir_attr_ints(n, ATTR_OUTPUT_PADDING, &co);
  if (groups <= 0 || C % groups)
    return NODE_ERR(d, n, "input channels %lld are not divisible by groups "
                    "%lld", (long long)C, (long long)groups);
  if (w->dims[0] != C)
    return NODE_ERR(d, n, "weight has %lld input channels, input has %lld",
                    (long long)w->dims[0], (long long)C);
  if (w->dims[2] > (1 << 20) || w->dims[3] > (1 << 20))
    return NODE_ERR(d, n, "kernel %lldx%lld is too large",
                    (long long)w->dims[2], (long long)w->dims[3]);
  int64_t O = w->dims[1] * groups, dims[4] = {x->dims[0], O, 0, 0};
  for (int a = 0; a < 2; a++) {
    int64_t lo = pad[a], hi = pad[cp == 4 ? a + 2 : a];
    if (st[a] < 1 || st[a] > (1 << 20) || lo < 0 || hi < 0 ||
        lo > (1 << 20) || hi > (1 << 20))
      return NODE_ERR(d, n, "stride must be positive and padding not "
                      "negative (at most 2^20)");
    if (op[a] < 0 || op[a] >= st[a])
      return NODE_ERR(d, n, "output_padding %lld must be in [0, stride %lld)",
                      (long long)op[a], (long long)st[a]);
    dims[2 + a] = (x->dims[2 + a] - 1) * st[a] - lo - hi + w->dims[2 + a] +
                  op[a];
    if (dims[2 + a] < 1)
      return NODE_ERR(d, n, "padding leaves no output");
  }
  if (check_bias(n, O, d))
    return -1;
  return set_output(n, 0, 4, dims, d);
}

static int infer_linear(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  if (expect_rank(n, 0, "input", 2, d) || expect_rank(n, 1, "weight", 2, d))
    return -1;
  if (w->dims[1] != x->dims[1])
    return NODE_ERR(d, n, "weight has %lld input features, input has %lld",
                    (long long)w->dims[1], (long long)x->dims[1]);
  if (check_bias(n, w->dims[0], d))
    return -1;
  int64_t dims[2] = {x->dims[0], w->dims[0]};
  return set_output(n, 0, 2, dims, d);
}

static int infer_batch_norm(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  static const char *const names[] = {"", "gamma", "beta", "mean", "var"};
  if (x->rank < 2)
    return NODE_ERR(d, n, "input has %d dims, expected at least 2", x->rank);
  for (int i = 1; i < 5; i++) {
    const Tensor *p = n->inputs[i];
    if (p->rank != 1 || p->dims[0] != x->dims[1]) {
      char s[96];
      return NODE_ERR(d, n, "%s has shape %s, expected [%lld]", names[i],
                      ir_shape_str(p->rank, p->dims, s, sizeof s),
                      (long long)x->dims[1]);
    }
  }
  if (!(ir_attr_float(n, ATTR_EPS) > 0))
    return NODE_ERR(d, n, "eps must be positive");
  return set_output(n, 0, x->rank, x->dims, d);
}

static int infer_broadcast(Node *n, Diag *d) {
  const Tensor *a = n->inputs[0], *b = n->inputs[1];
  int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t dims[QCC_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[96], sb[96];
      return NODE_ERR(d, n, "shapes %s and %s do not broadcast",
                      ir_shape_str(a->rank, a->dims, sa, sizeof sa),
                      ir_shape_str(b->rank, b->dims, sb, sizeof sb));
    }
    dims[i] = da == 1 ? db : da;
  }
  return set_output(n, 0, rank, dims, d);
}

static int infer_concat(Node *n, Diag *d) {
  const Tensor *x0 = n->inputs[0];
  if (x0->rank == 0)
    return NODE_ERR(d, n, "cannot concatenate scalars");
  if (normalize_axis(n, ATTR_AXIS, x0->rank, false, d))
    return -1;
  int axis = (int)ir_attr_int(n, ATTR_AXIS);
  int64_t dims[QCC_MAX_RANK];
  memcpy(dims, x0->dims, sizeof dims);
  for (int i = 1; i < n->num_inputs; i++) {
    const Tensor *x = n->inputs[i];
    bool ok = x->rank == x0->rank;
    for (int j = 0; ok && j < x->rank; j++)
      ok = j == axis || x->dims[j] == x0->dims[j];
    if (!ok) {
      char s0[96], si[96];
      return NODE_ERR(d, n, "input %d has shape %s, incompatible with %s", i,
                      ir_shape_str(x->rank, x->dims, si, sizeof si),
                      ir_shape_str(x0->rank, x0->dims, s0, sizeof s0));
    }
    if (__builtin_add_overflow(dims[axis], x->dims[axis], &dims[axis]))
      return NODE_ERR(d, n, "output shape is too large");
  }
  return set_output(n, 0, x0->rank, dims, d);
}

static int infer_split(Graph *g, Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  if (x->rank == 0)
    return NODE_ERR(d, n, "cannot split a scalar");
  if (normalize_axis(n, ATTR_AXIS, x->rank, false, d))
    return -1;
  int axis = (int)ir_attr_int(n, ATTR_AXIS);
  int64_t len = x->dims[axis];
  const Attr *sa = ir_node_attr(n, ATTR_SIZES);
  if (!sa) {
    if (len % n->num_outputs)
      return NODE_ERR(d, n, "axis size %lld does not split into %d equal parts",
                      (long long)len, n->num_outputs);
    int64_t sizes[n->num_outputs];
    for (int i = 0; i < n->num_outputs; i++)
      sizes[i] = len / n->num_outputs;
    Attr *na = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n->num_attrs + 1));
    memcpy(na, n->attrs, sizeof(Attr) * (size_t)n->num_attrs);
    na[n->num_attrs] = ir_attr_make_ints(g, ATTR_SIZES, AK_INTS, sizes,
                                         n->num_outputs);
    n->attrs = na;
    n->num_attrs++;
    sa = ir_node_attr(n, ATTR_SIZES);
  }
  if (sa->count != n->num_outputs)
    return NODE_ERR(d, n, "%d sizes given for %d outputs", sa->count,
                    n->num_outputs);
  int64_t sum = 0;
  for (int i = 0; i < sa->count; i++) {
    if (sa->ints[i] <= 0)
      return NODE_ERR(d, n, "split size %lld must be positive",
                      (long long)sa->ints[i]);
    if (__builtin_add_overflow(sum, sa->ints[i], &sum))
      return NODE_ERR(d, n, "split sizes overflow");
  }
  if (sum != len)
    return NODE_ERR(d, n, "split sizes sum to %lld, axis %d has %lld",
                    (long long)sum, axis, (long long)len);
  for (int i = 0; i < n->num_outputs; i++) {
    int64_t dims[QCC_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sa->ints[i];
    if (set_output(n, i, x->rank, dims, d))
      return -1;
  }
  return 0;
}

static int infer_pool(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  if (expect_rank(n, 0, "input", 4, d))
    return -1;
  int64_t oh, ow;
  if (ir_window_infer(n, &oh, &ow, d))
    return -1;
  int64_t dims[4] = {x->dims[0], x->dims[1], oh, ow};
  return set_output(n, 0, 4, dims, d);
}

static int infer_resize(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  if (expect_rank(n, 0, "input", 4, d))
    return -1;
  int64_t dims[4] = {x->dims[0], x->dims[1], 0, 0};
  const Attr *sc = ir_node_attr(n, ATTR_SCALE);
  for (int i = 0; i < 2; i++) {
    if (sc) {
      double s = sc->floats[i];
      if (!(s > 0) || s > 65536)
        return NODE_ERR(d, n, "scale %g must be positive", s);
      dims[2 + i] = (int64_t)floor((double)x->dims[2 + i] * s);
      if (dims[2 + i] < 1)
        return NODE_ERR(d, n, "scale %g gives an empty output", s);
    } else {
      int64_t s = ir_attr_ints(n, ATTR_SIZE, NULL)[i];
      if (s <= 0)
        return NODE_ERR(d, n, "size %lld must be positive", (long long)s);
      dims[2 + i] = s;
    }
  }
  return set_output(n, 0, 4, dims, d);
}

static int infer_flatten(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  if (normalize_axis(n, ATTR_AXIS, x->rank, true, d))
    return -1;
  int axis = (int)ir_attr_int(n, ATTR_AXIS);
  int64_t dims[QCC_MAX_RANK], rest;
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)axis);
  if (ir_shape_numel(x->rank - axis, x->dims + axis, &rest))
    return NODE_ERR(d, n, "output shape is too large");
  dims[axis] = rest;
  return set_output(n, 0, axis + 1, dims, d);
}

static int infer_reshape(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  int count;
  const int64_t *shape = ir_attr_ints(n, ATTR_SHAPE, &count);
  int64_t dims[QCC_MAX_RANK], known = 1, total = ir_tensor_numel(x);
  int infer_at = -1;
  for (int i = 0; i < count; i++) {
    int64_t s = shape[i];
    if (s == -1) {
      if (infer_at >= 0)
        return NODE_ERR(d, n, "shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (s == 0) {
      if (i >= x->rank)
        return NODE_ERR(d, n, "shape[%d] is 0 but the input has %d dims", i,
                        x->rank);
      s = x->dims[i];
    } else if (s < 0) {
      return NODE_ERR(d, n, "shape[%d] is %lld, must be positive, 0 or -1", i,
                      (long long)s);
    }
    dims[i] = s;
    if (__builtin_mul_overflow(known, s, &known) || known > QCC_MAX_ELEMENTS)
      return NODE_ERR(d, n, "output shape is too large");
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known)
      return NODE_ERR(d, n, "cannot reshape %lld elements with a -1 dim",
                      (long long)total);
    dims[infer_at] = total / known;
  } else if (known != total) {
    char s[96];
    return NODE_ERR(d, n, "cannot reshape %s (%lld elements) into %lld elements",
                    ir_shape_str(x->rank, x->dims, s, sizeof s),
                    (long long)total, (long long)known);
  }
  return set_output(n, 0, count, dims, d);
}

static int infer_transpose(Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  int count;
  const int64_t *perm = ir_attr_ints(n, ATTR_PERM, &count);
  if (count != x->rank)
    return NODE_ERR(d, n, "perm has %d entries, input has %d dims", count,
                    x->rank);
  bool seen[QCC_MAX_RANK] = {0};
  int64_t dims[QCC_MAX_RANK];
  for (int i = 0; i < count; i++) {
    if (perm[i] < 0 || perm[i] >= count || seen[perm[i]])
      return NODE_ERR(d, n, "perm is not a permutation of 0..%d", count - 1);
    seen[perm[i]] = true;
    dims[i] = x->dims[perm[i]];
  }
  return set_output(n, 0, count, dims, d);
}

static int check_inputs(const Node *n, Diag *d) {
  const OpInfo *info = op_info(n->op);
  if (n->num_inputs < info->min_inputs || n->num_inputs > info->max_inputs) {
    if (info->min_inputs == info->max_inputs)
      return NODE_ERR(d, n, "takes %d inputs, got %d", info->min_inputs,
                      n->num_inputs);
    if (info->max_inputs == OP_VARIADIC)
      return NODE_ERR(d, n, "takes at least %d inputs, got %d",
                      info->min_inputs, n->num_inputs);
    return NODE_ERR(d, n, "takes %d to %d inputs, got %d", info->min_inputs,
                    info->max_inputs, n->num_inputs);
  }
  if (n->num_outputs < info->min_outputs ||
      n->num_outputs > info->max_outputs) {
    if (info->min_outputs == info->max_outputs)
      return NODE_ERR(d, n, "has %d outputs, got %d", info->min_outputs,
                      n->num_outputs);
    return NODE_ERR(d, n, "has at least %d outputs, got %d", info->min_outputs,
                    n->num_outputs);
  }
  return 0;
}

static int expect_dtype(const Node *n, int i, DType want, Diag *d) {
  const Tensor *t = n->inputs[i];
  if (t->dtype != want)
    return NODE_ERR(d, n, "input '%s' is %s, expected %s", t->name,
                    dtype_name(t->dtype), dtype_name(want));
  return 0;
}

/* The activation table fused into a qconv2d/qlinear (4th input): a u8
 * constant of 2..QCC_MAX_TABLE entries indexed by the requantized
 * accumulator, with the index parameters as attributes. */
static int check_fused_table(const Node *n, Diag *d) {
  const Tensor *t = n->inputs[3];
  if (expect_dtype(n, 3, DT_U8, d))
    return -1;
  if (t->kind != TK_CONST || t->rank != 1 || t->dims[0] < 2 ||
      t->dims[0] > QCC_MAX_TABLE)
    return NODE_ERR(d, n, "table '%s' must be a u8 constant of 2 to %d "
                    "entries", t->name, QCC_MAX_TABLE);
  const Attr *s = ir_node_attr(n, ATTR_INDEX_SCALE);
  const Attr *z = ir_node_attr(n, ATTR_INDEX_ZERO_POINT);
  if (!s || !z)
    return NODE_ERR(d, n, "a fused table needs index_scale and "
                    "index_zero_point");
  if (!(s->floats[0] > 0) || !isfinite(s->floats[0]))
    return NODE_ERR(d, n, "index_scale must be positive and finite");
  if (z->ints[0] < 0 || z->ints[0] >= t->dims[0])
    return NODE_ERR(d, n, "index_zero_point %lld is outside the table",
                    (long long)z->ints[0]);
  int cnt;
  const int64_t *c = ir_attr_ints(n, ATTR_CLAMP, &cnt);
  if (cnt == 2 && (c[0] != 0 || c[1] != 255))
    return NODE_ERR(d, n, "a fused table and a clamp cannot be combined");
  return 0;
}

/* The dtypes each op takes (docs/quantization.md) and its result dtype. */
static int check_dtypes(const Node *n, DType *result, Diag *d) {
  const OpInfo *info = op_info(n->op);
  *result = DT_F32;
  switch (n->op) {
  case OP_OBSERVE:
    return expect_dtype(n, 0, DT_F32, d);
  case OP_QUANTIZE:
    if (!n->outputs[0]->quant)
      return NODE_ERR(d, n, "output '%s' has no quantization parameters",
                      n->outputs[0]->name);
    *result = n->outputs[0]->quant->dtype;
    if (*result != DT_U8 && *result != DT_I8)
      return NODE_ERR(d, n, "quantizes to %s, expected u8 or i8",
                      dtype_name(*result));
    return expect_dtype(n, 0, DT_F32, d);
  case OP_DEQUANTIZE:
    if (n->inputs[0]->dtype != DT_U8 && n->inputs[0]->dtype != DT_I8)
      return NODE_ERR(d, n, "input '%s' is %s, expected u8 or i8",
                      n->inputs[0]->name, dtype_name(n->inputs[0]->dtype));
    return 0;
  case OP_QCONV2D:
  case OP_QLINEAR:
    /* u8, or f32 for a result without quantization parameters: the
     * accumulator is dequantized (a graph output, docs/quantization.md);
     * a fused table gives u8 codes only. */
    *result = !n->outputs[0]->quant && n->num_inputs <= 3 ? DT_F32 : DT_U8;
    if (expect_dtype(n, 0, DT_U8, d) || expect_dtype(n, 1, DT_I8, d))
      return -1;
    if (n->num_inputs > 2 && expect_dtype(n, 2, DT_I32, d))
      return -1;
    return n->num_inputs > 3 ? check_fused_table(n, d) : 0;
  case OP_DQLINEAR:
    if (expect_dtype(n, 0, DT_F32, d) || expect_dtype(n, 1, DT_I8, d))
      return -1;
    return n->num_inputs > 2 ? expect_dtype(n, 2, DT_F32, d) : 0;
  case OP_QADD:
  case OP_QSUB:
  case OP_QMUL:
  case OP_LUT:
    *result = DT_U8;
    return expect_dtype(n, 0, DT_U8, d) || expect_dtype(n, 1, DT_U8, d) ? -1
                                                                          : 0;
  default:
    break;
  }
  /* Ops of the model format: f32, or all-u8 for those that can run on u8. */
  DType dt = n->inputs[0]->dtype;
  if (!(dt == DT_F32 || (dt == DT_U8 && (info->flags & OPF_U8_CAPABLE))))
    return expect_dtype(n, 0, DT_F32, d);
  for (int i = 1; i < n->num_inputs; i++)
    if (expect_dtype(n, i, dt, d))
      return -1;
  *result = dt;
  return 0;
}

static int infer_shapes(Graph *g, Node *n, Diag *d);

int ir_infer_node(Graph *g, Node *n, Diag *d) {
  DType result;
  if (check_inputs(n, d) || check_dtypes(n, &result, d) ||
      infer_shapes(g, n, d))
    return -1;
  for (int i = 0; i < n->num_outputs; i++)
    n->outputs[i]->dtype = result;
  return 0;
}

static int infer_shapes(Graph *g, Node *n, Diag *d) {
  const Tensor *x = n->inputs[0];
  switch (n->op) {
  case OP_CONV2D:
  case OP_QCONV2D:
    return infer_conv2d(n, d);
  case OP_CONV_TRANSPOSE:
    return infer_conv_transpose(n, d);
  case OP_LINEAR:
  case OP_QLINEAR:
  case OP_DQLINEAR:
    return infer_linear(n, d);
  case OP_OBSERVE:
    return 0;
  case OP_QUANTIZE:
  case OP_DEQUANTIZE:
    return set_output(n, 0, x->rank, x->dims, d);
  case OP_LUT: {
    const Tensor *table = n->inputs[1];
    if (table->rank != 1 || table->dims[0] != 256)
      return NODE_ERR(d, n, "table must be u8[256]");
    if (table->kind != TK_CONST)
      return NODE_ERR(d, n, "table must be a constant");
    return set_output(n, 0, x->rank, x->dims, d);
  }
  case OP_BATCH_NORM:
    return infer_batch_norm(n, d);
#define UNARY(E, name, flags, pa, pb, range, expr) case OP_##E:
#include "unary.def"
#undef UNARY
  case OP_REQUANTIZE:
    if (n->op == OP_CLIP &&
        ir_attr_float(n, ATTR_MIN) > ir_attr_float(n, ATTR_MAX))
      return NODE_ERR(d, n, "min %g is greater than max %g",
                      ir_attr_float(n, ATTR_MIN), ir_attr_float(n, ATTR_MAX));
    return set_output(n, 0, x->rank, x->dims, d);
  case OP_ADD:
  case OP_SUB:
  case OP_MUL:
  case OP_QADD:
  case OP_QSUB:
  case OP_QMUL:
    return infer_broadcast(n, d);
  case OP_CONCAT:
    return infer_concat(n, d);
  case OP_SPLIT:
    return infer_split(g, n, d);
  case OP_MAXPOOL2D:
  case OP_AVGPOOL2D:
    return infer_pool(n, d);
  case OP_GLOBAL_AVGPOOL: {
    if (expect_rank(n, 0, "input", 4, d))
      return -1;
    int64_t dims[4] = {x->dims[0], x->dims[1], 1, 1};
    return set_output(n, 0, 4, dims, d);
  }
  case OP_RESIZE:
    return infer_resize(n, d);
  case OP_FLATTEN:
    return infer_flatten(n, d);
  case OP_RESHAPE:
    return infer_reshape(n, d);
  case OP_TRANSPOSE:
    return infer_transpose(n, d);
  case OP_PAD: {
    int64_t dims[QCC_MAX_RANK];
    if (ir_pad_infer(n, dims, d))
      return -1;
    return set_output(n, 0, x->rank, dims, d);
  }
  case OP_SLICE: {
    int64_t start[QCC_MAX_RANK], step[QCC_MAX_RANK], len[QCC_MAX_RANK];
    if (ir_slice_infer(n, start, step, len, d))
      return -1;
    return set_output(n, 0, x->rank, len, d);
  }
  case OP_SOFTMAX:
    if (x->rank == 0)
      return NODE_ERR(d, n, "input must have at least one dim");
    if (normalize_axis(n, ATTR_AXIS, x->rank, false, d))
      return -1;
    return set_output(n, 0, x->rank, x->dims, d);
  case OP_COUNT:
    break;
  }
  QCC_DIE("no shape rule for op %d", (int)n->op);
}

int ir_graph_infer(Graph *g, Diag *d) {
  for (int i = 0; i < g->num_nodes; i++)
    if (ir_infer_node(g, g->nodes[i], d))
      return -1;
  return 0;
}
