/* See emit.h. */
#include "emit.h"

#include <math.h>

#include <string.h>

#include <llvm-c/DebugInfo.h>

void em_init(Emit *e, LLVMContextRef ctx, LLVMModuleRef mod) {
  memset(e, 0, sizeof *e);
  e->ctx = ctx;
  e->mod = mod;
  e->b = LLVMCreateBuilderInContext(ctx);
  e->i1 = LLVMInt1TypeInContext(ctx);
  e->i8 = LLVMInt8TypeInContext(ctx);
  e->i16 = LLVMInt16TypeInContext(ctx);
  e->i32 = LLVMInt32TypeInContext(ctx);
  e->i64 = LLVMInt64TypeInContext(ctx);
  e->f32 = LLVMFloatTypeInContext(ctx);
  e->f64 = LLVMDoubleTypeInContext(ctx);
  e->ptr = LLVMPointerTypeInContext(ctx, 0);
  e->void_t = LLVMVoidTypeInContext(ctx);
}

void em_dispose(Emit *e) { LLVMDisposeBuilder(e->b); }

void em_begin_function(Emit *e, LLVMValueRef fn) {
  e->fn = fn;
  e->entry = LLVMAppendBasicBlockInContext(e->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(e->b, e->entry);
}

LLVMValueRef em_i32(Emit *e, int64_t v) {
  return LLVMConstInt(e->i32, (unsigned long long)v, 1);
}
LLVMValueRef em_i64(Emit *e, int64_t v) {
  return LLVMConstInt(e->i64, (unsigned long long)v, 1);
}
LLVMValueRef em_f32(Emit *e, float v) { return LLVMConstReal(e->f32, v); }

static LLVMBasicBlockRef block(Emit *e, const char *name) {
  return LLVMAppendBasicBlockInContext(e->ctx, e->fn, name);
}

LLVMValueRef em_loop(Emit *e, Loop *l, LLVMValueRef lo, LLVMValueRef hi,
                     const char *name) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(e->b);
  l->head = block(e, name);
  l->body = block(e, name);
  l->latch = NULL;
  l->exit = block(e, name);
  LLVMBuildBr(e->b, l->head);
  LLVMPositionBuilderAtEnd(e->b, l->head);
  l->iv = LLVMBuildPhi(e->b, e->i64, name);
  LLVMAddIncoming(l->iv, &lo, &pre, 1);
  LLVMValueRef more = LLVMBuildICmp(e->b, LLVMIntSLT, l->iv, hi, "");
  LLVMBuildCondBr(e->b, more, l->body, l->exit);
  LLVMPositionBuilderAtEnd(e->b, l->body);
  return l->iv;
}

LLVMValueRef em_loop_n(Emit *e, Loop *l, int64_t n, const char *name) {
  return em_loop(e, l, em_i64(e, 0), em_i64(e, n), name);
}

static LLVMValueRef loop_back_edge(Emit *e, Loop *l) {
  LLVMValueRef next = LLVMBuildAdd(e->b, l->iv, em_i64(e, 1), "");
  LLVMBasicBlockRef from = LLVMGetInsertBlock(e->b);
  LLVMAddIncoming(l->iv, &next, &from, 1);
  LLVMValueRef br = LLVMBuildBr(e->b, l->head);
  LLVMPositionBuilderAtEnd(e->b, l->exit);
  return br;
}

void em_loop_end(Emit *e, Loop *l) { loop_back_edge(e, l); }

void em_loop_end_rolled(Emit *e, Loop *l) {
  LLVMValueRef br = loop_back_edge(e, l);
  /* !llvm.loop !0, !0 = !{!0, !1}, !1 = !{!"llvm.loop.unroll.disable"} */
  const char *key = "llvm.loop.unroll.disable";
  LLVMMetadataRef s = LLVMMDStringInContext2(e->ctx, key, strlen(key));
  LLVMMetadataRef opt = LLVMMDNodeInContext2(e->ctx, &s, 1);
  LLVMMetadataRef tmp = LLVMTemporaryMDNode(e->ctx, NULL, 0);
  LLVMMetadataRef ops[2] = {tmp, opt};
  LLVMMetadataRef id = LLVMMDNodeInContext2(e->ctx, ops, 2);
  LLVMMetadataReplaceAllUsesWith(tmp, id);
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(e->ctx, "llvm.loop", 9),
                  LLVMMetadataAsValue(e->ctx, id));
}

void em_if(Emit *e, If *f, LLVMValueRef cond) {
  f->then = block(e, "then");
  f->done = block(e, "endif");
  LLVMBuildCondBr(e->b, cond, f->then, f->done);
  LLVMPositionBuilderAtEnd(e->b, f->then);
}

