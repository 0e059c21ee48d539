/* fold-constants: a node whose inputs are all f32 constants is evaluated at
 * compile time by the reference interpreter and its outputs become
 * constants. Requires: sorted, inferred graph. Preserves: values exactly
 * (the interpreter is the semantics). */
#include "pass.h"

#include "interp.h"

int pass_fold_constants(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    if (!(op_info(n->op)->flags & OPF_FOLDABLE) || n->dead)
      continue;
    bool all = true;
    for (int j = 0; j < n->num_inputs && all; j++)
      all = n->inputs[j]->kind == TK_CONST && n->inputs[j]->dtype == DT_F32;
    if (!all)
      continue;
    const float *ins[n->num_inputs];
    float *outs[n->num_outputs];
    for (int j = 0; j < n->num_inputs; j++)
      ins[j] = n->inputs[j]->data;
    for (int j = 0; j < n->num_outputs; j++)
      outs[j] = ir_tensor_alloc_data(g, n->outputs[j]);
    if (interp_eval_node(n, ins, outs, d))
      return -1;
    for (int j = 0; j < n->num_outputs; j++) {
      Tensor *t = n->outputs[j];
      t->kind = TK_CONST;
      t->producer = NULL;
      t->producer_output = -1;
    }
    n->num_outputs = 0; /* the results are constants now */
    n->dead = true;
    any = true;
  }
  if (any) {
    ir_graph_remove_dead_nodes(g);
  }
  if (changed)
    *changed = any;
  return 0;
}
