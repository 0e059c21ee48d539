/* The module builder: plans the workspace, gives every node its own
 * function (void node(ptr frame, i64 begin, i64 end), written by the
 * node's kernel), then writes the entry points that call them in order —
 * directly, or through the caller's parallel_for — and the descriptor.
 * Constants become private globals; only <prefix>_run, <prefix>_run_parallel
 * and <prefix>_info are visible, so several models link into one program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cpu_level.h"
#include "header.h"
#include "kernel_list.h"
#include "module.h"
#include "qcc_runtime.h"
#include "target.h"

static bool uses_nhwc(const Node *n) {
  for (int i = 0; i < n->num_inputs; i++)
    if (n->inputs[i]->layout == LAYOUT_NHWC)
      return true;
  for (int i = 0; i < n->num_outputs; i++)
    if (n->outputs[i]->layout == LAYOUT_NHWC)
      return true;
  return false;
}

/* ---- entry points -------------------------------------------------------- */

typedef struct Module {
  Emit e;
  const Graph *g;
  const BackendOptions *opts;
  MemPlan plan;
  LLVMValueRef *nodes; /* node functions */
  int64_t *extent;
  LLVMValueRef *pre;   /* pre-phase functions (or NULL) */
  int64_t *pre_extent;
  Tensor **outs;       /* the entry points' outputs */
  int num_outs;
  TargetKind variants[MAX_VARIANTS]; /* target_variants, best first */
  int num_variants;
  LLVMTypeRef node_fn_t;
} Module;

/* A graph input or constant given back as an entry output (a computed
 * output is already in the caller's buffer). */
static LLVMValueRef operand_ptr_in_entry(Module *m, LLVMValueRef *in_args,
                                         LLVMValueRef *const_globals,
                                         const Tensor *t) {
  if (t->kind == TK_CONST)
    return kernel_const_global(&m->e, m->opts->symbol_prefix, const_globals, t);
  for (int i = 0; i < m->g->num_inputs; i++)
    if (m->g->inputs[i] == t)
      return in_args[i];
  QCC_DIE("output '%s' is neither computed, a graph input nor a constant", t->name);
}

/* Below this much work (in multiply-adds, work_of) a phase runs on the
 * caller: 131072 is about 1 us of a VNNI conv (~150 per ns). */
enum { PARALLEL_MIN_WORK = 1 << 17 };

/* Elements converted or moved (quantize, pack, add, ...) count as
 * ELEMENT_WORK multiply-adds each, so such a phase goes to the pool from
 * 16384 elements, 2-3 us of the quantize kernel (~7 elements per ns).
 * Counted as 1, layer f of bench/peers quantized its 102400-element input
 * on the caller alone: 17 us of its 95 on 2 threads. */
enum { ELEMENT_WORK = 8 };

/* Rough work of a node in multiply-adds: output elements times the
 * reduction length, or ELEMENT_WORK per output element. */
static int64_t work_of(const Node *n) {
  if (n->num_outputs == 0)
    return 0;
  int64_t out = ir_tensor_numel(n->outputs[0]);
  if (op_has(n->op, OPF_DOT))
    return out * (ir_tensor_numel(n->inputs[1]) / n->inputs[1]->dims[0]);
  return out * ELEMENT_WORK;
}

