/* See dot_step.h. */
#include "dot_step.h"

#include <llvm-c/TargetMachine.h>
#include <stdlib.h>
#include <string.h>

DotStep dot_step_for(TargetKind t) {
  switch (t) {
  case TARGET_AVX512VNNI: return (DotStep){STEP_VNNI512, 16, 64, "avx512vnni"};
  case TARGET_AVX512VNNI_EMULATED:
    return (DotStep){STEP_EMUL512, 16, 64, "avx512vnni_emulated"};
  case TARGET_AVX2: return (DotStep){STEP_AVX2, 8, 64, "avx2"};
  case TARGET_NATIVE: {
    char *f = LLVMGetHostCPUFeatures();
    DotStep s = strstr(f, "+avx512vnni") ? dot_step_for(TARGET_AVX512VNNI)
                : strstr(f, "+avx2")     ? dot_step_for(TARGET_AVX2)
                                         : dot_step_for(TARGET_GENERIC);
    LLVMDisposeMessage(f);
    return s;
  }
  default: return (DotStep){STEP_GENERIC, 8, 32, "generic"};
  }
}

void dot_step_pack(const DotStep *s, const int8_t w[][4], void *dst) {
  if (s->kind == STEP_AVX2) {
    /* Two pair-slabs: [pair p][lane j][2] as i16. */
    int16_t *d = dst;
    for (int p = 0; p < 2; p++)
      for (int j = 0; j < s->lanes; j++)
        for (int i = 0; i < 2; i++)
          d[(p * s->lanes + j) * 2 + i] = w[j][2 * p + i];
    return;
  }
  int8_t *d = dst;
  for (int j = 0; j < s->lanes; j++)
    for (int i = 0; i < 4; i++)
      d[j * 4 + i] = w[j][i];
}

static LLVMTypeRef vec(LLVMTypeRef t, unsigned n) { return LLVMVectorType(t, n); }

/* The x word repeated in every lane, as <NR x i32>. */
static LLVMValueRef splat(Emit *e, LLVMValueRef x4, unsigned lanes) {
  LLVMValueRef v = LLVMBuildInsertElement(e->b, LLVMGetUndef(vec(e->i32, lanes)),
                                          x4, em_i32(e, 0), "");
  LLVMValueRef zeros = LLVMConstNull(vec(e->i32, lanes));
  return LLVMBuildShuffleVector(e->b, v, LLVMGetUndef(vec(e->i32, lanes)), zeros, "");
}

/* Sum of every 4 consecutive lanes of p (<4n x i32>) -> <n x i32>. */
static LLVMValueRef sum_quads(Emit *e, LLVMValueRef p, unsigned n) {
  LLVMValueRef total = NULL;
  for (unsigned k = 0; k < 4; k++) {
    LLVMValueRef idx[16];
    for (unsigned j = 0; j < n; j++)
      idx[j] = em_i32(e, (int64_t)(4 * j + k));
    LLVMValueRef part = LLVMBuildShuffleVector(e->b, p, LLVMGetUndef(LLVMTypeOf(p)),
                                               LLVMConstVector(idx, n), "");
    total = total ? LLVMBuildAdd(e->b, total, part, "") : part;
  }
  return total;
}

/* The plain-IR step: zext the activations, sext the weights, multiply, add
 * each lane's four products, add to acc. */
static LLVMValueRef plain_step(Emit *e, unsigned lanes, LLVMValueRef acc,
                               LLVMValueRef x4, LLVMValueRef wptr) {
  unsigned nb = lanes * 4;
  LLVMValueRef xb = LLVMBuildBitCast(e->b, splat(e, x4, lanes), vec(e->i8, nb), "");
  LLVMValueRef wb = LLVMBuildLoad2(e->b, vec(e->i8, nb), wptr, "w");
  LLVMSetAlignment(wb, 1);
  LLVMValueRef xs = LLVMBuildZExt(e->b, xb, vec(e->i32, nb), "");
  LLVMValueRef ws = LLVMBuildSExt(e->b, wb, vec(e->i32, nb), "");
  return LLVMBuildAdd(e->b, acc, sum_quads(e, LLVMBuildMul(e->b, xs, ws, ""), lanes), "");
}

