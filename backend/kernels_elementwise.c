/* Elementwise kernels: float activations, float and quantized binary ops
 * with NumPy broadcasting, quantize/dequantize, lut, batch_norm, and
 * softmax (one row per index). Float code mirrors interp/ref_elementwise.c
 * in f32; the int8 ops follow docs/quantization.md operation for
 * operation (no fused multiply-add), so they match interp/qref_*.c bit for
 * bit. The parallel extent is the number of output elements (softmax:
 * rows), and each index is one whole output element. */
#include <math.h>
#include <stdlib.h>

#include "kernel.h"
#include "qcc_runtime.h"
#include "quant_math.h"
#include "unary.h"

static float attr_f(const Node *n, AttrKey k, float dflt) {
  return ir_node_attr(n, k) ? (float)ir_attr_float(n, k) : dflt;
}

/* ---- unary float ---------------------------------------------------------- */

static LLVMValueRef sel_gt(Emit *e, LLVMValueRef a, LLVMValueRef b,
                           LLVMValueRef t, LLVMValueRef f) {
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, a, b, ""), t,
                         f, "");
}
static LLVMValueRef sel_lt(Emit *e, LLVMValueRef a, LLVMValueRef b,
                           LLVMValueRef t, LLVMValueRef f) {
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, a, b, ""), t,
                         f, "");
}
/* v < lo ? lo : v > hi ? hi : v (the interpreter's clamp, NaN passes). */
static LLVMValueRef clampf(Emit *e, LLVMValueRef v, float lo, float hi) {
  LLVMValueRef l = em_f32(e, lo), h = em_f32(e, hi);
  return sel_lt(e, v, l, l, sel_gt(e, v, h, h, v));
}

static LLVMValueRef sigmoid(Emit *e, LLVMValueRef v) {
  LLVMValueRef ex = em_libm_f32(e, "expf", LLVMBuildFNeg(e->b, v, ""));
  return LLVMBuildFDiv(e->b, em_f32(e, 1.0f),
                       LLVMBuildFAdd(e->b, em_f32(e, 1.0f), ex, ""), "");
}

/* unary.def's expression language, emitted in double (the interpreter's
 * evaluation, operation for operation: no fast-math flags, so nothing is
 * fused or reassociated; the same libm functions). */
static LLVMValueRef dsel(Emit *e, LLVMRealPredicate pred, LLVMValueRef p,
                         LLVMValueRef q, LLVMValueRef t, LLVMValueRef f) {
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, pred, p, q, ""), t, f, "");
}
/* A libm call LLVM must not rewrite (pow(x, -1) into 1 / x, sqrt into
 * sqrtsd, ...): the interpreter calls the very same function. */
static LLVMValueRef libm_call(Emit *e, const char *name, LLVMValueRef *args,
                              unsigned n) {
  LLVMTypeRef params[2] = {e->f64, e->f64};
  LLVMTypeRef ft = LLVMFunctionType(e->f64, params, n, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
  if (!fn)
    fn = LLVMAddFunction(e->mod, name, ft);
  LLVMValueRef call = LLVMBuildCall2(e->b, ft, fn, args, n, "");
  unsigned kind = LLVMGetEnumAttributeKindForName("nobuiltin", 9);
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(e->ctx, kind, 0));
  return call;
}
static LLVMValueRef dlibm(Emit *e, const char *name, LLVMValueRef x) {
  return libm_call(e, name, &x, 1);
}

static LLVMValueRef dpow(Emit *e, LLVMValueRef x, LLVMValueRef y) {
  LLVMValueRef v[2] = {x, y};
  return libm_call(e, "pow", v, 2);
}