/* Writes <prefix>_run or <prefix>_run_parallel. */
static LLVMValueRef entry_point(Module *m, bool parallel,
                                LLVMValueRef *const_globals, const char *name) {
  Emit *e = &m->e;
  const Graph *g = m->g;
  int ni = g->num_inputs, no = m->num_outs;
  int np = 1 + (parallel ? 1 : 0) + ni + no;
  LLVMTypeRef *params = malloc(sizeof(LLVMTypeRef) * (size_t)np);
  for (int i = 0; i < np; i++)
    params[i] = e->ptr;
  LLVMValueRef fn = LLVMAddFunction(e->mod, name, LLVMFunctionType(e->i32, params, (unsigned)np, 0));
  free(params);
  em_begin_function(e, fn);
  LLVMValueRef ws = LLVMGetParam(fn, 0);
  LLVMValueRef par = parallel ? LLVMGetParam(fn, 1) : NULL;
  int first_in = parallel ? 2 : 1;
  LLVMValueRef *args = malloc(sizeof(LLVMValueRef) * (size_t)(ni + no + 1));
  for (int i = 0; i < ni + no; i++)
    args[i] = LLVMGetParam(fn, (unsigned)(first_in + i));
  /* -1 for a NULL pointer or a workspace that is not 64-byte aligned. */
  LLVMValueRef bad = LLVMBuildICmp(
      e->b, LLVMIntNE,
      LLVMBuildAnd(e->b, LLVMBuildPtrToInt(e->b, ws, e->i64, ""), em_i64(e, 63), ""),
      em_i64(e, 0), "");
  bad = LLVMBuildOr(e->b, bad, LLVMBuildIsNull(e->b, ws, ""), "");
  if (par)
    bad = LLVMBuildOr(e->b, bad, LLVMBuildIsNull(e->b, par, ""), "");
  for (int i = 0; i < ni + no; i++)
    bad = LLVMBuildOr(e->b, bad, LLVMBuildIsNull(e->b, args[i], ""), "");
  If f;
  em_if(e, &f, bad);
  LLVMBuildRet(e->b, em_i32(e, -1));
  LLVMPositionBuilderAtEnd(e->b, f.done);
  LLVMValueRef frame = LLVMBuildArrayAlloca(e->b, e->ptr, em_i64(e, 2 + ni + no), "frame");
  LLVMBuildStore(e->b, ws, frame);
  for (int i = 0; i < ni; i++)
    LLVMBuildStore(e->b, args[i], em_elem(e, e->ptr, frame, em_i64(e, 1 + i)));
  for (int i = 0; i < no; i++)
    LLVMBuildStore(e->b, args[ni + i], em_elem(e, e->ptr, frame, em_i64(e, 2 + ni + i)));
  /* The run's status word (kc_status): kernels that find a non-finite
   * value to quantize set it; it becomes the return code. */
  LLVMValueRef status = LLVMBuildAlloca(e->b, e->i32, "status");
  LLVMBuildStore(e->b, em_i32(e, 0), status);
  LLVMBuildStore(e->b, status, em_elem(e, e->ptr, frame, em_i64(e, 1 + ni)));
  LLVMValueRef pf = NULL, pool = NULL;
  LLVMTypeRef pf_t = NULL;
  if (par) {
    pf = LLVMBuildLoad2(e->b, e->ptr, par, "parallel_for");
    pool = LLVMBuildLoad2(e->b, e->ptr, em_elem(e, e->ptr, par, em_i64(e, 1)), "pool");
    LLVMTypeRef pt[4] = {e->ptr, e->ptr, e->ptr, e->i64};
    pf_t = LLVMFunctionType(e->void_t, pt, 4, 0);
  }
  /* When phases on the caller alone (a small input quantize, ...) come
   * before the first parallel one, a wake-up hint (n = 0) first: sleeping
   * workers start 30-80 us after they are woken, and now do so while the
   * caller computes. */
  LLVMValueRef first_alone = NULL;
  for (int i = 0; par && i < 2 * g->num_nodes; i++) {
    LLVMValueRef kf = i % 2 ? m->nodes[i / 2] : m->pre[i / 2];
    int64_t extent = i % 2 ? m->extent[i / 2] : m->pre_extent[i / 2];
    if (!kf)
      continue;
    if (extent > 1 && work_of(g->nodes[i / 2]) >= PARALLEL_MIN_WORK) {
      if (first_alone) {
        LLVMValueRef a[4] = {pool, first_alone, frame, em_i64(e, 0)};
        LLVMBuildCall2(e->b, pf_t, pf, a, 4, "");
      }
      break;
    }
    if (!first_alone)
      first_alone = kf;
  }
  for (int i = 0; i < 2 * g->num_nodes; i++) {
    LLVMValueRef kf = i % 2 ? m->nodes[i / 2] : m->pre[i / 2];
    int64_t extent = i % 2 ? m->extent[i / 2] : m->pre_extent[i / 2];
    if (!kf)
      continue;
    /* A phase too small to repay waking other threads runs on the caller
     * (the split never changes results, only who computes them). */
    if (par && extent > 1 && work_of(g->nodes[i / 2]) >= PARALLEL_MIN_WORK) {
      LLVMValueRef a[4] = {pool, kf, frame, em_i64(e, extent)};
      LLVMBuildCall2(e->b, pf_t, pf, a, 4, "");
    } else {
      LLVMValueRef a[3] = {frame, em_i64(e, 0), em_i64(e, extent)};
      LLVMBuildCall2(e->b, m->node_fn_t, kf, a, 3, "");
    }
  }
  /* Kernels wrote each computed output straight into its caller's buffer
   * (the first, if one tensor is listed twice); what is left to copy is
   * a graph input or constant given back as an output, and repeats. */
  for (int i = 0; i < no; i++) {
    const Tensor *t = m->outs[i];
    int first = 0;
    while (m->outs[first] != t)
      first++;
    if (t->kind == TK_VALUE && first == i)
      continue;
    LLVMValueRef src = t->kind == TK_VALUE ? args[ni + first]
                                           : operand_ptr_in_entry(m, args, const_globals, t);
    LLVMBuildMemCpy(e->b, args[ni + i], 4, src, 4, em_i64(e, ir_tensor_nbytes(t)));
  }
  LLVMValueRef st = LLVMBuildLoad2(e->b, e->i32, status, "");
  LLVMSetOrdering(st, LLVMAtomicOrderingMonotonic);
  LLVMSetAlignment(st, 4);
  LLVMBuildRet(e->b, st);
  free(args);
  return fn;
}

