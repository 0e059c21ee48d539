/* The int8 interpreter's per-node plumbing: which kernel runs a node, what
 * each kernel may assume about its operands, and the small helpers every
 * kernel family shares (clamp attribute, int32 accumulator check, NumPy
 * broadcasting strides).
 *
 * qref_check_node runs once per node when the interpreter is created, so
 * the kernels can read quantization parameters without re-checking them.
 * It repeats a few rules of ir_verify() on purpose: an interpreter built on
 * a hand-made graph must report, not crash, and the symmetric-weight rule
 * (zero point 0) is the interpreter's own, since the accumulator formula
 * of the contract has no weight zero point in it.
 */
#include <stdbool.h>

#include "qref.h"

QRefKernel qref_kernel_for(const Node *n) {
  switch (n->op) {
  case OP_QUANTIZE: return qref_quantize;
  case OP_DEQUANTIZE: return qref_dequantize;
  case OP_LUT: return qref_lut;
  case OP_QCONV2D: return qref_qconv2d;
  case OP_QLINEAR: return qref_qlinear;
  case OP_DQLINEAR: return qref_dqlinear;
  case OP_QADD:
  case OP_QSUB:
  case OP_QMUL: return qref_qbinary;
  default: break;
  }
  if (n->num_inputs < 1 || n->inputs[0]->dtype != DT_U8)
    return NULL;
  switch (n->op) {
  case OP_MAXPOOL2D: return qref_maxpool2d_u8;
  case OP_AVGPOOL2D: return qref_avgpool2d_u8;
  case OP_GLOBAL_AVGPOOL: return qref_global_avgpool_u8;
  case OP_RESIZE: return qref_resize_u8;
  case OP_CONCAT: return qref_concat_u8;
  case OP_SPLIT: return qref_split_u8;
  case OP_FLATTEN:
  case OP_RESHAPE: return qref_copy_u8;
  case OP_TRANSPOSE:
  case OP_SLICE: return qref_strided_u8;
  case OP_PAD: return qref_pad_u8;
  default: return NULL;
  }
}

/* ---- operand checks ----------------------------------------------------- */

static const char *opname(const Node *n) { return op_info(n->op)->name; }

static const Tensor *operand(const Node *n, int i) {
  return i < n->num_inputs ? n->inputs[i] : n->outputs[i - n->num_inputs];
}

static int want_dtype(const Node *n, const Tensor *t, DType want, Diag *d) {
  if (t->dtype != want)
    return diag_error(d, n->loc, "%s '%s': '%s' is %s, the int8 interpreter "
                      "needs %s", opname(n), n->name, t->name,
                      dtype_name(t->dtype), dtype_name(want));
  return 0;
}

/* A u8/i8 activation: the given dtype with per-tensor parameters. */
static int want_activation(const Node *n, const Tensor *t, DType want,
                           Diag *d) {
  if (want_dtype(n, t, want, d))
    return -1;
  if (!t->quant || t->quant->count != 1 || t->quant->axis != -1 ||
      t->quant->dtype != t->dtype)
    return diag_error(d, n->loc, "%s '%s': '%s' needs per-tensor %s "
                      "quantization parameters", opname(n), n->name,
                      t->name, dtype_name(want));
  return 0;
}

/* An i8 weight: per tensor or per output channel (axis 0), zero point 0. */
static int want_weight(const Node *n, const Tensor *w, Diag *d) {
  if (want_dtype(n, w, DT_I8, d))
    return -1;
  const QuantParams *q = w->quant;
  if (!q || q->dtype != DT_I8 ||
      !((q->axis == -1 && q->count == 1) ||
        (q->axis == 0 && w->rank > 0 && q->count == w->dims[0])))
    return diag_error(d, n->loc, "%s '%s': weight '%s' needs i8 quantization "
                      "parameters per tensor or per output channel (axis 0)",
                      opname(n), n->name, w->name);
  for (int i = 0; i < q->count; i++)
    if (q->zero_point[i] != 0)
      return diag_error(d, n->loc, "%s '%s': weight '%s' has zero point %d; "
                        "int8 weights are symmetric (zero point 0)",
                        opname(n), n->name, w->name, (int)q->zero_point[i]);
  return 0;
}

static int want_clamp(const Node *n, Diag *d) {
  const Attr *a = ir_node_attr(n, ATTR_CLAMP);
  if (!a || a->count != 2 || a->ints[0] < 0 || a->ints[1] > 255 ||
      a->ints[0] > a->ints[1])
    return diag_error(d, n->loc, "%s '%s': clamp must be [lo, hi] with "
                      "0 <= lo <= hi <= 255", opname(n), n->name);
  return 0;
}

