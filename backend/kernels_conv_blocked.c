/* conv2d and qconv2d (groups = 1), linear and qlinear (a 1x1 conv whose
 * "pixels" are the rows of [rows][K]) as one blocked schedule around the
 * target's dot step (dot_step.h: int8, or f32 with k = 1, so --quant=none
 * is a fair baseline on the same schedule):
 *
 *  pre   pack the input (NCHW, or NHWC where the layout pass chose it)
 *        to [N][H + pads][W + pads][Cp] (channels innermost, rounded up
 *        to the step's k, padding filled with z_x; u8, or zero-extended
 *        to i16 for the AVX2 step), one padded row per parallel index;
 *  main  per group of 48 output pixels of an image (the parallel index;
 *        pixels flattened over OH x OW, so tiles may span rows), per
 *        channel tile of NBT blocks of NR output channels, register tiles
 *        of MR pixels x NBT blocks: MR * NBT accumulators of NR lanes
 *        start at b'[o] = b[o] - z_x * sum(q_w[o]); for every tap (kh, kw)
 *        and every step of k input channels, the NBT weight vectors are
 *        loaded once, each pixel's activation word is broadcast once, and
 *        MR * NBT steps run, all independent. Then each accumulator is
 *        requantized as a vector (clamp or fused table; requant.h's
 *        integer route where its bound holds, four vectors narrowed by
 *        one pack where they lie end to end) and stored: into
 *        NCHW by transposing the tile (each channel's MR pixels are
 *        contiguous), as each pixel's NR channels for NHWC, as whole
 *        rows for a linear.
 *
 * The tile is chosen per layer from the step's register budget
 * (dot_step.h: 24 zmm accumulators on AVX512-VNNI, 12 ymm on AVX2):
 * NBT = min(blocks, budget / 6) (1 for an int8 zmm conv with an NCHW
 * output whose K is at most 64 steps: its output stage dominates, and a
 * 24-pixel tile transposes for NCHW at half the cost per pixel), MR = min(pixels,
 * budget / NBT), which divides 48, so only an image's last tile and the channel tile that does
 * not fill NBT get their own, smaller tiles. Named after XNNPACK as
 * qu8_conv_minmax_fp32_ukernel_<MR>x<NBT*NR>c<k>__<isa>.
 *
 * Padding and the padded channels read z_x, so they add z_x * w, which the
 * folded bias takes back: acc = b + sum (q_x - z_x) q_w exactly, as the
 * contract says (the final sum fits i32; the i32 adds wrap, as the
 * interpreter's argument allows). Weights are packed at compile time in
 * the step's layout: [O/NR][KH][KW][Cp/k][step].
 *
 * AMX (targets avx512amx and avx512amx-emulated, amx_tile.h): layers that
 * fill a tile (on_tiles) run the same groups, pieces and epilogue, with
 * the register tile's K loop done by AMX-INT8 tiles: MR = 32 pixels as
 * two 16-row activation tiles, NBT = 2 blocks as two weight tiles, four
 * 16 x 16 i32 accumulator tiles (all eight tmm registers). The weights
 * are the VNNI step's packing, which is AMX's: the 4-byte groups of one
 * kernel row (kw, channel) are the weight tile's rows, padded with zero
 * rows to whole tiles (with_tile_rows), so each kernel row's KW * Cp
 * bytes are whole K chunks of 64, the last one reading past the row into
 * zero weights (TILE_SLACK ends every buffer a tile reads); each pixel's
 * chunk is 64 consecutive bytes of its window row, the pixels sw * Cp
 * bytes apart, which is why a tile stays in one output row (or in a 1x1
 * stride-1 unpadded conv, where rows wrap by nothing). One tile shape,
 * 16 x 64 bytes: a row's or group's last pixels short of 16 run on the
 * VNNI step (emit_tile_any). The tiles start at zero; stored to the
 * stack, each row adds the folded bias and goes through the VNNI
 * epilogue. The other layers (the first, few channels or pixels, dilated
 * kernels, tiles that would wrap rows) keep the VNNI step, chosen per
 * layer and named in the kernel's symbol.
 *
 * f32: the same tiles with acc = bias + sum x * w (llvm.fmuladd), stored
 * as they are. The sum runs in a different order, and fused, compared
 * with the float interpreter's double accumulation: results agree within
 * the float tolerance (1e-5 relative), not to the bit; only int8 is
 * bit-exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "dot_step.h"
#include "pack.h"
#include "requant.h"
#include "target.h"
#include "window.h"

/* The window's geometry (ir_window_geom; a linear's rows as one image
 * row) and the blocking of its channels. */
typedef struct Geom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t PH, PW, Cp, NB, steps;
  /* Weight steps (rows of the pack) per block and kernel row: KW * steps,
   * rounded up to whole 16-row weight tiles for a layer on AMX tiles
   * (with_tile_rows), the rows past KW * steps zero. */
  int64_t wrow;
  bool linear; /* (q)linear: input [rows][K] read channels-last, output [rows][O] */
  bool nhwc_in, nhwc_out; /* conv: the input / output stored NHWC */
  int64_t ys; /* channels-last output: elements from one pixel (row) to the
                 next; O, or the concat's channels when the result is
                 stored in its slice of a concat (kernel_concat_slice) */
} Geom;

typedef struct Tile {
  int mr, nbt;
} Tile;

static void geom(const Node *n, const DotStep *s, Geom *g) {
  const Tensor *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
  if (n->op == OP_QLINEAR || n->op == OP_LINEAR) {
    int64_t rows = x->dims[0];
    *g = (Geom){1, x->dims[1], 1, rows, w->dims[0], 1, 1, 1, rows,
                1, 1, 1, 1, 0, 0, 0, 0, 1, rows, 0, 0, 0, 0, true, false, false, w->dims[0]};
  } else {
    WindowGeom wg;
    ir_window_geom(n, &wg);
    *g = (Geom){wg.N, wg.C, wg.H, wg.W, wg.O, wg.kh, wg.kw, wg.OH, wg.OW,
                wg.sh, wg.sw, wg.dh, wg.dw, wg.pt, wg.pl, wg.pb, wg.pr,
                wg.PH, wg.PW, 0, 0, 0, 0, false,
                x->layout == LAYOUT_NHWC, y->layout == LAYOUT_NHWC, wg.O};
  }
  g->Cp = (g->C + s->k - 1) / s->k * s->k;
  g->steps = g->Cp / s->k;
  g->NB = (g->O + s->lanes - 1) / s->lanes;
  g->wrow = g->KW * g->steps;
}

/* A layer on tiles reads each kernel row's bytes in whole 64-byte chunks:
 * its weight rows padded to whole tiles with zeros, so the bytes an
 * activation tile reads past the row (the next pixels' channels, or at
 * most 60 bytes past the buffer: TILE_SLACK) are multiplied by zero. */
