/* The reference interpreter's driver: one buffer per tensor, a run loop over
 * the graph's nodes in their (topological) order, and the dispatch from a
 * node to its kernel: the float reference kernels (ref_*.c) for float ops
 * on f32, the int8 reference kernels (qref_*.c) for the int8 dialect and
 * for u8-capable ops on u8. `observe` nodes compute nothing; only the hook
 * runs for them.
 *
 * Buffers are indexed by Tensor.id and hold numel elements of the tensor's
 * dtype. Constants are not copied: their buffer is the graph's own data,
 * which the interpreter only reads. Every other buffer is zero-filled at
 * creation, so a run with an input never set is still defined (it reads
 * zeros). Whether each node can run is decided once, in interp_create, so
 * a run fails only on what depends on the data (an empty pooling window,
 * an accumulator outside int32).
 */
#include "interp.h"

#include <stdlib.h>
#include <string.h>

#include "qref.h"
#include "ref.h"
#include "unary.h"

struct Interp {
  const Graph *g;
  void **values;   /* [g->num_tensors], numel elements of the tensor's dtype */
  bool *owned;     /* values[i] was malloc'd here (not constant data) */
  InterpNodeHook hook;
  void *hook_user;
};

static RefKernel kernel_for(OpKind op);

/* A float node: every operand f32 and a float kernel for the op. */
static int check_float_node(const Node *n, Diag *d) {
  if (!kernel_for(n->op))
    return diag_error(d, n->loc, "%s '%s': not supported by the "
                      "interpreter", op_info(n->op)->name, n->name);
  for (int i = 0; i < n->num_inputs + n->num_outputs; i++) {
    const Tensor *t = i < n->num_inputs ? n->inputs[i]
                                        : n->outputs[i - n->num_inputs];
    if (t->dtype != DT_F32)
      return diag_error(d, n->loc, "%s '%s': '%s' is %s; the interpreter "
                        "runs %s on f32%s", op_info(n->op)->name, n->name,
                        t->name, dtype_name(t->dtype), op_info(n->op)->name,
                        op_info(n->op)->flags & OPF_U8_CAPABLE
                            ? " or on u8 throughout"
                            : "");
  }
  return 0;
}

static int check_node(const Node *n, Diag *d) {
  if ((unsigned)n->op >= (unsigned)OP_COUNT)
    QCC_DIE("node '%s': op %d out of range", n->name, (int)n->op);
  if (n->op == OP_OBSERVE || qref_kernel_for(n))
    return qref_check_node(n, d);
  return check_float_node(n, d);
}

Interp *interp_create(const Graph *g, Diag *d) {
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *t = g->tensors[i];
    if ((unsigned)t->dtype >= (unsigned)DT_COUNT)
      QCC_DIE("tensor '%s': dtype %d out of range", t->name, (int)t->dtype);
    if (t->kind == TK_CONST && !t->data) {
      diag_error(d, t->loc, "constant '%s' has no data", t->name);
      return NULL;
    }
  }
  for (int i = 0; i < g->num_inputs; i++)
    if (g->inputs[i]->dtype != DT_F32) {
      diag_error(d, g->inputs[i]->loc, "input '%s' is %s; graph inputs are "
                 "f32", g->inputs[i]->name,
                 dtype_name(g->inputs[i]->dtype));
      return NULL;
    }
  for (int k = 0; k < g->num_nodes; k++)
    if (check_node(g->nodes[k], d))
      return NULL;

  Interp *ip = calloc(1, sizeof *ip);
  if (!ip)
    QCC_DIE("out of memory");
  ip->g = g;
  /* calloc(0, ...) may return NULL; an empty graph is still valid. */
  size_t n = g->num_tensors > 0 ? (size_t)g->num_tensors : 1;
  ip->values = calloc(n, sizeof *ip->values);
  ip->owned = calloc(n, sizeof *ip->owned);
  if (!ip->values || !ip->owned)
    QCC_DIE("out of memory");
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *t = g->tensors[i];
    if (t->kind == TK_CONST) {
      /* Not copied: nothing writes a constant (interp_run checks). */
      ip->values[i] = t->data;
      continue;
    }
    int64_t numel = ir_tensor_numel(t);
    if (numel < 0)
      QCC_DIE("tensor '%s': element count overflows in a verified graph",
              t->name);
    ip->values[i] = calloc(numel > 0 ? (size_t)numel : 1,
                           dtype_size(t->dtype));
    if (!ip->values[i]) {
      /* A model may declare shapes this machine cannot hold: a user
       * error, said with the tensor's name, never an abort. */
      diag_error(d, t->loc, "tensor '%s' needs %lld bytes, more memory "
                 "than can be had", t->name,
                 (long long)(numel * (int64_t)dtype_size(t->dtype)));
      interp_destroy(ip);
      return NULL;
    }
    ip->owned[i] = true;
  }
  return ip;
}

