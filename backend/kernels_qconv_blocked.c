/* qconv2d (groups = 1) and qlinear (as a 1x1 conv over [rows][K][1][1])
 * as a blocked schedule around the target's int8 dot
 * step (dot_step.h):
 *
 *  pre   pack the input to [N][H + pads][W + pads][C4] u8 (channels
 *        innermost, rounded up to 4, padding filled with z_x), one padded
 *        row per parallel index;
 *  main  for every (batch, output row, block of NR output channels), tiles
 *        of MR output pixels: NR-lane i32 accumulators start at
 *        b'[o] = b[o] - z_x * sum(q_w[o]), then for every tap (kh, kw) and
 *        every group of 4 input channels, one step per pixel: the pixel's 4
 *        codes (one 32-bit word) times the block's packed weights. Then
 *        each lane is requantized (clamp or fused table) into NCHW.
 *
 * Padding and the padded channels read z_x, so they add z_x * w, which the
 * folded bias takes back: acc = b + sum (q_x - z_x) q_w exactly, as the
 * contract says (the final sum fits i32; the i32 adds wrap, as the
 * interpreter's argument allows). Weights are packed at compile time in
 * the step's layout: [O/NR][KH][KW][C4/4][group]. Named after XNNPACK:
 * qu8_conv_minmax_fp32_ukernel_<MR>x<NR>c4__<isa>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "dot_step.h"
#include "pack.h"
#include "requant.h"

enum { MR = 4 };

typedef struct Geom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t PH, PW, C4, NB;
} Geom;

static void geom(const Node *n, int lanes, Geom *g) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
  if (n->op == OP_QLINEAR) { /* a 1x1 conv over [rows][K][1][1] */
    *g = (Geom){x->dims[0], x->dims[1], 1, 1, w->dims[0], 1, 1, 1, 1,
                1, 1, 1, 1, 0, 0, 0, 0, 1, 1, (x->dims[1] + 3) / 4 * 4,
                (w->dims[0] + lanes - 1) / lanes};
    return;
  }
  int cnt;
  const int64_t *s = ir_attr_ints(n, ATTR_STRIDE, &cnt);
  const int64_t *p = ir_attr_ints(n, ATTR_PADDING, &cnt);
  const int64_t *dl = ir_attr_ints(n, ATTR_DILATION, &cnt);
  *g = (Geom){x->dims[0], x->dims[1], x->dims[2], x->dims[3], w->dims[0],
              w->dims[2], w->dims[3], y->dims[2], y->dims[3], s[0], s[1],
              dl[0], dl[1], p[0], p[1], p[2], p[3], 0, 0, 0, 0};
  g->PH = g->H + g->pt + g->pb;
  g->PW = g->W + g->pl + g->pr;
  g->C4 = (g->C + 3) / 4 * 4;
  g->NB = (g->O + lanes - 1) / lanes;
}

/* The step of the kernel's target; the context carries it. */
static DotStep step_of(const KernelCtx *k) { return dot_step_for(k->target); }

static int64_t packed_bytes(const Node *n, TargetKind t) {
  DotStep s = dot_step_for(t);
  Geom g;
  geom(n, s.lanes, &g);
  return g.N * g.PH * g.PW * g.C4;
}

static int64_t pre_extent(const Node *n) {
  Geom g;
  geom(n, 8, &g);
  return g.N * g.PH;
}

/* One output row (all channel blocks) per parallel index. */
static int64_t main_extent(const Node *n) {
  Geom g;
  geom(n, 8, &g);
  return g.N * g.OH;
}

static int emit_pack(KernelCtx *k, Diag *d) {
  (void)d;
  Geom g;
  geom(k->n, step_of(k).lanes, &g);
  PackGeom pg = {g.C, g.H, g.W, g.PH, g.PW, g.C4, g.pt, g.pl};
  int32_t z = k->n->inputs[0]->quant->zero_point[0];
  pack_nhwc_emit(k, &pg, k->e->i8, LLVMConstInt(k->e->i8, (unsigned long long)z, 0));
  return 0;
}

