/* Data movement on f32 or u8 (one kernel each, by element type): concat,
 * split, flatten/reshape (a copy), transpose and slice (strided views) and
 * pad. No arithmetic: u8 codes
 * move as they are (fold-scales gave inputs and outputs one set of
 * parameters). Concat and split copy one contiguous run per (outer index,
 * operand); the outer index is the parallel one. On NHWC operands (all
 * of them, the layout pass's rule) the runs follow the stored order: a
 * channel concat copies each pixel's channels of each operand, but for
 * the operands a blocked conv already stored in their slice
 * (kernel_concat_slice). */
#include <stdlib.h>

#include "kernel.h"
#include "pad.h"
#include "quant_math.h"
#include "strided.h"

static LLVMTypeRef elt(const KernelCtx *k) {
  return kc_elt(k, k->n->outputs[0]->dtype);
}

static int64_t norm_axis(const Node *n, const Tensor *t) {
  int64_t a = ir_attr_int(n, ATTR_AXIS);
  return a < 0 ? a + t->rank : a;
}

/* The product of t's stored dims before and after the axis: the logical
 * ones for NCHW, N, H, W, C for NHWC (where C is innermost, and the
 * logical axis 1 is the stored axis 3). */
static void axis_split(const Tensor *t, int64_t axis, int64_t *outer,
                       int64_t *inner) {
  int64_t dims[QCC_MAX_RANK];
  for (int r = 0; r < t->rank; r++)
    dims[r] = t->dims[r];
  if (t->layout == LAYOUT_NHWC) {
    static const int64_t stored_axis[4] = {0, 3, 1, 2};
    dims[1] = t->dims[2];
    dims[2] = t->dims[3];
    dims[3] = t->dims[1];
    axis = stored_axis[axis];
  }
  *outer = *inner = 1;
  for (int r = 0; r < t->rank; r++) {
    if (r < axis)
      *outer *= dims[r];
    else if (r > axis)
      *inner *= dims[r];
  }
}

static int64_t outer_extent(const Node *n) {
  const Tensor *t = n->op == OP_CONCAT ? n->outputs[0] : n->inputs[0];
  int64_t outer, inner;
  axis_split(t, norm_axis(n, t), &outer, &inner);
  return outer;
}

/* Copies len elements from src[s0..] to dst[d0..]. */
static void copy_run(Emit *e, LLVMTypeRef et, LLVMValueRef dst, LLVMValueRef d0,
                     LLVMValueRef src, LLVMValueRef s0, int64_t len) {
  Loop l;
  LLVMValueRef i = em_loop_n(e, &l, len, "copy");
  em_store_at(e, em_load_at(e, et, src, em_add(e, s0, i)), et, dst, em_add(e, d0, i));
  em_loop_end(e, &l);
}

static int emit_concat(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *y = n->outputs[0];
  int64_t axis = norm_axis(n, y), outer, inner;
  axis_split(y, axis, &outer, &inner);
  int64_t row = y->dims[axis] * inner, at = 0;
  LLVMValueRef py = kc_tensor(k, y);
  Loop l;
  LLVMValueRef o = kernel_range(k, &l);
  for (int j = 0; j < n->num_inputs; j++) {
    const Tensor *x = n->inputs[j];
    int64_t len = x->dims[axis] * inner;
    if (kc_slice_into(k, x) != y) /* else its conv stored it */
      copy_run(e, elt(k), py, em_addc(e, em_mulc(e, o, row), at), kc_tensor(k, x),
               em_mulc(e, o, len), len);
    at += len;
  }
  em_loop_end(e, &l);
  return 0;
}

static int emit_split(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *x = n->inputs[0];
  int64_t axis = norm_axis(n, x), outer, inner;
  axis_split(x, axis, &outer, &inner);
  int64_t row = x->dims[axis] * inner, at = 0;
  LLVMValueRef px = kc_tensor(k, x);
  Loop l;
  LLVMValueRef o = kernel_range(k, &l);
  for (int j = 0; j < n->num_outputs; j++) {
    const Tensor *y = n->outputs[j];
    int64_t len = y->dims[axis] * inner;
    copy_run(e, elt(k), kc_tensor(k, y), em_mulc(e, o, len), px,
             em_addc(e, em_mulc(e, o, row), at), len);
    at += len;
  }
  em_loop_end(e, &l);
  return 0;
}

