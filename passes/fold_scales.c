/* fold-scales: turns calibrated ranges into quantization parameters.
 *  - every observed activation gets u8 asymmetric (scale, zero_point) from
 *    its range, with 0 exact (calib_quant_params_u8);
 *  - tensors that must share parameters form one class: the inputs and
 *    results of concat and of every op that runs on u8 without arithmetic
 *    (maxpool, split, reshape, flatten, transpose, resize, avgpool,
 *    global_avgpool). A class takes the union of its members' ranges, so
 *    no member is clipped, or the parameters of its pinned member;
 *  - a concat input whose range is less than half the concat's, and whose
 *    value is also used elsewhere, is not merged: a `requantize` node
 *    converts it to the concat's parameters, so the narrow value keeps its
 *    own finer scale for its other users (YOLO's C2f block: the split
 *    halves are narrow, the residual sums they are concatenated with wide);
 *  - conv2d/linear weights get i8 symmetric scales, per output channel
 *    (or per tensor with ctx->per_tensor_weights), unless pinned.
 * Observers are removed. Requires: calibrated observers (or pinned
 * parameters). Preserves: the float computation (parameters are
 * annotations until lower-int8). */
#include "pass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int find(int *parent, int x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static bool shares_params(const Node *n) {
  return (op_info(n->op)->flags & OPF_U8_CAPABLE) && n->num_outputs > 0 &&
         n->inputs[0]->dtype == DT_F32;
}

static void set_u8(Graph *g, Tensor *t, float lo, float hi) {
  QuantParams *q = ir_quant_create(g, DT_U8, -1, 1);
  calib_quant_params_u8(lo, hi, &q->scale[0], &q->zero_point[0]);
  t->quant = q;
}

static void weight_params(Graph *g, Tensor *w, bool per_tensor) {
  if (w->quant && w->quant->pinned)
    return;
  int64_t channels = w->dims[0], per = ir_tensor_numel(w) / channels;
  QuantParams *q = ir_quant_create(g, DT_I8, per_tensor ? -1 : 0,
                                   per_tensor ? 1 : (int)channels);
  calib_weight_scales(w->data, channels, per, per_tensor, q->scale);
  w->quant = q;
}

typedef struct {
  int *parent, *pinned;
  float *lo, *hi;
  bool *has;
} Classes;

static void class_merge(Classes *c, int a, int b) {
  a = find(c->parent, a);
  b = find(c->parent, b);
  if (a == b)
    return;
  int r = a < b ? a : b, o = a < b ? b : a;
  c->parent[o] = r;
  if (c->has[o]) {
    c->lo[r] = c->has[r] ? fminf(c->lo[r], c->lo[o]) : c->lo[o];
    c->hi[r] = c->has[r] ? fmaxf(c->hi[r], c->hi[o]) : c->hi[o];
    c->has[r] = true;
  }
  if (c->pinned[r] < 0)
    c->pinned[r] = c->pinned[o];
}

static int num_uses(const Graph *g, const Tensor *t) {
  int uses = ir_is_graph_output(g, t);
  for (int i = 0; i < g->num_nodes; i++)
    for (int j = 0; j < g->nodes[i]->num_inputs; j++)
      uses += g->nodes[i]->inputs[j] == t;
  return uses;
}

static bool class_has_other_member(Classes *c, int nt, int id) {
  int r = find(c->parent, id);
  for (int i = 0; i < nt; i++)
    if (i != id && find(c->parent, i) == r)
      return true;
  return false;
}

/* Merges concat `n` with its inputs' classes, or gives a narrow input that
 * is also used elsewhere its own requantize node (see the header). */
static void unify_concat(Graph *g, Classes *c, Node *n,
                         const PassContext *ctx) {
  if (pass_kept_float(ctx, n))
    return; /* runs in f32: its inputs keep their own parameters */
  int out = n->outputs[0]->id;
  float lo = 0, hi = 0;
  bool any = false, pinned = c->pinned[find(c->parent, out)] >= 0;
  for (int j = 0; j < n->num_inputs; j++) {
    int r = find(c->parent, n->inputs[j]->id);
    pinned |= c->pinned[r] >= 0;
    if (c->has[r]) {
      lo = any ? fminf(lo, c->lo[r]) : c->lo[r];
      hi = any ? fmaxf(hi, c->hi[r]) : c->hi[r];
      any = true;
    }
  }
  for (int j = 0; j < n->num_inputs; j++) {
    Tensor *x = n->inputs[j];
    int r = find(c->parent, x->id);
    bool narrow = any && c->has[r] && !pinned &&
                  (c->hi[r] - c->lo[r]) < 0.5f * (hi - lo);
    if (x->kind == TK_CONST ||
        (narrow && (num_uses(g, x) > 1 ||
                    class_has_other_member(c, g->num_tensors, x->id)))) {
      if (x->kind == TK_CONST)
        continue;
      Tensor *y = ir_graph_add_tensor(
          g, ir_graph_unique_name(g, arena_printf(g->arena, "%s.requant",
                                                  x->name)),
          TK_VALUE, x->dtype, x->rank, x->dims, x->loc, NULL);
      int id = y->id;
      c->parent[id] = id;
      c->pinned[id] = -1;
      c->has[id] = false;
      ir_graph_add_node(g, ir_graph_unique_name(
                               g, arena_printf(g->arena, "requantize:%s",
                                               x->name)),
                        OP_REQUANTIZE, &x, 1, &y, 1, NULL, 0, n->loc);
      n->inputs[j] = y;
      x = y;
    }
    class_merge(c, out, x->id);
  }
}