void interp_destroy(Interp *ip) {
  if (!ip)
    return;
  for (int i = 0; i < ip->g->num_tensors; i++)
    if (ip->owned[i])
      free(ip->values[i]);
  free(ip->values);
  free(ip->owned);
  free(ip);
}

void interp_set_input(Interp *ip, int index, const float *data) {
  if (index < 0 || index >= ip->g->num_inputs)
    QCC_DIE("interp_set_input: input %d of %d", index, ip->g->num_inputs);
  const Tensor *t = ip->g->inputs[index];
  int64_t numel = ir_tensor_numel(t);
  if (numel > 0) /* memcpy from NULL is undefined even for 0 bytes */
    memcpy(ip->values[t->id], data, (size_t)numel * sizeof(float));
}

void interp_set_hook(Interp *ip, InterpNodeHook hook, void *user) {
  ip->hook = hook;
  ip->hook_user = user;
}

/* Node arity is bounded only by the graph; a small fixed array covers every
 * real model and the heap covers the rest. */
#define INTERP_SMALL_ARITY 16

/* Runs one node on the interpreter's buffers. The float kernels take typed
 * float pointers, so for them the untyped ones are converted one by one
 * (check_node made sure those buffers hold f32). */
static int run_node(Interp *ip, const Node *n, Diag *d) {
  if (n->op == OP_OBSERVE)
    return 0;
  const void *small_in[INTERP_SMALL_ARITY];
  void *small_out[INTERP_SMALL_ARITY];
  const float *small_fin[INTERP_SMALL_ARITY];
  float *small_fout[INTERP_SMALL_ARITY];
  const void **in = small_in;
  void **out = small_out;
  const float **fin = small_fin;
  float **fout = small_fout;
  if (n->num_inputs > INTERP_SMALL_ARITY) {
    in = malloc((size_t)n->num_inputs * sizeof *in);
    fin = malloc((size_t)n->num_inputs * sizeof *fin);
  }
  if (n->num_outputs > INTERP_SMALL_ARITY) {
    out = malloc((size_t)n->num_outputs * sizeof *out);
    fout = malloc((size_t)n->num_outputs * sizeof *fout);
  }
  if (!in || !out || !fin || !fout)
    QCC_DIE("out of memory");
  for (int i = 0; i < n->num_inputs; i++)
    in[i] = ip->values[n->inputs[i]->id];
  for (int j = 0; j < n->num_outputs; j++) {
    if (n->outputs[j]->kind == TK_CONST)
      QCC_DIE("node '%s' writes constant '%s'", n->name,
              n->outputs[j]->name);
    out[j] = ip->values[n->outputs[j]->id];
  }
  QRefKernel qk = qref_kernel_for(n);
  int rc;
  if (qk) {
    rc = qk(n, in, out, d);
  } else {
    for (int i = 0; i < n->num_inputs; i++)
      fin[i] = in[i];
    for (int j = 0; j < n->num_outputs; j++)
      fout[j] = out[j];
    rc = interp_eval_node(n, fin, fout, d);
  }
  if (in != small_in) {
    free(in);
    free(fin);
  }
  if (out != small_out) {
    free(out);
    free(fout);
  }
  return rc;
}

