/* qconv2d with one input channel per group (depthwise). On NHWC (the
 * layout pass's choice, channel multiplier 1) vectorized across channels:
 * see emit_dw_nhwc below. On NCHW (any channel multiplier) vectorized
 * along the output row:
 *
 *  pre   pack every input plane to [N][C][H + pads][W + pads] u8, the
 *        padding filled with z_x, one padded row per parallel index;
 *  main  per (batch, output channel) plane and output row, vectors of V
 *        output columns (V = 16 on avx512vnni, 8 elsewhere): acc starts
 *        at b'[o] = b[o] - z_x * sum(q_w[o]), and for every tap adds the
 *        V input codes it reads (contiguous for stride 1, every s-th of
 *        one wider load otherwise), zero-extended, times the tap's weight;
 *        then the V results are requantized as a vector (clamp or fused
 *        table) and stored as one contiguous row piece. A row whose width
 *        is not a multiple of V ends with the vector that finishes it
 *        (overlapping the one before: the same values are stored twice);
 *        rows narrower than V are done one column at a time.
 *
 * Padding reads z_x, which the folded bias takes back, so acc = b + sum
 * (q_x - z_x) q_w exactly as the contract says; the i32 sum is exact and
 * its order does not matter. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"
#include "window.h"
#include "dot_step.h"
#include "pack.h"
#include "requant.h"
#include "target.h"

/* Whether the NHWC kernel's input is stored already padded
 * (kernel_stored_padded): then it reads it there and packs nothing. */
static bool input_stored_padded(const Graph *gr, const Node *n) {
  StoredPads sp;
  return kernel_stored_padded(gr, n->inputs[0], &sp);
}

static int64_t dw_scratch(const Graph *gr, const Node *n, TargetKind t) {
  (void)t;
  if (input_stored_padded(gr, n))
    return 0;
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.C * g.PH * g.PW;
}

static int64_t dw_pre_extent(const Node *n) {
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.C * g.PH;
}

static int64_t dw_extent(const Node *n) {
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.O;
}

static int emit_dw_pack(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  WindowGeom g;
  ir_window_geom(k->n, &g);
  LLVMValueRef z = LLVMConstInt(e->i8, (unsigned long long)k->n->inputs[0]->quant->zero_point[0], 0);
  LLVMValueRef x = kc_tensor(k, k->n->inputs[0]);
  Loop l;
  LLVMValueRef r = kernel_range(k, &l); /* plane * PH + ph */
  LLVMValueRef plane = LLVMBuildUDiv(e->b, r, em_i64(e, g.PH), "");
  LLVMValueRef ih = em_addc(e, LLVMBuildURem(e->b, r, em_i64(e, g.PH), ""), -g.pt);
  LLVMValueRef row_in = LLVMBuildAnd(e->b, LLVMBuildICmp(e->b, LLVMIntSGE, ih, em_i64(e, 0), ""),
                                     LLVMBuildICmp(e->b, LLVMIntSLT, ih, em_i64(e, g.H), ""), "");
  LLVMValueRef dst = em_elem(e, e->i8, k->scratch, em_mulc(e, r, g.PW));
  /* Whole spans: the border as z, the row's W codes copied (a loop LLVM
   * turns into memset and memcpy), not a select per element. */
  If out, in;
  em_if(e, &out, LLVMBuildNot(e->b, row_in, ""));
  em_fill_span(e, e->i8, dst, z, 0, g.PW);
  em_if_end(e, &out);
  em_if(e, &in, row_in);
  em_fill_span(e, e->i8, dst, z, 0, g.pl);
  em_fill_span(e, e->i8, dst, z, g.pl + g.W, g.PW);
  LLVMValueRef src = em_elem(e, e->i8, x, em_madc(e, plane, g.H * g.W, em_mulc(e, ih, g.W)));
  Loop lw;
  LLVMValueRef iw = em_loop_n(e, &lw, g.W, "iw");
  em_store_at(e, em_load_at(e, e->i8, src, iw), e->i8, dst, em_addc(e, iw, g.pl));
  em_loop_end(e, &lw);
  em_if_end(e, &in);
  em_loop_end(e, &l);
  return 0;
}

