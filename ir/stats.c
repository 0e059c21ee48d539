/* Graph statistics for `qcc check`: op histogram, parameter count, MACs and
 * activation memory (total and peak live, from liveness over the
 * topological order). */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int64_t node_macs(const Node *n) {
  if (n->op == OP_CONV2D) {
    const Tensor *w = n->inputs[1], *y = n->outputs[0];
    /* Every output element reads C/groups * KH * KW weights. */
    return ir_tensor_numel(y) * w->dims[1] * w->dims[2] * w->dims[3];
  }
  if (n->op == OP_LINEAR)
    return ir_tensor_numel(n->outputs[0]) * n->inputs[1]->dims[1];
  return 0;
}

void ir_graph_stats(const Graph *g, GraphStats *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < g->num_nodes; i++) {
    s->ops[g->nodes[i]->op]++;
    s->macs += node_macs(g->nodes[i]);
  }
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *t = g->tensors[i];
    if (t->kind == TK_CONST) {
      s->params += ir_tensor_numel(t);
      s->param_bytes += ir_tensor_nbytes(t);
    } else {
      s->activation_bytes += ir_tensor_nbytes(t);
    }
  }
  /* Peak live: a value is live from its definition to its last use (graph
   * outputs and inputs to the end). */
  int nt = g->num_tensors, nn = g->num_nodes;
  int *last = malloc(sizeof(int) * ((size_t)nt + 1));
  if (!last)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++)
    last[i] = g->tensors[i]->kind == TK_INPUT ? nn : -1;
  for (int i = 0; i < nn; i++)
    for (int j = 0; j < g->nodes[i]->num_inputs; j++)
      if (last[g->nodes[i]->inputs[j]->id] < i)
        last[g->nodes[i]->inputs[j]->id] = i;
  for (int i = 0; i < g->num_outputs; i++)
    last[g->outputs[i]->id] = nn;
  int64_t live = 0;
  for (int i = 0; i < nt; i++)
    if (g->tensors[i]->kind == TK_INPUT)
      live += ir_tensor_nbytes(g->tensors[i]);
  s->peak_live_bytes = live;
  /* The tensors that die at each node, as linked lists (dying_head[i]
   * chains through dying_next): one pass over the tensors, so the walk
   * below is linear. Scanning every tensor at every node made a 40k-node
   * chain take 14.6 s. */
  int *dying_head = malloc(sizeof(int) * ((size_t)nn + 1));
  int *dying_next = malloc(sizeof(int) * ((size_t)nt + 1));
  if (!dying_head || !dying_next)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++)
    dying_head[i] = -1;
  for (int j = 0; j < nt; j++)
    if (g->tensors[j]->kind != TK_CONST && last[j] >= 0 && last[j] < nn) {
      dying_next[j] = dying_head[last[j]];
      dying_head[last[j]] = j;
    }
  for (int i = 0; i < nn; i++) {
    const Node *n = g->nodes[i];
    for (int j = 0; j < n->num_outputs; j++)
      live += ir_tensor_nbytes(n->outputs[j]);
    if (live > s->peak_live_bytes)
      s->peak_live_bytes = live;
    for (int j = dying_head[i]; j >= 0; j = dying_next[j])
      live -= ir_tensor_nbytes(g->tensors[j]);
    /* Outputs never read die right away. */
    for (int j = 0; j < n->num_outputs; j++)
      if (last[n->outputs[j]->id] < 0)
        live -= ir_tensor_nbytes(n->outputs[j]);
  }
  free(dying_head);
  free(dying_next);
  free(last);
}