static void with_tile_rows(Geom *g) { g->wrow = (g->wrow + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS; }

/* Whether a tile crossing an output row costs: its pixels' windows stop
 * being constant offsets apart (every 3x3 padded or strided conv; not a
 * 1x1 stride-1 unpadded one, nor a linear's rows). */
static bool wraps_cost(const Geom *g) { return g->sh * g->PW != g->OW * g->sw; }

/* An NHWC result's rows where crossing a row costs are cut into tiles of
 * two heights one apart, the widest the budget allows first: a 26-wide
 * row as 6 + 5 + 5 + 5 + 5 pixels, 52 as 7 x 6 + 2 x 5, where one
 * height that divides the row took 6, 6, 6, 6, 2 (the last tile with a
 * third of the chains) or 4-pixel tiles throughout (16 of 24
 * accumulators). NCHW results keep one height and a short last tile:
 * their transposing store prefers the heights it was tuned for. */
static bool balanced_rows(const Geom *g) { return wraps_cost(g) && g->nhwc_out; }

/* Groups of one output row: for balanced rows, and where crossing a row
 * costs and OW has no factor 4, no tile height a budget gives (24, 16,
 * 12, 8, 6, 4, all dividing 48) both divides OW and keeps 48-pixel groups
 * aligned (a 414-wide first layer, a 26- or 13-wide head), so tiles would
 * wrap rows; one row per group never lets them. */
static bool row_groups(const Geom *g) {
  return balanced_rows(g) || (wraps_cost(g) && g->OW % 4 != 0);
}

/* Output pixels of one image per parallel index: one row (row_groups),
 * else 48, a multiple of every MR a budget gives (24 / NBT for NBT =
 * 1..4, 12 / NBT), so only an image's last tile is short; small enough
 * that a 20x20 layer still splits into 9 pieces. Depends on the geometry
 * only: every target's code has the same parallel extent. */
static int64_t group_pixels(const Geom *g) { return row_groups(g) ? g->OW : 48; }

/* Whether the layer's tiles, on a target with AMX, are AMX tiles: int8
 * (u8 codes), a kernel row of contiguous bytes (dilation 1 across it) of
 * at least one 64-byte chunk, at least one 16-channel block of outputs,
 * groups of at least 16 pixels, and tiles that stay in an output row
 * (row groups) or rows that wrap by nothing. */
enum { TILE_MR = 2 * TILE_ROWS, TILE_NBT = 2 };
static bool on_tiles(const DotStep *s, const Geom *g, TargetKind t) {
  if (target_info(t)->tiles == TILES_NONE || s->kind == STEP_F32 || s->x_bytes != 1)
    return false;
  int64_t P = g->OH * g->OW, gp = group_pixels(g) < P ? group_pixels(g) : P;
  return (g->dw == 1 || g->KW == 1) && g->KW * g->Cp >= TILE_BYTES && g->O >= 16 &&
         gp >= TILE_ROWS && (row_groups(g) || !wraps_cost(g));
}

static Tile tile_for(const DotStep *s, const Geom *g, bool amx) {
  if (amx) {
    int64_t P = g->OH * g->OW;
    return (Tile){P < TILE_MR ? (int)P : TILE_MR, g->NB < TILE_NBT ? (int)g->NB : TILE_NBT};
  }
  int64_t nbt = s->max_acc / 6 < 1 ? 1 : s->max_acc / 6;
  /* A short K (1x1 convs up to 256 channels) leaves the tile's time to
   * its output stage, whose NCHW transposes cost the same for 6 pixels as
   * for 16: there a 24 x 16 zmm tile beat 6 x 64 by 15-20% (layers c, f
   * on Zen 4); AVX2's 12 x 8 lost to 6 x 16 on the same layers. */
  if (s->lanes == 16 && s->kind != STEP_F32 && !g->linear && !g->nhwc_out &&
      g->KH * g->KW * g->steps <= 64)
    nbt = 1;
  if (nbt > g->NB)
    nbt = g->NB;
  int64_t mr = s->max_acc / nbt, P = g->OH * g->OW;
  /* A tile that wraps an output row takes the slow K loop (every pixel's
   * address computed, where a row's pixels are constant offsets), unless
   * the wrap jumps by nothing (wraps_cost). Where the widest MR does not
   * divide OW, the widest narrower one that does and still holds 16
   * accumulators (the VNNI chains the peak needs) keeps every tile in its
   * row: 16 x 16 for a 160-wide first layer instead of 24 x 16, 23 x 16
   * for a 414-wide one (a row per group there). */
  if (balanced_rows(g) && g->OW % mr != 0) {
    int64_t tiles = (g->OW + mr - 1) / mr;
    mr = (g->OW + tiles - 1) / tiles; /* the taller of the two heights */
  } else if (wraps_cost(g) && g->OW % mr != 0)
    for (int64_t m = mr - 1; m >= 1 && m * nbt >= 16; m--)
      if (group_pixels(g) % m == 0 && g->OW % m == 0) {
        mr = m;
        break;
      }
  if (mr > P)
    mr = P;
  return (Tile){(int)mr, (int)nbt};
}

static bool is_f32(const Node *n) { return op_has(n->op, OPF_INT8); }

static DotStep step_for(const Node *n, TargetKind t) {
  return is_f32(n) ? target_info(t)->f32 : target_info(t)->i8;
}

/* The step of the kernel's target; the context carries it. */
static DotStep step_of(const KernelCtx *k) { return step_for(k->n, k->target); }

/* Whether the conv's input is stored as its packed form
 * (kernel_stored_padded: u8 codes, C = Cp channels), and whether its
 * step reads it there: u8 steps do, AVX2's i16 codes are packed from it. */
static bool input_stored(const Graph *gr, const Node *n) {
  StoredPads sp;
  return kernel_stored_padded(gr, n->inputs[0], &sp);
}
static bool reads_stored(const Graph *gr, const Node *n, const DotStep *s) {
  return s->x_bytes == 1 && input_stored(gr, n);
}

static int64_t packed_bytes(const Graph *gr, const Node *n, TargetKind t) {
  DotStep s = step_for(n, t);
  if (reads_stored(gr, n, &s))
    return 0;
  Geom g;
  geom(n, &s, &g);
  return g.N * g.PH * g.PW * g.Cp * s.x_bytes + (on_tiles(&s, &g, t) ? TILE_SLACK : 0);
}

static int64_t pre_extent(const Node *n) {
  DotStep s = target_info(TARGET_GENERIC)->i8; /* the extent is the same for every step */
  Geom g;
  geom(n, &s, &g);
  return g.N * g.PH;
}

/* group_pixels output pixels of one image (every channel) per index. */
static int64_t groups_per_image(const Geom *g) {
  return (g->OH * g->OW + group_pixels(g) - 1) / group_pixels(g);
}

/* Where a layer has few pixel groups (a 20 x 20 or 13 x 13 map: 9 or 13),
 * each is also cut into pieces of 64 output channels, so that 2 threads
 * split it evenly (9 groups give one thread 5 of them). 64 is a multiple
 * of every channel tile a target takes where O exceeds it (NBT x NR: 64,
 * 16 or 8 on VNNI, 16 on AVX2, 8 generic), so the extent does not depend
 * on the target. */
enum { CHANNEL_PIECE = 64, FEW_GROUPS = 32 };
static int64_t channel_pieces(const Geom *g) {
  if (g->N * groups_per_image(g) >= FEW_GROUPS)
    return 1;
  return (g->O + CHANNEL_PIECE - 1) / CHANNEL_PIECE;
}

static int64_t main_extent(const Node *n) {
  DotStep s = target_info(TARGET_GENERIC)->i8;
  Geom g;
  geom(n, &s, &g);
  return g.N * groups_per_image(&g) * channel_pieces(&g);
}

static int emit_pack(KernelCtx *k, Diag *d) {
  (void)d;
  DotStep s = step_of(k);
  Geom g;
  geom(k->n, &s, &g);
  PackGeom pg = {g.C, g.H, g.W, g.PH, g.PW, g.Cp, g.pt, g.pl, g.linear || g.nhwc_in, g.C, NULL};
  if (reads_stored(k->g, k->n, &s)) {
    k->no_code = true; /* the producer wrote it packed, border included */
    return 0;
  }
  if (input_stored(k->g, k->n)) /* wider codes: the stored rows, border and
                                   all, widened as an unpadded PH x PW image */
    pg = (PackGeom){g.C, g.PH, g.PW, g.PH, g.PW, g.Cp, 0, 0, true, g.C, NULL};
  const Tensor *into = kc_slice_into(k, k->n->inputs[0]);
  if (into) /* the input is a slice of a concat's output */
    pg.xs = into->dims[1];
  if (s.kind == STEP_F32) {
    pack_nhwc_emit(k, &pg, k->e->f32, k->e->f32, em_f32(k->e, 0));
    return 0;
  }
  int32_t z = k->n->inputs[0]->quant->zero_point[0];
  LLVMTypeRef dst = s.x_bytes == 2 ? k->e->i16 : k->e->i8;
  pg.quantize = kernel_fused_quantize(k->g, k->n);
  pack_nhwc_emit(k, &pg, pg.quantize ? k->e->f32 : k->e->i8, dst,
                 LLVMConstInt(dst, (unsigned long long)z, 0));
  return 0;
}

/* f32: weights packed [O/NR][KH][KW][C][NR] and the bias, as constants. */
static void pack_constants_f32(KernelCtx *k, const DotStep *s, const Geom *g,
                               LLVMValueRef *wp, LLVMValueRef *bp) {
  const Node *n = k->n;
  const float *w = n->inputs[1]->data;
  const float *bias = n->num_inputs > 2 ? n->inputs[2]->data : NULL;
  int64_t lanes = s->lanes;
  size_t wcount = (size_t)(g->NB * g->KH * g->KW * g->C * lanes);
  float *wpack = calloc(wcount, sizeof(float));
  float *bpack = calloc((size_t)(g->NB * lanes), sizeof(float));
  if (!wpack || !bpack)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < g->O; o++) {
    int64_t ob = o / lanes, j = o % lanes;
    bpack[o] = bias ? bias[o] : 0.0f;
    for (int64_t c = 0; c < g->C; c++)
      for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++)
          wpack[((((ob * g->KH + kh) * g->KW + kw) * g->C + c) * lanes) + j] =
              w[((o * g->C + c) * g->KH + kh) * g->KW + kw];
  }
  *wp = kc_const(k, "wpack", wpack, wcount * sizeof(float));
  *bp = kc_const(k, "bias", bpack, sizeof(float) * (size_t)(g->NB * lanes));
  free(wpack);
  free(bpack);
}

