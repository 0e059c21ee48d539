/* equalize: cross-layer equalization (Nagel et al., "Data-Free Quantization
 * Through Weight Equalization and Bias Correction", 2019) for chains
 *   conv2d A → [relu | leaky_relu] → conv2d B        (B not grouped)
 * A relu-like activation f is positively homogeneous, f(x / s) = f(x) / s
 * for s > 0, so output channel c of A can be divided by s_c and input
 * channel c of B multiplied by it without changing B's result:
 *   W_A'[c] = W_A[c] / s_c,  b_A'[c] = b_A[c] / s_c,  W_B'[:, c] = W_B[:, c] · s_c
 * with s_c = sqrt(r_A[c] / r_B[c]) (r: the largest |w| of the channel's
 * weights), which leaves both ranges at sqrt(r_A · r_B). Channels whose
 * weights were very unequal (depthwise convs after batch-norm folding)
 * then share a per-tensor activation scale far better. Sweeps repeat
 * until the scales settle (chains of three or more convs).
 * Fires only on constant f32 weights used by that one node and on
 * intermediate values read by nothing else. Requires: batch_norm folded
 * (canonicalize). Preserves: values up to f32 rounding. Run it before
 * calibration: activation ranges change. */
#include "pass.h"

#include <math.h>
#include <stdlib.h>

enum { MAX_SWEEPS = 20 };

static bool own_weight(const Graph *g, const Tensor *w) {
  return w->kind == TK_CONST && w->dtype == DT_F32 && ir_count_uses(g, w) == 1;
}

/* The single node reading t, or NULL (t read twice, or a graph output). */
static Node *only_user(const Graph *g, const Tensor *t) {
  if (ir_is_graph_output(g, t) || ir_count_uses(g, t) != 1)
    return NULL;
  for (int i = 0; i < g->num_nodes; i++)
    for (int j = 0; j < g->nodes[i]->num_inputs; j++)
      if (g->nodes[i]->inputs[j] == t)
        return g->nodes[i];
  return NULL;
}

/* B when A → (relu-like) → B is an equalizable chain. */
static Node *chain_end(const Graph *g, const Node *a) {
  if (a->op != OP_CONV2D || !own_weight(g, a->inputs[1]) ||
      (a->num_inputs > 2 && !own_weight(g, a->inputs[2])))
    return NULL;
  Node *next = only_user(g, a->outputs[0]);
  if (next && (next->op == OP_RELU || next->op == OP_LEAKY_RELU))
    next = only_user(g, next->outputs[0]);
  if (!next || next->op != OP_CONV2D || ir_attr_int(next, ATTR_GROUPS) != 1 ||
      !own_weight(g, next->inputs[1]))
    return NULL;
  return next;
}

/* One equalization of the pair; returns the largest |log s_c|. */
static double equalize_pair(Node *a, Node *b) {
  Tensor *wa = a->inputs[1], *wb = b->inputs[1];
  Tensor *ba = a->num_inputs > 2 ? a->inputs[2] : NULL;
  int64_t C = wa->dims[0], per_a = ir_tensor_numel(wa) / C;
  int64_t O = wb->dims[0], cin = wb->dims[1];
  int64_t per_b = ir_tensor_numel(wb) / (O * cin);
  float *pa = wa->data, *pb = wb->data, *pbias = ba ? ba->data : NULL;
  double moved = 0;
  for (int64_t c = 0; c < C && c < cin; c++) {
    double ra = 0, rb = 0;
    for (int64_t k = 0; k < per_a; k++)
      ra = fmax(ra, fabs((double)pa[c * per_a + k]));
    for (int64_t o = 0; o < O; o++)
      for (int64_t k = 0; k < per_b; k++)
        rb = fmax(rb, fabs((double)pb[(o * cin + c) * per_b + k]));
    if (!(ra > 0) || !(rb > 0) || !isfinite(ra) || !isfinite(rb))
      continue;
    double s = sqrt(ra / rb);
    moved = fmax(moved, fabs(log(s)));
    for (int64_t k = 0; k < per_a; k++)
      pa[c * per_a + k] = (float)((double)pa[c * per_a + k] / s);
    if (pbias)
      pbias[c] = (float)((double)pbias[c] / s);
    for (int64_t o = 0; o < O; o++)
      for (int64_t k = 0; k < per_b; k++)
        pb[(o * cin + c) * per_b + k] =
            (float)((double)pb[(o * cin + c) * per_b + k] * s);
  }
  return moved;
}

int pass_equalize(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  (void)d;
  bool any = false;
  for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    double moved = 0;
    for (int i = 0; i < g->num_nodes; i++) {
      Node *b = chain_end(g, g->nodes[i]);
      if (b && b->inputs[1]->dims[1] == g->nodes[i]->inputs[1]->dims[0]) {
        moved = fmax(moved, equalize_pair(g->nodes[i], b));
        any = true;
      }
    }
    if (moved < 1e-3) /* every s_c within 0.1% of 1 */
      break;
  }
  if (changed)
    *changed = any;
  return 0;
}