/* The V (lanes) outputs of row oh from column ow0 (i64) of plane o. */
static void emit_columns(KernelCtx *k, const WindowGeom *g, unsigned V, const OutStage *os,
                         LLVMValueRef in_plane, LLVMValueRef y_row, LLVMValueRef oh,
                         LLVMValueRef ow0, LLVMValueRef wrow, LLVMValueRef acc0,
                         LLVMValueRef m) {
  Emit *e = k->e;
  LLVMTypeRef vi = LLVMVectorType(e->i32, V);
  unsigned span = (unsigned)((V - 1) * g->sw + 1);
  LLVMValueRef idx[64];
  for (unsigned i = 0; i < V; i++)
    idx[i] = em_i32(e, (int64_t)i * g->sw);
  LLVMValueRef pick = LLVMConstVector(idx, V);
  LLVMValueRef acc = acc0;
  for (int64_t kh = 0; kh < g->kh; kh++) {
    LLVMValueRef row = em_elem(e, e->i8, in_plane,
                               em_mulc(e, em_addc(e, em_mulc(e, oh, g->sh), kh * g->dh), g->PW));
    for (int64_t kw = 0; kw < g->kw; kw++) {
      LLVMValueRef at = em_addc(e, em_mulc(e, ow0, g->sw), kw * g->dw);
      LLVMValueRef xv = LLVMBuildLoad2(e->b, LLVMVectorType(e->i8, span), em_elem(e, e->i8, row, at), "");
      LLVMSetAlignment(xv, 1);
      if (g->sw != 1)
        xv = LLVMBuildShuffleVector(e->b, xv, LLVMGetUndef(LLVMTypeOf(xv)), pick, "");
      LLVMValueRef wv = em_load_at(e, e->i32, wrow, em_i64(e, kh * g->kw + kw));
      LLVMValueRef ws = LLVMBuildShuffleVector(
          e->b, LLVMBuildInsertElement(e->b, LLVMGetUndef(vi), wv, em_i32(e, 0), ""),
          LLVMGetUndef(vi), LLVMConstNull(vi), "");
      acc = LLVMBuildAdd(e->b, acc, LLVMBuildMul(e->b, LLVMBuildZExt(e->b, xv, vi, ""), ws, ""), "");
    }
  }
  LLVMValueRef codes = requant_out_vector(e, os, acc, m, V);
  LLVMValueRef st = LLVMBuildStore(e->b, codes, em_elem(e, requant_out_type(e, os), y_row, ow0));
  LLVMSetAlignment(st, 1);
}


/* The kernel's constants: weights widened to i32, [O][taps] (NCHW) or
 * [taps][O] (NHWC: one vector load per tap for V channels), the folded
 * biases b'[o] = b[o] - z_x * sum(q_w[o]) and the multipliers. */
typedef struct DwConsts {
  LLVMValueRef w, bias, mult;
  OutStage os;
} DwConsts;

/* b'[o] = b[o] - z_x * sum(q_w[o]) (wrapping, as the kernel's adds). */
static int32_t *dw_folded_bias(const Node *n, const WindowGeom *g) {
  int64_t taps = g->kh * g->kw;
  const int8_t *w = n->inputs[1]->data;
  const int32_t *bias = n->num_inputs > 2 ? n->inputs[2]->data : NULL;
  int32_t z = n->inputs[0]->quant->zero_point[0];
  int32_t *bfold = malloc(sizeof(int32_t) * (size_t)g->O);
  if (!bfold)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < g->O; o++) {
    int64_t sum = 0;
    for (int64_t t = 0; t < taps; t++)
      sum += w[o * taps + t];
    bfold[o] = (int32_t)(uint32_t)((uint32_t)(bias ? bias[o] : 0) - (uint32_t)z * (uint32_t)sum);
  }
  return bfold;
}

