/* The float reference interpreter: runs any float graph of the spec's ops on
 * f32 data. Simple and obviously correct on purpose: it is the oracle the
 * int8 interpreter and the compiled code are checked against, so it favours
 * plain loops over speed. Semantics follow docs/ops.md (ONNX where the spec
 * is silent).
 */
#ifndef QCC_INTERP_H
#define QCC_INTERP_H

#include "ir.h"

typedef struct Interp Interp;

/* Prepares buffers for every tensor of g (which must be verified and all
 * f32). Caller owns the result. NULL on error (e.g. a non-f32 tensor). */
Interp *interp_create(const Graph *g, Diag *d);
void interp_destroy(Interp *ip);

/* Copies ir_tensor_numel(g->inputs[index]) floats into input `index`. */
void interp_set_input(Interp *ip, int index, const float *data);

/* Called after each node ran, e.g. by calibration observers. */
typedef void (*InterpNodeHook)(void *user, const Node *n, const Interp *ip);
void interp_set_hook(Interp *ip, InterpNodeHook hook, void *user);

int interp_run(Interp *ip, Diag *d);

/* The value of any tensor (input, constant or computed) after a run;
 * numel floats, owned by the interpreter. */
const float *interp_value(const Interp *ip, const Tensor *t);

/* Evaluates one node on caller buffers (inputs[i] holds the i-th input's
 * elements, outputs[j] has room for the j-th output). Used by constant
 * folding. Tensor shapes are read from the node. */
int interp_eval_node(const Node *n, const float *const *inputs,
                     float *const *outputs, Diag *d);

#endif