static int emit_copy(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]), y = kc_tensor(k, k->n->outputs[0]);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  em_store_at(e, em_load_at(e, elt(k), x, i), elt(k), y, i);
  em_loop_end(e, &l);
  return 0;
}

/* Transpose and slice: y[i] = x[base + Σ i_a * stride_a] (ir/strided.h),
 * one output row (the last output axis) per parallel index: the row's
 * coordinates are decomposed once, weighted by their axes' input strides,
 * and the row is read at the input stride of its own axis (nanodet_g's
 * head moves channels last: 3.9% of its time when every element paid three
 * divisions). */
static int64_t view_rows(const Node *n) {
  const Tensor *y = n->outputs[0];
  return y->rank == 0 || y->dims[y->rank - 1] == 0 ? 1 : ir_tensor_numel(y) / y->dims[y->rank - 1];
}

static int emit_strided(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *x = n->inputs[0], *y = n->outputs[0];
  int64_t base, stride[QCC_MAX_RANK];
  ir_strided_view(n, &base, stride);
  int last = y->rank - 1;
  if (last < 0) { /* a scalar: one element */
    em_store_at(e, em_load_at(e, elt(k), kc_tensor(k, x), em_i64(e, base)), elt(k), kc_tensor(k, y),
                em_i64(e, 0));
    return 0;
  }
  if (ir_tensor_numel(y) == 0)
    return 0;
  int64_t len = y->dims[last];
  LLVMValueRef px = kc_tensor(k, x), py = kc_tensor(k, y);
  Loop l;
  LLVMValueRef row = kernel_range(k, &l);
  LLVMValueRef rest = row, src = em_i64(e, base);
  for (int r = last - 1; r >= 0; r--) {
    LLVMValueRef dim = em_i64(e, y->dims[r]);
    LLVMValueRef c = LLVMBuildURem(e->b, rest, dim, "");
    rest = LLVMBuildUDiv(e->b, rest, dim, "");
    src = em_add(e, src, em_mulc(e, c, stride[r]));
  }
  Loop li;
  LLVMValueRef j = em_loop_n(e, &li, len, "col");
  em_store_at(e, em_load_at(e, elt(k), px, em_add(e, src, em_mulc(e, j, stride[last]))),
              elt(k), py, em_madc(e, row, len, j));
  em_loop_end(e, &li);
  em_loop_end(e, &l);
  return 0;
}

/* pad: one output row (the last axis) per parallel index. Each axis's
 * source indices (ir_pad_source, -1 for the fill) are a constant i32
 * table: the row's outer coordinates look theirs up once, the row's
 * elements read x at base + table[j] or take the fill value (on u8, the
 * value quantized with the result's parameters, as the interpreter). */