static DwConsts dw_constants(KernelCtx *k, const WindowGeom *g, bool taps_major) {
  const Node *n = k->n;
  int64_t taps = g->kh * g->kw;
  const int8_t *w = n->inputs[1]->data;
  int32_t *w32 = malloc(sizeof(int32_t) * (size_t)(g->O * taps));
  int32_t *bfold = dw_folded_bias(n, g);
  if (!w32)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < g->O; o++)
    for (int64_t t = 0; t < taps; t++)
      w32[taps_major ? t * g->O + o : o * taps + t] = w[o * taps + t];
  DwConsts c = {.os = requant_out_stage(k)};
  float *mult = requant_multipliers(n, c.os.scale);
  c.w = kc_const(k, "w32", w32, sizeof(int32_t) * (size_t)(g->O * taps));
  c.bias = kc_const(k, "bias_folded", bfold, sizeof(int32_t) * (size_t)g->O);
  c.mult = kc_const(k, "mult", mult, sizeof(float) * (size_t)g->O);
  free(w32);
  free(bfold);
  free(mult);
  return c;
}

static int emit_dw(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom g;
  ir_window_geom(n, &g);
  unsigned V = target_info(k->target)->i8.lanes;
  int64_t taps = g.kh * g.kw;
  DwConsts dc = dw_constants(k, &g, false);
  OutStage os = dc.os;
  LLVMValueRef wg = dc.w, bg = dc.bias, mg = dc.mult;
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  LLVMTypeRef et = requant_out_type(e, &os);
  Loop l, lh, lv, ls;
  LLVMValueRef r = kernel_range(k, &l); /* b * O + o */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g.O), "");
  LLVMValueRef o = LLVMBuildURem(e->b, r, em_i64(e, g.O), "");
  LLVMValueRef c = LLVMBuildUDiv(e->b, o, em_i64(e, g.OG), "");
  LLVMValueRef in_plane = em_elem(e, e->i8, k->scratch, em_mulc(e, em_madc(e, b, g.C, c), g.PH * g.PW));
  LLVMValueRef wrow = em_elem(e, e->i32, wg, em_mulc(e, o, taps));
  LLVMValueRef b0 = em_load_at(e, e->i32, bg, o), m0 = em_load_at(e, e->f32, mg, o);
  LLVMValueRef oh = em_loop_n(e, &lh, g.OH, "oh");
  LLVMValueRef y_row = em_elem(e, et, y, em_madc(e, r, g.OH * g.OW, em_mulc(e, oh, g.OW)));
  if (g.OW >= (int64_t)V) {
    LLVMValueRef acc0 = em_splat_value(e, b0, V), m = em_splat_value(e, m0, V);
    LLVMValueRef i = em_loop_n(e, &lv, g.OW / V, "v");
    emit_columns(k, &g, V, &os, in_plane, y_row, oh, em_mulc(e, i, V), wrow, acc0, m);
    em_loop_end_rolled(e, &lv);
    if (g.OW % V)
      emit_columns(k, &g, V, &os, in_plane, y_row, oh, em_i64(e, g.OW - V), wrow, acc0, m);
  } else { /* narrower than one vector: one column at a time */
    LLVMValueRef ow = em_loop_n(e, &ls, g.OW, "ow");
    emit_columns(k, &g, 1, &os, in_plane, y_row, oh, ow, wrow, em_splat_value(e, b0, 1), em_splat_value(e, m0, 1));
    em_loop_end_rolled(e, &ls);
  }
  em_loop_end_rolled(e, &lh);
  em_loop_end(e, &l);
  return 0;
}

/* ---- NHWC, multiplier 1: vectors across channels ----------------------- */

static int64_t dw_nhwc_pre_extent(const Node *n) {
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.PH;
}

static int64_t dw_nhwc_extent(const Node *n) {
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.OH;
}

