/* See amx_tile.h. */
#include "amx_tile.h"

#include "dot_step.h"

static LLVMTypeRef amx_t(Emit *e) { return LLVMX86AMXTypeInContext(e->ctx); }
static LLVMValueRef i16c(Emit *e, int v) { return LLVMConstInt(e->i16, (unsigned long long)v, 0); }

/* The emulated VNNI step (dot_step.h): one i32 lane per channel. */
static const DotStep emulated_step = {STEP_EMUL512, 16, 4, 1, 64, 24, "amx_emulated"};

TileAcc tile_zero(Emit *e, TileKind k, int rows, LLVMValueRef buf, int64_t stride) {
  TileAcc c = {rows, NULL, buf, stride};
  if (k == TILES_AMX) {
    LLVMTypeRef pt[2] = {e->i16, e->i16};
    LLVMValueRef args[2] = {i16c(e, rows), i16c(e, TILE_BYTES)};
    c.v = em_x86_call(e, "llvm.x86.tilezero.internal", amx_t(e), pt, 2, args);
    return c;
  }
  LLVMTypeRef vt = LLVMVectorType(e->i32, 16);
  for (int r = 0; r < rows; r++) {
    LLVMValueRef st = LLVMBuildStore(e->b, LLVMConstNull(vt),
                                     em_elem(e, e->i8, buf, em_i64(e, r * stride)));
    LLVMSetAlignment(st, 4);
  }
  return c;
}

TileOperand tile_load_a(Emit *e, TileKind k, int rows, int bytes, LLVMValueRef at,
                        int64_t stride) {
  TileOperand t = {rows, bytes, NULL, at, stride};
  if (k == TILES_AMX) {
    LLVMTypeRef pt[4] = {e->i16, e->i16, e->ptr, e->i64};
    LLVMValueRef args[4] = {i16c(e, rows), i16c(e, bytes), at, em_i64(e, stride)};
    t.v = em_x86_call(e, "llvm.x86.tileloadd64.internal", amx_t(e), pt, 4, args);
  }
  return t;
}

TileOperand tile_load_b(Emit *e, TileKind k, int bytes, LLVMValueRef at) {
  return tile_load_a(e, k, bytes / 4, TILE_BYTES, at, TILE_BYTES); /* the same load */
}

void tile_dot(Emit *e, TileKind k, TileAcc *c, const TileOperand *a, const TileOperand *b) {
  if (k == TILES_AMX) {
    LLVMTypeRef t = amx_t(e);
    LLVMTypeRef pt[6] = {e->i16, e->i16, e->i16, t, t, t};
    LLVMValueRef args[6] = {i16c(e, c->rows), i16c(e, TILE_BYTES), i16c(e, a->bytes),
                            c->v, a->v, b->v};
    c->v = em_x86_call(e, "llvm.x86.tdpbusd.internal", t, pt, 6, args);
    return;
  }
  /* Row by row (a rolled loop: the tile's semantics, not its speed):
   * each 4-byte group of the pixel's activations broadcast against the
   * weight row of those bytes, exactly as vpdpbusd. */
  const DotStep *s = &emulated_step;
  LLVMTypeRef vt = LLVMVectorType(e->i32, 16);
  Loop l;
  LLVMValueRef r = em_loop_n(e, &l, c->rows, "tile_row");
  LLVMValueRef cp = em_elem(e, e->i8, c->buf, em_mulc(e, r, c->stride));
  LLVMValueRef ap = em_elem(e, e->i8, a->at, em_mulc(e, r, a->stride));
  Loop lg; /* rolled too: unrolled, the emulation tripled compile times */
  LLVMValueRef g = em_loop_n(e, &lg, a->bytes / 4, "tile_k");
  LLVMValueRef acc = LLVMBuildLoad2(e->b, vt, cp, "");
  LLVMSetAlignment(acc, 4);
  LLVMValueRef word = LLVMBuildLoad2(e->b, e->i32, em_elem(e, e->i8, ap, em_mulc(e, g, 4)), "");
  LLVMSetAlignment(word, 1);
  LLVMValueRef w = dot_step_w(e, s, em_elem(e, e->i8, b->at, em_mulc(e, g, b->stride)));
  LLVMValueRef st = LLVMBuildStore(e->b, dot_step_apply(e, s, acc, dot_step_x(e, s, word), w), cp);
  LLVMSetAlignment(st, 4);
  em_loop_end_rolled(e, &lg);
  em_loop_end_rolled(e, &l);
}

void tile_store(Emit *e, TileKind k, const TileAcc *c) {
  if (k != TILES_AMX)
    return;
  LLVMTypeRef pt[5] = {e->i16, e->i16, e->ptr, e->i64, amx_t(e)};
  LLVMValueRef args[5] = {i16c(e, c->rows), i16c(e, TILE_BYTES), c->buf, em_i64(e, c->stride),
                          c->v};
  em_x86_call(e, "llvm.x86.tilestored64.internal", e->void_t, pt, 5, args);
}

LLVMValueRef tile_loop(Emit *e, TileKind k, TileLoop *tl, int64_t count, TileAcc *c, int n,
                       const char *name) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(e->b);
  LLVMValueRef iv = em_loop_n(e, &tl->l, count, name);
  tl->n = k == TILES_AMX ? n : 0;
  if (!tl->n)
    return iv;
  LLVMBasicBlockRef body = LLVMGetInsertBlock(e->b);
  LLVMPositionBuilderBefore(e->b, LLVMGetNextInstruction(iv)); /* after the iv's phi */
  for (int i = 0; i < tl->n; i++) {
    tl->phi[i] = LLVMBuildPhi(e->b, amx_t(e), "tile");
    LLVMAddIncoming(tl->phi[i], &c[i].v, &pre, 1);
    c[i].v = tl->phi[i];
  }
  LLVMPositionBuilderAtEnd(e->b, body);
  return iv;
}

void tile_loop_end(Emit *e, TileLoop *tl, TileAcc *c) {
  LLVMBasicBlockRef from = LLVMGetInsertBlock(e->b);
  for (int i = 0; i < tl->n; i++)
    LLVMAddIncoming(tl->phi[i], &c[i].v, &from, 1);
  em_loop_end(e, &tl->l);
  for (int i = 0; i < tl->n; i++)
    c[i].v = tl->phi[i]; /* the exit leaves from the head */
}