static LLVMValueRef unary_in_double(Emit *e, const Node *n, LLVMValueRef v) {
  double a, b;
  ir_unary_params(n, &a, &b);
  LLVMValueRef x = LLVMBuildFPExt(e->b, v, e->f64, "");
#define X x
#define A LLVMConstReal(e->f64, a)
#define B LLVMConstReal(e->f64, b)
#define C(k) LLVMConstReal(e->f64, (double)(k))
#define ADD(p, q) LLVMBuildFAdd(e->b, p, q, "")
#define SUB(p, q) LLVMBuildFSub(e->b, p, q, "")
#define MUL(p, q) LLVMBuildFMul(e->b, p, q, "")
#define DIV(p, q) LLVMBuildFDiv(e->b, p, q, "")
#define NEG(p) LLVMBuildFNeg(e->b, p, "")
#define EXP(p) dlibm(e, "exp", p)
#define TANH(p) dlibm(e, "tanh", p)
#define ERF(p) dlibm(e, "erf", p)
#define LOG(p) dlibm(e, "log", p)
#define SQRT(p) dlibm(e, "sqrt", p)
#define POW(p, q) dpow(e, p, q)
#define LT(p, q, t, f) dsel(e, LLVMRealOLT, p, q, t, f)
#define GT(p, q, t, f) dsel(e, LLVMRealOGT, p, q, t, f)
#define GE(p, q, t, f) dsel(e, LLVMRealOGE, p, q, t, f)
#define CLAMP(v, lo, hi) LT(v, lo, lo, GT(v, hi, hi, v))
  LLVMValueRef r;
  switch (n->op) {
#define UNARY(E, name, flags, pa, pb, range, expr)                            \
  case OP_##E:                                                                \
    r = expr;                                                                 \
    break;
#include "unary.def"
#undef UNARY
  default: QCC_DIE("not a unary op: %s", op_info(n->op)->name);
  }
  return LLVMBuildFPTrunc(e->b, r, e->f32, "");
}

/* The hand-written f32 forms (in f32, within the interpreter's tolerance);
 * every other unary op is emitted from its definition, in double. */
static LLVMValueRef unary(Emit *e, const Node *n, LLVMValueRef v) {
  LLVMValueRef zero = em_f32(e, 0.0f);
  switch (n->op) {
  case OP_RELU: return sel_gt(e, v, zero, v, zero);
  case OP_RELU6: return sel_lt(e, v, zero, zero, sel_gt(e, v, em_f32(e, 6), em_f32(e, 6), v));
  case OP_CLIP:
    return clampf(e, v, attr_f(n, ATTR_MIN, -INFINITY),
                  attr_f(n, ATTR_MAX, INFINITY));
  case OP_SIGMOID: return sigmoid(e, v);
  case OP_TANH: return em_libm_f32(e, "tanhf", v);
  case OP_SILU: return LLVMBuildFMul(e->b, v, sigmoid(e, v), "");
  case OP_HARDSWISH: {
    LLVMValueRef t = clampf(e, LLVMBuildFAdd(e->b, v, em_f32(e, 3), ""), 0, 6);
    return LLVMBuildFDiv(e->b, LLVMBuildFMul(e->b, v, t, ""), em_f32(e, 6), "");
  }
  case OP_HARDSIGMOID: {
    LLVMValueRef t = LLVMBuildFAdd(
        e->b, LLVMBuildFMul(e->b, em_f32(e, attr_f(n, ATTR_ALPHA, 0)), v, ""),
        em_f32(e, attr_f(n, ATTR_BETA, 0)), "");
    return clampf(e, t, 0, 1);
  }
  case OP_LEAKY_RELU: {
    LLVMValueRef neg = LLVMBuildFMul(e->b, em_f32(e, attr_f(n, ATTR_ALPHA, 0)), v, "");
    return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGE, v, zero, ""),
                           v, neg, "");
  }
  case OP_REQUANTIZE: return v;
  default: return unary_in_double(e, n, v);
  }
}

static int emit_unary(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]), y = kc_tensor(k, k->n->outputs[0]);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef v = em_load_at(e, e->f32, x, i);
  em_store_at(e, unary(e, k->n, v), e->f32, y, i);
  em_loop_end(e, &l);
  return 0;
}