/* pre: the input to padded NHWC [N][H + pads][W + pads][C], z_x around. */
static int emit_dw_nhwc_pack(KernelCtx *k, Diag *d) {
  (void)d;
  if (input_stored_padded(k->g, k->n)) {
    k->no_code = true; /* its producer stored it so, border included */
    return 0;
  }
  WindowGeom g;
  ir_window_geom(k->n, &g);
  PackGeom pg = {g.C, g.H, g.W, g.PH, g.PW, g.C, g.pt, g.pl, true, g.C, NULL};
  int32_t z = k->n->inputs[0]->quant->zero_point[0];
  pack_nhwc_emit(k, &pg, k->e->i8, k->e->i8, LLVMConstInt(k->e->i8, (unsigned long long)z, 0));
  return 0;
}

/* Channels c0 .. c0 + V - 1 of one output pixel: win is the pixel's
 * window (its top-left padded input pixel), yp the output pixel. */
static void dw_channel_vector(KernelCtx *k, const WindowGeom *g, const DwConsts *dc, unsigned V,
                              LLVMValueRef win, LLVMValueRef yp, LLVMValueRef c0) {
  Emit *e = k->e;
  LLVMTypeRef vi = LLVMVectorType(e->i32, V), vb = LLVMVectorType(e->i8, V);
  LLVMValueRef acc = LLVMBuildLoad2(e->b, vi, em_elem(e, e->i32, dc->bias, c0), "");
  LLVMSetAlignment(acc, 4);
  for (int64_t kh = 0; kh < g->kh; kh++)
    for (int64_t kw = 0; kw < g->kw; kw++) {
      int64_t off = (kh * g->dh * g->PW + kw * g->dw) * g->C;
      LLVMValueRef xv = LLVMBuildLoad2(e->b, vb, em_elem(e, e->i8, win, em_addc(e, c0, off)), "");
      LLVMSetAlignment(xv, 1);
      LLVMValueRef wi = em_madc(e, em_i64(e, kh * g->kw + kw), g->C, c0);
      LLVMValueRef wv = LLVMBuildLoad2(e->b, vi, em_elem(e, e->i32, dc->w, wi), "");
      LLVMSetAlignment(wv, 4);
      acc = LLVMBuildAdd(e->b, acc, LLVMBuildMul(e->b, LLVMBuildZExt(e->b, xv, vi, ""), wv, ""), "");
    }
  LLVMValueRef m = LLVMBuildLoad2(e->b, LLVMVectorType(e->f32, V), em_elem(e, e->f32, dc->mult, c0), "");
  LLVMSetAlignment(m, 4);
  LLVMValueRef codes = requant_out_vector(e, &dc->os, acc, m, V);
  LLVMValueRef st = LLVMBuildStore(e->b, codes, em_elem(e, requant_out_type(e, &dc->os), yp, c0));
  LLVMSetAlignment(st, 1);
}

/* ---- NHWC on a 16-lane VNNI step: four taps per dot step ------------------
 *
 * A 64-byte piece of the output row (NHWC, so contiguous) is Q = min(C,
 * 64) channels of P = 64 / Q consecutive pixels; each 16-byte lane holds
 * 16 consecutive channels of one pixel. For four taps, the four pieces
 * they read (the same shape, one tap's offset apart) are interleaved,
 * bytes then words, within each 16-byte lane, into four vectors whose
 * i32 lanes each hold one channel's four taps — channels 0-3, 4-7, 8-11
 * and 12-15 of every 16-byte lane — so one vpdpbusd does 64
 * multiply-adds where the per-tap form did 16 with a widening, a vpmulld
 * and an add. The packs that narrow the four accumulators interleave the
 * same way back: their 64 codes are the piece, in order, for one store.
 * Taps past the last (9 = 4 + 4 + 1) read nothing and weigh 0. For Q < 64
 * a piece spans pixels, so it needs stride 1 and a row of at least P
 * pixels (the last piece ends the row, overlapping the one before). */