/* Packed weights, folded biases and multipliers, as constants. */
static void pack_constants(KernelCtx *k, const DotStep *s, const Geom *g,
                           LLVMValueRef *wp, LLVMValueRef *bp, LLVMValueRef *mp,
                           OutStage *os) {
  const Node *n = k->n;
  const int8_t *w = n->inputs[1]->data;
  const int32_t *bias = n->num_inputs > 2 ? n->inputs[2]->data : NULL;
  int32_t z = n->inputs[0]->quant->zero_point[0];
  int64_t groups = g->C4 / 4, lanes = s->lanes;
  size_t wbytes = (size_t)(g->NB * g->KH * g->KW * groups * s->group_bytes);
  uint8_t *wpack = calloc(wbytes, 1);
  int32_t *bfold = calloc((size_t)(g->NB * lanes), sizeof(int32_t));
  int8_t (*quad)[4] = calloc((size_t)lanes, sizeof *quad);
  if (!wpack || !bfold || !quad)
    QCC_DIE("out of memory");
  for (int64_t ob = 0; ob < g->NB; ob++)
    for (int64_t kh = 0; kh < g->KH; kh++)
      for (int64_t kw = 0; kw < g->KW; kw++)
        for (int64_t q = 0; q < groups; q++) {
          for (int64_t j = 0; j < lanes; j++)
            for (int i = 0; i < 4; i++) {
              int64_t o = ob * lanes + j, c = 4 * q + i;
              quad[j][i] = o < g->O && c < g->C
                               ? w[((o * g->C + c) * g->KH + kh) * g->KW + kw]
                               : 0;
            }
          size_t at = (size_t)((((ob * g->KH + kh) * g->KW + kw) * groups + q) *
                               s->group_bytes);
          dot_step_pack(s, (const int8_t(*)[4])quad, wpack + at);
        }
  for (int64_t o = 0; o < g->O; o++) {
    int64_t sum = 0;
    for (int64_t i = 0; i < g->C * g->KH * g->KW; i++)
      sum += w[o * g->C * g->KH * g->KW + i];
    /* Wrapping i32 arithmetic, as the kernel's adds. */
    bfold[o] = (int32_t)(uint32_t)((uint32_t)(bias ? bias[o] : 0) -
                                   (uint32_t)z * (uint32_t)sum);
  }
  *os = requant_out_stage(k);
  float *m = requant_multipliers_padded(n, os->scale, g->NB * lanes);
  *wp = kc_const(k, "wpack", wpack, wbytes);
  *bp = kc_const(k, "bias_folded", bfold, sizeof(int32_t) * (size_t)(g->NB * lanes));
  *mp = kc_const(k, "mult", m, sizeof(float) * (size_t)(g->NB * lanes));
  free(wpack);
  free(bfold);
  free(quad);
  free(m);
}