/* ---- broadcasting ----------------------------------------------------------- */

/* The element of operand t (broadcast against output dims) for output
 * index i: decomposes i by the output's dims when the shapes differ. */
static LLVMValueRef broadcast_index(Emit *e, const Tensor *t, const Tensor *y,
                                    LLVMValueRef i) {
  if (ir_same_shape(t, y))
    return i;
  if (ir_tensor_numel(t) == 1)
    return em_i64(e, 0);
  LLVMValueRef idx = em_i64(e, 0), rest = i;
  int64_t stride = 1;
  for (int a = y->rank - 1; a >= 0; a--) {
    int ta = a - (y->rank - t->rank);
    LLVMValueRef dim = em_i64(e, y->dims[a]);
    LLVMValueRef c = LLVMBuildURem(e->b, rest, dim, "");
    rest = LLVMBuildUDiv(e->b, rest, dim, "");
    if (ta >= 0 && t->dims[ta] != 1)
      idx = em_add(e, idx, em_mulc(e, c, stride));
    if (ta >= 0)
      stride *= t->dims[ta];
  }
  return idx;
}

static int emit_binary_f32(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *y = n->outputs[0];
  LLVMValueRef a = kc_tensor(k, n->inputs[0]), b = kc_tensor(k, n->inputs[1]);
  LLVMValueRef out = kc_tensor(k, y);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef va = em_load_at(e, e->f32, a, broadcast_index(e, n->inputs[0], y, i));
  LLVMValueRef vb = em_load_at(e, e->f32, b, broadcast_index(e, n->inputs[1], y, i));
  LLVMValueRef r = n->op == OP_ADD   ? LLVMBuildFAdd(e->b, va, vb, "")
                   : n->op == OP_SUB ? LLVMBuildFSub(e->b, va, vb, "")
                                     : LLVMBuildFMul(e->b, va, vb, "");
  em_store_at(e, r, e->f32, out, i);
  em_loop_end(e, &l);
  return 0;
}

static void clamp_attr(const Node *n, int32_t *lo, int32_t *hi) {
  int cnt;
  const int64_t *c = ir_attr_ints(n, ATTR_CLAMP, &cnt);
  *lo = cnt == 2 ? (int32_t)c[0] : 0;
  *hi = cnt == 2 ? (int32_t)c[1] : 255;
}

static int emit_binary_u8(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *ta = n->inputs[0], *tb = n->inputs[1], *y = n->outputs[0];
  float sa = ta->quant->scale[0], sb = tb->quant->scale[0], sy = y->quant->scale[0];
  int32_t za = ta->quant->zero_point[0], zb = tb->quant->zero_point[0];
  int32_t zy = y->quant->zero_point[0], lo, hi;
  clamp_attr(n, &lo, &hi);
  LLVMValueRef a = kc_tensor(k, ta), b = kc_tensor(k, tb), out = kc_tensor(k, y);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef qa = LLVMBuildZExt(e->b, em_load_at(e, e->i8, a, broadcast_index(e, ta, y, i)), e->i32, "");
  LLVMValueRef qb = LLVMBuildZExt(e->b, em_load_at(e, e->i8, b, broadcast_index(e, tb, y, i)), e->i32, "");
  LLVMValueRef da = LLVMBuildSub(e->b, qa, em_i32(e, za), "");
  LLVMValueRef db = LLVMBuildSub(e->b, qb, em_i32(e, zb), "");
  LLVMValueRef v;
  if (n->op == OP_QMUL) {
    float m = qm_multiplier((double)sa * (double)sb, (double)sy);
    v = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, LLVMBuildMul(e->b, da, db, ""), e->f32, ""),
                      em_f32(e, m), "");
  } else {
    float ma = qm_multiplier(sa, sy), mb = qm_multiplier(sb, sy);
    LLVMValueRef pa = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, da, e->f32, ""), em_f32(e, ma), "");
    LLVMValueRef pb = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, db, e->f32, ""), em_f32(e, mb), "");
    v = n->op == OP_QADD ? LLVMBuildFAdd(e->b, pa, pb, "") : LLVMBuildFSub(e->b, pa, pb, "");
  }
  LLVMValueRef q = em_finish(e, em_rne(e, v), zy, lo, hi);
  em_store_at(e, LLVMBuildTrunc(e->b, q, e->i8, ""), e->i8, out, i);
  em_loop_end(e, &l);
  return 0;
}