enum { DW4_PIECE = 64 };

/* Only a 16-lane VNNI step (native or emulated) has the four-tap form. */
static bool dw4_step(TargetKind t) {
  DotStep s = target_info(t)->i8;
  return s.lanes == 16 && (s.kind == STEP_VNNI512 || s.kind == STEP_EMUL512);
}

static bool dw4_fits(const WindowGeom *g, TargetKind t) {
  if (!dw4_step(t) || g->OG != 1)
    return false;
  if (g->C % DW4_PIECE == 0)
    return true;
  return (g->C == 16 || g->C == 32) && g->sw == 1 && g->OW >= DW4_PIECE / g->C;
}

typedef struct Dw4 {
  DotStep s;
  int64_t NC, G; /* 64-channel pieces of a pixel (1 when C < 64), groups of 4 taps */
  LLVMValueRef w, bias, mult;
  OutStage os;
} Dw4;

/* Piece nc's channel in lane L (= 4l + q, l its 16-byte lane) of
 * accumulator j: the lane's first channel, then 4j + q. */
static int64_t dw4_channel(const WindowGeom *g, int64_t nc, int j, int L) {
  return (nc * DW4_PIECE + 16 * (L / 4)) % g->C + 4 * j + L % 4;
}

/* Weights [NC][G][4 j][16 lanes][4 taps] in the step's packing, folded
 * biases and multipliers [NC][4 j][16 lanes], in the accumulators' lane
 * order. */
static Dw4 dw4_constants(KernelCtx *k, const WindowGeom *g) {
  const Node *n = k->n;
  Dw4 c = {.s = target_info(k->target)->i8, .NC = g->C >= DW4_PIECE ? g->C / DW4_PIECE : 1,
           .G = (g->kh * g->kw + 3) / 4, .os = requant_out_stage(k)};
  int64_t taps = g->kh * g->kw;
  const int8_t *w = n->inputs[1]->data;
  int32_t *bfold = dw_folded_bias(n, g);
  float *mult = requant_multipliers(n, c.os.scale);
  size_t nw = (size_t)(c.NC * c.G * 4 * c.s.w_bytes), nv = (size_t)(c.NC * 4 * 16);
  uint8_t *wp = malloc(nw);
  int32_t *bp = malloc(sizeof(int32_t) * nv);
  float *mp = malloc(sizeof(float) * nv);
  if (!wp || !bp || !mp)
    QCC_DIE("out of memory");
  int8_t step_w[16 * 4];
  for (int64_t nc = 0; nc < c.NC; nc++)
    for (int j = 0; j < 4; j++) {
      for (int L = 0; L < 16; L++) {
        int64_t ch = dw4_channel(g, nc, j, L);
        bp[(nc * 4 + j) * 16 + L] = bfold[ch];
        mp[(nc * 4 + j) * 16 + L] = mult[ch];
      }
      for (int64_t grp = 0; grp < c.G; grp++) {
        for (int L = 0; L < 16; L++)
          for (int i = 0; i < 4; i++) {
            int64_t t = 4 * grp + i;
            step_w[L * 4 + i] = t < taps ? w[dw4_channel(g, nc, j, L) * taps + t] : 0;
          }
        dot_step_pack(&c.s, step_w, wp + ((nc * c.G + grp) * 4 + j) * c.s.w_bytes);
      }
    }
  c.w = kc_const(k, "w_4tap", wp, nw);
  c.bias = kc_const(k, "bias_folded", bp, sizeof(int32_t) * nv);
  c.mult = kc_const(k, "mult", mp, sizeof(float) * nv);
  free(wp);
  free(bp);
  free(mp);
  free(bfold);
  free(mult);
  return c;
}

/* Lanes of a and b (<n x T>) interleaved within each 16-byte lane, from
 * its first half (lo) or its second: vpunpckl/h{bw,wd}. */
