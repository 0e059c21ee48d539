/* The calibration runner on JIT-compiled native code: the observed float
 * graph is compiled for this host with ORC LLJIT (backend_jit_create, with
 * observe nodes turned into extra outputs) and every calibration sample
 * runs natively; the observers then read the copies of the observed
 * tensors. The reference interpreter stays the oracle (qcc run without a
 * JIT: --calib-engine=interp). */
#include "jit_calib.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"

typedef struct JitCalib {
  BackendJit *jit;
  void *workspace;
  void **args;    /* inputs, graph outputs, observed tensors */
  float **bufs;   /* the outputs' and observed tensors' storage */
  int num_inputs, num_outputs, num_observed;
} JitCalib;

static int prepare(void *user, const Graph *g, Diag *d) {
  JitCalib *j = user;
  BackendOptions o = {.target = TARGET_NATIVE, .symbol_prefix = "qcc_calib",
                      .opt_level = 2, .observe = true};
  if (!(j->jit = backend_jit_create(g, &o, d)))
    return -1;
  j->num_inputs = g->num_inputs;
  j->num_outputs = g->num_outputs;
  const Tensor **obs = calloc((size_t)g->num_nodes + 1, sizeof(Tensor *));
  int n = 0;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *node = g->nodes[i];
    if (node->op != OP_OBSERVE)
      continue;
    bool seen = false;
    for (int k = 0; k < n; k++)
      seen |= obs[k] == node->inputs[0];
    if (!seen)
      obs[n++] = node->inputs[0];
  }
  j->num_observed = n;
  int total = g->num_inputs + g->num_outputs + n;
  j->args = calloc((size_t)total + 1, sizeof(void *));
  j->bufs = calloc((size_t)(g->num_outputs + n) + 1, sizeof(float *));
  int64_t ws = (backend_jit_workspace_size(j->jit) + 63) / 64 * 64;
  j->workspace = aligned_alloc(64, (size_t)(ws ? ws : 64));
  if (!j->args || !j->bufs || !j->workspace)
    QCC_DIE("out of memory");
  for (int k = 0; k < g->num_outputs + n; k++) {
    const Tensor *t = k < g->num_outputs ? g->outputs[k] : obs[k - g->num_outputs];
    j->bufs[k] = malloc((size_t)ir_tensor_nbytes(t) + 4);
    if (!j->bufs[k])
      QCC_DIE("out of memory");
    j->args[g->num_inputs + k] = j->bufs[k];
  }
  free(obs);
  return 0;
}

static int run(void *user, const float *const *inputs, const float **observed,
               Diag *d) {
  JitCalib *j = user;
  for (int k = 0; k < j->num_inputs; k++)
    j->args[k] = (void *)inputs[k];
  if (backend_jit_run(j->jit, j->workspace, j->args) != 0)
    return diag_error(d, srcloc(NULL, 0, 0), "the JIT-compiled model refused "
                      "to run (internal error)");
  for (int k = 0; k < j->num_observed; k++)
    observed[k] = j->bufs[j->num_outputs + k];
  return 0;
}

static void finish(void *user) {
  JitCalib *j = user;
  backend_jit_destroy(j->jit);
  for (int k = 0; k < j->num_outputs + j->num_observed; k++)
    free(j->bufs[k]);
  free(j->bufs);
  free(j->args);
  free(j->workspace);
  memset(j, 0, sizeof *j);
}

CalibRunner *jit_calib_runner_create(void) {
  CalibRunner *r = calloc(1, sizeof *r);
  JitCalib *j = calloc(1, sizeof *j);
  if (!r || !j)
    QCC_DIE("out of memory");
  *r = (CalibRunner){j, prepare, run, finish};
  return r;
}

void jit_calib_runner_destroy(CalibRunner *r) {
  if (!r)
    return;
  free(r->user);
  free(r);
}
