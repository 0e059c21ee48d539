/* insert-observers: puts an `observe` node on every activation the int8
 * lowering may quantize — graph inputs and every f32 node result — right
 * after its definition, so the printed IR reads in order. Tensors whose
 * parameters are pinned (the model's `quant:` section) need no observer.
 * Requires: sorted float graph. Preserves: values (observe computes
 * nothing). Idempotent: an observed tensor gets no second observer. */
#include "pass.h"

#include <stdlib.h>

static bool wants_observer(const Tensor *t, const bool *observed) {
  return t->dtype == DT_F32 && !observed[t->id] &&
         !(t->quant && t->quant->pinned);
}

static Node *make_observer(Graph *g, Tensor *t, const PassContext *ctx) {
  int64_t kind = (int64_t)ctx->observer, bins = ctx->bins;
  Attr attrs[2] = {ir_attr_make_ints(g, ATTR_KIND, AK_ENUM, &kind, 1),
                   ir_attr_make_ints(g, ATTR_BINS, AK_INT, &bins, 1)};
  const char *name = arena_printf(g->arena, "observe:%s", t->name);
  /* Appended to g->nodes; the caller reorders. */
  return ir_graph_add_node(g, name, OP_OBSERVE, &t, 1, NULL, 0, attrs, 2,
                           t->producer ? t->producer->loc : t->loc);
}

int pass_insert_observers(Graph *g, PassContext *ctx, bool *changed,
                          Diag *d) {
  int nt = g->num_tensors, nn = g->num_nodes;
  bool *observed = calloc((size_t)nt + 1, sizeof(bool));
  Node **order = malloc(sizeof(Node *) * ((size_t)(nn + nt) + 1));
  if (!observed || !order)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++)
    if (g->nodes[i]->op == OP_OBSERVE)
      observed[g->nodes[i]->inputs[0]->id] = true;
  int count = 0, added = 0;
  for (int i = 0; i < g->num_inputs; i++) {
    Tensor *t = g->inputs[i];
    if (wants_observer(t, observed)) {
      observed[t->id] = true;
      order[count++] = make_observer(g, t, ctx);
      added++;
    }
  }
  for (int i = 0; i < nn; i++) {
    Node *n = g->nodes[i];
    order[count++] = n;
    for (int j = 0; j < n->num_outputs; j++) {
      Tensor *t = n->outputs[j];
      if (wants_observer(t, observed)) {
        observed[t->id] = true;
        order[count++] = make_observer(g, t, ctx);
        added++;
      }
    }
  }
  int rc = 0;
  for (int i = 0; i < count && !rc; i++) {
    g->nodes[i] = order[i];
    g->nodes[i]->id = i;
    if (order[i]->op == OP_OBSERVE)
      rc = ir_node_complete_attrs(g, order[i], d);
  }
  free(observed);
  free(order);
  if (changed)
    *changed = added > 0;
  return rc;
}