/* Packed weights, folded biases and multipliers, as constants. */
static void pack_constants(KernelCtx *k, const DotStep *s, const Geom *g,
                           LLVMValueRef *wp, LLVMValueRef *bp, LLVMValueRef *mp,
                           OutStage *os) {
  const Node *n = k->n;
  const int8_t *w = n->inputs[1]->data;
  const int32_t *bias = n->num_inputs > 2 ? n->inputs[2]->data : NULL;
  int32_t z = n->inputs[0]->quant->zero_point[0];
  int64_t lanes = s->lanes, kk = s->k;
  size_t wbytes = (size_t)(g->NB * g->KH * g->wrow * s->w_bytes);
  uint8_t *wpack = calloc(wbytes, 1);
  int32_t *bfold = calloc((size_t)(g->NB * lanes), sizeof(int32_t));
  int8_t *step_w = calloc((size_t)(lanes * kk), 1);
  if (!wpack || !bfold || !step_w)
    QCC_DIE("out of memory");
  for (int64_t ob = 0; ob < g->NB; ob++)
    for (int64_t kh = 0; kh < g->KH; kh++)
      for (int64_t kw = 0; kw < g->KW; kw++)
        for (int64_t q = 0; q < g->steps; q++) {
          for (int64_t j = 0; j < lanes; j++)
            for (int64_t i = 0; i < kk; i++) {
              int64_t o = ob * lanes + j, c = kk * q + i;
              step_w[j * kk + i] = o < g->O && c < g->C
                                       ? w[((o * g->C + c) * g->KH + kh) * g->KW + kw]
                                       : 0;
            }
          size_t at = (size_t)(((ob * g->KH + kh) * g->wrow + kw * g->steps + q) * s->w_bytes);
          dot_step_pack(s, step_w, wpack + at);
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
  free(step_w);
  free(m);
}

typedef struct Body {
  KernelCtx *k;
  DotStep s;
  Geom g;
  LLVMValueRef wp, bp, mp, y;
  LLVMValueRef x; /* the packed input: the scratch, or the input itself (reads_stored) */
  /* The result stored with its readers' padding (kernel_stored_padded):
   * pixel (oh, ow) of image b at ((b * OPH + pt + oh) * OPW + pl + ow) * O. */
  bool padded_out;
  StoredPads op;
  int64_t OPH, OPW;
  OutStage os;
  TileKind tiles; /* AMX tiles for the K loop (on_tiles), or TILES_NONE */
  LLVMValueRef b; /* the image being computed (i64) */
  /* No tile crosses an output row: a group is one row, or MR divides OW
   * and the group, so every tile starts at a multiple of MR. Then the
   * row-wrapping K loop is not emitted at all: dead, its 16-24 per-pixel
   * window pointers still became induction variables of the tile loop,
   * spilled and updated per tile (layer a: 15% of its samples). */
  bool in_rows;
} Body;

enum { MAX_MR = 32, MAX_NBT = 4 };

/* Channels-last results: where the first channel of output pixel pix
 * (i64, flattened over OH x OW, of image t->b) is stored, in elements. */
static LLVMValueRef out_pixel_at(Body *t, LLVMValueRef pix) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  if (!t->padded_out)
    return em_mulc(e, em_madc(e, t->b, g->OH * g->OW, pix), g->ys);
  LLVMValueRef oh = LLVMBuildUDiv(e->b, pix, em_i64(e, g->OW), "");
  LLVMValueRef ow = LLVMBuildURem(e->b, pix, em_i64(e, g->OW), "");
  LLVMValueRef row = em_add(e, em_mulc(e, t->b, t->OPH), em_addc(e, oh, t->op.pt));
  return em_mulc(e, em_madc(e, row, t->OPW, em_addc(e, ow, t->op.pl)), g->ys);
}

/* The same for pixel pix0 + m of a tile, from pix0's (at0): m pixels on,
 * unless a padded result's tile may wrap a row. */
static LLVMValueRef tile_pixel_at(Body *t, LLVMValueRef pix0, LLVMValueRef at0, int m) {
  if (t->padded_out && !t->in_rows)
    return out_pixel_at(t, em_addc(t->k->e, pix0, m));
  return em_addc(t->k->e, at0, m * t->g.ys);
}

/* Channels-last results (a linear's rows, an NHWC conv's pixels): the NR
 * codes of block ob for the pixel (row) whose first channel is at px as
 * one store, or, in the last block of an O that is not a multiple of NR,
 * as a few power-of-two pieces that end at O. */
static void store_row(Body *t, LLVMValueRef codes, LLVMValueRef ob, LLVMValueRef px) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  unsigned L = (unsigned)t->s.lanes, rest = (unsigned)(g->O % L);
  LLVMTypeRef et = requant_out_type(e, &t->os);
  LLVMValueRef at = em_add(e, px, em_mulc(e, ob, L));
  If whole, last;
  LLVMValueRef is_last = LLVMBuildICmp(e->b, LLVMIntEQ, ob, em_i64(e, g->NB - 1), "");
  if (rest)
    em_if(e, &whole, LLVMBuildNot(e->b, is_last, ""));
  LLVMValueRef st = LLVMBuildStore(e->b, codes, em_elem(e, et, t->y, at));
  LLVMSetAlignment(st, 1);
  if (!rest)
    return;
  em_if_end(e, &whole);
  em_if(e, &last, is_last);
  for (unsigned done = 0, piece = L; done < rest; piece /= 2) {
    if (rest - done < piece)
      continue;
    st = LLVMBuildStore(e->b, em_sub_vector(e, codes, done, piece),
                        em_elem(e, et, t->y, em_addc(e, at, done)));
    LLVMSetAlignment(st, 1);
    done += piece;
  }
  em_if_end(e, &last);
}