/* ---- conversions and tables ------------------------------------------------- */

enum { QUANT_V = 16, QUANT_GROUP = 4 };

/* Vectors of QUANT_V: em_quantize_vectors (emit.h) says why it is exact.
 * Groups of QUANT_GROUP share one tie test and branch, then single
 * vectors, then (*tail on) the scalar loop. */
static void quantize_vectors(KernelCtx *k, LLVMValueRef px, LLVMValueRef py, float s,
                             int32_t z, int32_t lo, int32_t hi, LLVMValueRef seen,
                             LLVMValueRef *tail) {
  Emit *e = k->e;
  LLVMTypeRef vf = LLVMVectorType(e->f32, QUANT_V);
  LLVMValueRef from = k->begin;
  static const int groups[] = {QUANT_GROUP, 1};
  for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
    int group = groups[gi];
    int64_t step = (int64_t)group * QUANT_V;
    LLVMValueRef count = LLVMBuildUDiv(e->b, LLVMBuildSub(e->b, k->end, from, ""),
                                       em_i64(e, step), "");
    Loop l;
    LLVMValueRef j = em_loop(e, &l, em_i64(e, 0), count, "vec");
    LLVMValueRef i0 = em_madc(e, j, step, from);
    LLVMValueRef xv[QUANT_GROUP], q[QUANT_GROUP];
    for (int g = 0; g < group; g++) {
      xv[g] = LLVMBuildLoad2(e->b, vf, em_elem(e, e->f32, px, em_addc(e, i0, g * QUANT_V)), "");
      LLVMSetAlignment(xv[g], 4);
    }
    em_quantize_vectors(e, xv, (unsigned)group, s, z, lo, hi, seen, q);
    for (int g = 0; g < group; g++) {
      LLVMValueRef st = LLVMBuildStore(e->b, LLVMBuildTrunc(e->b, q[g], LLVMVectorType(e->i8, QUANT_V), ""),
                                       em_elem(e, e->i8, py, em_addc(e, i0, g * QUANT_V)));
      LLVMSetAlignment(st, 1);
    }
    em_loop_end_rolled(e, &l);
    from = em_madc(e, count, step, from);
  }
  *tail = from;
}

static int emit_quantize(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Tensor *x = k->n->inputs[0], *y = k->n->outputs[0];
  const QuantParams *q = y->quant;
  bool u8 = q->dtype == DT_U8;
  int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  LLVMValueRef px = kc_tensor(k, x), py = kc_tensor(k, y);
  /* NaN and infinities quantize to the zero point and the clamp, as the
   * int8 interpreter does; but they are never hidden: an OR over the range
   * (one compare per element, vectorized with the rest) sets the run's
   * status, so the entry point returns QCC_STATUS_NONFINITE_INPUT. */
  LLVMValueRef seen = em_var(e, e->i8, LLVMConstInt(e->i8, 0, 0), "nonfinite");
  LLVMValueRef from = k->begin;
  if (em_quantize_vector_ok(q->scale[0]))
    quantize_vectors(k, px, py, q->scale[0], q->zero_point[0], lo, hi, seen, &from);
  Loop l;
  LLVMValueRef i = em_loop(e, &l, from, k->end, "p");
  LLVMValueRef xv = em_load_at(e, e->f32, px, i);
  em_note_nonfinite(e, xv, seen);
  LLVMValueRef v = em_quantize(e, xv, q->scale[0], q->zero_point[0], lo, hi);
  em_store_at(e, LLVMBuildTrunc(e->b, v, e->i8, ""), e->i8, py, i);
  em_loop_end(e, &l);
  kc_flag_nonfinite(k, seen);
  return 0;
}

