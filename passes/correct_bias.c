/* correct-bias: empirical bias correction (Nagel et al. 2019, section 4.2).
 * Rounding weights to i8 shifts each output channel's mean by
 *   E[(W_q − W) · x]_o,
 * which rounding noise does not average away: it is the same shift at
 * every position. This pass measures it on the calibration set, with x the
 * float input of the layer, and subtracts it from the f32 bias, which
 * lower-int8 then quantizes. Layers are independent: the shift depends on
 * the layer's own weights only, so correcting them all at once does not
 * over-correct downstream.
 * Applies to conv2d/linear whose weight has i8 parameters and whose input
 * has u8 parameters (what fold-scales leaves), except those kept in f32. Requires: fold-scales and
 * ctx->calib. Preserves: the graph's structure; biases change by the
 * measured shift (a bias is added where there was none). */
#include "pass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "quant_math.h"

enum { MAX_SAMPLES = 32 };

static bool correctable(const Node *n) {
  if (!op_has(n->op, OPF_INT8))
    return false;
  const Tensor *x = n->inputs[0], *w = n->inputs[1];
  return x->dtype == DT_F32 && x->quant && x->quant->dtype == DT_U8 &&
         w->kind == TK_CONST && w->dtype == DT_F32 && w->quant &&
         w->quant->dtype == DT_I8 &&
         (n->num_inputs < 3 || n->inputs[2]->kind == TK_CONST);
}

/* W_q·s − W: the weight's rounding error, in real units. */
static float *weight_error(const Tensor *w) {
  int64_t O = w->dims[0], per = ir_tensor_numel(w) / O;
  float *e = malloc(sizeof(float) * (size_t)(O * per));
  if (!e)
    QCC_DIE("out of memory");
  const float *src = w->data;
  const QuantParams *q = w->quant;
  for (int64_t o = 0; o < O; o++) {
    float s = q->scale[q->axis < 0 ? 0 : o];
    for (int64_t k = 0; k < per; k++) {
      float v = src[o * per + k];
      float r = qm_dequantize(qm_quantize(v, s, 0, -127, 127), s, 0);
      e[o * per + k] = r - v;
    }
  }
  return e;
}

static void set_bias(Graph *g, Node *n, const double *shift) {
  const Tensor *w = n->inputs[1];
  const Tensor *old = n->num_inputs > 2 ? n->inputs[2] : NULL;
  int64_t O = w->dims[0];
  const char *base = old ? old->name : arena_printf(g->arena, "%s.bias", n->name);
  Tensor *b = ir_graph_add_tensor(g, ir_graph_unique_name(g, base), TK_CONST,
                                  DT_F32, 1, &O, n->loc, NULL);
  if (!b)
    QCC_DIE("unique name collided");
  float *bd = ir_tensor_alloc_data(g, b);
  const float *od = old ? old->data : NULL;
  for (int64_t o = 0; o < O; o++)
    bd[o] = (float)((od ? (double)od[o] : 0.0) - shift[o]);
  if (n->num_inputs < 3) {
    Tensor **ins = arena_alloc(g->arena, sizeof(Tensor *) * 4);
    ins[0] = n->inputs[0];
    ins[1] = n->inputs[1];
    n->inputs = ins;
    n->num_inputs = 3;
  }
  n->inputs[2] = b;
}

int pass_correct_bias(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  const CalibSet *cs = ctx ? ctx->calib : NULL;
  if (calib_set_check(g, cs, "correct-bias", d))
    return -1;
  int nn = g->num_nodes, count = 0;
  float **err = calloc((size_t)nn + 1, sizeof(float *));
  double **sum = calloc((size_t)nn + 1, sizeof(double *));
  int64_t *per_channel = calloc((size_t)nn + 1, sizeof(int64_t));
  if (!err || !sum || !per_channel)
    QCC_DIE("out of memory");
  int64_t most = 1;
  for (int i = 0; i < nn; i++) {
    Node *n = g->nodes[i];
    if (!correctable(n) || pass_kept_float(ctx, n))
      continue; /* a layer kept in f32 has no weight rounding to correct */
    err[i] = weight_error(n->inputs[1]);
    sum[i] = calloc((size_t)n->inputs[1]->dims[0], sizeof(double));
    if (!sum[i])
      QCC_DIE("out of memory");
    int64_t numel = ir_tensor_numel(n->outputs[0]);
    most = numel > most ? numel : most;
    most = n->inputs[1]->dims[0] > most ? n->inputs[1]->dims[0] : most;
    count++;
  }
  float *out = malloc(sizeof(float) * (size_t)most);
  float *zeros = calloc((size_t)most, sizeof(float));
  if (!out || !zeros)
    QCC_DIE("out of memory");
  Interp *ip = count ? interp_create(g, d) : NULL;
  int rc = count && !ip ? -1 : 0;
  int samples = cs->num_samples < MAX_SAMPLES ? cs->num_samples : MAX_SAMPLES;
  for (int s = 0; s < samples && ip && !rc; s++) {
    for (int k = 0; k < g->num_inputs; k++)
      interp_set_input(ip, k, cs->inputs[k] + (size_t)s *
                                  (size_t)ir_tensor_numel(g->inputs[k]));
    if ((rc = interp_run(ip, d)))
      break;
    for (int i = 0; i < nn && !rc; i++) {
      if (!err[i])
        continue;
      const Node *n = g->nodes[i];
      const float *ins[3] = {interp_value(ip, n->inputs[0]), err[i], zeros};
      float *outs[1] = {out};
      if ((rc = interp_eval_node(n, ins, outs, d)))
        break;
      const Tensor *y = n->outputs[0];
      int64_t O = y->dims[1], inner = 1;
      for (int r = 2; r < y->rank; r++)
        inner *= y->dims[r];
      int64_t numel = ir_tensor_numel(y);
      for (int64_t k = 0; k < numel; k++)
        sum[i][(k / inner) % O] += out[k];
      per_channel[i] += numel / O;
    }
  }
  interp_destroy(ip); /* before the graph gains tensors */
  for (int i = 0; i < nn && !rc; i++)
    if (err[i]) {
      int64_t O = g->nodes[i]->inputs[1]->dims[0];
      for (int64_t o = 0; o < O; o++)
        sum[i][o] /= (double)per_channel[i];
      set_bias(g, g->nodes[i], sum[i]);
    }
  for (int i = 0; i < nn; i++) {
    free(err[i]);
    free(sum[i]);
  }
  free(err);
  free(sum);
  free(per_channel);
  free(out);
  free(zeros);
  if (changed)
    *changed = count > 0;
  return rc ? -1 : (count ? pass_dce(g, ctx, NULL, d) : 0);
}
