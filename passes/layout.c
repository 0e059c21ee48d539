/* layout: stores u8 activations NHWC (channels innermost) between the
 * kernels that read and write it, so that no conv transposes its output
 * into NCHW planes only for the next one to transpose it back, and so
 * that depthwise convs and max-pools run across channels.
 *
 * A rank-4 u8 node result becomes NHWC when its producer and every node
 * that reads it take NHWC there:
 *  - a qconv2d with groups = 1 (the blocked conv) packs its input itself
 *    and stores its output itself, so each side may be either layout;
 *  - a depthwise qconv2d (one channel per group, multiplier 1), a u8
 *    maxpool2d and a u8 resize run one loop over channels for both sides,
 *    and qadd, qsub,
 *    qmul and lut (without broadcasting), concat and split compute or
 *    copy element by element in whatever order their operands share, so
 *    all of such a node's values are NHWC together or NCHW together: a
 *    fixed point drops them all where one must stay NCHW.
 * Graph inputs, outputs and constants stay NCHW (the C API's contract),
 * and so does every value another op reads, so layout changes happen only
 * inside the blocked conv (its pack and its store). The dims stay NCHW and
 * the interpreters ignore the layout: values are unchanged, only where the
 * compiled code keeps them. Every rank-4 result gets the layout decided
 * here (an `nhwc` written in the input IR is re-decided). */
#include "pass.h"

#include <stdlib.h>

typedef enum Side { SIDE_NONE, SIDE_FREE, SIDE_TIED } Side;

/* Every value operand has the output's shape, and no other operand is a
 * constant but lut's table. */
static bool no_broadcast(const Node *n) {
  for (int i = 0; i < n->num_inputs; i++) {
    const Tensor *t = n->inputs[i];
    if (n->op == OP_LUT && i == 1)
      continue;
    if (t->kind != TK_VALUE || !ir_same_shape(t, n->outputs[0]))
      return false;
  }
  return true;
}

static bool all_values(const Node *n) {
  for (int i = 0; i < n->num_inputs; i++)
    if (n->inputs[i]->kind != TK_VALUE)
      return false;
  return true;
}

/* How n reads and writes its rank-4 values in NHWC. */
static Side nhwc_side(const Node *n) {
  switch (n->op) {
  case OP_QCONV2D: {
    const Tensor *x = n->inputs[0], *w = n->inputs[1];
    int64_t groups = ir_attr_int(n, ATTR_GROUPS);
    if (w->kind != TK_CONST)
      return SIDE_NONE;
    if (groups == 1)
      return SIDE_FREE;
    return groups == x->dims[1] && w->dims[1] == 1 && w->dims[0] == x->dims[1] ? SIDE_TIED
                                                                             : SIDE_NONE;
  }
  case OP_MAXPOOL2D:
  case OP_RESIZE: return n->inputs[0]->dtype == DT_U8 ? SIDE_TIED : SIDE_NONE;
  case OP_QADD:
  case OP_QSUB:
  case OP_QMUL:
  case OP_LUT: return no_broadcast(n) ? SIDE_TIED : SIDE_NONE;
  case OP_CONCAT:
  case OP_SPLIT: return all_values(n) ? SIDE_TIED : SIDE_NONE;
  default: return SIDE_NONE;
  }
}

int pass_layout(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  (void)d;
  int nt = g->num_tensors;
  bool *nhwc = calloc((size_t)nt + 1, sizeof(bool));
  Side *side = calloc((size_t)g->num_nodes + 1, sizeof(Side));
  if (!nhwc || !side)
    QCC_DIE("out of memory");
  for (int i = 0; i < nt; i++) {
    const Tensor *t = g->tensors[i];
    nhwc[i] = t->kind == TK_VALUE && t->rank == 4 && t->dtype == DT_U8 && t->producer &&
              !ir_is_graph_output(g, t);
  }
  /* A blocked conv takes NHWC on input 0 and output 0 only (its other
   * inputs are constants); a tied node on all of its value operands. */
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *n = g->nodes[i];
    side[i] = nhwc_side(n);
    bool free = side[i] == SIDE_FREE;
    for (int j = 0; j < n->num_outputs; j++)
      if (side[i] == SIDE_NONE || (free && j > 0))
        nhwc[n->outputs[j]->id] = false;
    for (int j = 0; j < n->num_inputs; j++)
      if (side[i] == SIDE_NONE || (free && j > 0))
        nhwc[n->inputs[j]->id] = false;
  }
  for (bool again = true; again;) {
    again = false;
    for (int i = 0; i < g->num_nodes; i++) {
      const Node *n = g->nodes[i];
      if (side[i] != SIDE_TIED)
        continue;
      bool all = true, some = false;
      for (int j = 0; j < n->num_inputs; j++)
        if (n->inputs[j]->kind == TK_VALUE) {
          all &= nhwc[n->inputs[j]->id];
          some |= nhwc[n->inputs[j]->id];
        }
      for (int j = 0; j < n->num_outputs; j++) {
        all &= nhwc[n->outputs[j]->id];
        some |= nhwc[n->outputs[j]->id];
      }
      if (all || !some)
        continue;
      for (int j = 0; j < n->num_inputs; j++)
        nhwc[n->inputs[j]->id] = false;
      for (int j = 0; j < n->num_outputs; j++)
        nhwc[n->outputs[j]->id] = false;
      again = true;
    }
  }
  bool any = false;
  for (int i = 0; i < nt; i++) {
    Tensor *t = g->tensors[i];
    if (t->kind != TK_VALUE || t->rank != 4)
      continue;
    Layout l = nhwc[i] ? LAYOUT_NHWC : LAYOUT_NCHW;
    any |= t->layout != l;
    t->layout = l;
  }
  free(nhwc);
  free(side);
  if (changed)
    *changed = any;
  return 0;
}