static void set_target_attrs(Emit *e, LLVMValueRef fn, TargetKind t) {
  (void)e;
  const TargetInfo *ti = target_info(t);
  LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", ti->cpu);
  if (*ti->features)
    LLVMAddTargetDependentFunctionAttr(fn, "target-features", ti->features);
}

/* <prefix>_run[_parallel]: the variant the CPU can run (m->variants, best
 * first; the last one runs anywhere). */
static void dispatcher(Module *m, int par, LLVMValueRef entries[MAX_VARIANTS][2]) {
  Emit *e = &m->e;
  LLVMValueRef level_fn = cpu_level_fn(e);
  LLVMTypeRef ft = LLVMGlobalGetValueType(entries[0][par]);
  char name[200];
  snprintf(name, sizeof name, "%s_run%s", m->opts->symbol_prefix, par ? "_parallel" : "");
  LLVMValueRef fn = LLVMAddFunction(e->mod, name, ft);
  em_begin_function(e, fn);
  unsigned np = LLVMCountParams(fn);
  LLVMValueRef *args = malloc(sizeof(LLVMValueRef) * (np + 1));
  for (unsigned i = 0; i < np; i++)
    args[i] = LLVMGetParam(fn, i);
  LLVMValueRef level = LLVMBuildCall2(e->b, LLVMGlobalGetValueType(level_fn),
                                      level_fn, NULL, 0, "level");
  int nv = m->num_variants;
  LLVMBasicBlockRef bb[MAX_VARIANTS];
  for (int v = 0; v < nv; v++)
    bb[v] = LLVMAppendBasicBlockInContext(e->ctx, fn, backend_target_name(m->variants[v]));
  LLVMValueRef sw = LLVMBuildSwitch(e->b, level, bb[nv - 1], (unsigned)nv - 1);
  for (int v = 0; v < nv - 1; v++)
    LLVMAddCase(sw, em_i32(e, target_info(m->variants[v])->cpu_level), bb[v]);
  for (int v = 0; v < nv; v++) {
    LLVMPositionBuilderAtEnd(e->b, bb[v]);
    LLVMBuildRet(e->b, LLVMBuildCall2(e->b, ft, entries[v][par], args, np, ""));
  }
  free(args);
}

static LLVMValueRef cstring(Emit *e, const char *prefix, const char *what,
                            const char *s);

/* const char *<prefix>_target(void): the code path calls run on: the
 * fixed target, or for multi the variant this CPU gets. */
static void target_query(Module *m) {
  Emit *e = &m->e;
  const char *p = m->opts->symbol_prefix;
  char name[200];
  snprintf(name, sizeof name, "%s_target", p);
  LLVMValueRef level_fn = m->num_variants > 1 ? cpu_level_fn(e) : NULL;
  LLVMValueRef fn = LLVMAddFunction(e->mod, name, LLVMFunctionType(e->ptr, NULL, 0, 0));
  em_begin_function(e, fn);
  if (!level_fn) {
    LLVMBuildRet(e->b, cstring(e, p, "selected", backend_target_name(m->opts->target)));
    return;
  }
  LLVMValueRef level = LLVMBuildCall2(e->b, LLVMGlobalGetValueType(level_fn),
                                      level_fn, NULL, 0, "level");
  int nv = m->num_variants;
  LLVMValueRef r = cstring(e, p, "v0", backend_target_name(m->variants[nv - 1]));
  for (int v = nv - 2; v >= 0; v--) {
    const TargetInfo *ti = target_info(m->variants[v]);
    char what[8];
    snprintf(what, sizeof what, "v%d", ti->cpu_level);
    LLVMValueRef sv = cstring(e, p, what, ti->name);
    LLVMValueRef is = LLVMBuildICmp(e->b, LLVMIntEQ, level, em_i32(e, ti->cpu_level), "");
    r = LLVMBuildSelect(e->b, is, sv, r, "");
  }
  LLVMBuildRet(e->b, r);
}

