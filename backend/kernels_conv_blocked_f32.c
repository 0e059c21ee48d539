/* conv2d in f32 (groups = 1) on the same schedule as the int8 one
 * (kernels_qconv_blocked.c), so --quant=none is a fair baseline:
 *
 *  pre   pack the input to [N][H + pads][W + pads][C] f32 (channels
 *        innermost, zeros in the padding), one padded row per index;
 *  main  per (batch, output row), per block of NR output channels, tiles
 *        of MR = 4 output pixels: NR-lane f32 accumulators start at the
 *        bias; for every tap and input channel, acc += x (broadcast) * w
 *        (the block's NR weights, packed [O/NR][KH][KW][C][NR]) with
 *        llvm.fmuladd; then the lanes go to their NCHW places.
 *
 * NR is the vector width of the target: 16 (AVX-512), 8 (AVX2), 4 (SSE).
 * The sum runs in a different order, and fused, compared with the float
 * interpreter's double accumulation: results agree within the float
 * tolerance (1e-5 relative), not to the bit — only int8 is bit-exact. */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "pack.h"

enum { MR = 4 };

typedef struct Geom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t PH, PW, NB;
} Geom;

static int lanes_for(TargetKind t) {
  switch (t) {
  case TARGET_AVX512VNNI: return 16;
  case TARGET_AVX2:
  case TARGET_AVX512VNNI_EMULATED:
  case TARGET_NATIVE: return 8;
  default: return 4;
  }
}

static void geom(const Node *n, int lanes, Geom *g) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
  int cnt;
  const int64_t *s = ir_attr_ints(n, ATTR_STRIDE, &cnt);
  const int64_t *p = ir_attr_ints(n, ATTR_PADDING, &cnt);
  const int64_t *dl = ir_attr_ints(n, ATTR_DILATION, &cnt);
  *g = (Geom){x->dims[0], x->dims[1], x->dims[2], x->dims[3], w->dims[0],
              w->dims[2], w->dims[3], y->dims[2], y->dims[3], s[0], s[1],
              dl[0], dl[1], p[0], p[1], p[2], p[3], 0, 0, 0};
  g->PH = g->H + g->pt + g->pb;
  g->PW = g->W + g->pl + g->pr;
  g->NB = (g->O + lanes - 1) / lanes;
}

static int64_t packed_bytes(const Node *n, TargetKind t) {
  Geom g;
  geom(n, lanes_for(t), &g);
  return g.N * g.PH * g.PW * g.C * 4;
}

static int64_t pre_extent(const Node *n) {
  Geom g;
  geom(n, 8, &g);
  return g.N * g.PH;
}

static int64_t main_extent(const Node *n) {
  Geom g;
  geom(n, 8, &g);
  return g.N * g.OH;
}

static int emit_pack(KernelCtx *k, Diag *d) {
  (void)d;
  Geom g;
  geom(k->n, lanes_for(k->target), &g);
  PackGeom pg = {g.C, g.H, g.W, g.PH, g.PW, g.C, g.pt, g.pl, false};
  pack_nhwc_emit(k, &pg, k->e->f32, k->e->f32, em_f32(k->e, 0));
  return 0;
}