static int emit_dequantize(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Tensor *x = k->n->inputs[0], *y = k->n->outputs[0];
  const QuantParams *q = x->quant;
  LLVMValueRef px = kc_tensor(k, x), py = kc_tensor(k, y);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef c = em_load_at(e, e->i8, px, i);
  c = x->dtype == DT_U8 ? LLVMBuildZExt(e->b, c, e->i32, "")
                        : LLVMBuildSExt(e->b, c, e->i32, "");
  em_store_at(e, em_dequantize(e, c, q->scale[0], q->zero_point[0]), e->f32,
              py, i);
  em_loop_end(e, &l);
  return 0;
}

static int emit_lut(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]), t = kc_tensor(k, k->n->inputs[1]);
  LLVMValueRef y = kc_tensor(k, k->n->outputs[0]);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef c = LLVMBuildZExt(e->b, em_load_at(e, e->i8, x, i), e->i64, "");
  em_store_at(e, em_load_at(e, e->i8, t, c), e->i8, y, i);
  em_loop_end(e, &l);
  return 0;
}

/* batch_norm that was not folded, in double exactly as the interpreter:
 * y = (float)(((double)x - mean) * inv * gamma + beta), inv computed at
 * compile time as 1 / sqrt(var + eps); so it matches bit for bit. */
static int emit_batch_norm(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *x = n->inputs[0];
  int64_t C = x->rank > 1 ? x->dims[1] : 1, inner = 1;
  for (int r = 2; r < x->rank; r++)
    inner *= x->dims[r];
  const float *gamma = n->inputs[1]->data, *beta = n->inputs[2]->data;
  const float *mean = n->inputs[3]->data, *var = n->inputs[4]->data;
  double eps = ir_attr_float(n, ATTR_EPS);
  double *coef = malloc(sizeof(double) * (size_t)(4 * C));
  if (!coef)
    QCC_DIE("out of memory");
  for (int64_t c = 0; c < C; c++) {
    coef[c] = mean[c];
    coef[C + c] = 1.0 / sqrt((double)var[c] + eps);
    coef[2 * C + c] = gamma[c];
    coef[3 * C + c] = beta[c];
  }
  LLVMValueRef t = kc_const(k, "bn", coef, sizeof(double) * (size_t)(4 * C));
  free(coef);
  LLVMValueRef px = kc_tensor(k, x), py = kc_tensor(k, n->outputs[0]);
  Loop l;
  LLVMValueRef i = kernel_range(k, &l);
  LLVMValueRef c = LLVMBuildURem(e->b, LLVMBuildUDiv(e->b, i, em_i64(e, inner), ""),
                                 em_i64(e, C), "");
  LLVMValueRef v = LLVMBuildFPExt(e->b, em_load_at(e, e->f32, px, i), e->f64, "");
  v = LLVMBuildFSub(e->b, v, em_load_at(e, e->f64, t, c), "");
  v = LLVMBuildFMul(e->b, v, em_load_at(e, e->f64, t, em_addc(e, c, C)), "");
  v = LLVMBuildFMul(e->b, v, em_load_at(e, e->f64, t, em_addc(e, c, 2 * C)), "");
  v = LLVMBuildFAdd(e->b, v, em_load_at(e, e->f64, t, em_addc(e, c, 3 * C)), "");
  em_store_at(e, LLVMBuildFPTrunc(e->b, v, e->f32, ""), e->f32, py, i);
  em_loop_end(e, &l);
  return 0;
}

/* ---- softmax ---------------------------------------------------------------- */