/* conv: the mr pixels' results of block ob (codes[m]: NR lanes, one per
 * channel) into NCHW, where each channel's pixels pix0 .. pix0 + mr - 1
 * are contiguous (a tile may span output rows): transposed NR pixels at a
 * time, each channel's run stored as a few power-of-two pieces; lanes
 * past O are skipped. */
static void store_nchw(Body *t, const LLVMValueRef *codes, int mr,
                       LLVMValueRef ob, LLVMValueRef pix0) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  unsigned L = (unsigned)t->s.lanes;
  LLVMTypeRef et = requant_out_type(e, &t->os);
  int64_t plane = g->OH * g->OW;
  /* element (b, o, pix) = (b*O + o)*OH*OW + pix */
  LLVMValueRef base = em_add(e, em_mulc(e, t->b, g->O * plane), pix0);
  LLVMValueRef o0 = em_mulc(e, ob, t->s.lanes);
  for (int p0 = 0; p0 < mr; p0 += (int)L) {
    unsigned n = (unsigned)(mr - p0 < (int)L ? mr - p0 : (int)L);
    LLVMValueRef rows[32];
    for (unsigned i = 0; i < L; i++)
      rows[i] = i < n ? codes[p0 + (int)i] : LLVMGetUndef(LLVMTypeOf(codes[0]));
    em_transpose(e, rows, L);
    for (unsigned c = 0; c < L; c++) {
      LLVMValueRef o = em_addc(e, o0, (int64_t)c);
      If f;
      if (g->O % t->s.lanes)
        em_if(e, &f, LLVMBuildICmp(e->b, LLVMIntSLT, o, em_i64(e, g->O), ""));
      LLVMValueRef at = em_addc(e, em_madc(e, o, plane, base), p0);
      for (unsigned done = 0, piece = L; done < n; piece /= 2) {
        if (n - done < piece)
          continue;
        LLVMValueRef st = LLVMBuildStore(e->b, em_sub_vector(e, rows[c], done, piece),
                                         em_elem(e, et, t->y, em_addc(e, at, done)));
        LLVMSetAlignment(st, 1);
        done += piece;
      }
      if (g->O % t->s.lanes)
        em_if_end(e, &f);
    }
  }
}

/* The accumulators of one step of k channels at tap (kh, kw) and step q
 * (i64 values: loop variables, or constants where the loops unroll);
 * xbase[m] is pixel m's first input byte (its window's top-left corner),
 * the same tap offset for every pixel. */
static void emit_steps(Body *t, Tile tl, LLVMValueRef acc[][MAX_NBT],
                       const LLVMValueRef *ob, const LLVMValueRef *xbase,
                       LLVMValueRef kh, LLVMValueRef kw, LLVMValueRef q) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  const DotStep *s = &t->s;
  LLVMTypeRef vt = LLVMVectorType(s->kind == STEP_F32 ? e->f32 : e->i32, (unsigned)s->lanes);
  LLVMValueRef wv[MAX_NBT];
  for (int j = 0; j < tl.nbt; j++) {
    LLVMValueRef row = em_mulc(e, em_madc(e, ob[j], g->KH, kh), g->wrow);
    LLVMValueRef at = em_mulc(e, em_add(e, row, em_madc(e, kw, g->steps, q)), s->w_bytes);
    wv[j] = dot_step_w(e, s, em_elem(e, e->i8, t->wp, at));
  }
  LLVMValueRef tap_px = em_add(e, em_mulc(e, kh, g->dh * g->PW), em_mulc(e, kw, g->dw));
  LLVMValueRef off = em_madc(e, tap_px, g->Cp * s->x_bytes, em_mulc(e, q, 4));
  for (int m = 0; m < tl.mr; m++) {
    LLVMValueRef word = LLVMBuildLoad2(e->b, e->i32, em_elem(e, e->i8, xbase[m], off), "x");
    LLVMSetAlignment(word, 1);
    LLVMValueRef xo = dot_step_x(e, s, word);
    for (int j = 0; j < tl.nbt; j++) {
      LLVMValueRef cur = LLVMBuildLoad2(e->b, vt, acc[m][j], "");
      LLVMBuildStore(e->b, dot_step_apply(e, s, cur, xo, wv[j]), acc[m][j]);
    }
  }
}

/* Taps whose whole K (KW * steps) is this short are unrolled: first
 * layers (3 input channels) would otherwise spend their time on loop
 * control. */
enum { UNROLL_MAX_STEPS = 8 };

/* The first packed input byte of output pixel pix's window (pix: i64,
 * flattened over OH x OW, of image t->b). */
static LLVMValueRef pixel_window(Body *t, LLVMValueRef pix) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  LLVMValueRef oh = LLVMBuildUDiv(e->b, pix, em_i64(e, g->OW), "");
  LLVMValueRef ow = LLVMBuildURem(e->b, pix, em_i64(e, g->OW), "");
  LLVMValueRef ih = em_madc(e, t->b, g->PH, em_mulc(e, oh, g->sh));
  LLVMValueRef at = em_mulc(e, em_madc(e, ih, g->PW, em_mulc(e, ow, g->sw)), g->Cp * t->s.x_bytes);
  return em_elem(e, e->i8, t->x, at);
}

/* The K loop of one tile: every tap and step into the accumulators,
 * xbase[m] being pixel m's window. With constant pixel offsets
 * (`affine`) the taps stay a loop: unrolled, LLVM would share one
 * pixel's broadcast with its neighbour's next tap, keep them all live and
 * spill the accumulators (tiny_face's first layer: 3% slower). */
static void emit_k_loop(Body *t, Tile tl, LLVMValueRef acc[][MAX_NBT],
                        const LLVMValueRef *ob, const LLVMValueRef *xbase, bool affine) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  Loop lkh, lkw, lq;
  LLVMValueRef kh = em_loop_n(e, &lkh, g->KH, "kh");
  if (!affine && g->KW * g->steps <= UNROLL_MAX_STEPS) {
    for (int64_t kw = 0; kw < g->KW; kw++)
      for (int64_t q = 0; q < g->steps; q++)
        emit_steps(t, tl, acc, ob, xbase, kh, em_i64(e, kw), em_i64(e, q));
  } else if (g->steps <= UNROLL_MAX_STEPS / 2) {
    /* The steps of one tap read other channels of the same pixels, so
     * unrolled they share nothing (AVX2's first layers: 2 steps a tap). */
    LLVMValueRef kw = em_loop_n(e, &lkw, g->KW, "kw");
    for (int64_t q = 0; q < g->steps; q++)
      emit_steps(t, tl, acc, ob, xbase, kh, kw, em_i64(e, q));
    em_loop_end_rolled(e, &lkw);
  } else {
    LLVMValueRef kw = em_loop_n(e, &lkw, g->KW, "kw");
    LLVMValueRef q = em_loop_n(e, &lq, g->steps, "step");
    emit_steps(t, tl, acc, ob, xbase, kh, kw, q);
    em_loop_end_rolled(e, &lq);
    em_loop_end_rolled(e, &lkw);
  }
  em_loop_end_rolled(e, &lkh);
}