/* <prefix>_run_args(ws, args): <prefix>_run with its data pointers taken
 * from one array (inputs, then outputs). */
static void entry_point_args(Module *m) {
  Emit *e = &m->e;
  int n = m->g->num_inputs + m->num_outs;
  char name[256];
  snprintf(name, sizeof name, "%s_run", m->opts->symbol_prefix);
  LLVMValueRef run = LLVMGetNamedFunction(e->mod, name);
  LLVMTypeRef run_t = LLVMGlobalGetValueType(run);
  snprintf(name, sizeof name, "%s_run_args", m->opts->symbol_prefix);
  LLVMTypeRef pt[2] = {e->ptr, e->ptr};
  LLVMValueRef fn = LLVMAddFunction(e->mod, name, LLVMFunctionType(e->i32, pt, 2, 0));
  em_begin_function(e, fn);
  LLVMValueRef *a = malloc(sizeof(LLVMValueRef) * (size_t)(n + 1));
  a[0] = LLVMGetParam(fn, 0);
  LLVMValueRef arr = LLVMGetParam(fn, 1);
  for (int i = 0; i < n; i++)
    a[1 + i] = LLVMBuildLoad2(e->b, e->ptr, em_elem(e, e->ptr, arr, em_i64(e, i)), "");
  LLVMBuildRet(e->b, LLVMBuildCall2(e->b, run_t, run, a, (unsigned)(n + 1), ""));
  free(a);
}

/* ---- the descriptor ------------------------------------------------------- */

static LLVMValueRef cstring(Emit *e, const char *prefix, const char *what,
                            const char *s) {
  char name[256];
  snprintf(name, sizeof name, "%s.str.%s", prefix, what);
  return em_const_bytes(e, name, s, strlen(s) + 1);
}

static LLVMValueRef tensor_infos(Emit *e, const char *prefix, const char *what,
                                 Tensor *const *ts, int n, LLVMTypeRef ti_t) {
  LLVMValueRef *rows = malloc(sizeof(LLVMValueRef) * (size_t)(n + 1));
  for (int i = 0; i < n; i++) {
    const Tensor *t = ts[i];
    LLVMValueRef dims[8];
    for (int r = 0; r < 8; r++)
      dims[r] = em_i64(e, r < t->rank ? t->dims[r] : 0);
    char key[64];
    snprintf(key, sizeof key, "%s%d", what, i);
    LLVMValueRef f[5] = {cstring(e, prefix, key, t->name),
                         LLVMConstArray2(e->i64, dims, 8),
                         em_i64(e, ir_tensor_nbytes(t)), em_i32(e, t->rank),
                         em_i32(e, 0)};
    rows[i] = LLVMConstNamedStruct(ti_t, f, 5);
  }
  LLVMValueRef arr = LLVMConstArray2(ti_t, rows, (uint64_t)n);
  free(rows);
  char name[256];
  snprintf(name, sizeof name, "%s.%s", prefix, what);
  LLVMValueRef gv = LLVMAddGlobal(e->mod, LLVMTypeOf(arr), name);
  LLVMSetInitializer(gv, arr);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return gv;
}

