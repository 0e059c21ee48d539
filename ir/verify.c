/* The verifier: everything a pass may assume about a graph, checked after
 * the frontend and (with --verify-each) after every pass. Failing here on
 * a graph a pass produced is a compiler bug; on a hand-written .qir it is a
 * user error, so every check reports through the Diag with a location. */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_quant(const Tensor *t, Diag *d) {
  const QuantParams *q = t->quant;
  if (!q)
    return 0;
  if (q->dtype != DT_U8 && q->dtype != DT_I8 && q->dtype != DT_I32)
    return diag_error(d, t->loc, "tensor '%s': quantized type must be u8, i8 or i32",
                      t->name);
  int64_t want = 1;
  if (q->axis >= 0) {
    if (q->axis >= t->rank)
      return diag_error(d, t->loc,
                        "tensor '%s': quantization axis %d is out of range for rank %d",
                        t->name, q->axis, t->rank);
    want = t->dims[q->axis];
  } else if (q->axis != -1) {
    return diag_error(d, t->loc, "tensor '%s': bad quantization axis %d",
                      t->name, q->axis);
  }
  if (q->count != want)
    return diag_error(d, t->loc,
                      "tensor '%s': %d quantization scales, expected %lld",
                      t->name, q->count, (long long)want);
  int64_t lo = q->dtype == DT_U8 ? 0 : q->dtype == DT_I8 ? -128 : INT32_MIN;
  int64_t hi = q->dtype == DT_U8 ? 255 : q->dtype == DT_I8 ? 127 : INT32_MAX;
  for (int i = 0; i < q->count; i++) {
    if (!(q->scale[i] > 0) || !isfinite(q->scale[i]))
      return diag_error(d, t->loc,
                        "tensor '%s': quantization scale %g must be positive and finite",
                        t->name, (double)q->scale[i]);
    if (q->zero_point[i] < lo || q->zero_point[i] > hi)
      return diag_error(d, t->loc,
                        "tensor '%s': zero point %d is out of range for %s",
                        t->name, (int)q->zero_point[i], dtype_name(q->dtype));
  }
  return 0;
}

static bool same_quant(const QuantParams *a, const QuantParams *b) {
  if (!a || !b)
    return a == b;
  if (a->dtype != b->dtype || a->axis != b->axis || a->count != b->count)
    return false;
  for (int i = 0; i < a->count; i++)
    if (a->scale[i] != b->scale[i] || a->zero_point[i] != b->zero_point[i])
      return false;
  return true;
}

/* Quantization rules of the int8 dialect that involve a node: per-tensor
 * activations, per-tensor or axis-0 weights, and ops that run on u8 only
 * when their input and output share parameters (they do no arithmetic). */
static int check_node_quant(const Node *n, Diag *d) {
  const char *op = op_info(n->op)->name;
  for (int i = 0; i < n->num_inputs + n->num_outputs; i++) {
    const Tensor *t = i < n->num_inputs ? n->inputs[i]
                                        : n->outputs[i - n->num_inputs];
    bool weight = (n->op == OP_QCONV2D || n->op == OP_QLINEAR ||
                   n->op == OP_DQLINEAR) && i == 1;
    if (t->dtype != DT_U8 && t->dtype != DT_I8)
      continue;
    if ((n->op == OP_LUT && i == 1) ||
        ((n->op == OP_QCONV2D || n->op == OP_QLINEAR) && i == 3))
      continue; /* a table holds raw codes */
    if (!t->quant)
      return diag_error(d, n->loc, "%s '%s': %s '%s' has no quantization parameters",
                        op, n->name, t->dtype == DT_U8 ? "u8 tensor" : "i8 tensor",
                        t->name);
    if (!weight && t->quant->axis != -1)
      return diag_error(d, n->loc, "%s '%s': activation '%s' must be quantized per tensor",
                        op, n->name, t->name);
    if (weight && t->quant->axis > 0)
      return diag_error(d, n->loc, "%s '%s': weight '%s' must be quantized per tensor or on axis 0",
                        op, n->name, t->name);
  }
  if ((op_info(n->op)->flags & OPF_U8_CAPABLE) && n->inputs[0]->dtype == DT_U8)
    for (int i = 0; i < n->num_inputs + n->num_outputs; i++) {
      const Tensor *t = i < n->num_inputs ? n->inputs[i]
                                          : n->outputs[i - n->num_inputs];
      if (!same_quant(t->quant, n->inputs[0]->quant))
        return diag_error(d, n->loc,
                          "%s '%s': on u8, '%s' must have the quantization parameters of '%s'",
                          op, n->name, t->name, n->inputs[0]->name);
    }
  return 0;
}