/* One K chunk of 64 input bytes at x (pixel 0's; the pixels
 * a_stride apart) and w (block ob[0]'s weight rows; block j's wstride
 * bytes on): the weight tiles loaded once, each activation tile once, and
 * every accumulator tile's tdpbusd. */
static void tile_chunk(Body *t, Tile tl, TileAcc *c, LLVMValueRef x, int64_t a_stride,
                       LLVMValueRef w, int64_t wstride) {
  Emit *e = t->k->e;
  TileOperand bt[MAX_NBT];
  for (int j = 0; j < tl.nbt; j++)
    bt[j] = tile_load_b(e, t->tiles, TILE_BYTES, em_elem(e, e->i8, w, em_i64(e, j * wstride)));
  for (int mt = 0; mt * TILE_ROWS < tl.mr; mt++) {
    TileOperand at = tile_load_a(e, t->tiles, TILE_ROWS, TILE_BYTES,
                                 em_elem(e, e->i8, x, em_i64(e, mt * TILE_ROWS * a_stride)), a_stride);
    for (int j = 0; j < tl.nbt; j++)
      tile_dot(e, t->tiles, &c[mt * tl.nbt + j], &at, &bt[j]);
  }
}

/* The K loop of a tile on AMX tiles (on_tiles; MR a multiple of 16):
 * per kernel row kh, its KW * Cp contiguous bytes as 64-byte chunks (the
 * weights past them zero: with_tile_rows); then the accumulator tiles,
 * stored to the stack, plus the folded bias (already in acc) become the
 * tile's accumulators. One tile shape throughout, 16 x 64 bytes: LLVM
 * configures the tiles once per function, each tmm register with one
 * shape, so a second shape would need registers of its own. x0: pixel
 * 0's window. */
static void emit_tile_k_loop(Body *t, Tile tl, LLVMValueRef acc[][MAX_NBT],
                             const LLVMValueRef *ob, LLVMValueRef x0) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  LLVMTypeRef vt = LLVMVectorType(e->i32, 16);
  /* row m, block j at (m * nbt + j) * 64 bytes */
  LLVMValueRef buf = em_var(e, LLVMArrayType(vt, (unsigned)(tl.mr * tl.nbt)), NULL, "ctile");
  LLVMSetAlignment(buf, 64);
  int mts = tl.mr / TILE_ROWS, n = mts * tl.nbt;
  if (tl.mr % TILE_ROWS)
    QCC_DIE("a tile of %d pixels on AMX tiles", tl.mr);
  int64_t cstride = tl.nbt * TILE_BYTES;
  TileAcc c[2 * MAX_NBT];
  for (int mt = 0; mt < mts; mt++)
    for (int j = 0; j < tl.nbt; j++) {
      LLVMValueRef at = em_elem(e, e->i8, buf, em_i64(e, (mt * TILE_ROWS * tl.nbt + j) * TILE_BYTES));
      c[mt * tl.nbt + j] = tile_zero(e, t->tiles, TILE_ROWS, at, cstride);
    }
  int64_t chunks = g->wrow / TILE_ROWS; /* 64 bytes each, the last maybe past the row */
  int64_t a_stride = g->sw * g->Cp;
  int64_t wblock = g->KH * g->wrow * t->s.w_bytes; /* one block's weights */
  TileLoop lkh, lq;
  LLVMValueRef kh = tile_loop(e, t->tiles, &lkh, g->KH, c, n, "kh");
  LLVMValueRef xkh = em_elem(e, e->i8, x0, em_mulc(e, kh, g->dh * g->PW * g->Cp));
  LLVMValueRef wkh = em_elem(e, e->i8, t->wp,
                             em_mulc(e, em_madc(e, ob[0], g->KH, kh), g->wrow * t->s.w_bytes));
  LLVMValueRef q = tile_loop(e, t->tiles, &lq, chunks, c, n, "chunk");
  tile_chunk(t, tl, c, em_elem(e, e->i8, xkh, em_mulc(e, q, TILE_BYTES)), a_stride,
             em_elem(e, e->i8, wkh, em_mulc(e, q, TILE_ROWS * t->s.w_bytes)), wblock);
  tile_loop_end(e, &lq, c);
  tile_loop_end(e, &lkh, c);
  for (int i = 0; i < n; i++)
    tile_store(e, t->tiles, &c[i]);
  for (int m = 0; m < tl.mr; m++)
    for (int j = 0; j < tl.nbt; j++) {
      LLVMValueRef row = LLVMBuildLoad2(
          e->b, vt, em_elem(e, e->i8, buf, em_i64(e, (m * tl.nbt + j) * TILE_BYTES)), "");
      LLVMSetAlignment(row, 64);
      LLVMValueRef cur = LLVMBuildLoad2(e->b, vt, acc[m][j], "");
      LLVMBuildStore(e->b, LLVMBuildAdd(e->b, cur, row, ""), acc[m][j]);
    }
}

/* Channels-last results on the wide route (requant.h): the tile's codes
 * in memory order, four vectors of NR at a time where those lie end to
 * end (four blocks of one pixel, or, when the tile holds every channel,
 * consecutive pixels): one narrow by packs and one store for the four. */
static void store_rows_wide(Body *t, Tile tl, LLVMValueRef acc[][MAX_NBT],
                            const LLVMValueRef *ob, LLVMValueRef pix0) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  unsigned L = (unsigned)t->s.lanes;
  LLVMTypeRef vt = LLVMVectorType(e->i32, L);
  LLVMValueRef wide[MAX_MR][MAX_NBT];
  for (int j = 0; j < tl.nbt; j++) {
    LLVMValueRef mv = LLVMBuildLoad2(e->b, LLVMVectorType(e->f32, L),
                                     em_elem(e, e->f32, t->mp, em_mulc(e, ob[j], L)), "");
    LLVMSetAlignment(mv, 4);
    for (int m = 0; m < tl.mr; m++)
      wide[m][j] = requant_out_wide(e, &t->os, LLVMBuildLoad2(e->b, vt, acc[m][j], ""), mv, L);
  }
  LLVMValueRef at0 = out_pixel_at(t, pix0);
  bool whole = g->O % L == 0;
  bool in_pixel = whole && tl.nbt % 4 == 0;
  /* then ob[0] is 0, and the tile's pixels lie end to end */
  bool across = whole && tl.nbt * (int64_t)L == g->O && g->ys == g->O &&
                (!t->padded_out || t->in_rows);
  int total = tl.mr * tl.nbt;
  for (int i = 0; i < total;) {
    int m = i / tl.nbt, j = i % tl.nbt;
    LLVMValueRef row = tile_pixel_at(t, pix0, at0, m);
    if ((in_pixel && j % 4 == 0) || (across && i + 4 <= total)) {
      LLVMValueRef four[4];
      for (int q = 0; q < 4; q++)
        four[q] = wide[(i + q) / tl.nbt][(i + q) % tl.nbt];
      LLVMValueRef codes = requant_narrow(e, &t->os, four, 4, L);
      LLVMValueRef at = em_add(e, row, em_mulc(e, ob[j], L));
      LLVMValueRef st = LLVMBuildStore(e->b, codes, em_elem(e, e->i8, t->y, at));
      LLVMSetAlignment(st, 1);
      i += 4;
      continue;
    }
    store_row(t, requant_narrow(e, &t->os, &wide[m][j], 1, L), ob[j], row);
    i++;
  }
}