static void softmax_geom(const Node *n, int64_t *outer, int64_t *len,
                         int64_t *inner) {
  const Tensor *x = n->inputs[0];
  int64_t axis = ir_attr_int(n, ATTR_AXIS);
  if (axis < 0)
    axis += x->rank;
  *outer = *inner = 1;
  for (int r = 0; r < x->rank; r++) {
    if (r < axis)
      *outer *= x->dims[r];
    else if (r > axis)
      *inner *= x->dims[r];
  }
  *len = x->dims[axis];
}

static int64_t softmax_extent(const Node *n) {
  int64_t outer, len, inner;
  softmax_geom(n, &outer, &len, &inner);
  return outer * inner;
}

/* One row per index: max, then sum of exp(x - max) in double (libm exp),
 * then exp(x - max) / sum, as the interpreter computes it. */
static int emit_softmax(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  int64_t outer, len, inner;
  softmax_geom(k->n, &outer, &len, &inner);
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]), y = kc_tensor(k, k->n->outputs[0]);
  LLVMTypeRef dt = LLVMFunctionType(e->f64, &e->f64, 1, 0);
  LLVMValueRef dexp = LLVMGetNamedFunction(e->mod, "exp");
  if (!dexp)
    dexp = LLVMAddFunction(e->mod, "exp", dt);
  Loop l;
  LLVMValueRef r = kernel_range(k, &l);
  LLVMValueRef base = em_add(e, em_mulc(e, LLVMBuildUDiv(e->b, r, em_i64(e, inner), ""), len * inner),
                             LLVMBuildURem(e->b, r, em_i64(e, inner), ""));
  LLVMValueRef m = em_var(e, e->f64, NULL, "max");
  LLVMBuildStore(e->b, LLVMBuildFPExt(e->b, em_load_at(e, e->f32, x, base), e->f64, ""), m);
  Loop a;
  LLVMValueRef j = em_loop_n(e, &a, len, "max");
  LLVMValueRef v = LLVMBuildFPExt(e->b, em_load_at(e, e->f32, x, em_madc(e, j, inner, base)), e->f64, "");
  LLVMValueRef cur = LLVMBuildLoad2(e->b, e->f64, m, "");
  LLVMBuildStore(e->b, LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, v, cur, ""), v, cur, ""), m);
  em_loop_end(e, &a);
  LLVMValueRef mx = LLVMBuildLoad2(e->b, e->f64, m, "");
  LLVMValueRef s = em_var(e, e->f64, LLVMConstReal(e->f64, 0), "sum");
  Loop b;
  j = em_loop_n(e, &b, len, "sum");
  v = LLVMBuildFPExt(e->b, em_load_at(e, e->f32, x, em_madc(e, j, inner, base)), e->f64, "");
  LLVMValueRef arg = LLVMBuildFSub(e->b, v, mx, "");
  LLVMValueRef ex = LLVMBuildCall2(e->b, dt, dexp, &arg, 1, "");
  LLVMBuildStore(e->b, LLVMBuildFAdd(e->b, LLVMBuildLoad2(e->b, e->f64, s, ""), ex, ""), s);
  em_loop_end(e, &b);
  LLVMValueRef sum = LLVMBuildLoad2(e->b, e->f64, s, "");
  Loop c;
  j = em_loop_n(e, &c, len, "out");
  LLVMValueRef at = em_madc(e, j, inner, base);
  v = LLVMBuildFPExt(e->b, em_load_at(e, e->f32, x, at), e->f64, "");
  arg = LLVMBuildFSub(e->b, v, mx, "");
  ex = LLVMBuildCall2(e->b, dt, dexp, &arg, 1, "");
  em_store_at(e, LLVMBuildFPTrunc(e->b, LLVMBuildFDiv(e->b, ex, sum, ""), e->f32, ""),
              e->f32, y, at);
  em_loop_end(e, &c);
  em_loop_end(e, &l);
  return 0;
}

/* ---- the kernels (kernel_list.c orders them) --------------------------------- */

static bool f32_input(const Node *n) { return n->inputs[0]->dtype == DT_F32; }