/* One tile of `mr` output pixels starting at column ow0 (i64 value). */
static void emit_tile(KernelCtx *k, const DotStep *s, const Geom *g, int mr,
                      LLVMValueRef b, LLVMValueRef oh, LLVMValueRef ob,
                      LLVMValueRef ow0, LLVMValueRef wp, LLVMValueRef bp,
                      LLVMValueRef mp, const OutStage *os, LLVMValueRef y) {
  Emit *e = k->e;
  LLVMTypeRef vt = LLVMVectorType(e->i32, (unsigned)s->lanes);
  LLVMValueRef binit = LLVMBuildLoad2(e->b, vt, em_elem(e, e->i32, bp, em_mulc(e, ob, s->lanes)), "");
  LLVMSetAlignment(binit, 4);
  LLVMValueRef acc[MR];
  for (int m = 0; m < mr; m++)
    acc[m] = em_var(e, vt, binit, "acc");
  int64_t groups = g->C4 / 4;
  Loop lkh, lkw, lq;
  LLVMValueRef kh = em_loop_n(e, &lkh, g->KH, "kh");
  LLVMValueRef ih = em_add(e, em_mulc(e, oh, g->sh), em_mulc(e, kh, g->dh));
  LLVMValueRef row = em_mulc(e, em_madc(e, b, g->PH, ih), g->PW);
  LLVMValueRef kw = em_loop_n(e, &lkw, g->KW, "kw");
  LLVMValueRef wtap = em_mulc(e, em_madc(e, em_madc(e, ob, g->KH, kh), g->KW, kw),
                              groups * s->group_bytes);
  LLVMValueRef xcol[MR];
  for (int m = 0; m < mr; m++) {
    LLVMValueRef iw = em_add(e, em_mulc(e, em_addc(e, ow0, m), g->sw), em_mulc(e, kw, g->dw));
    xcol[m] = em_elem(e, e->i8, k->scratch, em_mulc(e, em_add(e, row, iw), g->C4));
  }
  LLVMValueRef q = em_loop_n(e, &lq, groups, "c4");
  LLVMValueRef wptr = em_elem(e, e->i8, wp, em_madc(e, q, s->group_bytes, wtap));
  for (int m = 0; m < mr; m++) {
    LLVMValueRef x4 = LLVMBuildLoad2(e->b, e->i32, em_elem(e, e->i8, xcol[m], em_mulc(e, q, 4)), "x4");
    LLVMSetAlignment(x4, 1);
    LLVMValueRef cur = LLVMBuildLoad2(e->b, vt, acc[m], "");
    LLVMBuildStore(e->b, dot_step_emit(e, s, cur, x4, wptr), acc[m]);
  }
  em_loop_end(e, &lq);
  em_loop_end_rolled(e, &lkw);
  em_loop_end_rolled(e, &lkh);
  /* Requantize each pixel's NR lanes as one vector, then store each lane
   * to its NCHW place; lanes past O are skipped. */
  unsigned nl = (unsigned)s->lanes;
  LLVMValueRef mv = LLVMBuildLoad2(e->b, LLVMVectorType(e->f32, nl),
                                   em_elem(e, e->f32, mp, em_mulc(e, ob, s->lanes)), "");
  LLVMSetAlignment(mv, 4);
  LLVMValueRef lane_c[16];
  for (unsigned j = 0; j < nl; j++)
    lane_c[j] = em_i64(e, j);
  LLVMValueRef lanes_v = LLVMConstVector(lane_c, nl);
  LLVMTypeRef v64 = LLVMVectorType(e->i64, nl);
  LLVMValueRef obv = LLVMBuildInsertElement(e->b, LLVMGetUndef(v64), em_mulc(e, ob, s->lanes), em_i32(e, 0), "");
  LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(e->i32, nl));
  obv = LLVMBuildShuffleVector(e->b, obv, LLVMGetUndef(v64), zeros, "");
  LLVMValueRef ov = LLVMBuildAdd(e->b, obv, lanes_v, "o");
  LLVMValueRef okay = NULL;
  if (g->O % s->lanes) {
    LLVMValueRef lim = LLVMBuildInsertElement(e->b, LLVMGetUndef(v64), em_i64(e, g->O), em_i32(e, 0), "");
    lim = LLVMBuildShuffleVector(e->b, lim, LLVMGetUndef(v64), zeros, "");
    okay = LLVMBuildICmp(e->b, LLVMIntSLT, ov, lim, "");
  }
  /* element (b, o, oh, ow) = ((b*O + o)*OH + oh)*OW + ow */
  int64_t plane = g->OH * g->OW;
  LLVMValueRef rowbase = em_add(e, em_mulc(e, b, g->O * plane), em_mulc(e, oh, g->OW));
  for (int m = 0; m < mr; m++) {
    LLVMValueRef a = LLVMBuildLoad2(e->b, vt, acc[m], "");
    LLVMValueRef codes = requant_out_vector(e, os, a, mv, nl);
    LLVMValueRef base = em_add(e, rowbase, em_addc(e, ow0, m));
    for (unsigned j = 0; j < nl; j++) {
      LLVMValueRef o = em_addc(e, em_mulc(e, ob, s->lanes), (int64_t)j);
      If f = {0};
      if (okay)
        em_if(e, &f, LLVMBuildExtractElement(e->b, okay, em_i32(e, j), ""));
      em_store_at(e, LLVMBuildExtractElement(e->b, codes, em_i32(e, j), ""), requant_out_type(e, os), y,
                  em_add(e, base, em_mulc(e, o, plane)));
      if (okay)
        em_if_end(e, &f);
    }
  }
}

static int emit_main(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  DotStep s = step_of(k);
  Geom g;
  geom(n, s.lanes, &g);
  LLVMValueRef wp, bp, mp;
  OutStage os;
  pack_constants(k, &s, &g, &wp, &bp, &mp, &os);
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l, lb, lt, lr;
  LLVMValueRef r = kernel_range(k, &l); /* b * OH + oh */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef oh = LLVMBuildURem(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef ob = em_loop_n(e, &lb, g.NB, "ob");
  int64_t tiles = g.OW / MR;
  if (tiles > 0) {
    LLVMValueRef t = em_loop_n(e, &lt, tiles, "tile");
    emit_tile(k, &s, &g, MR, b, oh, ob, em_mulc(e, t, MR), wp, bp, mp, &os, y);
    em_loop_end_rolled(e, &lt);
  }
  if (g.OW % MR) {
    LLVMValueRef ow = em_loop(e, &lr, em_i64(e, tiles * MR), em_i64(e, g.OW), "rest");
    emit_tile(k, &s, &g, 1, b, oh, ob, ow, wp, bp, mp, &os, y);
    em_loop_end_rolled(e, &lr);
  }
  em_loop_end_rolled(e, &lb);
  em_loop_end_rolled(e, &l);
  return 0;
}

static const KernelSpec blocked_k = {.name = "qu8_conv_c4",
                                     .extent = main_extent,
                                     .scratch = packed_bytes,
                                     .emit = emit_main,
                                     .pre_extent = pre_extent,
                                     .emit_pre = emit_pack};

const KernelSpec *kernel_qconv_blocked(const Node *n) {
  if (n->op == OP_QLINEAR)
    return &blocked_k;
  if (n->op != OP_QCONV2D || ir_attr_int(n, ATTR_GROUPS) != 1)
    return NULL;
  return &blocked_k;
}