/* One register tile: output pixels pix0 .. pix0 + mr - 1 of image b
 * (flattened over OH x OW, so a tile may span rows), blocks ob0 .. ob0 +
 * nbt - 1 (i64 values). */
static void emit_tile(Body *t, Tile tl, LLVMValueRef ob0, LLVMValueRef pix0) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  const DotStep *s = &t->s;
  bool f32 = s->kind == STEP_F32;
  LLVMTypeRef vt = LLVMVectorType(f32 ? e->f32 : e->i32, (unsigned)s->lanes);
  LLVMValueRef acc[MAX_MR][MAX_NBT], ob[MAX_NBT], xbase[MAX_MR];
  for (int j = 0; j < tl.nbt; j++) {
    ob[j] = em_addc(e, ob0, j);
    LLVMValueRef binit = LLVMBuildLoad2(e->b, vt, em_elem(e, e->i32, t->bp, em_mulc(e, ob[j], s->lanes)), "");
    LLVMSetAlignment(binit, 4);
    for (int m = 0; m < tl.mr; m++)
      acc[m][j] = em_var(e, vt, binit, "acc");
  }
  /* Pixel m's window starts m * sw * Cp bytes after pixel 0's while the
   * tile stays in one output row, and always where a row wrap jumps by
   * nothing (1x1, stride 1, no padding): then every pixel is a constant
   * offset from one pointer, and the K loop needs one register for all
   * of them instead of spilling 24 pointers. A tile that wraps a row
   * gets its own K loop, with every pixel's address computed. */
  int64_t px_bytes = g->Cp * s->x_bytes;
  int64_t jump = (g->sh * g->PW - g->OW * g->sw) * px_bytes;
  LLVMValueRef ow0 = LLVMBuildURem(e->b, pix0, em_i64(e, g->OW), "");
  LLVMValueRef base0 = pixel_window(t, pix0);
  for (int m = 0; m < tl.mr; m++)
    xbase[m] = em_elem(e, e->i8, base0, em_i64(e, m * g->sw * px_bytes));
  if (t->tiles) {
    emit_tile_k_loop(t, tl, acc, ob, base0);
  } else if (jump == 0 || tl.mr == 1 || t->in_rows) {
    emit_k_loop(t, tl, acc, ob, xbase, true);
  } else {
    If in_row, wraps;
    LLVMValueRef fits = LLVMBuildICmp(e->b, LLVMIntULE, em_addc(e, ow0, tl.mr), em_i64(e, g->OW), "");
    em_if(e, &in_row, fits);
    emit_k_loop(t, tl, acc, ob, xbase, true);
    em_if_end(e, &in_row);
    em_if(e, &wraps, LLVMBuildNot(e->b, fits, ""));
    for (int m = 0; m < tl.mr; m++)
      xbase[m] = pixel_window(t, em_addc(e, pix0, m));
    emit_k_loop(t, tl, acc, ob, xbase, false);
    em_if_end(e, &wraps);
  }
  unsigned nl = (unsigned)s->lanes;
  if ((t->g.linear || t->g.nhwc_out) && !f32 && t->os.wide) {
    store_rows_wide(t, tl, acc, ob, pix0);
    return;
  }
  for (int j = 0; j < tl.nbt; j++) {
    LLVMValueRef codes[MAX_MR];
    if (f32) {
      for (int m = 0; m < tl.mr; m++)
        codes[m] = LLVMBuildLoad2(e->b, vt, acc[m][j], "");
    } else {
      LLVMValueRef mv = LLVMBuildLoad2(e->b, LLVMVectorType(e->f32, nl),
                                       em_elem(e, e->f32, t->mp, em_mulc(e, ob[j], s->lanes)), "");
      LLVMSetAlignment(mv, 4);
      for (int m = 0; m < tl.mr; m++)
        codes[m] = requant_out_vector(e, &t->os, LLVMBuildLoad2(e->b, vt, acc[m][j], ""), mv, nl);
    }
    if (t->g.linear || t->g.nhwc_out) {
      LLVMValueRef at0 = out_pixel_at(t, pix0);
      for (int m = 0; m < tl.mr; m++)
        store_row(t, codes[m], ob[j], tile_pixel_at(t, pix0, at0, m));
    } else
      store_nchw(t, codes, tl.mr, ob[j], pix0);
  }
}

/* A tile, on AMX tiles its whole 16-pixel part: the pixels past it (a
 * row's or group's last few) on the VNNI step one block at a time, at
 * most 15 accumulators (a shorter activation tile would be a second tile
 * shape: emit_tile_k_loop). */
static void emit_tile_any(Body *t, Tile tl, LLVMValueRef ob0, LLVMValueRef pix0) {
  if (!t->tiles || tl.mr % TILE_ROWS == 0) {
    emit_tile(t, tl, ob0, pix0);
    return;
  }
  Emit *e = t->k->e;
  int whole = tl.mr / TILE_ROWS * TILE_ROWS;
  if (whole)
    emit_tile(t, (Tile){whole, tl.nbt}, ob0, pix0);
  TileKind tiles = t->tiles;
  t->tiles = TILES_NONE;
  for (int j = 0; j < tl.nbt; j++)
    emit_tile(t, (Tile){tl.mr - whole, 1}, em_addc(e, ob0, j), em_addc(e, pix0, whole));
  t->tiles = tiles;
}

/* The pixel tiles of one group (first pixel p0, i64) for the channel tile
 * at ob0 of nbt blocks: full tiles, then the short tile that ends the
 * group where MR does not divide it (the image's last group has its own
 * count). */
static void emit_group(Body *t, Tile tl, LLVMValueRef ob0, LLVMValueRef p0,
                       LLVMValueRef last) {
  Emit *e = t->k->e;
  if (balanced_rows(&t->g) && !t->tiles) { /* tiles: 32 pixels, then the rest */ /* a row: `tall` tiles of base + 1 pixels, then of base */
    int64_t OW = t->g.OW, tiles = (OW + tl.mr - 1) / tl.mr;
    int64_t base = OW / tiles, tall = OW % tiles;
    Loop la, lb;
    if (tall) {
      LLVMValueRef i = em_loop_n(e, &la, tall, "tall");
      emit_tile(t, (Tile){(int)base + 1, tl.nbt}, ob0, em_madc(e, i, base + 1, p0));
      em_loop_end_rolled(e, &la);
    }
    LLVMValueRef i = em_loop_n(e, &lb, tiles - tall, "tile");
    emit_tile(t, (Tile){(int)base, tl.nbt}, ob0,
              em_madc(e, i, base, em_addc(e, p0, tall * (base + 1))));
    em_loop_end_rolled(e, &lb);
    return;
  }
  int64_t P = t->g.OH * t->g.OW, NG = groups_per_image(&t->g), GP = group_pixels(&t->g);
  int64_t last_pixels = P - (NG - 1) * GP;
  int64_t full = GP / tl.mr, last_full = last_pixels / tl.mr;
  int64_t rest = GP % tl.mr, last_rest = last_pixels % tl.mr;
  Loop lt;
  LLVMValueRef n = LLVMBuildSelect(e->b, last, em_i64(e, last_full), em_i64(e, full), "");
  LLVMValueRef i = em_loop(e, &lt, em_i64(e, 0), n, "tile");
  emit_tile_any(t, tl, ob0, em_madc(e, i, tl.mr, p0));
  em_loop_end_rolled(e, &lt);
  if (rest && NG > 1) {
    If f;
    em_if(e, &f, LLVMBuildNot(e->b, last, ""));
    emit_tile_any(t, (Tile){(int)rest, tl.nbt}, ob0, em_addc(e, p0, full * tl.mr));
    em_if_end(e, &f);
  }
  if (last_rest) {
    If f;
    em_if(e, &f, last);
    emit_tile_any(t, (Tile){(int)last_rest, tl.nbt}, ob0, em_addc(e, p0, last_full * tl.mr));
    em_if_end(e, &f);
  }
}