static bool takes_unary(const Node *n) {
  return ir_op_is_unary(n->op) && f32_input(n);
}
static bool takes_binary(const Node *n) {
  return (n->op == OP_ADD || n->op == OP_SUB || n->op == OP_MUL) && f32_input(n);
}
static bool takes_qbinary(const Node *n) {
  return n->op == OP_QADD || n->op == OP_QSUB || n->op == OP_QMUL;
}
static bool takes_quantize(const Node *n) { return n->op == OP_QUANTIZE; }
static bool takes_dequantize(const Node *n) { return n->op == OP_DEQUANTIZE; }
static bool takes_lut(const Node *n) { return n->op == OP_LUT; }
static bool takes_bn(const Node *n) { return n->op == OP_BATCH_NORM; }
static bool takes_softmax(const Node *n) { return n->op == OP_SOFTMAX; }

const KernelSpec kernel_f32_vunary = {
    .name = "f32_vunary_ukernel", .takes = takes_unary, .in_place = true,
    .forms = {{"f32_vunary_ukernel__<isa>", "f32 activations: every op of ir/unary.def (relu, relu6, clip, sigmoid, tanh, silu, hardswish, hardsigmoid and leaky_relu in f32; the rest, as exp, erf, gelu, in double as the interpreter)", NULL}},
    .extent = kernel_extent_numel, .emit = emit_unary};
const KernelSpec kernel_f32_vbinary = {
    .name = "f32_vbinary_ukernel", .takes = takes_binary, .in_place = true,
    .forms = {{"f32_vbinary_ukernel__<isa>", "f32 add, sub, mul with broadcasting", NULL}},
    .extent = kernel_extent_numel, .emit = emit_binary_f32};
const KernelSpec kernel_qu8_vbinary = {
    .name = "qu8_vbinary_minmax_fp32_ukernel", .takes = takes_qbinary, .in_place = true,
    .forms = {{"qu8_vbinary_minmax_fp32_ukernel__<isa>", "qadd, qsub, qmul: u8 with requantization (NCHW or NHWC)", NULL}},
    .extent = kernel_extent_numel, .emit = emit_binary_u8, .takes_layouts = kernel_one_layout};
const KernelSpec kernel_f32_qu8_vcvt = {
    .name = "f32_qu8_vcvt_ukernel", .takes = takes_quantize,
    .forms = {{"f32_qu8_vcvt_ukernel__<isa>", "quantize f32 to u8 or i8 (bit-exact x / s, non-finite inputs flagged)", NULL}},
    .extent = kernel_extent_numel, .emit = emit_quantize};
const KernelSpec kernel_qu8_f32_vcvt = {
    .name = "qu8_f32_vcvt_ukernel", .takes = takes_dequantize,
    .forms = {{"qu8_f32_vcvt_ukernel__<isa>", "dequantize u8 or i8 to f32", NULL}},
    .extent = kernel_extent_numel, .emit = emit_dequantize};
const KernelSpec kernel_x8_lut = {
    .name = "x8_lut_ukernel", .takes = takes_lut, .in_place = true,
    .forms = {{"x8_lut_ukernel__<isa>", "lut: a 256-entry table per u8 (NCHW or NHWC)", NULL}},
    .extent = kernel_extent_numel, .emit = emit_lut, .takes_layouts = kernel_one_layout};
const KernelSpec kernel_f32_batch_norm = {
    .name = "f32_batch_norm_ukernel", .takes = takes_bn, .in_place = true,
    .forms = {{"f32_batch_norm_ukernel__<isa>", "f32 batch_norm (inference)", NULL}},
    .extent = kernel_extent_numel, .emit = emit_batch_norm};
const KernelSpec kernel_f32_softmax = {
    .name = "f32_softmax_ukernel", .takes = takes_softmax,
    .forms = {{"f32_softmax_ukernel__<isa>", "f32 softmax along an axis", NULL}},
    .extent = softmax_extent, .emit = emit_softmax};
