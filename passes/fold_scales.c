/* fold-scales: turns calibrated ranges into quantization parameters.
 *  - every observed activation gets u8 asymmetric (scale, zero_point) from
 *    its range, with 0 exact (calib_quant_params_u8);
 *  - tensors that must share parameters form one class: the inputs and
 *    results of concat and of every op that runs on u8 without arithmetic
 *    (maxpool, split, reshape, flatten, transpose, resize, avgpool,
 *    global_avgpool). A class takes the union of its members' ranges, so
 *    no member is clipped, or the parameters of its pinned member;
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

static void unite(int *parent, int a, int b) {
  a = find(parent, a);
  b = find(parent, b);
  if (a != b)
    parent[a < b ? b : a] = a < b ? a : b;
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

int pass_fold_scales(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)d;
  int nt = g->num_tensors;
  int *parent = malloc(sizeof(int) * ((size_t)nt + 1));
  float *lo = malloc(sizeof(float) * ((size_t)nt + 1));
  float *hi = malloc(sizeof(float) * ((size_t)nt + 1));
  bool *has = calloc((size_t)nt + 1, sizeof(bool));
  if (!parent || !lo || !hi || !has)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++)
    parent[i] = i;
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    if (n->op == OP_OBSERVE) {
      const Attr *r = ir_node_attr(n, ATTR_RANGE);
      if (r) {
        int id = n->inputs[0]->id;
        lo[id] = has[id] ? fminf(lo[id], (float)r->floats[0]) : (float)r->floats[0];
        hi[id] = has[id] ? fmaxf(hi[id], (float)r->floats[1]) : (float)r->floats[1];
        has[id] = true;
      }
      n->dead = true;
      any = true;
      continue;
    }
    if (shares_params(n))
      for (int j = 0; j < n->num_inputs + n->num_outputs; j++) {
        const Tensor *t = j < n->num_inputs ? n->inputs[j]
                                            : n->outputs[j - n->num_inputs];
        if (t->kind != TK_CONST)
          unite(parent, n->inputs[0]->id, t->id);
      }
    if ((n->op == OP_CONV2D || n->op == OP_LINEAR) &&
        n->inputs[1]->kind == TK_CONST && n->inputs[1]->dtype == DT_F32) {
      weight_params(g, n->inputs[1], ctx->per_tensor_weights);
      any = true;
    }
  }
  /* Per class: the pinned parameters if a member has them, else the union
   * of the members' ranges. */
  int *pinned = malloc(sizeof(int) * ((size_t)nt + 1));
  if (!pinned)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++)
    pinned[i] = -1;
  for (int i = 0; i < nt; i++) {
    const Tensor *t = g->tensors[i];
    int r = find(parent, i);
    if (t->quant && t->quant->pinned && pinned[r] < 0)
      pinned[r] = i;
    if (has[i] && i != r) {
      lo[r] = has[r] ? fminf(lo[r], lo[i]) : lo[i];
      hi[r] = has[r] ? fmaxf(hi[r], hi[i]) : hi[i];
      has[r] = true;
    }
  }
  for (int i = 0; i < nt; i++) {
    Tensor *t = g->tensors[i];
    int r = find(parent, i);
    if (t->kind == TK_CONST || (t->quant && t->quant->pinned))
      continue;
    if (pinned[r] >= 0) {
      const QuantParams *p = g->tensors[pinned[r]]->quant;
      QuantParams *q = ir_quant_create(g, p->dtype, p->axis, p->count);
      memcpy(q->scale, p->scale, sizeof(float) * (size_t)p->count);
      memcpy(q->zero_point, p->zero_point, sizeof(int32_t) * (size_t)p->count);
      t->quant = q; /* same values, but derived, not pinned */
      any = true;
    } else if (has[r]) {
      set_u8(g, t, lo[r], hi[r]);
      any = true;
    }
  }
  ir_graph_remove_dead_nodes(g);
  free(parent);
  free(lo);
  free(hi);
  free(has);
  free(pinned);
  if (changed)
    *changed = any;
  return 0;
}