/* A padded result's border (kernel_stored_padded), written with the
 * zero point by the pieces that hold channel 0 (one per group): the left
 * and right columns of the rows whose first pixel is in group grp (first
 * pixel p0), the top rows by the image's first group, the bottom rows by
 * its last. Each border byte has one writer. */
static void fill_out_border(Body *t, LLVMValueRef grp, LLVMValueRef p0) {
  Emit *e = t->k->e;
  const Geom *g = &t->g;
  const StoredPads *sp = &t->op;
  int64_t C = g->ys, row_bytes = t->OPW * C;
  LLVMValueRef z = LLVMConstInt(e->i8, (unsigned long long)t->k->n->outputs[0]->quant->zero_point[0], 0);
  LLVMValueRef img = em_elem(e, e->i8, t->y, em_mulc(e, t->b, t->OPH * row_bytes));
  If top, bottom;
  em_if(e, &top, LLVMBuildICmp(e->b, LLVMIntEQ, grp, em_i64(e, 0), ""));
  em_fill_span(e, e->i8, img, z, 0, sp->pt * row_bytes);
  em_if_end(e, &top);
  em_if(e, &bottom, LLVMBuildICmp(e->b, LLVMIntEQ, grp, em_i64(e, groups_per_image(g) - 1), ""));
  em_fill_span(e, e->i8, img, z, (sp->pt + g->OH) * row_bytes, t->OPH * row_bytes);
  em_if_end(e, &bottom);
  if (sp->pl + sp->pr == 0)
    return;
  int64_t GP = group_pixels(g);
  LLVMValueRef lo = LLVMBuildUDiv(e->b, em_addc(e, p0, g->OW - 1), em_i64(e, g->OW), "");
  LLVMValueRef hi = LLVMBuildUDiv(e->b, em_addc(e, p0, GP - 1), em_i64(e, g->OW), "");
  hi = em_addc(e, hi, 1);
  hi = LLVMBuildSelect(e->b, LLVMBuildICmp(e->b, LLVMIntUGT, hi, em_i64(e, g->OH), ""),
                       em_i64(e, g->OH), hi, "");
  Loop l;
  LLVMValueRef oh = em_loop(e, &l, lo, hi, "border_row");
  LLVMValueRef row = em_elem(e, e->i8, img, em_mulc(e, em_addc(e, oh, sp->pt), row_bytes));
  em_fill_span(e, e->i8, row, z, 0, sp->pl * C);
  em_fill_span(e, e->i8, row, z, (sp->pl + g->OW) * C, row_bytes);
  em_loop_end(e, &l);
}

static int emit_main(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  Body t = {.k = k, .s = step_of(k)};
  geom(k->n, &t.s, &t.g);
  t.tiles = on_tiles(&t.s, &t.g, k->target) ? target_info(k->target)->tiles : TILES_NONE;
  if (t.tiles)
    with_tile_rows(&t.g);
  if (t.s.kind == STEP_F32) {
    pack_constants_f32(k, &t.s, &t.g, &t.wp, &t.bp);
    t.os = (OutStage){.scale = 1.0f, .f32 = true};
  } else {
    pack_constants(k, &t.s, &t.g, &t.wp, &t.bp, &t.mp, &t.os);
  }
  t.y = kc_tensor(k, k->n->outputs[0]); /* a slice: the plan's offset is the channel's */
  const Tensor *into = kc_slice_into(k, k->n->outputs[0]);
  if (into)
    t.g.ys = into->dims[1];
  t.x = reads_stored(k->g, k->n, &t.s) ? kc_tensor(k, k->n->inputs[0]) : k->scratch;
  if (t.g.Cp != t.g.C && t.x != k->scratch)
    QCC_DIE("stored input of %lld channels read as %lld", (long long)t.g.C, (long long)t.g.Cp);
  t.padded_out = kernel_stored_padded(k->g, k->n->outputs[0], &t.op);
  t.OPH = t.g.OH + t.op.pt + t.op.pb;
  t.OPW = t.g.OW + t.op.pl + t.op.pr;
  Tile tl = tile_for(&t.s, &t.g, t.tiles != TILES_NONE);
  t.in_rows = row_groups(&t.g) || (t.g.OW % tl.mr == 0 && group_pixels(&t.g) % tl.mr == 0);
  int64_t NG = groups_per_image(&t.g), NCP = channel_pieces(&t.g);
  /* Blocks per channel piece; the last piece has the rest. */
  int64_t bpp = NCP > 1 ? CHANNEL_PIECE / t.s.lanes : t.g.NB;
  if (NCP > 1 && bpp % tl.nbt != 0)
    QCC_DIE("channel tile of %d blocks does not divide a %lld-block piece", tl.nbt, (long long)bpp);
  int64_t last_blocks = t.g.NB - (NCP - 1) * bpp;
  int64_t full_ct = bpp / tl.nbt, last_ct = last_blocks / tl.nbt, crest = last_blocks % tl.nbt;
  Loop l;
  LLVMValueRef r = kernel_range(k, &l); /* (b * NG + group) * NCP + piece */
  LLVMValueRef piece = LLVMBuildURem(e->b, r, em_i64(e, NCP), "");
  LLVMValueRef rg = LLVMBuildUDiv(e->b, r, em_i64(e, NCP), "");
  t.b = LLVMBuildUDiv(e->b, rg, em_i64(e, NG), "");
  LLVMValueRef grp = LLVMBuildURem(e->b, rg, em_i64(e, NG), "");
  LLVMValueRef p0 = em_mulc(e, grp, group_pixels(&t.g));
  LLVMValueRef last = LLVMBuildICmp(e->b, LLVMIntEQ, grp, em_i64(e, NG - 1), "last");
  LLVMValueRef last_piece = LLVMBuildICmp(e->b, LLVMIntEQ, piece, em_i64(e, NCP - 1), "");
  LLVMValueRef ob0 = em_mulc(e, piece, bpp);
  if (t.padded_out) {
    If f;
    em_if(e, &f, LLVMBuildICmp(e->b, LLVMIntEQ, piece, em_i64(e, 0), ""));
    fill_out_border(&t, grp, p0);
    em_if_end(e, &f);
  }
  if (full_ct > 0 || last_ct > 0) {
    Loop lc;
    LLVMValueRef n_ct = LLVMBuildSelect(e->b, last_piece, em_i64(e, last_ct), em_i64(e, full_ct), "");
    LLVMValueRef c = em_loop(e, &lc, em_i64(e, 0), n_ct, "ctile");
    emit_group(&t, tl, em_add(e, ob0, em_mulc(e, c, tl.nbt)), p0, last);
    em_loop_end_rolled(e, &lc);
  }
  if (crest) {
    If f;
    em_if(e, &f, last_piece);
    emit_group(&t, (Tile){tl.mr, (int)crest}, em_addc(e, ob0, last_ct * tl.nbt), p0, last);
    em_if_end(e, &f);
  }
  em_loop_end_rolled(e, &l);
  return 0;
}

/* XNNPACK's grammar: qu8_conv_minmax_fp32_ukernel_<MR>x<NR>c<k>__<isa>,
 * NR counting all the tile's lanes; f32_conv_ukernel_<MR>x<NR>__<isa>. */