static void descriptor(Module *m, int int8_nodes, int f32_nodes) {
  Emit *e = &m->e;
  const Graph *g = m->g;
  const char *p = m->opts->symbol_prefix;
  LLVMTypeRef ti_t = LLVMStructCreateNamed(e->ctx, "qcc_tensor_info");
  LLVMTypeRef ti_f[5] = {e->ptr, LLVMArrayType2(e->i64, 8), e->i64, e->i32, e->i32};
  LLVMStructSetBody(ti_t, ti_f, 5, 0);
  LLVMTypeRef qi_t = LLVMStructCreateNamed(e->ctx, "qcc_quant_info");
  LLVMTypeRef qi_f[3] = {e->ptr, e->f32, e->i32};
  LLVMStructSetBody(qi_t, qi_f, 3, 0);
  LLVMTypeRef mi_t = LLVMStructCreateNamed(e->ctx, "qcc_model_info");
  LLVMTypeRef mi_f[15] = {e->ptr, e->ptr, e->ptr, e->ptr, e->ptr, e->ptr, e->ptr,
                          e->ptr, e->i64, e->i64, e->i32, e->i32, e->i32, e->i32, e->i32};
  LLVMStructSetBody(mi_t, mi_f, 15, 0);

  int nq = 0;
  LLVMValueRef *qrows = malloc(sizeof(LLVMValueRef) * ((size_t)g->num_tensors + 1));
  for (int i = 0; i < g->num_tensors; i++) {
    const Tensor *t = g->tensors[i];
    if (t->kind != TK_VALUE || t->dtype != DT_U8 || !t->quant || t->quant->count != 1)
      continue;
    char key[64];
    snprintf(key, sizeof key, "q%d", nq);
    LLVMValueRef f[3] = {cstring(e, p, key, t->name), LLVMConstReal(e->f32, t->quant->scale[0]),
                         em_i32(e, t->quant->zero_point[0])};
    qrows[nq++] = LLVMConstNamedStruct(qi_t, f, 3);
  }
  LLVMValueRef qarr = LLVMConstArray2(qi_t, qrows, (uint64_t)nq);
  free(qrows);
  char name[256];
  snprintf(name, sizeof name, "%s.quant", p);
  LLVMValueRef qg = LLVMAddGlobal(e->mod, LLVMTypeOf(qarr), name);
  LLVMSetInitializer(qg, qarr);
  LLVMSetGlobalConstant(qg, 1);
  LLVMSetLinkage(qg, LLVMPrivateLinkage);

  LLVMValueRef f[15] = {
      cstring(e, p, "name", g->name), cstring(e, p, "version", QCC_VERSION_STRING),
      cstring(e, p, "source", m->opts->source ? m->opts->source : ""),
      cstring(e, p, "hash", m->opts->source_hash ? m->opts->source_hash : ""),
      cstring(e, p, "target", backend_target_name(m->opts->target)),
      tensor_infos(e, p, "inputs", g->inputs, g->num_inputs, ti_t),
      tensor_infos(e, p, "outputs", g->outputs, g->num_outputs, ti_t), qg,
      em_i64(e, m->plan.size), em_i64(e, 64), em_i32(e, g->num_inputs),
      em_i32(e, g->num_outputs), em_i32(e, nq), em_i32(e, int8_nodes),
      em_i32(e, f32_nodes)};
  snprintf(name, sizeof name, "%s_info", p);
  LLVMValueRef info = LLVMAddGlobal(e->mod, mi_t, name);
  LLVMSetInitializer(info, LLVMConstNamedStruct(mi_t, f, 15));
  LLVMSetGlobalConstant(info, 1);
}

/* ---- compile ---------------------------------------------------------------- */

static bool is_int8_node(const Node *n) {
  for (int i = 0; i < n->num_inputs; i++)
    if (n->inputs[i]->dtype == DT_U8)
      return true;
  return n->num_outputs > 0 && n->outputs[0]->dtype == DT_U8;
}

static char *buffer_text(LLVMMemoryBufferRef buf, size_t *size) {
  size_t n = LLVMGetBufferSize(buf);
  char *p = malloc(n + 1);
  if (!p)
    QCC_DIE("out of memory");
  memcpy(p, LLVMGetBufferStart(buf), n);
  p[n] = 0;
  if (size)
    *size = n;
  LLVMDisposeMemoryBuffer(buf);
  return p;
}

/* The graph's outputs, plus (opts->observe) every observed tensor once. */
static Tensor **entry_outputs(const Graph *g, const BackendOptions *opts,
                              int *count) {
  Tensor **outs = malloc(sizeof(Tensor *) * ((size_t)(g->num_outputs + g->num_nodes) + 1));
  if (!outs)
    QCC_DIE("out of memory");
  int n = 0;
  for (int i = 0; i < g->num_outputs; i++)
    outs[n++] = g->outputs[i];
  for (int i = 0; opts->observe && i < g->num_nodes; i++) {
    const Node *o = g->nodes[i];
    if (o->op != OP_OBSERVE)
      continue;
    bool seen = false;
    for (int k = g->num_outputs; k < n; k++)
      seen |= outs[k] == o->inputs[0];
    if (!seen)
      outs[n++] = o->inputs[0];
  }
  *count = n;
  return outs;
}

/* A concat whose every operand a conv stored in its slice (memplan's
 * slice_into) gets no kernel; its output keeps its buffer. */
static bool concat_copies_nothing(const MemPlan *p, const Node *n) {
  if (n->op != OP_CONCAT)
    return false;
  for (int j = 0; j < n->num_inputs; j++)
    if (p->slice_into[n->inputs[j]->id] != n->outputs[0]->id)
      return false;
  return true;
}

/* Builds, verifies and optimizes the module of g in ctx for tm. On success
 * *mod holds it and *m the facts the callers report. */
