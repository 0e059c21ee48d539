/* fold-batch-norm: batch_norm(conv2d(x, w, b)) -> conv2d(x, w', b') with
 *   s[o] = gamma[o] / sqrt(var[o] + eps)
 *   w'[o, ...] = w[o, ...] * s[o]
 *   b'[o] = (b[o] - mean[o]) * s[o] + beta[o]     (b = 0 when absent)
 * and the same for linear (channel = output feature) and conv_transpose
 * (output channel (c / CG) * OG + dim 1 of its [C, OG, KH, KW] weight,
 * folded before lower-conv-transpose turns it into a conv2d and a slice
 * the batch_norm would no longer see). Computed in double,
 * stored as f32. Fires only when the conv/linear result feeds nothing but
 * the batch_norm and all parameters are constants; new weight tensors are
 * created because the old ones may be shared.
 * Requires: sorted, inferred graph. Preserves: values up to f32 rounding. */
#include "pass.h"

#include <math.h>

static bool all_const(Tensor *const *ts, int n) {
  for (int i = 0; i < n; i++)
    if (ts[i]->kind != TK_CONST || ts[i]->dtype != DT_F32)
      return false;
  return true;
}

static void fold_one(Graph *g, Node *bn, Node *p, Diag *d) {
  Tensor *w = p->inputs[1], *b = p->num_inputs > 2 ? p->inputs[2] : NULL;
  const float *gamma = bn->inputs[1]->data, *beta = bn->inputs[2]->data;
  const float *mean = bn->inputs[3]->data, *var = bn->inputs[4]->data;
  double eps = ir_attr_float(bn, ATTR_EPS);
  /* Output channel o of weight element k: dim 0 of a conv/linear weight;
   * (c / CG) * OG + dim 1 of a conv_transpose's [C, OG, KH, KW]. */
  bool transposed = p->op == OP_CONV_TRANSPOSE;
  int64_t O = transposed ? p->outputs[0]->dims[1] : w->dims[0];
  int64_t per = ir_tensor_numel(w) / w->dims[0]; /* one dim-0 slice */
  int64_t OG = w->dims[1], inner = transposed ? per / OG : per;
  int64_t CG = transposed ? w->dims[0] / (O / OG) : 0;

  Tensor *nw = ir_graph_add_tensor(g, ir_graph_unique_name(g, w->name),
                                   TK_CONST, DT_F32, w->rank, w->dims, w->loc,
                                   d);
  int64_t bdim = O;
  const char *bname = b ? b->name : arena_printf(g->arena, "%s.bias", p->name);
  Tensor *nb = ir_graph_add_tensor(g, ir_graph_unique_name(g, bname), TK_CONST,
                                   DT_F32, 1, &bdim, bn->loc, d);
  if (!nw || !nb)
    QCC_DIE("unique names collided");
  float *wd = ir_tensor_alloc_data(g, nw), *bd = ir_tensor_alloc_data(g, nb);
  const float *ws = w->data, *bs = b ? b->data : NULL;
  for (int64_t k = 0; k < ir_tensor_numel(w); k++) {
    int64_t o = transposed
                    ? (k / per) / CG * OG + (k % per) / inner
                    : k / per;
    double s = (double)gamma[o] / sqrt((double)var[o] + eps);
    wd[k] = (float)((double)ws[k] * s);
  }
  for (int64_t o = 0; o < O; o++) {
    double s = (double)gamma[o] / sqrt((double)var[o] + eps);
    double bias = bs ? (double)bs[o] : 0.0;
    bd[o] = (float)((bias - (double)mean[o]) * s + (double)beta[o]);
  }
  Tensor *ins[3] = {p->inputs[0], nw, nb};
  /* Rebuild the input list: a node without bias gains one. */
  Tensor **arr = arena_alloc(g->arena, sizeof(Tensor *) * 4);
  for (int i = 0; i < 3; i++)
    arr[i] = ins[i];
  p->inputs = arr;
  p->num_inputs = 3;
  Tensor *y = bn->outputs[0];
  bn->num_outputs = 0; /* y now belongs to p */
  p->outputs[0] = y;
  y->producer = p;
  y->producer_output = 0;
  bn->dead = true; /* dce then drops the orphaned tensors */
}

int pass_fold_batch_norm(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *bn = g->nodes[i];
    if (bn->op != OP_BATCH_NORM || bn->dead)
      continue;
    Tensor *x = bn->inputs[0];
    Node *p = x->producer;
    if (!p || (!op_has(p->op, OPF_INT8) && p->op != OP_CONV_TRANSPOSE))
      continue;
    if (ir_count_uses(g, x) != 1 || ir_is_graph_output(g, x))
      continue;
    if (!all_const(bn->inputs + 1, 4) || !all_const(p->inputs + 1,
                                                      p->num_inputs - 1))
      continue;
    fold_one(g, bn, p, d);
    any = true;
  }
  if (changed)
    *changed = any;
  if (any) {
    /* Drop the emptied batch_norm nodes now; the orphaned tensors go with
     * the next dce. */
    ir_graph_remove_dead_nodes(g);
    return pass_dce(g, ctx, NULL, d);
  }
  return 0;
}