int pass_fold_scales(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  /* Room for one requantize result per concat input. */
  int nt = g->num_tensors, cap = nt + 1;
  for (int i = 0; i < g->num_nodes; i++)
    if (g->nodes[i]->op == OP_CONCAT)
      cap += g->nodes[i]->num_inputs;
  Classes c = {malloc(sizeof(int) * (size_t)cap),
               malloc(sizeof(int) * (size_t)cap),
               malloc(sizeof(float) * (size_t)cap),
               malloc(sizeof(float) * (size_t)cap),
               calloc((size_t)cap, sizeof(bool))};
  if (!c.parent || !c.pinned || !c.lo || !c.hi || !c.has)
    QCC_DIE("out of memory");
  bool any = false;
  for (int i = 0; i < nt; i++) {
    const Tensor *t = g->tensors[i];
    c.parent[i] = i;
    c.pinned[i] = t->quant && t->quant->pinned ? i : -1;
  }
  /* Observed ranges; observers go. */
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    if (n->op != OP_OBSERVE)
      continue;
    const Attr *r = ir_node_attr(n, ATTR_RANGE);
    if (r) {
      int id = n->inputs[0]->id;
      c.lo[id] = c.has[id] ? fminf(c.lo[id], (float)r->floats[0])
                           : (float)r->floats[0];
      c.hi[id] = c.has[id] ? fmaxf(c.hi[id], (float)r->floats[1])
                           : (float)r->floats[1];
      c.has[id] = true;
    }
    n->dead = true;
    any = true;
  }
  ir_graph_remove_dead_nodes(g);
  /* Classes: pass-through ops first, then concats in order. */
  int nn = g->num_nodes;
  for (int i = 0; i < nn; i++) {
    Node *n = g->nodes[i];
    if (shares_params(n) && n->op != OP_CONCAT && !pass_kept_float(ctx, n))
      for (int j = 0; j < n->num_inputs + n->num_outputs; j++) {
        const Tensor *t = j < n->num_inputs ? n->inputs[j]
                                            : n->outputs[j - n->num_inputs];
        if (t->kind != TK_CONST)
          class_merge(&c, n->inputs[0]->id, t->id);
      }
    if (op_has(n->op, OPF_INT8) &&
        n->inputs[1]->kind == TK_CONST && n->inputs[1]->dtype == DT_F32) {
      weight_params(g, n->inputs[1], ctx->per_tensor_weights);
      any = true;
    }
  }
  for (int i = 0; i < nn; i++)
    if (shares_params(g->nodes[i]) && g->nodes[i]->op == OP_CONCAT) {
      unify_concat(g, &c, g->nodes[i], ctx);
      any = true;
    }
  /* Per class: the pinned parameters if a member has them, else the union
   * of the members' ranges. */
  for (int i = 0; i < g->num_tensors; i++) {
    Tensor *t = g->tensors[i];
    int r = find(c.parent, i);
    if (t->kind == TK_CONST || (t->quant && t->quant->pinned))
      continue;
    if (c.pinned[r] >= 0) {
      const QuantParams *p = g->tensors[c.pinned[r]]->quant;
      QuantParams *q = ir_quant_create(g, p->dtype, p->axis, p->count);
      memcpy(q->scale, p->scale, sizeof(float) * (size_t)p->count);
      memcpy(q->zero_point, p->zero_point, sizeof(int32_t) * (size_t)p->count);
      t->quant = q; /* same values, but derived, not pinned */
      any = true;
    } else if (c.has[r]) {
      set_u8(g, t, c.lo[r], c.hi[r]);
      any = true;
    }
  }
  free(c.parent);
  free(c.pinned);
  free(c.lo);
  free(c.hi);
  free(c.has);
  int rc = ir_graph_sort(g, d);
  if (changed)
    *changed = any;
  return rc;
}