static int emit_pad(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *x = n->inputs[0], *y = n->outputs[0];
  int rank = y->rank, last = rank - 1;
  LLVMTypeRef et = elt(k);
  LLVMValueRef tables[QCC_MAX_RANK];
  for (int a = 0; a < rank; a++) {
    int32_t *t = malloc(sizeof(int32_t) * (size_t)y->dims[a]);
    if (!t)
      QCC_DIE("out of memory");
    for (int64_t i = 0; i < y->dims[a]; i++)
      t[i] = (int32_t)ir_pad_source(n, a, i);
    tables[a] = em_const_bytes(e, "pad.source", t, sizeof(int32_t) * (size_t)y->dims[a]);
    free(t);
  }
  LLVMValueRef fill;
  double v = ir_attr_float(n, ATTR_VALUE);
  if (y->dtype == DT_F32) {
    fill = em_f32(e, (float)v);
  } else {
    const QuantParams *q = y->quant;
    fill = LLVMConstInt(et, (unsigned long long)qm_quantize((float)v, q->scale[0], q->zero_point[0], 0, 255), 0);
  }
  int64_t in_stride[QCC_MAX_RANK], s = 1;
  for (int a = rank - 1; a >= 0; a--) {
    in_stride[a] = s;
    s *= x->dims[a];
  }
  LLVMValueRef px = kc_tensor(k, x), py = kc_tensor(k, y);
  int64_t len = y->dims[last];
  Loop l;
  LLVMValueRef row = kernel_range(k, &l);
  LLVMValueRef rest = row, base = em_i64(e, 0), inside = LLVMConstInt(e->i1, 1, 0);
  for (int a = last - 1; a >= 0; a--) {
    LLVMValueRef dim = em_i64(e, y->dims[a]);
    LLVMValueRef c = LLVMBuildURem(e->b, rest, dim, "");
    rest = LLVMBuildUDiv(e->b, rest, dim, "");
    LLVMValueRef src = LLVMBuildSExt(e->b, em_load_at(e, e->i32, tables[a], c), e->i64, "");
    inside = LLVMBuildAnd(e->b, inside, LLVMBuildICmp(e->b, LLVMIntSGE, src, em_i64(e, 0), ""), "");
    base = em_add(e, base, em_mulc(e, src, in_stride[a]));
  }
  Loop li;
  LLVMValueRef j = em_loop_n(e, &li, len, "col");
  LLVMValueRef m = LLVMBuildSExt(e->b, em_load_at(e, e->i32, tables[last], j), e->i64, "");
  LLVMValueRef ok = LLVMBuildAnd(e->b, inside, LLVMBuildICmp(e->b, LLVMIntSGE, m, em_i64(e, 0), ""), "");
  /* Outside the input the load reads element 0 (never out of bounds). */
  LLVMValueRef at = LLVMBuildSelect(e->b, ok, em_add(e, base, m), em_i64(e, 0), "");
  LLVMValueRef val = LLVMBuildSelect(e->b, ok, em_load_at(e, et, px, at), fill, "");
  em_store_at(e, val, et, py, em_madc(e, row, len, j));
  em_loop_end(e, &li);
  em_loop_end(e, &l);
  return 0;
}

static bool takes_pad(const Node *n) { return n->op == OP_PAD; }
static bool takes_concat(const Node *n) { return n->op == OP_CONCAT; }
static bool takes_split(const Node *n) { return n->op == OP_SPLIT; }
static bool takes_copy(const Node *n) { return n->op == OP_FLATTEN || n->op == OP_RESHAPE; }
static bool takes_strided(const Node *n) { return ir_is_strided_view(n->op); }

const KernelSpec kernel_concat = {
    .name = "concat_ukernel", .takes = takes_concat,
    .forms = {{"concat_ukernel__<isa>", "concat (NCHW or NHWC)", NULL}},
    .extent = outer_extent, .emit = emit_concat, .takes_layouts = kernel_one_layout};
const KernelSpec kernel_split = {
    .name = "split_ukernel", .takes = takes_split,
    .forms = {{"split_ukernel__<isa>", "split (NCHW or NHWC)", NULL}},
    .extent = outer_extent, .emit = emit_split, .takes_layouts = kernel_one_layout};
const KernelSpec kernel_copy = {
    .name = "copy_ukernel", .takes = takes_copy,
    .forms = {{"copy_ukernel__<isa>", "reshape and flatten", NULL}},
    .extent = kernel_extent_numel, .emit = emit_copy};
const KernelSpec kernel_pad = {
    .name = "pad_ukernel", .takes = takes_pad,
    .forms = {{"pad_ukernel__<isa>", "pad: constant (the value, quantized on u8), reflect, edge", NULL}},
    .extent = view_rows, .emit = emit_pad};
const KernelSpec kernel_transpose = {
    .name = "transpose_ukernel", .takes = takes_strided,
    .forms = {{"transpose_ukernel__<isa>", "transpose and slice (a strided view of the input)", NULL}},
    .extent = view_rows, .emit = emit_strided};
