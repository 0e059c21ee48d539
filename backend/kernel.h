/* The kernel API: what a kernel (kernels_*.c) sees of the module being
 * built (module.c) and what it tells it. The kernels depend on this
 * header alone; the module builder reaches them through the kernel list
 * (kernel_list.h). A kernel writes the body of one node function
 *
 *   void node(ptr frame, i64 begin, i64 end)
 *
 * computing the part [begin, end) of its parallel extent: whole output
 * elements per index, so any split gives the same bits. */
#ifndef QCC_BACKEND_KERNEL_H
#define QCC_BACKEND_KERNEL_H

#include "backend.h"
#include "emit.h"
#include "memplan.h"

typedef struct KernelCtx {
  Emit *e;
  const Node *n;
  TargetKind target;
  const MemPlan *plan;
  const Graph *g;
  LLVMValueRef frame;      /* ptr: [0] workspace, [1 + k] graph input k,
                             [1 + inputs] the run's i32 status word,
                             [2 + inputs + k] the caller's buffer of
                             entry output k */
  const Tensor *const *outs; /* the entry point's outputs */
  int num_outs;
  LLVMValueRef begin, end; /* i64 */
  LLVMValueRef scratch;    /* ptr into the workspace, or NULL */
  LLVMValueRef *const_globals; /* per tensor id, created on demand */
  const char *prefix;
  /* Set by an emit_pre that has nothing to do on this target (a conv
   * reading its input where its producer stored it padded,
   * kernel_stored_padded): the module drops the phase. */
  bool no_code;
} KernelCtx;

/* Where tensor t's elements are, inside the node function. */
LLVMValueRef kc_tensor(KernelCtx *k, const Tensor *t);
/* The tensor whose buffer holds t (the concat output t is a slice of,
 * channels innermost), or NULL. */
const Tensor *kc_slice_into(const KernelCtx *k, const Tensor *t);
LLVMTypeRef kc_elt(const KernelCtx *k, DType dt);
/* Where the i1 `flag` is true, sets the run's status word to `code` (a
 * QCC_STATUS_* of qcc_runtime.h), which the entry point returns. */
void kc_flag_status(KernelCtx *k, LLVMValueRef flag, int code);
/* QCC_STATUS_NONFINITE_INPUT where the i8 variable `seen`
 * (em_note_nonfinite) is set. */
void kc_flag_nonfinite(KernelCtx *k, LLVMValueRef seen);
/* The private global holding constant t, created once per module
 * (globals: one slot per tensor id); the entry points that give a
 * constant back as an output share it. */
LLVMValueRef kernel_const_global(Emit *e, const char *prefix, LLVMValueRef *globals,
                                 const Tensor *t);
/* A private constant global with bytes prepared by a kernel (packed
 * weights, tables); `what` names it. */
LLVMValueRef kc_const(KernelCtx *k, const char *what, const void *data,
                      size_t n);

/* A named form of a kernel: what `qcc kernels` lists, and the node
 * functions' symbols (XNNPACK's grammar: <types>_<op>_ukernel[_<tile>]
 * __<isa>, the <...> filled per node and target; <f32_isa> is the
 * target's f32 step's ISA). */
typedef struct KernelForm {
  const char *grammar;  /* e.g. "qu8_conv_minmax_fp32_ukernel_<MR>x<NR>c<k>__<isa>" */
  const char *computes; /* what it computes, one line */
  /* Its parameters on t as "key=value ..." (register tile, vector
   * widths), or false where it has no code for t. NULL: every target, no
   * parameters of its own. */
  bool (*params)(TargetKind t, char *buf, size_t len);
} KernelForm;

typedef struct KernelSpec {
  const char *name;                /* for diagnostics; symbols add __<isa> */
  /* Dispatch: whether this kernel computes n (the kernel list asks its
   * kernels in order; the first that takes a node computes it). */
  bool (*takes)(const Node *n);
  KernelForm forms[3];             /* forms[0] required; describe picks */
  int64_t (*extent)(const Node *n); /* the parallel extent, >= 1 */
  int64_t (*scratch)(const Graph *g, const Node *n, TargetKind t); /* bytes, may be NULL */
  int (*emit)(KernelCtx *k, Diag *d);
  /* Optional phase run before emit (e.g. packing the input), with its own
   * parallel extent; it sees the same scratch. */
  int64_t (*pre_extent)(const Node *n);
  int (*emit_pre)(KernelCtx *k, Diag *d);
  /* Element i of the result depends only on element i of each input, read
   * before it is written: the result may overwrite input 0. */
  bool in_place;
  /* Optional: the symbol of this node's code on t, one of the forms
   * filled in (its register tile, e.g.
   * qu8_conv_minmax_fp32_ukernel_6x16c2__avx2); NULL: name__<isa>. */
  void (*describe)(const Node *n, TargetKind t, char *buf, size_t len);
  /* Whether the kernel reads and writes n's tensors in their layouts
   * (Tensor.layout); NULL: NCHW only. */
  bool (*takes_layouts)(const Node *n);
} KernelSpec;

/* Whether the blocked conv computes n on AMX tiles on target t (the
 * layers that fill them, on avx512amx and avx512amx-emulated). */
bool kernel_on_tiles(const Node *n, TargetKind t);
/* Fusion: the quantize a blocked conv's pack does itself (its input's
 * producer, when that quantize has no other reader), or NULL; and
 * whether node n is such a quantize (it gets no kernel). */
const Node *kernel_fused_quantize(const Graph *g, const Node *conv);
bool kernel_fused_away(const Graph *g, const Node *n);
/* A conv's u8 NHWC result t stored as its readers' packed input
 * (padded_storage.c): every reader a blocked conv or an NHWC depthwise
 * conv taking it as input 0, all with one padding, which t's buffer then
 * includes ([N][H + pt + pb][W + pl + pr][C], the border holding t's zero
 * point, written by the producer: a blocked conv, or an NHWC depthwise
 * conv where the padding is none). True and the padding in *pads, or
 * false: t stored as it is. C must be a multiple of 4, so that every
 * step's packed channels are C. */
typedef struct StoredPads {
  int64_t pt, pl, pb, pr;
} StoredPads;
bool kernel_stored_padded(const Graph *g, const Tensor *t, StoredPads *pads);
/* The concat whose output slice a blocked conv's result t is to be
 * stored in (from channel *channel on, at the concat's pixel stride), or
 * NULL: the module's decision, which the memory plan records
 * (kc_slice_into) and the kernels follow. */
const Node *kernel_concat_slice(const Graph *g, const Tensor *t, int64_t *channel);

/* Helpers shared by the kernel files. */
int64_t kernel_extent_numel(const Node *n); /* elements of output 0 */
/* Loops over [begin, end) and returns the index (the builder is in the
 * body); close with em_loop_end. */
LLVMValueRef kernel_range(KernelCtx *k, Loop *l);
/* NHWC kernels' channels per vector: `lanes`, or the largest power of two
 * that C holds (C = 3 takes 2), so that every vector lies inside one
 * pixel; a C that is not a multiple ends with the vector that finishes it,
 * overlapping the one before (the same values are stored twice). */
unsigned kernel_channel_vector(unsigned lanes, int64_t C);
/* Whether n reads input 0 and writes output 0 in the same layout. */
bool kernel_same_layouts(const Node *n);
/* Whether every rank-4 operand of n has one layout and, for an
 * elementwise op on NHWC, the output's shape (its kernel then needs no
 * broadcasting and walks the elements in their stored order). */
bool kernel_one_layout(const Node *n);

#endif