int module_build(const Graph *g, const BackendOptions *opts,
                        LLVMContextRef ctx, LLVMTargetMachineRef tm,
                        LLVMModuleRef *mod_out, int64_t *workspace,
                        BackendOutput *facts, Diag *d) {
  for (int i = 0; i < g->num_inputs; i++)
    if (g->inputs[i]->dtype != DT_F32)
      return diag_error(d, g->inputs[i]->loc, "input '%s' must be f32",
                        g->inputs[i]->name);
  for (int i = 0; i < g->num_outputs; i++)
    if (g->outputs[i]->dtype != DT_F32)
      return diag_error(d, g->outputs[i]->loc, "output '%s' must be f32",
                        g->outputs[i]->name);
  int nn = g->num_nodes;
  const KernelSpec **spec = calloc((size_t)nn + 1, sizeof *spec);
  int64_t *scratch = calloc((size_t)nn + 1, sizeof(int64_t));
  bool *fused = calloc((size_t)nn + 1, sizeof(bool)); /* kernel_fused_away */
  if (!spec || !scratch || !fused)
    QCC_DIE("out of memory");
  /* One set of node functions and entry points per variant; multi emits
   * three, each with its CPU and features as function attributes, and a
   * cpuid dispatcher in front. */
  TargetKind variants[MAX_VARIANTS];
  int nv = target_variants(opts->target, variants);
  int rc = 0;
  for (int i = 0; i < nn && !rc; i++) {
    const Node *n = g->nodes[i];
    if (n->op == OP_OBSERVE && opts->observe)
      continue;
    spec[i] = kernel_for(n);
    fused[i] = spec[i] && kernel_fused_away(g, n);
    if (fused[i]) {
      spec[i] = NULL; /* its reader's pack quantizes */
      continue;
    }
    if (!spec[i])
      rc = diag_error(d, n->loc, "%s '%s': the backend has no kernel for it "
                      "on %s", op_info(n->op)->name, n->name,
                      n->num_inputs && n->inputs[0]->dtype == DT_F32 ? "f32" : "u8");
    else if (uses_nhwc(n) && !(spec[i]->takes_layouts && spec[i]->takes_layouts(n)))
      rc = diag_error(d, n->loc, "%s '%s': its kernel (%s) has no form for these "
                      "layouts (docs/backend.md, \"Layout of int8 activations\")",
                      op_info(n->op)->name, n->name, spec[i]->name);
    else if (spec[i]->scratch)
      for (int v = 0; v < nv; v++) { /* the variants share the workspace */
        int64_t bytes = spec[i]->scratch(g, n, variants[v]);
        if (bytes > scratch[i])
          scratch[i] = bytes;
      }
  }
  Module m = {0};
  m.g = g;
  m.opts = opts;
  m.outs = entry_outputs(g, opts, &m.num_outs);
  memcpy(m.variants, variants, sizeof variants);
  m.num_variants = nv;
  bool *in_place = calloc((size_t)nn + 1, sizeof(bool));
  if (!in_place)
    QCC_DIE("out of memory");
  for (int i = 0; i < nn; i++)
    in_place[i] = spec[i] && spec[i]->in_place;
  MemSlice *slices = malloc(sizeof(MemSlice) * ((size_t)g->num_tensors + 1));
  if (!slices)
    QCC_DIE("out of memory");
  for (int i = 0; i < g->num_tensors; i++) {
    int64_t channel;
    const Tensor *t = g->tensors[i];
    const Node *cat = t->kind == TK_VALUE ? kernel_concat_slice(g, t, &channel) : NULL;
    slices[i].into = cat ? cat->outputs[0]->id : -1;
    slices[i].offset = cat ? channel : 0; /* u8: a byte per channel */
  }
  /* Conv results stored as their reader convs' padded input, border
   * included (kernel_stored_padded). */
  int64_t *stored = calloc((size_t)g->num_tensors + 1, sizeof(int64_t));
  if (!stored)
    QCC_DIE("out of memory");
  int num_padded = 0;
  for (int i = 0; i < g->num_tensors; i++) {
    StoredPads sp;
    const Tensor *t = g->tensors[i];
    if (t->kind != TK_VALUE || !kernel_stored_padded(g, t, &sp))
      continue;
    /* and the bytes an AMX tile's last K chunk reads past the last row
     * (kernels_conv_blocked.c, with_tile_rows) */
    stored[i] = t->dims[0] * (t->dims[2] + sp.pt + sp.pb) * (t->dims[3] + sp.pl + sp.pr) * t->dims[1] +
                TILE_SLACK;
    num_padded++;
  }
  if (!rc && memplan_build(g, scratch, (const Tensor *const *)m.outs, m.num_outs,
                           in_place, fused, slices, stored, &m.plan))
    rc = diag_error(d, srcloc(g->source_path, 0, 0), "workspace too large");
  free(in_place);
  free(slices);
  free(stored);
  for (int i = 0; !rc && i < nn; i++) /* planned with its buffer; nothing to run */
    if (spec[i] && concat_copies_nothing(&m.plan, g->nodes[i]))
      spec[i] = NULL;
  if (rc) {
    free(spec);
    free(scratch);
    free(fused);
    free(m.outs);
    return -1;
  }
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(g->name, ctx);
  LLVMSetTarget(mod, "x86_64-pc-linux-gnu");
  LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
  char *dl = LLVMCopyStringRepOfTargetData(layout);
  LLVMSetDataLayout(mod, dl);
  LLVMDisposeMessage(dl);
  LLVMDisposeTargetData(layout);
  em_init(&m.e, ctx, mod);
  Emit *e = &m.e;
  LLVMTypeRef np[3] = {e->ptr, e->i64, e->i64};
  m.node_fn_t = LLVMFunctionType(e->void_t, np, 3, 0);
  m.nodes = calloc((size_t)nn + 1, sizeof(LLVMValueRef));
  m.extent = calloc((size_t)nn + 1, sizeof(int64_t));
  m.pre = calloc((size_t)nn + 1, sizeof(LLVMValueRef));
  m.pre_extent = calloc((size_t)nn + 1, sizeof(int64_t));
  LLVMValueRef *const_globals = calloc((size_t)g->num_tensors + 1, sizeof(LLVMValueRef));
  if (!m.nodes || !m.extent || !m.pre || !m.pre_extent || !const_globals)
    QCC_DIE("out of memory");
  int int8_nodes = 0, f32_nodes = 0, kernels = 0;
  for (int i = 0; i < nn; i++) {
    /* a quantize its reader's pack does is still an int8 node of the model */
    if (spec[i] || fused[i]) {
      int8_nodes += is_int8_node(g->nodes[i]);
      f32_nodes += !is_int8_node(g->nodes[i]);
    }
    kernels += spec[i] != NULL;
  }
  LLVMValueRef entries[MAX_VARIANTS][2] = {{NULL}};
  for (int v = 0; v < nv && !rc; v++) {
    char vprefix[160];
    if (nv > 1)
      snprintf(vprefix, sizeof vprefix, "%s.%s", opts->symbol_prefix,
               backend_target_name(variants[v]));
    else
      snprintf(vprefix, sizeof vprefix, "%s", opts->symbol_prefix);
    for (int i = 0; i < nn && !rc; i++) {
      const Node *n = g->nodes[i];
      m.nodes[i] = m.pre[i] = NULL;
      if (!spec[i])
        continue; /* an observe node of a calibration build, a concat with nothing to copy */
      for (int phase = spec[i]->emit_pre ? 0 : 1; phase < 2 && !rc; phase++) {
        char name[300], kname[96];
        kernel_symbol(spec[i], n, variants[v], kname, sizeof kname);
        snprintf(name, sizeof name, "%s.node%d.%s%s", vprefix, i, kname,
                 phase ? "" : ".pre");
        LLVMValueRef fn = LLVMAddFunction(mod, name, m.node_fn_t);
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        /* Every node keeps its own symbol, so profiles and the assembly
         * show each layer's kernel; a call per node costs nothing. */
        LLVMAddAttributeAtIndex(
            fn, LLVMAttributeFunctionIndex,
            LLVMCreateEnumAttribute(e->ctx, LLVMGetEnumAttributeKindForName("noinline", 8), 0));
        if (nv > 1)
          set_target_attrs(e, fn, variants[v]);
        if (phase) {
          m.nodes[i] = fn;
          m.extent[i] = spec[i]->extent(n);
        } else {
          m.pre[i] = fn;
          m.pre_extent[i] = spec[i]->pre_extent(n);
        }
        em_begin_function(e, fn);
        KernelCtx k = {.e = e,
                       .n = n,
                       .target = variants[v],
                       .plan = &m.plan,
                       .g = g,
                       .frame = LLVMGetParam(fn, 0),
                       .outs = (const Tensor *const *)m.outs,
                       .num_outs = m.num_outs,
                       .begin = LLVMGetParam(fn, 1),
                       .end = LLVMGetParam(fn, 2),
                       .const_globals = const_globals,
                       .prefix = opts->symbol_prefix};
        if (m.plan.scratch_offset[i] >= 0) {
          LLVMValueRef ws = LLVMBuildLoad2(e->b, e->ptr, k.frame, "ws");
          k.scratch = em_elem(e, e->i8, ws, em_i64(e, m.plan.scratch_offset[i]));
        }
        rc = phase ? spec[i]->emit(&k, d) : spec[i]->emit_pre(&k, d);
        LLVMBuildRetVoid(e->b);
        if (k.no_code && !phase) { /* no packing to do on this variant */
          LLVMDeleteFunction(fn);
          m.pre[i] = NULL;
        }
      }
    }
    if (rc)
      break;
    for (int par = 0; par < 2; par++) {
      char name[200];
      snprintf(name, sizeof name, "%s_run%s", vprefix, par ? "_parallel" : "");
      entries[v][par] = entry_point(&m, par, const_globals, name);
      if (nv > 1) {
        LLVMSetLinkage(entries[v][par], LLVMInternalLinkage);
        set_target_attrs(e, entries[v][par], variants[v]);
      }
    }
  }
  if (!rc) {
    if (nv > 1)
      for (int par = 0; par < 2; par++)
        dispatcher(&m, par, entries);
    entry_point_args(&m);
    target_query(&m);
    descriptor(&m, int8_nodes, f32_nodes);
    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
      QCC_DIE("generated module does not verify: %s", msg);
    LLVMDisposeMessage(msg);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>",
             opts->opt_level < 0 ? 0 : opts->opt_level > 3 ? 3 : opts->opt_level);
    LLVMErrorRef err = LLVMRunPasses(mod, pipeline, tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    if (err) {
      char *es = LLVMGetErrorMessage(err);
      QCC_DIE("LLVM optimization failed: %s", es);
    }
    *workspace = m.plan.size;
    *mod_out = mod;
    if (facts) {
      facts->workspace_naive = m.plan.naive_size;
      facts->num_in_place = m.plan.num_in_place;
      facts->num_sliced = m.plan.num_sliced;
      facts->num_padded = num_padded;
      facts->num_on_tiles = facts->num_off_tiles = 0;
      for (int i = 0; i < nn; i++) {
        int on = spec[i] ? backend_tile_choice(g->nodes[i], opts->target) : -1;
        facts->num_on_tiles += on == 1;
        facts->num_off_tiles += on == 0;
      }
      facts->num_kernels = kernels;
      facts->num_fused = 0;
      for (int i = 0; i < nn; i++)
        facts->num_fused += fused[i];
    }
  } else {
    LLVMDisposeModule(mod);
  }
  em_dispose(e);
  memplan_free(&m.plan);
  free(m.nodes);
  free(m.extent);
  free(m.pre);
  free(m.pre_extent);
  free(m.outs);
  free(const_globals);
  free(spec);
  free(scratch);
  free(fused);
  return rc ? -1 : 0;
}