static LLVMValueRef unpack(Emit *e, LLVMValueRef a, LLVMValueRef b, unsigned n, bool hi) {
  unsigned per = n / 4, half = per / 2; /* elements per 16-byte lane */
  LLVMValueRef idx[64];
  for (unsigned l = 0, o = 0; l < 4; l++)
    for (unsigned i = 0; i < half; i++) {
      unsigned src = per * l + (hi ? half : 0) + i;
      idx[o++] = em_i32(e, (int32_t)src);
      idx[o++] = em_i32(e, (int32_t)(n + src));
    }
  return LLVMBuildShuffleVector(e->b, a, b, LLVMConstVector(idx, n), "");
}

/* One piece: win is its first pixel's window (tap (0, 0)) at its first
 * channel, yp where its 64 codes go, nc its 64-channel index. */
static void dw4_piece(KernelCtx *k, const WindowGeom *g, const Dw4 *c, LLVMValueRef win,
                      LLVMValueRef yp, LLVMValueRef nc) {
  Emit *e = k->e;
  LLVMTypeRef vb = LLVMVectorType(e->i8, DW4_PIECE), vw = LLVMVectorType(e->i16, 32);
  LLVMTypeRef vi = LLVMVectorType(e->i32, 16), vf = LLVMVectorType(e->f32, 16);
  int64_t taps = g->kh * g->kw;
  LLVMValueRef acc[4];
  for (int j = 0; j < 4; j++) {
    acc[j] = LLVMBuildLoad2(e->b, vi, em_elem(e, e->i32, c->bias, em_madc(e, nc, 64, em_i64(e, 16 * j))), "");
    LLVMSetAlignment(acc[j], 4);
  }
  for (int64_t grp = 0; grp < c->G; grp++) {
    LLVMValueRef t[4];
    for (int i = 0; i < 4; i++) {
      int64_t tap = 4 * grp + i;
      if (tap >= taps) {
        t[i] = LLVMConstNull(vb);
        continue;
      }
      int64_t off = ((tap / g->kw) * g->dh * g->PW + (tap % g->kw) * g->dw) * g->C;
      t[i] = LLVMBuildLoad2(e->b, vb, em_elem(e, e->i8, win, em_i64(e, off)), "");
      LLVMSetAlignment(t[i], 1);
    }
    LLVMValueRef u01[2], u23[2];
    for (int h = 0; h < 2; h++) {
      u01[h] = LLVMBuildBitCast(e->b, unpack(e, t[0], t[1], 64, h), vw, "");
      u23[h] = LLVMBuildBitCast(e->b, unpack(e, t[2], t[3], 64, h), vw, "");
    }
    for (int j = 0; j < 4; j++) {
      LLVMValueRef x = LLVMBuildBitCast(e->b, unpack(e, u01[j / 2], u23[j / 2], 32, j % 2), vi, "");
      LLVMValueRef wat = em_mulc(e, em_madc(e, nc, c->G * 4, em_i64(e, grp * 4 + j)), c->s.w_bytes);
      acc[j] = dot_step_apply(e, &c->s, acc[j], dot_step_x_lanes(e, &c->s, x),
                              dot_step_w(e, &c->s, em_elem(e, e->i8, c->w, wat)));
    }
  }
  LLVMValueRef codes;
  LLVMValueRef m[4], out[4];
  for (int j = 0; j < 4; j++) {
    m[j] = LLVMBuildLoad2(e->b, vf, em_elem(e, e->f32, c->mult, em_madc(e, nc, 64, em_i64(e, 16 * j))), "");
    LLVMSetAlignment(m[j], 4);
  }
  if (c->os.wide) {
    for (int j = 0; j < 4; j++)
      out[j] = requant_out_wide(e, &c->os, acc[j], m[j], 16);
    codes = requant_narrow_lanes(e, &c->os, out);
  } else {
    for (int j = 0; j < 4; j++)
      out[j] = requant_out_vector(e, &c->os, acc[j], m[j], 16);
    codes = requant_lane_order(e, out);
  }
  LLVMValueRef st = LLVMBuildStore(e->b, codes, yp);
  LLVMSetAlignment(st, 1);
}