static int check_tensors(Graph *g, Diag *d) {
  for (int i = 0; i < g->num_tensors; i++) {
    Tensor *t = g->tensors[i];
    if (t->id != i)
      QCC_DIE("tensor '%s' has id %d at index %d", t->name, t->id, i);
    if (ir_graph_find_tensor(g, t->name) != t)
      return diag_error(d, t->loc, "tensor name '%s' is not unique", t->name);
    if (ir_tensor_numel(t) < 0)
      return diag_error(d, t->loc, "tensor '%s' is too large", t->name);
    if (t->kind == TK_CONST && !t->data)
      return diag_error(d, t->loc, "constant '%s' has no data", t->name);
    if (t->kind == TK_INPUT && t->dtype != DT_F32)
      return diag_error(d, t->loc, "input '%s' must be f32", t->name);
    if (t->kind != TK_VALUE && t->producer)
      return diag_error(d, t->loc, "%s '%s' is also produced by node '%s'",
                        t->kind == TK_INPUT ? "input" : "constant", t->name,
                        t->producer->name);
    if (check_quant(t, d))
      return -1;
    if (t->layout == LAYOUT_NHWC && (t->kind != TK_VALUE || t->rank != 4))
      return diag_error(d, t->loc, "tensor '%s': layout nhwc is only for rank-4 node results",
                        t->name);
  }
  for (int i = 0; i < g->num_outputs; i++)
    if (g->outputs[i]->layout == LAYOUT_NHWC)
      return diag_error(d, g->outputs[i]->loc,
                        "output '%s': graph outputs are NCHW, not nhwc", g->outputs[i]->name);
  for (int i = 0; i < g->num_inputs; i++)
    if (g->inputs[i]->kind != TK_INPUT)
      QCC_DIE("graph input '%s' is not an input tensor", g->inputs[i]->name);
  return 0;
}

static bool in_graph(const Graph *g, const Tensor *t) {
  return t->id >= 0 && t->id < g->num_tensors && g->tensors[t->id] == t;
}

int ir_verify(Graph *g, Diag *d) {
  if (check_tensors(g, d))
    return -1;
  int nt = g->num_tensors;
  bool *defined = calloc((size_t)nt + 1, sizeof(bool));
  if (!defined)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++)
    defined[i] = g->tensors[i]->kind != TK_VALUE;
  int rc = 0;
  for (int i = 0; i < g->num_nodes && !rc; i++) {
    Node *n = g->nodes[i];
    const char *op = op_info(n->op)->name;
    n->id = i;
    for (int j = 0; j < n->num_inputs && !rc; j++) {
      const Tensor *t = n->inputs[j];
      if (!t || !in_graph(g, t))
        rc = diag_error(d, n->loc, "%s '%s': input %d is not in the graph", op,
                        n->name, j);
      else if (!defined[t->id])
        rc = diag_error(d, n->loc,
                        t->producer ? "%s '%s': input '%s' is used before it is defined"
                                    : "%s '%s': input '%s' is not defined",
                        op, n->name, t->name);
    }
    for (int j = 0; j < n->num_outputs && !rc; j++) {
      Tensor *t = n->outputs[j];
      if (!t || !in_graph(g, t))
        rc = diag_error(d, n->loc, "%s '%s': output %d is not in the graph", op,
                        n->name, j);
      else if (t->kind != TK_VALUE || defined[t->id] || t->producer != n ||
               t->producer_output != j)
        rc = diag_error(d, n->loc, "%s '%s': tensor '%s' is defined more than once",
                        op, n->name, t->name);
      else
        defined[t->id] = true;
    }
    if (rc)
      break;
    /* Attributes must already be complete: re-completing is idempotent and
     * checks them against the schema. */
    rc = ir_node_complete_attrs(g, n, d);
    if (rc)
      break;
    /* Types and shapes must be what inference says. */
    Tensor saved[n->num_outputs > 0 ? n->num_outputs : 1];
    for (int j = 0; j < n->num_outputs; j++)
      saved[j] = *n->outputs[j];
    rc = ir_infer_node(g, n, d) || check_node_quant(n, d) ? -1 : 0;
    for (int j = 0; j < n->num_outputs && !rc; j++) {
      const Tensor *t = n->outputs[j];
      if (saved[j].dtype != t->dtype || !ir_same_shape(&saved[j], t)) {
        char s1[96], s2[96];
        rc = diag_error(d, n->loc,
                        "%s '%s': output '%s' is %s%s, inferred %s%s", op,
                        n->name, t->name, dtype_name(saved[j].dtype),
                        ir_shape_str(saved[j].rank, saved[j].dims, s1, sizeof s1),
                        dtype_name(t->dtype),
                        ir_shape_str(t->rank, t->dims, s2, sizeof s2));
      }
    }
  }
  for (int i = 0; i < nt && !rc; i++) {
    const Tensor *t = g->tensors[i];
    if (t->kind == TK_VALUE && !defined[i])
      rc = diag_error(d, t->loc, "tensor '%s' is never defined", t->name);
  }
  for (int i = 0; i < g->num_outputs && !rc; i++)
    if (!in_graph(g, g->outputs[i]))
      rc = diag_error(d, g->outputs[i]->loc, "output '%s' is not in the graph",
                      g->outputs[i]->name);
  if (!rc && g->num_outputs == 0)
    rc = diag_error(d, srcloc(g->source_path, 0, 0), "graph has no outputs");
  free(defined);
  return rc;
}