int backend_compile(const Graph *g, const BackendOptions *opts, int emit,
                    BackendOutput *out, Diag *d) {
  memset(out, 0, sizeof *out);
  LLVMTargetMachineRef tm = target_machine(opts->target, opts->opt_level, d);
  if (!tm)
    return -1;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = NULL;
  int64_t ws = 0;
  int rc = module_build(g, opts, ctx, tm, &mod, &ws, out, d);
  if (!rc) {
    if (emit & BACKEND_EMIT_LLVM) {
      char *t = LLVMPrintModuleToString(mod);
      out->llvm_text = strdup(t);
      LLVMDisposeMessage(t);
    }
    LLVMMemoryBufferRef buf;
    char *emsg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &emsg, &buf))
      QCC_DIE("LLVM could not emit an object file: %s", emsg);
    out->object = buffer_text(buf, &out->object_size);
    if (emit & BACKEND_EMIT_ASM) {
      if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMAssemblyFile, &emsg, &buf))
        QCC_DIE("LLVM could not emit assembly: %s", emsg);
      out->asm_text = buffer_text(buf, NULL);
    }
    out->workspace_size = ws;
    out->header = backend_header_text(g, opts, ws);
    LLVMDisposeModule(mod);
  }
  LLVMContextDispose(ctx);
  LLVMDisposeTargetMachine(tm);
  return rc;
}

void backend_output_free(BackendOutput *out) {
  free(out->object);
  free(out->asm_text);
  free(out->llvm_text);
  free(out->header);
  memset(out, 0, sizeof *out);
}
