/* quantize-dynamic: dynamic quantization, as PyTorch's
 * quantize_dynamic does it: every linear with constant weights becomes
 * dqlinear (i8 weights per output channel; the activation's u8 scale is
 * computed at run time from each call's min/max). Everything else — conv2d
 * above all — stays f32, and the log says so in plain words, because that
 * silent gap is what sends users here. Requires: canonicalized float
 * graph. Preserves: the interface; values up to quantization error. */
#include "pass.h"

#include <string.h>

#include "quant_math.h"

static Tensor *quantize_weight(Graph *g, Tensor *w, bool per_tensor) {
  int64_t O = w->dims[0], per = ir_tensor_numel(w) / O;
  QuantParams *q = ir_quant_create(g, DT_I8, per_tensor ? -1 : 0,
                                   per_tensor ? 1 : (int)O);
  calib_weight_scales(w->data, O, per, per_tensor, q->scale);
  Tensor *t = ir_graph_add_tensor(
      g, ir_graph_unique_name(g, arena_printf(g->arena, "%s.q", w->name)),
      TK_CONST, DT_I8, w->rank, w->dims, w->loc, NULL);
  if (!t)
    QCC_DIE("unique name collided");
  t->quant = q;
  int8_t *dst = ir_tensor_alloc_data(g, t);
  const float *src = w->data;
  for (int64_t o = 0; o < O; o++)
    for (int64_t k = 0; k < per; k++)
      dst[o * per + k] = (int8_t)qm_quantize(src[o * per + k],
                                             q->scale[per_tensor ? 0 : o], 0,
                                             -127, 127);
  return t;
}

int pass_quantize_dynamic(Graph *g, PassContext *ctx, bool *changed,
                          Diag *d) {
  bool any = false;
  for (int i = 0; i < g->num_nodes; i++) {
    Node *n = g->nodes[i];
    const char *op = op_info(n->op)->name;
    if (n->op == OP_LINEAR && n->inputs[1]->kind == TK_CONST) {
      n->inputs[1] = quantize_weight(g, n->inputs[1], ctx->per_tensor_weights);
      n->op = OP_DQLINEAR;
      quant_log_add(ctx->log, n->name, op, true,
                    "dynamic: i8 weights, activation scale computed per call");
      any = true;
    } else if (n->op == OP_CONV2D) {
      quant_log_add(ctx->log, n->name, op, false,
                    "dynamic quantization covers linear only; use "
                    "--quant=static");
    } else {
      quant_log_add(ctx->log, n->name, op, false,
                    "dynamic quantization covers linear only");
    }
  }
  if (changed)
    *changed = any;
  return ir_graph_infer(g, d) ? -1 : pass_dce(g, ctx, NULL, d);
}