/* Output row r (= b * OH + oh, whose padded input rows start at ih) in
 * 64-byte pieces. */
static void emit_dw4_row(KernelCtx *k, const WindowGeom *g, const Dw4 *c, LLVMValueRef x,
                         LLVMValueRef y, LLVMValueRef r, LLVMValueRef ih) {
  Emit *e = k->e;
  Loop lw, lc;
  if (g->C >= DW4_PIECE) {
    LLVMValueRef ow = em_loop_n(e, &lw, g->OW, "ow");
    LLVMValueRef nc = em_loop_n(e, &lc, c->NC, "piece");
    LLVMValueRef c0 = em_mulc(e, nc, DW4_PIECE);
    LLVMValueRef win = em_elem(e, e->i8, x,
                               em_madc(e, em_madc(e, ih, g->PW, em_mulc(e, ow, g->sw)), g->C, c0));
    LLVMValueRef yp = em_elem(e, e->i8, y, em_madc(e, em_madc(e, r, g->OW, ow), g->C, c0));
    dw4_piece(k, g, c, win, yp, nc);
    em_loop_end_rolled(e, &lc);
    em_loop_end_rolled(e, &lw);
    return;
  }
  int64_t P = DW4_PIECE / g->C; /* stride 1 */
  LLVMValueRef row_in = em_elem(e, e->i8, x, em_mulc(e, ih, g->PW * g->C));
  LLVMValueRef row_out = em_elem(e, e->i8, y, em_mulc(e, r, g->OW * g->C));
  LLVMValueRef i = em_loop_n(e, &lw, g->OW / P, "piece");
  LLVMValueRef at = em_mulc(e, i, DW4_PIECE);
  dw4_piece(k, g, c, em_elem(e, e->i8, row_in, at), em_elem(e, e->i8, row_out, at), em_i64(e, 0));
  em_loop_end_rolled(e, &lw);
  if (g->OW % P) {
    LLVMValueRef last = em_i64(e, (g->OW - P) * g->C);
    dw4_piece(k, g, c, em_elem(e, e->i8, row_in, last), em_elem(e, e->i8, row_out, last), em_i64(e, 0));
  }
}

/* main: one output row (b, oh) per parallel index; per pixel, the
 * channel vectors, each summing its taps (unrolled) from the padded
 * input. */
static int emit_dw_nhwc(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  WindowGeom g;
  ir_window_geom(k->n, &g);
  bool four_taps = dw4_fits(&g, k->target);
  Dw4 c4 = {0};
  DwConsts dc = {0};
  if (four_taps)
    c4 = dw4_constants(k, &g);
  else
    dc = dw_constants(k, &g, true);
  unsigned V = kernel_channel_vector((unsigned)target_info(k->target)->i8.lanes, g.C);
  LLVMValueRef y = kc_tensor(k, k->n->outputs[0]);
  /* the padded input: packed into the scratch, or stored so */
  LLVMValueRef x = input_stored_padded(k->g, k->n) ? kc_tensor(k, k->n->inputs[0]) : k->scratch;
  Loop l, lw, lc;
  LLVMValueRef r = kernel_range(k, &l); /* b * OH + oh */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef oh = LLVMBuildURem(e->b, r, em_i64(e, g.OH), "");
  LLVMValueRef ih = em_madc(e, b, g.PH, em_mulc(e, oh, g.sh));
  if (four_taps) {
    emit_dw4_row(k, &g, &c4, x, y, r, ih);
  } else {
    LLVMValueRef ow = em_loop_n(e, &lw, g.OW, "ow");
    LLVMValueRef win = em_elem(e, e->i8, x,
                               em_mulc(e, em_madc(e, ih, g.PW, em_mulc(e, ow, g.sw)), g.C));
    LLVMValueRef yp = em_elem(e, requant_out_type(e, &dc.os), y, em_mulc(e, em_madc(e, r, g.OW, ow), g.C));
    LLVMValueRef cv = em_loop_n(e, &lc, g.C / V, "cv");
    dw_channel_vector(k, &g, &dc, V, win, yp, em_mulc(e, cv, V));
    em_loop_end_rolled(e, &lc);
    if (g.C % V)
      dw_channel_vector(k, &g, &dc, V, win, yp, em_i64(e, g.C - V));
    em_loop_end_rolled(e, &lw);
  }
  em_loop_end(e, &l);
  return 0;
}

