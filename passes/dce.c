/* dce: removes nodes none of whose outputs reaches a graph output, then
 * constants and values nothing uses. Graph inputs always stay (they are the
 * interface), and so do side-effect nodes (observe). Requires: sorted graph. Preserves: everything observable. */
#include "pass.h"

#include <stdlib.h>

int pass_dce(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  (void)d;
  bool *live_t = calloc((size_t)g->num_tensors + 1, sizeof(bool));
  bool *live_n = calloc((size_t)g->num_nodes + 1, sizeof(bool));
  if (!live_t || !live_n)
    QCC_DIE("out of memory");
  for (int i = 0; i < g->num_outputs; i++)
    live_t[g->outputs[i]->id] = true;
  for (int i = 0; i < g->num_inputs; i++)
    live_t[g->inputs[i]->id] = true;
  /* Reverse topological order: a node is live when any output is. */
  for (int i = g->num_nodes - 1; i >= 0; i--) {
    Node *n = g->nodes[i];
    live_n[i] = (op_info(n->op)->flags & OPF_SIDE_EFFECT) != 0;
    for (int j = 0; j < n->num_outputs; j++)
      live_n[i] |= live_t[n->outputs[j]->id];
    if (!live_n[i])
      continue;
    for (int j = 0; j < n->num_outputs; j++)
      live_t[n->outputs[j]->id] = true; /* split: keep every result */
    for (int j = 0; j < n->num_inputs; j++)
      live_t[n->inputs[j]->id] = true;
  }
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++)
    any |= !live_n[i];
  for (int i = 0; i < g->num_tensors; i++)
    any |= !live_t[i];
  if (any)
    ir_graph_compact(g, live_n, live_t);
  free(live_t);
  free(live_n);
  if (changed)
    *changed = any;
  return 0;
}
