/* calibrate: runs the observed float graph over the calibration set and
 * gives every observe node the range its tensor should be quantized to
 * (attribute `range`, chosen by ctx->range: minmax, percentile, entropy or
 * mse). The samples run on ctx->runner when there is one (the driver's
 * JIT-compiled native code), else on the reference interpreter.
 * Requires: observers (insert-observers) and ctx->calib. Preserves: the
 * graph's computation (only observer attributes change). */
#include "pass.h"

#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "unary.h"

typedef struct CalibRun {
  Observer *obs; /* per node index; kind < 0 where not an observer */
  bool *is_obs;
} CalibRun;

static void on_node(void *user, const Node *n, const Interp *ip) {
  CalibRun *run = user;
  if (n->op != OP_OBSERVE)
    return;
  const Tensor *t = n->inputs[0];
  calib_observer_update(&run->obs[n->id], interp_value(ip, t),
                        ir_tensor_numel(t));
}

/* The samples on ctx->runner: observed tensors come back in the order of
 * their first observe node. */
static int run_native(const Graph *g, const PassContext *ctx, CalibRun *run,
                      Diag *d) {
  const CalibRunner *r = ctx->runner;
  const CalibSet *cs = ctx->calib;
  int nn = g->num_nodes, distinct = 0;
  int *slot = malloc(sizeof(int) * ((size_t)nn + 1));
  const float **observed = calloc((size_t)nn + 1, sizeof(float *));
  const float **inputs = calloc((size_t)g->num_inputs + 1, sizeof(float *));
  if (!slot || !observed || !inputs)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++) {
    slot[i] = -1;
    if (g->nodes[i]->op != OP_OBSERVE)
      continue;
    for (int j = 0; j < i && slot[i] < 0; j++)
      if (slot[j] >= 0 && g->nodes[j]->inputs[0] == g->nodes[i]->inputs[0])
        slot[i] = slot[j];
    if (slot[i] < 0)
      slot[i] = distinct++;
  }
  int rc = r->prepare(r->user, g, d);
  for (int s = 0; s < cs->num_samples && !rc; s++) {
    for (int k = 0; k < g->num_inputs; k++)
      inputs[k] = cs->inputs[k] + (size_t)s * (size_t)ir_tensor_numel(g->inputs[k]);
    if ((rc = r->run(r->user, inputs, observed, d)))
      break;
    for (int i = 0; i < nn; i++)
      if (run->is_obs[i]) {
        const Tensor *t = g->nodes[i]->inputs[0];
        calib_observer_update(&run->obs[i], observed[slot[i]], ir_tensor_numel(t));
      }
    if (ctx->progress)
      ctx->progress(ctx->progress_user, s + 1, cs->num_samples);
  }
  r->finish(r->user);
  free(slot);
  free(observed);
  free(inputs);
  return rc;
}

/* The whole output range of a bounded activation (its RANGE in
 * ir/unary.def), as TFLite fixes it for its logistic and tanh: scores and gates reach values on deployment data
 * that a small calibration set never shows (a detector's class scores), and
 * 1/255 is fine resolution for them. */
static bool bounded_output(const Tensor *t, float *lo, float *hi) {
  const Node *p = t->producer;
  double l, h;
  if (!p || !ir_unary_range(p->op, &l, &h))
    return false;
  *lo = (float)l;
  *hi = (float)h;
  return true;
}

int pass_calibrate(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  const CalibSet *cs = ctx->calib;
  int num_obs = 0;
  for (int i = 0; i < g->num_nodes; i++)
    num_obs += g->nodes[i]->op == OP_OBSERVE;
  if (changed)
    *changed = num_obs > 0;
  if (num_obs == 0)
    return 0;
  if (calib_set_check(g, cs, "calibrate", d))
    return -1;

  CalibRun run = {0};
  run.obs = calloc((size_t)g->num_nodes, sizeof(Observer));
  run.is_obs = calloc((size_t)g->num_nodes, sizeof(bool));
  if (!run.obs || !run.is_obs)
    QCC_DIE("out of memory");
  int rc = 0;
  for (int i = 0; i < g->num_nodes && !rc; i++) {
    const Node *n = g->nodes[i];
    if (n->op != OP_OBSERVE)
      continue;
    ObserverKind kind = (ObserverKind)ir_attr_int(n, ATTR_KIND);
    rc = calib_observer_init(&run.obs[i], kind, (int)ir_attr_int(n, ATTR_BINS),
                             d);
    run.is_obs[i] = rc == 0;
  }
  if (!rc && ctx->runner)
    rc = run_native(g, ctx, &run, d);
  Interp *ip = rc || ctx->runner ? NULL : interp_create(g, d);
  if (!ip && !ctx->runner)
    rc = -1;
  else if (ip)
    interp_set_hook(ip, on_node, &run);
  for (int s = 0; s < (rc || !ip ? 0 : cs->num_samples); s++) {
    for (int k = 0; k < g->num_inputs; k++) {
      int64_t numel = ir_tensor_numel(g->inputs[k]);
      interp_set_input(ip, k, cs->inputs[k] + (size_t)s * (size_t)numel);
    }
    if ((rc = interp_run(ip, d)) != 0)
      break;
    if (ctx->progress)
      ctx->progress(ctx->progress_user, s + 1, cs->num_samples);
  }
  interp_destroy(ip);
  for (int i = 0; i < g->num_nodes && !rc; i++) {
    Node *n = g->nodes[i];
    if (!run.is_obs[i])
      continue;
    const Observer *o = &run.obs[i];
    if (o->count == 0) {
      rc = diag_error(d, n->loc, "tensor '%s' held no finite value during "
                      "calibration", n->inputs[0]->name);
      break;
    }
    float lo, hi;
    RangeOptions opt = ctx->range;
    /* Range methods other than minmax need a histogram; a minmax or moving
     * observer answers with what it has. */
    if (o->kind != OBS_HISTOGRAM)
      opt.method = RANGE_MINMAX;
    if (!bounded_output(n->inputs[0], &lo, &hi) &&
        (rc = calib_range_estimate(o, &opt, &lo, &hi, d)) != 0)
      break;
    double r[2] = {lo, hi};
    Attr a = ir_attr_make_floats(g, ATTR_RANGE, AK_FLOATS, r, 2);
    Attr *slot = (Attr *)ir_node_attr(n, ATTR_RANGE);
    if (slot) {
      *slot = a;
    } else {
      Attr *na = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n->num_attrs + 1));
      memcpy(na, n->attrs, sizeof(Attr) * (size_t)n->num_attrs);
      na[n->num_attrs++] = a;
      n->attrs = na;
    }
  }
  for (int i = 0; i < g->num_nodes; i++)
    if (run.is_obs[i])
      calib_observer_free(&run.obs[i]);
  free(run.obs);
  free(run.is_obs);
  return rc;
}