int interp_run(Interp *ip, Diag *d) {
  const Graph *g = ip->g;
  for (int k = 0; k < g->num_nodes; k++) {
    const Node *n = g->nodes[k];
    if (run_node(ip, n, d))
      return -1;
    if (ip->hook)
      ip->hook(ip->hook_user, n, ip);
  }
  return 0;
}

static void check_in_graph(const Interp *ip, const Tensor *t,
                           const char *who) {
  if (t->id < 0 || t->id >= ip->g->num_tensors ||
      ip->g->tensors[t->id] != t)
    QCC_DIE("%s: tensor '%s' is not in the interpreted graph", who, t->name);
}

const float *interp_value(const Interp *ip, const Tensor *t) {
  check_in_graph(ip, t, "interp_value");
  if (t->dtype != DT_F32)
    QCC_DIE("interp_value: tensor '%s' is %s, not f32 (use "
            "interp_value_raw)", t->name, dtype_name(t->dtype));
  return ip->values[t->id];
}

const void *interp_value_raw(const Interp *ip, const Tensor *t) {
  check_in_graph(ip, t, "interp_value_raw");
  return ip->values[t->id];
}

/* OpKind -> float kernel. Ops without a float meaning (the int8 dialect)
 * get NULL: interp_eval_node reports them as unsupported rather than guess,
 * and interp_run sends them to qref_kernel_for instead. */
static RefKernel kernel_for(OpKind op) {
  if (ir_op_is_unary(op))
    return ref_unary;
  switch (op) {
  case OP_CONV2D: return ref_conv2d;
  case OP_CONV_TRANSPOSE: return ref_conv_transpose;
  case OP_LINEAR: return ref_linear;
  case OP_BATCH_NORM: return ref_batch_norm;
  case OP_ADD:
  case OP_SUB:
  case OP_MUL: return ref_binary;
  case OP_CONCAT: return ref_concat;
  case OP_SPLIT: return ref_split;
  case OP_FLATTEN:
  case OP_RESHAPE: return ref_copy;
  case OP_TRANSPOSE:
  case OP_SLICE: return ref_strided;
  case OP_PAD: return ref_pad;
  case OP_MAXPOOL2D: return ref_maxpool2d;
  case OP_AVGPOOL2D: return ref_avgpool2d;
  case OP_GLOBAL_AVGPOOL: return ref_global_avgpool;
  case OP_RESIZE: return ref_resize;
  case OP_SOFTMAX: return ref_softmax;
  default: return NULL;
  }
}

int interp_eval_node(const Node *n, const float *const *inputs,
                     float *const *outputs, Diag *d) {
  if ((unsigned)n->op >= (unsigned)OP_COUNT)
    QCC_DIE("node '%s': op %d out of range", n->name, (int)n->op);
  RefKernel k = kernel_for(n->op);
  if (!k)
    return diag_error(d, n->loc, "%s '%s': not supported by the float "
                      "interpreter", op_info(n->op)->name, n->name);
  for (int i = 0; i < n->num_inputs; i++)
    if (n->inputs[i]->dtype != DT_F32)
      return diag_error(d, n->loc, "%s '%s': input '%s' is %s, the float "
                        "interpreter needs f32", op_info(n->op)->name,
                        n->name, n->inputs[i]->name,
                        dtype_name(n->inputs[i]->dtype));
  for (int j = 0; j < n->num_outputs; j++)
    if (n->outputs[j]->dtype != DT_F32)
      return diag_error(d, n->loc, "%s '%s': output '%s' is %s, the float "
                        "interpreter needs f32", op_info(n->op)->name,
                        n->name, n->outputs[j]->name,
                        dtype_name(n->outputs[j]->dtype));
  return k(n, inputs, outputs, d);
}