void em_if_rare(Emit *e, If *f, LLVMValueRef cond) {
  LLVMBasicBlockRef from = LLVMGetInsertBlock(e->b);
  em_if(e, f, cond);
  /* !prof branch_weights, taken about once in 2^20: without them LLVM
   * speculates the then-block's work above the branch when it thinks it
   * cheap (it did so with a vdivps, which then ran for every vector). */
  LLVMValueRef br = LLVMGetBasicBlockTerminator(from);
  LLVMMetadataRef ops[3] = {LLVMMDStringInContext2(e->ctx, "branch_weights", 14),
                            LLVMValueAsMetadata(em_i32(e, 1)),
                            LLVMValueAsMetadata(em_i32(e, 1 << 20))};
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(e->ctx, "prof", 4),
                  LLVMMetadataAsValue(e->ctx, LLVMMDNodeInContext2(e->ctx, ops, 3)));
}

void em_if_end(Emit *e, If *f) {
  LLVMBuildBr(e->b, f->done);
  LLVMPositionBuilderAtEnd(e->b, f->done);
}

LLVMValueRef em_add(Emit *e, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWAdd(e->b, a, b, "");
}
LLVMValueRef em_mul(Emit *e, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWMul(e->b, a, b, "");
}
LLVMValueRef em_addc(Emit *e, LLVMValueRef a, int64_t c) {
  return c ? em_add(e, a, em_i64(e, c)) : a;
}
LLVMValueRef em_mulc(Emit *e, LLVMValueRef a, int64_t c) {
  return c == 1 ? a : em_mul(e, a, em_i64(e, c));
}
LLVMValueRef em_madc(Emit *e, LLVMValueRef a, int64_t c, LLVMValueRef d) {
  return em_add(e, em_mulc(e, a, c), d);
}

LLVMValueRef em_elem(Emit *e, LLVMTypeRef elt, LLVMValueRef base,
                     LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(e->b, elt, base, &idx, 1, "");
}

LLVMValueRef em_load_at(Emit *e, LLVMTypeRef elt, LLVMValueRef base,
                        LLVMValueRef idx) {
  return LLVMBuildLoad2(e->b, elt, em_elem(e, elt, base, idx), "");
}

void em_store_at(Emit *e, LLVMValueRef v, LLVMTypeRef elt, LLVMValueRef base,
                 LLVMValueRef idx) {
  LLVMBuildStore(e->b, v, em_elem(e, elt, base, idx));
}

LLVMValueRef em_var(Emit *e, LLVMTypeRef t, LLVMValueRef init,
                    const char *name) {
  LLVMBasicBlockRef here = LLVMGetInsertBlock(e->b);
  LLVMValueRef first = LLVMGetFirstInstruction(e->entry);
  if (first)
    LLVMPositionBuilderBefore(e->b, first);
  else
    LLVMPositionBuilderAtEnd(e->b, e->entry);
  LLVMValueRef v = LLVMBuildAlloca(e->b, t, name);
  LLVMPositionBuilderAtEnd(e->b, here);
  if (init)
    LLVMBuildStore(e->b, init, v);
  return v;
}

LLVMValueRef em_intrinsic(Emit *e, const char *name, LLVMTypeRef t,
                          LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(e->mod, id, &t, 1);
  LLVMTypeRef ft = LLVMIntrinsicGetType(e->ctx, id, &t, 1);
  return LLVMBuildCall2(e->b, ft, fn, args, n, "");
}

LLVMValueRef em_x86_call(Emit *e, const char *name, LLVMTypeRef ret,
                         LLVMTypeRef *pt, unsigned n, LLVMValueRef *args) {
  LLVMTypeRef ft = LLVMFunctionType(ret, pt, n, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
  if (!fn)
    fn = LLVMAddFunction(e->mod, name, ft);
  return LLVMBuildCall2(e->b, ft, fn, args, n, "");
}

LLVMValueRef em_libm_f32(Emit *e, const char *name, LLVMValueRef x) {
  LLVMTypeRef ft = LLVMFunctionType(e->f32, &e->f32, 1, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
  if (!fn)
    fn = LLVMAddFunction(e->mod, name, ft);
  return LLVMBuildCall2(e->b, ft, fn, &x, 1, "");
}

LLVMValueRef em_const_bytes(Emit *e, const char *name, const void *data,
                            size_t n) {
  LLVMValueRef init = LLVMConstStringInContext(e->ctx, data, (unsigned)n, 1);
  LLVMValueRef g = LLVMAddGlobal(e->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, 64);
  return g;
}

/* ---- the int8 contract -------------------------------------------------- */

LLVMValueRef em_rne(Emit *e, LLVMValueRef v) {
  return em_intrinsic(e, "llvm.rint", LLVMTypeOf(v), &v, 1);
}

LLVMValueRef em_fmin(Emit *e, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, a, b, ""), a,
                         b, "");
}
LLVMValueRef em_fmax(Emit *e, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, a, b, ""), a,
                         b, "");
}