#define DW_NHWC "qu8_dwconv_nhwc_minmax_fp32_ukernel"
#define DW_NHWC_4TAP "qu8_dwconv_nhwc_4tap_minmax_fp32_ukernel"

/* The four-tap form where it fits, else the lane-per-channel one. */
static void describe_dw_nhwc(const Node *n, TargetKind t, char *buf, size_t len) {
  WindowGeom g;
  ir_window_geom(n, &g);
  snprintf(buf, len, "%s__%s", dw4_fits(&g, t) ? DW_NHWC_4TAP : DW_NHWC, target_info(t)->isa);
}

static bool params_dw_nhwc(TargetKind t, char *buf, size_t len) {
  snprintf(buf, len, "lanes=%d", target_info(t)->i8.lanes);
  return true;
}
static bool params_dw4(TargetKind t, char *buf, size_t len) {
  if (!dw4_step(t))
    return false;
  snprintf(buf, len, "lanes=%d taps=4 piece=%d", target_info(t)->i8.lanes, DW4_PIECE);
  return true;
}

static bool nhwc_layouts(const Node *n) {
  return kernel_same_layouts(n) && n->inputs[1]->dims[0] == n->inputs[0]->dims[1];
}

/* groups = C, one input channel per group, constant weights. */
static bool is_depthwise(const Node *n) {
  return n->op == OP_QCONV2D && n->inputs[1]->dims[1] == 1 &&
         ir_attr_int(n, ATTR_GROUPS) == n->inputs[0]->dims[1] && n->inputs[1]->kind == TK_CONST;
}
static bool takes_dw(const Node *n) { return is_depthwise(n) && n->inputs[0]->layout != LAYOUT_NHWC; }
static bool takes_dw_nhwc(const Node *n) { return is_depthwise(n) && n->inputs[0]->layout == LAYOUT_NHWC; }

const KernelSpec kernel_qu8_dwconv = {
    .name = "qu8_dwconv_minmax_fp32_ukernel",
    .takes = takes_dw,
    .forms = {{"qu8_dwconv_minmax_fp32_ukernel__<isa>",
               "depthwise qconv2d on NCHW planes (any channel multiplier)", NULL}},
    .extent = dw_extent,
    .scratch = dw_scratch,
    .emit = emit_dw,
    .pre_extent = dw_pre_extent,
    .emit_pre = emit_dw_pack};

const KernelSpec kernel_qu8_dwconv_nhwc = {
    .name = DW_NHWC,
    .takes = takes_dw_nhwc,
    .forms = {{DW_NHWC "__<isa>",
               "depthwise qconv2d, multiplier 1, NHWC: one i32 lane per channel, taps one by one",
               params_dw_nhwc},
              {DW_NHWC_4TAP "__<isa>",
               "depthwise qconv2d, multiplier 1, NHWC, C % 64 == 0 (or 16, 32 with stride 1): "
               "four taps per vpdpbusd",
               params_dw4}},
    .extent = dw_nhwc_extent,
    .scratch = dw_scratch, /* the same padded bytes */
    .emit = emit_dw_nhwc,
    .pre_extent = dw_nhwc_pre_extent,
    .emit_pre = emit_dw_nhwc_pack,
    .describe = describe_dw_nhwc,
    .takes_layouts = nhwc_layouts};
