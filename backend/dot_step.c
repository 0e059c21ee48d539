/* See dot_step.h. */
#include "dot_step.h"

#include <stdlib.h>
#include <string.h>

void dot_step_pack(const DotStep *s, const int8_t *w, void *dst) {
  int n = s->lanes * s->k;
  if (s->kind == STEP_AVX2) { /* i16[NR][2] */
    int16_t *d = dst;
    for (int i = 0; i < n; i++)
      d[i] = w[i];
    return;
  }
  if (s->kind == STEP_F32)
    QCC_DIE("f32 weights are packed as floats by the kernel");
  memcpy(dst, w, (size_t)n);
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

LLVMValueRef dot_step_x(Emit *e, const DotStep *s, LLVMValueRef word) {
  return dot_step_x_lanes(e, s, splat(e, word, (unsigned)s->lanes));
}

LLVMValueRef dot_step_x_lanes(Emit *e, const DotStep *s, LLVMValueRef v) {
  unsigned lanes = (unsigned)s->lanes;
  switch (s->kind) {
  case STEP_VNNI512: return v;
  case STEP_F32: return LLVMBuildBitCast(e->b, v, vec(e->f32, lanes), "");
  case STEP_AVX2: return LLVMBuildBitCast(e->b, v, vec(e->i16, 2 * lanes), "");
  default: /* plain IR: the 4 codes of every lane, zero-extended */
    return LLVMBuildZExt(e->b, LLVMBuildBitCast(e->b, v, vec(e->i8, 4 * lanes), ""),
                         vec(e->i32, 4 * lanes), "");
  }
}

LLVMValueRef dot_step_w(Emit *e, const DotStep *s, LLVMValueRef wptr) {
  unsigned lanes = (unsigned)s->lanes;
  LLVMTypeRef t = s->kind == STEP_VNNI512 ? vec(e->i32, lanes)
                  : s->kind == STEP_F32   ? vec(e->f32, lanes)
                  : s->kind == STEP_AVX2  ? vec(e->i16, 2 * lanes)
                                          : vec(e->i8, 4 * lanes);
  LLVMValueRef w = LLVMBuildLoad2(e->b, t, wptr, "w");
  LLVMSetAlignment(w, s->kind == STEP_F32 ? 4 : s->kind == STEP_AVX2 ? 2 : 1);
  if (s->kind == STEP_GENERIC || s->kind == STEP_EMUL512)
    w = LLVMBuildSExt(e->b, w, vec(e->i32, 4 * lanes), "");
  return w;
}

LLVMValueRef dot_step_apply(Emit *e, const DotStep *s, LLVMValueRef acc,
                            LLVMValueRef x, LLVMValueRef w) {
  unsigned lanes = (unsigned)s->lanes;
  switch (s->kind) {
  case STEP_F32: {
    LLVMValueRef args[3] = {x, w, acc};
    return em_intrinsic(e, "llvm.fmuladd", vec(e->f32, lanes), args, 3);
  }
  case STEP_GENERIC:
  case STEP_EMUL512:
    return LLVMBuildAdd(e->b, acc, sum_quads(e, LLVMBuildMul(e->b, x, w, ""), lanes), "");
  case STEP_VNNI512: {
    LLVMTypeRef v16 = vec(e->i32, 16);
    LLVMTypeRef pt[3] = {v16, v16, v16};
    /* vpdpbusd: unsigned bytes of the 2nd operand times signed bytes of
     * the 3rd, four per lane, added to the 1st. */
    LLVMValueRef args[3] = {acc, x, w};
    return em_x86_call(e, "llvm.x86.avx512.vpdpbusd.512", v16, pt, 3, args);
  }
  case STEP_AVX2: {
    /* vpmaddwd: the (x0, x1) i16 pair times each lane's (w0, w1), the
     * two products summed into the lane's i32: exact for u8 x i8. */
    LLVMTypeRef v16i16 = vec(e->i16, 16), v8 = vec(e->i32, 8);
    LLVMValueRef args[2] = {x, w};
    LLVMTypeRef pts[2] = {v16i16, v16i16};
    return LLVMBuildAdd(e->b, acc, em_x86_call(e, "llvm.x86.avx2.pmadd.wd", v8, pts, 2, args), "");
  }
  }
  QCC_DIE("bad dot step %d", s->kind);
}