LLVMValueRef em_splat_const(LLVMValueRef c, unsigned n) {
  LLVMValueRef v[64];
  for (unsigned i = 0; i < n; i++)
    v[i] = c;
  return LLVMConstVector(v, n);
}

LLVMValueRef em_concat(Emit *e, LLVMValueRef a, LLVMValueRef b, unsigned n) {
  LLVMValueRef idx[64];
  for (unsigned i = 0; i < 2 * n; i++)
    idx[i] = em_i32(e, (int64_t)i);
  return LLVMBuildShuffleVector(e->b, a, b, LLVMConstVector(idx, 2 * n), "");
}

LLVMValueRef em_splat_value(Emit *e, LLVMValueRef v, unsigned n) {
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(v), n);
  LLVMValueRef one = LLVMBuildInsertElement(e->b, LLVMGetUndef(vt), v, em_i32(e, 0), "");
  return LLVMBuildShuffleVector(e->b, one, LLVMGetUndef(vt), LLVMConstNull(LLVMVectorType(e->i32, n)), "");
}

LLVMValueRef em_like(LLVMValueRef v, LLVMValueRef c) {
  LLVMTypeRef t = LLVMTypeOf(v);
  return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? em_splat_const(c, LLVMGetVectorSize(t)) : c;
}

/* em_finish without the NaN test when v holds no NaN. */
static LLVMValueRef clamp_convert(Emit *e, LLVMValueRef v, int32_t z, int32_t lo, int32_t hi,
                                  bool may_be_nan) {
  LLVMValueRef flo = em_like(v, em_f32(e, (float)(lo - z))), fhi = em_like(v, em_f32(e, (float)(hi - z)));
  /* qm_finish: NaN -> 0; v < flo ? flo : v; v > fhi ? fhi : v. */
  if (may_be_nan) {
    LLVMValueRef nan = LLVMBuildFCmp(e->b, LLVMRealUNO, v, v, "");
    v = LLVMBuildSelect(e->b, nan, em_like(v, em_f32(e, 0.0f)), v, "");
  }
  v = LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, v, flo, ""), flo,
                      v, "");
  v = LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, v, fhi, ""), fhi,
                      v, "");
  LLVMTypeRef vt = LLVMTypeOf(v);
  LLVMTypeRef it = LLVMGetTypeKind(vt) == LLVMVectorTypeKind
                       ? LLVMVectorType(e->i32, LLVMGetVectorSize(vt))
                       : e->i32;
  LLVMValueRef q = LLVMBuildFPToSI(e->b, v, it, "");
  return z ? LLVMBuildAdd(e->b, q, em_like(q, em_i32(e, z)), "") : q;
}

LLVMValueRef em_finish(Emit *e, LLVMValueRef v, int32_t z, int32_t lo,
                       int32_t hi) {
  return clamp_convert(e, v, z, lo, hi, true);
}

LLVMValueRef em_requantize(Emit *e, LLVMValueRef acc, float m, int32_t z,
                           int32_t lo, int32_t hi) {
  LLVMValueRef v = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, acc, e->f32, ""),
                                 em_f32(e, m), "");
  return em_finish(e, em_rne(e, v), z, lo, hi);
}

LLVMValueRef em_quantize(Emit *e, LLVMValueRef x, float s, int32_t z,
                         int32_t lo, int32_t hi) {
  return em_finish(e, em_rne(e, LLVMBuildFDiv(e->b, x, em_f32(e, s), "")), z,
                   lo, hi);
}

bool em_quantize_vector_ok(float s) { return isnormal(s) && isnormal(1.0f / s); }

void em_note_nonfinite(Emit *e, LLVMValueRef x, LLVMValueRef seen) {
  LLVMTypeRef t = LLVMTypeOf(x);
  LLVMValueRef ax = em_intrinsic(e, "llvm.fabs", t, &x, 1);
  LLVMValueRef bad = LLVMBuildFCmp(e->b, LLVMRealUGE, ax, em_like(x, em_f32(e, INFINITY)), "");
  if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
    bad = em_intrinsic(e, "llvm.vector.reduce.or", LLVMTypeOf(bad), &bad, 1);
  LLVMBuildStore(e->b, LLVMBuildOr(e->b, LLVMBuildLoad2(e->b, e->i8, seen, ""),
                                   LLVMBuildZExt(e->b, bad, e->i8, ""), ""), seen);
}

