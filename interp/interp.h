/* The reference interpreter: runs a graph of the spec's ops on f32 data and,
 * for quantized graphs, the int8 dialect and the u8 versions of the model
 * ops on their integer codes. Simple and obviously correct on purpose: the
 * float side is the oracle the quantized model is measured against, and
 * the int8 side is the bit-exact oracle the compiled int8 code must match
 * (docs/quantization.md, "The int8 interpreter"). It favours plain loops
 * over speed. Float semantics follow docs/ops.md (ONNX where the spec is
 * silent).
 */
#ifndef QCC_INTERP_H
#define QCC_INTERP_H

#include "ir.h"

typedef struct Interp Interp;

/* Prepares one buffer per tensor of g (numel elements of its dtype: f32,
 * u8, i8 or i32). g must be verified; every node must be one the
 * interpreter runs: a float op on f32, a u8-capable op on u8, or an op of
 * the int8 dialect with the operand types and quantization parameters the
 * contract gives it (int8 weights symmetric). Caller owns the result. NULL
 * on error, with the node or tensor at fault in d. */
Interp *interp_create(const Graph *g, Diag *d);
void interp_destroy(Interp *ip);

/* Copies ir_tensor_numel(g->inputs[index]) floats into input `index`
 * (graph inputs are always f32). */
void interp_set_input(Interp *ip, int index, const float *data);

/* Called after each node ran, e.g. by calibration observers; also after
 * each `observe` node, which computes nothing: its hook call is where
 * calibration reads the observed input through interp_value. */
typedef void (*InterpNodeHook)(void *user, const Node *n, const Interp *ip);
void interp_set_hook(Interp *ip, InterpNodeHook hook, void *user);

int interp_run(Interp *ip, Diag *d);

/* The value of any f32 tensor (input, constant or computed) after a run;
 * numel floats, owned by the interpreter. Aborts (internal error) when t is
 * not f32: use interp_value_raw for the others. */
const float *interp_value(const Interp *ip, const Tensor *t);

/* The value of any tensor after a run, in its own dtype: numel elements of
 * float, uint8_t, int8_t or int32_t, owned by the interpreter. */
const void *interp_value_raw(const Interp *ip, const Tensor *t);

/* Evaluates one float node on caller buffers (inputs[i] holds the i-th
 * input's elements, outputs[j] has room for the j-th output). Used by
 * constant folding. Tensor shapes are read from the node. Every operand
 * must be f32; anything else is reported, not run. */
int interp_eval_node(const Node *n, const float *const *inputs,
                     float *const *outputs, Diag *d);

#endif
