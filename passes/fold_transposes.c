/* fold-transposes: transpose(transpose(x, p1), p2) is transpose(x, pc)
 * with pc[k] = p1[p2[k]], and x itself when pc is the identity. ONNX
 * exports often hold such pairs (nanodet_g turns a conv's result NHWC and
 * straight back, twice): each is a full copy, and a value between two
 * transposes can keep no channels-innermost layout. The outer transpose's
 * readers are pointed at x (or it is rewritten to read x with pc), and
 * dce removes the inner one once nothing reads it. A transpose whose
 * result is a graph output keeps its name and stays (rewritten to read x
 * when pc is not the identity).
 * Requires: sorted, inferred graph. Preserves: every value (transposes
 * only move elements). */
#include "pass.h"

/* Points every reader of `from` at `to`. */
static void replace_uses(Graph *g, const Tensor *from, Tensor *to) {
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    for (int j = 0; j < n->num_inputs; j++)
      if (n->inputs[j] == from)
        n->inputs[j] = to;
  }
}

int pass_fold_transposes(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *t2 = g->nodes[i];
    if (t2->op != OP_TRANSPOSE || t2->dead)
      continue;
    Node *t1 = t2->inputs[0]->producer;
    if (!t1 || t1->op != OP_TRANSPOSE || t1->dead)
      continue;
    int c1, c2;
    const int64_t *p1 = ir_attr_ints(t1, ATTR_PERM, &c1);
    const int64_t *p2 = ir_attr_ints(t2, ATTR_PERM, &c2);
    if (c1 != c2 || c1 > QCC_MAX_RANK)
      continue;
    int64_t pc[QCC_MAX_RANK];
    bool identity = true;
    for (int k = 0; k < c2; k++) {
      pc[k] = p1[p2[k]];
      identity &= pc[k] == k;
    }
    Tensor *x = t1->inputs[0], *y = t2->outputs[0];
    if (identity && !ir_is_graph_output(g, y)) {
      replace_uses(g, y, x);
      t2->dead = true;
    } else {
      t2->inputs[0] = x;
      for (int a = 0; a < t2->num_attrs; a++)
        if (t2->attrs[a].key == ATTR_PERM)
          t2->attrs[a] = ir_attr_make_ints(g, ATTR_PERM, AK_INTS, pc, c2);
    }
    any = true;
  }
  if (changed)
    *changed = any;
  if (!any)
    return 0;
  ir_graph_remove_dead_nodes(g);
  return pass_dce(g, ctx, NULL, d);
}