void em_quantize_vectors(Emit *e, const LLVMValueRef *xv, unsigned count, float s, int32_t z,
                         int32_t lo, int32_t hi, LLVMValueRef seen, LLVMValueRef *q) {
  LLVMTypeRef vf = LLVMTypeOf(xv[0]);
  unsigned n = LLVMGetVectorSize(vf);
  LLVMTypeRef vi = LLVMVectorType(e->i32, n);
  /* |m - rint(m)| is exact; a lane is near a tie when it exceeds
   * 0.5 - 2^-10, and NaN (x NaN or infinite, or m overflowing) fails
   * the ordered test too, so non-finite lanes also take the division. */
  LLVMValueRef limit = em_splat_const(em_f32(e, 0.5f - 0x1p-10f), n), any = NULL;
  LLVMValueRef res[64];
  for (unsigned i = 0; i < count; i++) {
    LLVMValueRef m = LLVMBuildFMul(e->b, xv[i], em_splat_const(em_f32(e, 1.0f / s), n), "");
    LLVMValueRef r = em_rne(e, m);
    LLVMValueRef off = LLVMBuildFSub(e->b, m, r, "");
    LLVMValueRef d = em_intrinsic(e, "llvm.fabs", vf, &off, 1);
    LLVMValueRef near = LLVMBuildFCmp(e->b, LLVMRealUGT, d, limit, "");
    any = any ? LLVMBuildOr(e->b, any, near, "") : near;
    res[i] = em_var(e, vi, clamp_convert(e, r, z, lo, hi, false), "q");
  }
  any = em_intrinsic(e, "llvm.vector.reduce.or", LLVMTypeOf(any), &any, 1);
  If f;
  em_if_rare(e, &f, any);
  for (unsigned i = 0; i < count; i++) {
    em_note_nonfinite(e, xv[i], seen);
    LLVMValueRef v = em_rne(e, LLVMBuildFDiv(e->b, xv[i], em_splat_const(em_f32(e, s), n), ""));
    LLVMBuildStore(e->b, em_finish(e, v, z, lo, hi), res[i]);
  }
  em_if_end(e, &f);
  for (unsigned i = 0; i < count; i++)
    q[i] = LLVMBuildLoad2(e->b, vi, res[i], "");
}

LLVMValueRef em_dequantize(Emit *e, LLVMValueRef q, float s, int32_t z) {
  LLVMValueRef d = z ? LLVMBuildSub(e->b, q, em_i32(e, z), "") : q;
  return LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, d, e->f32, ""),
                       em_f32(e, s), "");
}

/* See emit.h: log2(L) rounds, each pairing row i with row i + L/2 and
 * interleaving their low halves into row 2i and their high halves into
 * row 2i + 1. */
void em_transpose(Emit *e, LLVMValueRef *rows, unsigned L) {
  LLVMValueRef lo_idx[32], hi_idx[32], next[32];
  for (unsigned i = 0; i < L / 2; i++) {
    lo_idx[2 * i] = em_i32(e, i);
    lo_idx[2 * i + 1] = em_i32(e, L + i);
    hi_idx[2 * i] = em_i32(e, L / 2 + i);
    hi_idx[2 * i + 1] = em_i32(e, L + L / 2 + i);
  }
  LLVMValueRef lo = LLVMConstVector(lo_idx, L), hi = LLVMConstVector(hi_idx, L);
  for (unsigned round = 1; round < L; round *= 2) {
    for (unsigned i = 0; i < L / 2; i++) {
      next[2 * i] = LLVMBuildShuffleVector(e->b, rows[i], rows[i + L / 2], lo, "");
      next[2 * i + 1] = LLVMBuildShuffleVector(e->b, rows[i], rows[i + L / 2], hi, "");
    }
    memcpy(rows, next, sizeof(LLVMValueRef) * L);
  }
}

LLVMValueRef em_sub_vector(Emit *e, LLVMValueRef v, unsigned at, unsigned n) {
  LLVMValueRef idx[32];
  for (unsigned i = 0; i < n; i++)
    idx[i] = em_i32(e, at + i);
  if (n == 1)
    return LLVMBuildExtractElement(e->b, v, idx[0], "");
  return LLVMBuildShuffleVector(e->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(idx, n), "");
}

/* See emit.h. */
void em_fill_span(Emit *e, LLVMTypeRef elt, LLVMValueRef dst, LLVMValueRef fill,
                  int64_t from, int64_t to) {
  if (from >= to)
    return;
  Loop l;
  LLVMValueRef i = em_loop(e, &l, em_i64(e, from), em_i64(e, to), "fill");
  em_store_at(e, fill, elt, dst, i);
  em_loop_end(e, &l);
}