static void describe(const Node *n, TargetKind t, char *buf, size_t len) {
  DotStep s = step_for(n, t);
  Geom g;
  geom(n, &s, &g);
  bool tiles = on_tiles(&s, &g, t);
  Tile tl = tile_for(&s, &g, tiles);
  if (tiles)
    snprintf(buf, len, "qu8_conv_minmax_fp32_tiles_%dx%dc%d__%s", tl.mr, tl.nbt * s.lanes,
             TILE_BYTES, target_info(t)->isa);
  else if (s.kind == STEP_F32)
    snprintf(buf, len, "f32_conv_ukernel_%dx%d__%s", tl.mr, tl.nbt * s.lanes, s.isa);
  else
    snprintf(buf, len, "qu8_conv_minmax_fp32_ukernel_%dx%dc%d__%s", tl.mr, tl.nbt * s.lanes,
             s.k, s.isa);
}

/* Its pack reads either layout and its store writes either. */
static bool any_layouts(const Node *n) {
  (void)n;
  return true;
}

static bool constant_operands(const Node *n) {
  return n->inputs[1]->kind == TK_CONST && (n->num_inputs < 3 || n->inputs[2]->kind == TK_CONST);
}

static bool takes_blocked(const Node *n) {
  switch (n->op) {
  case OP_QLINEAR: return true;
  case OP_QCONV2D: return ir_attr_int(n, ATTR_GROUPS) == 1;
  case OP_CONV2D:
    return ir_attr_int(n, ATTR_GROUPS) == 1 && n->inputs[0]->dtype == DT_F32 && constant_operands(n);
  case OP_LINEAR:
    return n->inputs[0]->dtype == DT_F32 && n->inputs[0]->rank == 2 && constant_operands(n);
  default: return false;
  }
}

/* The register tile's limits on t: NR lanes per block, k input channels
 * per step, the accumulators a tile holds (MR * NBT <= acc). */
static bool params_i8(TargetKind t, char *buf, size_t len) {
  DotStep s = target_info(t)->i8;
  snprintf(buf, len, "nr=%d k=%d acc=%d", s.lanes, s.k, s.max_acc);
  return true;
}
static bool params_tiles(TargetKind t, char *buf, size_t len) {
  if (target_info(t)->tiles == TILES_NONE)
    return false;
  snprintf(buf, len, "tiles=2x%d rows=%d k=%d", TILE_NBT, TILE_ROWS, TILE_BYTES);
  return true;
}
static bool params_f32(TargetKind t, char *buf, size_t len) {
  DotStep s = target_info(t)->f32;
  snprintf(buf, len, "nr=%d k=%d acc=%d", s.lanes, s.k, s.max_acc);
  return true;
}

/* One spec for int8 and f32: describe names each node's tile. */
const KernelSpec kernel_conv_blocked = {
    .name = "conv_blocked",
    .takes = takes_blocked,
    .forms = {{"qu8_conv_minmax_fp32_ukernel_<MR>x<NR>c<k>__<isa>",
               "qconv2d (groups 1) and qlinear: MR pixels x NR channels of i32 accumulators, "
               "requantized to u8 (clamp, fused table) or f32",
               params_i8},
              {"f32_conv_ukernel_<MR>x<NR>__<f32_isa>",
               "conv2d (groups 1) and linear with constant weights, f32, on the same schedule",
               params_f32},
              {"qu8_conv_minmax_fp32_tiles_<MR>x<NR>c64__<isa>",
               "the int8 form's layers that fill AMX tiles: 2 x 2 tdpbusd accumulator tiles "
               "of 16 pixels x 16 channels, K in 64-byte chunks, the same epilogue",
               params_tiles}},
    .extent = main_extent,
    .scratch = packed_bytes,
    .emit = emit_main,
    .pre_extent = pre_extent,
    .emit_pre = emit_pack,
    .describe = describe,
    .takes_layouts = any_layouts};

bool kernel_on_tiles(const Node *n, TargetKind t) {
  if (!takes_blocked(n))
    return false;
  DotStep s = step_for(n, t);
  Geom g;
  geom(n, &s, &g);
  return on_tiles(&s, &g, t);
}

/* A quantize (f32 NCHW -> u8) whose only reader is this blocked conv
 * and whose result is no graph output is done by the conv's pack: the
 * f32 input is read once, and the u8 planes never written. Only for at
 * most FUSE_MAX_CHANNELS channels (a network's RGB input): the pack reads
 * every channel's plane at once, and 64 planes of f32 streamed from
 * memory made layer c (64 channels, 80 x 80) 15-28% slower where the
 * quantize kernel reads them in order; 3 made tiny_face 6% faster. */
enum { FUSE_MAX_CHANNELS = 16 };
const Node *kernel_fused_quantize(const Graph *g, const Node *n) {
  if (n->op != OP_QCONV2D || ir_attr_int(n, ATTR_GROUPS) != 1)
    return NULL;
  const Tensor *x = n->inputs[0];
  const Node *q = x->producer;
  if (!q || q->op != OP_QUANTIZE || x->dtype != DT_U8 || x->rank != 4 ||
      x->layout != LAYOUT_NCHW || q->inputs[0]->dtype != DT_F32 ||
      q->inputs[0]->layout != LAYOUT_NCHW || ir_is_graph_output(g, x) ||
      ir_count_uses(g, x) != 1 || !em_quantize_vector_ok(x->quant->scale[0]) ||
      x->dims[1] > FUSE_MAX_CHANNELS)
    return NULL;
  return q;
}

/* A conv's u8 NHWC result read by a channel concat (NHWC, not a graph
 * output), and otherwise only as the input of blocked convs, is stored
 * straight into its slice of the concat's output: each pixel's channels
 * at the concat's pixel stride, from *channel on. The concat copies the
 * other operands only; the convs' packs read the slice at that stride. */
const Node *kernel_concat_slice(const Graph *g, const Tensor *t, int64_t *channel) {
  const Node *p = t->producer, *cat = NULL;
  if (!p || p->op != OP_QCONV2D || !kernel_conv_blocked.takes(p) || p->outputs[0] != t ||
      t->dtype != DT_U8 || t->rank != 4 || t->layout != LAYOUT_NHWC || ir_is_graph_output(g, t))
    return NULL;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *r = g->nodes[i];
    for (int j = 0; j < r->num_inputs; j++) {
      if (r->inputs[j] != t)
        continue;
      if (r->op == OP_CONCAT && !cat)
        cat = r;
      else if (j != 0 || r->op != OP_QCONV2D || !kernel_conv_blocked.takes(r))
        return NULL; /* read twice by the concat, or by a kernel without strides */
    }
  }
  if (!cat)
    return NULL;
  const Tensor *y = cat->outputs[0];
  int64_t axis = ir_attr_int(cat, ATTR_AXIS);
  if ((axis != 1 && axis != -3) || y->rank != 4 || y->dtype != DT_U8 ||
      y->layout != LAYOUT_NHWC || ir_is_graph_output(g, y))
    return NULL;
  int64_t at = 0;
  for (int j = 0; j < cat->num_inputs && cat->inputs[j] != t; j++)
    at += cat->inputs[j]->dims[1];
  *channel = at;
  return cat;
}

bool kernel_fused_away(const Graph *g, const Node *n) {
  if (n->op != OP_QUANTIZE)
    return false;
  for (int i = 0; i < g->num_nodes; i++) {
    const Node *c = g->nodes[i];
    if (c->num_inputs > 0 && c->inputs[0] == n->outputs[0])
      return kernel_fused_quantize(g, c) == n;
  }
  return false;
}