static bool same_params(const QuantParams *a, const QuantParams *b) {
  return a->scale[0] == b->scale[0] && a->zero_point[0] == b->zero_point[0];
}

int qref_check_node(const Node *n, Diag *d) {
  switch (n->op) {
  case OP_OBSERVE:
    return want_dtype(n, n->inputs[0], DT_F32, d);
  case OP_QUANTIZE: {
    const Tensor *y = n->outputs[0];
    if (y->dtype != DT_U8 && y->dtype != DT_I8)
      return want_dtype(n, y, DT_U8, d);
    return want_dtype(n, n->inputs[0], DT_F32, d) ||
                   want_activation(n, y, y->dtype, d)
               ? -1
               : 0;
  }
  case OP_DEQUANTIZE: {
    const Tensor *x = n->inputs[0];
    if (x->dtype != DT_U8 && x->dtype != DT_I8)
      return want_dtype(n, x, DT_U8, d);
    return want_activation(n, x, x->dtype, d) ||
                   want_dtype(n, n->outputs[0], DT_F32, d)
               ? -1
               : 0;
  }
  case OP_QCONV2D:
  case OP_QLINEAR:
    if (want_activation(n, n->inputs[0], DT_U8, d) ||
        want_weight(n, n->inputs[1], d) ||
        (n->num_inputs > 2 && want_dtype(n, n->inputs[2], DT_I32, d)) ||
        want_clamp(n, d))
      return -1;
    if (n->outputs[0]->dtype == DT_F32) /* dequantized accumulator */
      return n->num_inputs > 3 ? want_dtype(n, n->outputs[0], DT_U8, d) : 0;
    return want_activation(n, n->outputs[0], DT_U8, d);
  case OP_DQLINEAR:
    if (want_dtype(n, n->inputs[0], DT_F32, d) ||
        want_weight(n, n->inputs[1], d) ||
        (n->num_inputs > 2 && want_dtype(n, n->inputs[2], DT_F32, d)) ||
        want_dtype(n, n->outputs[0], DT_F32, d))
      return -1;
    return 0;
  case OP_QADD:
  case OP_QSUB:
  case OP_QMUL:
    if (want_activation(n, n->inputs[0], DT_U8, d) ||
        want_activation(n, n->inputs[1], DT_U8, d) ||
        want_activation(n, n->outputs[0], DT_U8, d) || want_clamp(n, d))
      return -1;
    return 0;
  case OP_LUT: {
    const Tensor *table = n->inputs[1];
    if (want_activation(n, n->inputs[0], DT_U8, d) ||
        want_dtype(n, table, DT_U8, d) ||
        want_activation(n, n->outputs[0], DT_U8, d))
      return -1;
    if (ir_tensor_numel(table) != 256)
      return diag_error(d, n->loc, "lut '%s': table '%s' must hold 256 "
                        "entries", n->name, table->name);
    return 0;
  }
  default:
    break;
  }
  if (!qref_kernel_for(n))
    QCC_DIE("%s '%s': qref_check_node on a node it does not run", opname(n),
            n->name);
  /* A u8 model op: every operand u8, sharing the input's parameters, which
   * is what lets these kernels work on codes (docs/quantization.md). */
  const Tensor *x = n->inputs[0];
  for (int i = 0; i < n->num_inputs + n->num_outputs; i++) {
    const Tensor *t = operand(n, i);
    if (want_activation(n, t, DT_U8, d))
      return -1;
    if (!same_params(t->quant, x->quant))
      return diag_error(d, n->loc, "%s '%s': on u8, '%s' must have the "
                        "quantization parameters of '%s'", opname(n),
                        n->name, t->name, x->name);
  }
  return 0;
}

/* ---- shared helpers ------------------------------------------------------ */

void qref_clamp(const Node *n, int32_t *lo, int32_t *hi) {
  int cnt;
  const int64_t *c = ir_attr_ints(n, ATTR_CLAMP, &cnt);
  if (cnt != 2 || c[0] < 0 || c[1] > 255 || c[0] > c[1])
    QCC_DIE("%s '%s': clamp not checked before running", opname(n), n->name);
  *lo = (int32_t)c[0];
  *hi = (int32_t)c[1];
}

int qref_check_i32(const Node *n, int64_t v, Diag *d) {
  if (v < INT32_MIN || v > INT32_MAX)
    return diag_error(d, n->loc, "%s '%s': integer accumulator %lld does not "
                      "fit in int32", opname(n), n->name, (long long)v);
  return 0;
}

