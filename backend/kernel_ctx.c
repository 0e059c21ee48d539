/* The kernel API's helpers (kernel.h): where a node's tensors are inside
 * its function, constants, the run's status word, and the small facts
 * several kernel families share. */
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "qcc_runtime.h"

LLVMTypeRef kc_elt(const KernelCtx *k, DType dt) {
  switch (dt) {
  case DT_F32: return k->e->f32;
  case DT_U8:
  case DT_I8: return k->e->i8;
  case DT_I32: return k->e->i32;
  default: QCC_DIE("no element type for %s", dtype_name(dt));
  }
}

LLVMValueRef kc_const(KernelCtx *k, const char *what, const void *data,
                      size_t n) {
  char name[256];
  snprintf(name, sizeof name, "%s.%s.%s", k->prefix, k->n->name, what);
  return em_const_bytes(k->e, name, data, n);
}

LLVMValueRef kernel_const_global(Emit *e, const char *prefix, LLVMValueRef *globals, const Tensor *t) {
  if (!globals[t->id]) {
    char name[256];
    snprintf(name, sizeof name, "%s.const.%s", prefix, t->name);
    globals[t->id] = em_const_bytes(e, name, t->data, (size_t)ir_tensor_nbytes(t));
  }
  return globals[t->id];
}

LLVMValueRef kc_tensor(KernelCtx *k, const Tensor *t) {
  Emit *e = k->e;
  if (t->kind == TK_CONST)
    return kernel_const_global(e, k->prefix, k->const_globals, t);
  if (t->kind == TK_INPUT) {
    for (int i = 0; i < k->g->num_inputs; i++)
      if (k->g->inputs[i] == t)
        return LLVMBuildLoad2(e->b, e->ptr,
                              em_elem(e, e->ptr, k->frame, em_i64(e, 1 + i)), "");
    QCC_DIE("input tensor '%s' is not a graph input", t->name);
  }
  int64_t off = k->plan->tensor_offset[t->id];
  if (off < 0) /* an entry output: the caller's buffer */
    for (int i = 0; i < k->num_outs; i++)
      if (k->outs[i] == t)
        return LLVMBuildLoad2(e->b, e->ptr,
                              em_elem(e, e->ptr, k->frame, em_i64(e, 2 + k->g->num_inputs + i)),
                              "out");
  if (off < 0)
    QCC_DIE("tensor '%s' has no workspace offset", t->name);
  LLVMValueRef ws = LLVMBuildLoad2(e->b, e->ptr, k->frame, "ws");
  return em_elem(e, e->i8, ws, em_i64(e, off));
}

const Tensor *kc_slice_into(const KernelCtx *k, const Tensor *t) {
  int into = k->plan->slice_into[t->id];
  return into < 0 ? NULL : k->g->tensors[into];
}

void kc_flag_status(KernelCtx *k, LLVMValueRef flag, int code) {
  Emit *e = k->e;
  If f;
  em_if(e, &f, flag);
  LLVMValueRef slot = LLVMBuildLoad2(
      e->b, e->ptr,
      em_elem(e, e->ptr, k->frame, em_i64(e, 1 + k->g->num_inputs)), "status");
  /* Threads may set it at once, all to the same code: an atomic store. */
  LLVMValueRef st = LLVMBuildStore(e->b, em_i32(e, code), slot);
  LLVMSetOrdering(st, LLVMAtomicOrderingMonotonic);
  LLVMSetAlignment(st, 4);
  em_if_end(e, &f);
}

void kc_flag_nonfinite(KernelCtx *k, LLVMValueRef seen) {
  Emit *e = k->e;
  kc_flag_status(k, LLVMBuildICmp(e->b, LLVMIntNE, LLVMBuildLoad2(e->b, e->i8, seen, ""),
                                  LLVMConstInt(e->i8, 0, 0), ""),
                 QCC_STATUS_NONFINITE_INPUT);
}

int64_t kernel_extent_numel(const Node *n) {
  return ir_tensor_numel(n->outputs[0]);
}

LLVMValueRef kernel_range(KernelCtx *k, Loop *l) {
  return em_loop(k->e, l, k->begin, k->end, "p");
}

unsigned kernel_channel_vector(unsigned lanes, int64_t C) {
  unsigned v = lanes;
  while (v > 1 && (int64_t)v > C)
    v /= 2;
  return v;
}

bool kernel_same_layouts(const Node *n) {
  return n->inputs[0]->layout == n->outputs[0]->layout;
}

bool kernel_one_layout(const Node *n) {
  Layout l = n->outputs[0]->layout;
  bool elementwise = (op_info(n->op)->flags & OPF_ELEMENTWISE) != 0;
  for (int i = 0; i < n->num_inputs; i++) {
    const Tensor *t = n->inputs[i];
    if (t->rank == 4 && (t->layout != l || (l == LAYOUT_NHWC && elementwise &&
                                             !ir_same_shape(t, n->outputs[0]))))
      return false;
  }
  for (int i = 0; i < n->num_outputs; i++)
    if (n->outputs[i]->rank == 4 && n->outputs[i]->layout != l)
      return false;
  return true;
}