static LLVMValueRef x86_call(Emit *e, const char *name, LLVMTypeRef ret,
                             LLVMTypeRef *pt, unsigned n, LLVMValueRef *args) {
  LLVMTypeRef ft = LLVMFunctionType(ret, pt, n, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, name);
  if (!fn)
    fn = LLVMAddFunction(e->mod, name, ft);
  return LLVMBuildCall2(e->b, ft, fn, args, n, "");
}

LLVMValueRef dot_step_emit(Emit *e, const DotStep *s, LLVMValueRef acc,
                           LLVMValueRef x4, LLVMValueRef wptr) {
  switch (s->kind) {
  case STEP_GENERIC:
  case STEP_EMUL512:
    return plain_step(e, (unsigned)s->lanes, acc, x4, wptr);
  case STEP_VNNI512: {
    LLVMTypeRef v16 = vec(e->i32, 16);
    LLVMValueRef wv = LLVMBuildLoad2(e->b, v16, wptr, "w");
    LLVMSetAlignment(wv, 1);
    LLVMTypeRef pt[3] = {v16, v16, v16};
    /* vpdpbusd: unsigned bytes of the 2nd operand times signed bytes of
     * the 3rd, four per lane, added to the 1st. */
    LLVMValueRef args[3] = {acc, splat(e, x4, 16), wv};
    return x86_call(e, "llvm.x86.avx512.vpdpbusd.512", v16, pt, 3, args);
  }
  case STEP_AVX2: {
    /* (x0, x1) and (x2, x3) as two i16 pairs, each pair one i32 word made
     * with scalar shifts, broadcast to 8 lanes; times the two pre-widened
     * weight slabs: vpmaddwd sums each lane's pair exactly. */
    LLVMTypeRef v16i16 = vec(e->i16, 16), v8 = vec(e->i32, 8);
    LLVMValueRef ff = em_i32(e, 0xFF);
    LLVMValueRef x0 = LLVMBuildAnd(e->b, x4, ff, "");
    LLVMValueRef x1 = LLVMBuildAnd(e->b, LLVMBuildLShr(e->b, x4, em_i32(e, 8), ""), ff, "");
    LLVMValueRef x2 = LLVMBuildAnd(e->b, LLVMBuildLShr(e->b, x4, em_i32(e, 16), ""), ff, "");
    LLVMValueRef x3 = LLVMBuildLShr(e->b, x4, em_i32(e, 24), "");
    LLVMValueRef pair[2] = {
        LLVMBuildOr(e->b, x0, LLVMBuildShl(e->b, x1, em_i32(e, 16), ""), ""),
        LLVMBuildOr(e->b, x2, LLVMBuildShl(e->b, x3, em_i32(e, 16), ""), "")};
    LLVMValueRef sum = acc;
    for (int p = 0; p < 2; p++) {
      LLVMValueRef xp = LLVMBuildBitCast(e->b, splat(e, pair[p], 8), v16i16, "");
      LLVMValueRef wv = LLVMBuildLoad2(e->b, v16i16,
                                       em_elem(e, e->i8, wptr, em_i64(e, 32 * p)), "w");
      LLVMSetAlignment(wv, 2);
      LLVMValueRef args[2] = {xp, wv};
      LLVMTypeRef pts[2] = {v16i16, v16i16};
      sum = LLVMBuildAdd(e->b, sum, x86_call(e, "llvm.x86.avx2.pmadd.wd", v8, pts, 2, args), "");
    }
    return sum;
  }
  }
  QCC_DIE("bad dot step %d", s->kind);
}