static void emit_tile(KernelCtx *k, const Geom *g, int lanes, int mr,
                      LLVMValueRef b, LLVMValueRef oh, LLVMValueRef ob,
                      LLVMValueRef ow0, LLVMValueRef wp, LLVMValueRef bp,
                      LLVMValueRef y) {
  Emit *e = k->e;
  LLVMTypeRef vt = LLVMVectorType(e->f32, (unsigned)lanes);
  LLVMValueRef binit = LLVMBuildLoad2(e->b, vt, em_elem(e, e->f32, bp, em_mulc(e, ob, lanes)), "");
  LLVMSetAlignment(binit, 4);
  LLVMValueRef acc[MR];
  for (int m = 0; m < mr; m++)
    acc[m] = em_var(e, vt, binit, "acc");
  Loop lkh, lkw, lc;
  LLVMValueRef kh = em_loop_n(e, &lkh, g->KH, "kh");
  LLVMValueRef ih = em_add(e, em_mulc(e, oh, g->sh), em_mulc(e, kh, g->dh));
  LLVMValueRef row = em_mulc(e, em_madc(e, b, g->PH, ih), g->PW);
  LLVMValueRef kw = em_loop_n(e, &lkw, g->KW, "kw");
  LLVMValueRef wtap = em_mulc(e, em_madc(e, em_madc(e, ob, g->KH, kh), g->KW, kw), g->C * lanes);
  LLVMValueRef xcol[MR];
  for (int m = 0; m < mr; m++) {
    LLVMValueRef iw = em_add(e, em_mulc(e, em_addc(e, ow0, m), g->sw), em_mulc(e, kw, g->dw));
    xcol[m] = em_elem(e, e->f32, k->scratch, em_mulc(e, em_add(e, row, iw), g->C));
  }
  LLVMValueRef c = em_loop_n(e, &lc, g->C, "c");
  LLVMValueRef wv = LLVMBuildLoad2(e->b, vt, em_elem(e, e->f32, wp, em_madc(e, c, lanes, wtap)), "w");
  LLVMSetAlignment(wv, 4);
  LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(e->i32, (unsigned)lanes));
  for (int m = 0; m < mr; m++) {
    LLVMValueRef xs = em_load_at(e, e->f32, xcol[m], c);
    LLVMValueRef xv = LLVMBuildInsertElement(e->b, LLVMGetUndef(vt), xs, em_i32(e, 0), "");
    xv = LLVMBuildShuffleVector(e->b, xv, LLVMGetUndef(vt), zeros, "");
    LLVMValueRef args[3] = {xv, wv, LLVMBuildLoad2(e->b, vt, acc[m], "")};
    LLVMBuildStore(e->b, em_intrinsic(e, "llvm.fmuladd", vt, args, 3), acc[m]);
  }
  em_loop_end(e, &lc);
  em_loop_end_rolled(e, &lkw);
  em_loop_end_rolled(e, &lkh);
  int64_t plane = g->OH * g->OW;
  LLVMValueRef rowbase = em_add(e, em_mulc(e, b, g->O * plane), em_mulc(e, oh, g->OW));
  for (int m = 0; m < mr; m++) {
    LLVMValueRef a = LLVMBuildLoad2(e->b, vt, acc[m], "");
    LLVMValueRef base = em_add(e, rowbase, em_addc(e, ow0, m));
    for (int j = 0; j < lanes; j++) {
      LLVMValueRef o = em_addc(e, em_mulc(e, ob, lanes), j);
      If f = {0};
      bool partial = g->O % lanes != 0;
      if (partial)
        em_if(e, &f, LLVMBuildICmp(e->b, LLVMIntSLT, o, em_i64(e, g->O), ""));
      em_store_at(e, LLVMBuildExtractElement(e->b, a, em_i32(e, j), ""), e->f32, y,
                  em_add(e, base, em_mulc(e, o, plane)));
      if (partial)
        em_if_end(e, &f);
    }
  }
}

static int emit_main(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  int lanes = lanes_for(k->target);
  Geom g;
  geom(n, lanes, &g);
  const float *w = n->inputs[1]->data;
  const float *bias = n->num_inputs > 2 ? n->inputs[2]->data : NULL;
  size_t wcount = (size_t)(g.NB * g.KH * g.KW * g.C * lanes);
  float *wpack = calloc(wcount, sizeof(float));
  float *bpack = calloc((size_t)(g.NB * lanes), sizeof(float));
  if (!wpack || !bpack)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < g.O; o++) {
    int64_t ob = o / lanes, j = o % lanes;
    bpack[o] = bias ? bias[o] : 0.0f;
    for (int64_t c = 0; c < g.C; c++)
      for (int64_t kh = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++)
          wpack[((((ob * g.KH + kh) * g.KW + kw) * g.C + c) * lanes) + j] =
              w[((o * g.C + c) * g.KH + kh) * g.KW + kw];
  }
  LLVMValueRef wp = kc_const(k, "wpack", wpack, wcount * sizeof(float));
  LLVMValueRef bp = kc_const(k, "bias", bpack, sizeof(float) * (size_t)(g.NB * lanes));
  free(wpack);
  free(bpack);
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l, lb, lt, lr;
  LLVMValueRef r = kernel_range(k, &l);
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef oh = LLVMBuildURem(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef ob = em_loop_n(e, &lb, g.NB, "ob");
  int64_t tiles = g.OW / MR;
  if (tiles > 0) {
    LLVMValueRef t = em_loop_n(e, &lt, tiles, "tile");
    emit_tile(k, &g, lanes, MR, b, oh, ob, em_mulc(e, t, MR), wp, bp, y);
    em_loop_end_rolled(e, &lt);
  }
  if (g.OW % MR) {
    LLVMValueRef ow = em_loop(e, &lr, em_i64(e, tiles * MR), em_i64(e, g.OW), "rest");
    emit_tile(k, &g, lanes, 1, b, oh, ob, ow, wp, bp, y);
    em_loop_end_rolled(e, &lr);
  }
  em_loop_end_rolled(e, &lb);
  em_loop_end_rolled(e, &l);
  return 0;
}

static const KernelSpec blocked_f32_k = {.name = "f32_conv_nr",
                                         .extent = main_extent,
                                         .scratch = packed_bytes,
                                         .emit = emit_main,
                                         .pre_extent = pre_extent,
                                         .emit_pre = emit_pack};

const KernelSpec *kernel_conv_blocked_f32(const Node *n) {
  if (n->op != OP_CONV2D || ir_attr_int(n, ATTR_GROUPS) != 1 ||
      n->inputs[0]->dtype != DT_F32 || n->inputs[1]->kind != TK_CONST ||
      (n->num_inputs > 2 && n->inputs[2]->kind != TK_CONST))
    return NULL;
  return &blocked_f32_k;
}
