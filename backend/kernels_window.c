/* Window ops on f32 and u8: maxpool2d, avgpool2d, global_avgpool, resize.
 * The geometry (window bounds per output row and column, resize
 * neighbours and weights) is computed at compile time with the very
 * helpers the interpreters use (interp/ref.h), and stored as constant
 * tables, so both sides pick the same elements. One (batch, channel) plane
 * per parallel index.
 *  - maxpool: f32 keeps the first NaN like the interpreter; u8 takes the
 *    largest code, reducing the window's rows first (emit_maxpool_u8), or
 *    on NHWC across channels, one output row per index
 *    (emit_maxpool_nhwc).
 *  - avgpool: f32 sums in double and divides by the count in double (as
 *    the interpreter); u8: v = rne((float)S / (float)count), finish.
 *  - resize: nearest copies; bilinear f32 blends in double as the
 *    interpreter; u8 follows docs/quantization.md operation by operation,
 *    gathering each output row's neighbours first so that the blend
 *    vectorizes (resize_u8_row), or on NHWC blending vectors of channels
 *    (emit_resize_nhwc). */
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"
#include "quant_math.h"
#include "ref.h"
#include "target.h"

typedef struct Bounds {
  int32_t *lo, *hi, *count; /* per output index along one axis */
} Bounds;

/* Window [lo, hi) of real elements per output index, and the count of the
 * window clipped to the padded input (count_include_pad). */
static int axis_bounds(const Node *n, int64_t OUT, int64_t IN, int64_t k,
                       int64_t s, int64_t pad_lo, int64_t pad_hi, bool rows,
                       int32_t *lo, int32_t *hi, int32_t *padcount, Diag *d) {
  for (int64_t o = 0; o < OUT; o++) {
    int64_t a = o * s - pad_lo;
    lo[o] = (int32_t)ref_max64(a, 0);
    hi[o] = (int32_t)ref_min64(a + k, IN);
    padcount[o] = (int32_t)(ref_min64(a + k, IN + pad_hi) - a);
    if (lo[o] >= hi[o])
      return ref_pool_empty_window(n, rows ? o : 0, rows ? 0 : o, d);
  }
  return 0;
}

static int64_t plane_extent(const Node *n) {
  return n->inputs[0]->dims[0] * n->inputs[0]->dims[1];
}

static LLVMValueRef load_i32_as_i64(Emit *e, LLVMValueRef table, LLVMValueRef i) {
  return LLVMBuildSExt(e->b, em_load_at(e, e->i32, table, i), e->i64, "");
}

/* The window table of a pool: [lo, hi, count] per output row, then per
 * output column, as a constant; *t is the rows' part, *tw the columns'. */
static int window_table(KernelCtx *k, const WindowGeom *pg, LLVMValueRef *t,
                        LLVMValueRef *tw, Diag *d) {
  const Node *n = k->n;
  WindowGeom p = *pg;
  int32_t *tab = malloc(sizeof(int32_t) * (size_t)(3 * (p.OH + p.OW)));
  if (!tab)
    QCC_DIE("out of memory");
  int32_t *hl = tab, *hh = tab + p.OH, *hc = tab + 2 * p.OH;
  int32_t *wl = tab + 3 * p.OH, *wh = wl + p.OW, *wc = wh + p.OW;
  if (axis_bounds(n, p.OH, p.H, p.kh, p.sh, p.pt, p.pb, true, hl, hh, hc, d) ||
      axis_bounds(n, p.OW, p.W, p.kw, p.sw, p.pl, p.pr, false, wl, wh, wc, d)) {
    free(tab);
    return -1;
  }
  *t = kc_const(k, "window", tab, sizeof(int32_t) * (size_t)(3 * (p.OH + p.OW)));
  free(tab);
  *tw = em_elem(k->e, k->e->i32, *t, em_i64(k->e, 3 * p.OH));
  return 0;
}

static int emit_pool(KernelCtx *k, Diag *d) {
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom p;
  ir_window_geom(n, &p);
  bool u8 = n->inputs[0]->dtype == DT_U8, max = n->op == OP_MAXPOOL2D;
  bool include_pad = !max && ir_attr_int(n, ATTR_COUNT_INCLUDE_PAD) != 0;
  LLVMValueRef t, tw;
  if (window_table(k, &p, &t, &tw, d))
    return -1;
  LLVMTypeRef et = u8 ? e->i8 : e->f32;
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), y = kc_tensor(k, n->outputs[0]);
  int32_t z = u8 ? n->inputs[0]->quant->zero_point[0] : 0;
  Loop l, lh, lw, li, lj;
  LLVMValueRef nc = kernel_range(k, &l);
  LLVMValueRef xp = em_elem(e, et, x, em_mulc(e, nc, p.H * p.W));
  LLVMValueRef yp = em_elem(e, et, y, em_mulc(e, nc, p.OH * p.OW));
  LLVMValueRef oh = em_loop_n(e, &lh, p.OH, "oh");
  LLVMValueRef hs = load_i32_as_i64(e, t, oh), he = load_i32_as_i64(e, t, em_addc(e, oh, p.OH));
  LLVMValueRef ow = em_loop_n(e, &lw, p.OW, "ow");
  LLVMValueRef ws = load_i32_as_i64(e, tw, ow), we = load_i32_as_i64(e, tw, em_addc(e, ow, p.OW));
  LLVMTypeRef at = max ? et : u8 ? e->i32 : e->f64;
  LLVMValueRef acc;
  if (max)
    acc = em_var(e, et, em_load_at(e, et, xp, em_madc(e, hs, p.W, ws)), "m");
  else
    acc = em_var(e, at, u8 ? em_i32(e, 0) : LLVMConstReal(e->f64, 0), "s");
  LLVMValueRef h = em_loop(e, &li, hs, he, "h");
  LLVMValueRef w = em_loop(e, &lj, ws, we, "w");
  LLVMValueRef v = em_load_at(e, et, xp, em_madc(e, h, p.W, w));
  LLVMValueRef cur = LLVMBuildLoad2(e->b, at, acc, "");
  LLVMValueRef next;
  if (max && u8) {
    next = LLVMBuildSelect(e->b, LLVMBuildICmp(e->b, LLVMIntUGT, v, cur, ""), v, cur, "");
  } else if (max) { /* v > m || isnan(v) */
    LLVMValueRef take = LLVMBuildOr(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, v, cur, ""),
                                    LLVMBuildFCmp(e->b, LLVMRealUNO, v, v, ""), "");
    next = LLVMBuildSelect(e->b, take, v, cur, "");
  } else if (u8) {
    next = LLVMBuildAdd(e->b, cur, LLVMBuildSub(e->b, LLVMBuildZExt(e->b, v, e->i32, ""),
                                                em_i32(e, z), ""), "");
  } else {
    next = LLVMBuildFAdd(e->b, cur, LLVMBuildFPExt(e->b, v, e->f64, ""), "");
  }
  LLVMBuildStore(e->b, next, acc);
  em_loop_end(e, &lj);
  em_loop_end(e, &li);
  LLVMValueRef r = LLVMBuildLoad2(e->b, at, acc, "");
  if (!max) {
    LLVMValueRef count =
        include_pad
            ? LLVMBuildMul(e->b, em_load_at(e, e->i32, t, em_addc(e, oh, 2 * p.OH)),
                           em_load_at(e, e->i32, tw, em_addc(e, ow, 2 * p.OW)), "")
            : LLVMBuildTrunc(e->b, em_mul(e, LLVMBuildSub(e->b, he, hs, ""),
                                         LLVMBuildSub(e->b, we, ws, "")), e->i32, "");
    if (u8) {
      LLVMValueRef f = LLVMBuildFDiv(e->b, LLVMBuildSIToFP(e->b, r, e->f32, ""),
                                     LLVMBuildSIToFP(e->b, count, e->f32, ""), "");
      r = LLVMBuildTrunc(e->b, em_finish(e, em_rne(e, f), z, 0, 255), e->i8, "");
    } else {
      r = LLVMBuildFPTrunc(e->b, LLVMBuildFDiv(e->b, r, LLVMBuildSIToFP(e->b, count, e->f64, ""), ""),
                           e->f32, "");
    }
  }
  em_store_at(e, r, et, yp, em_madc(e, oh, p.OW, ow));
  /* Rolled: unrolling the output loops around the window loops made the
   * u8 maxpools 18k lines each and the compile 3x slower for ~10%. */
  em_loop_end_rolled(e, &lw);
  em_loop_end_rolled(e, &lh);
  em_loop_end(e, &l);
  return 0;
}

/* u8 maxpool in two passes per output row, both over contiguous bytes so
 * LLVM vectorizes them: the rows of the window reduced into one row
 * (r[w] = max over h of x[h][w], a stack buffer), then each output
 * column's window over r: constant offsets (ow*s - pl + j) for the
 * columns whose window lies inside the row, the bounds table at the
 * borders. The largest code wins either way, so it equals emit_pool. */
static LLVMValueRef umax(Emit *e, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  return em_intrinsic(e, "llvm.umax", LLVMTypeOf(a), args, 2);
}

static void column_windows(Emit *e, const WindowGeom *p, LLVMValueRef tw, LLVMValueRef r,
                           LLVMValueRef yrow, int64_t from, int64_t to) {
  if (from >= to)
    return;
  Loop lw, lj;
  LLVMValueRef ow = em_loop(e, &lw, em_i64(e, from), em_i64(e, to), "ow");
  LLVMValueRef ws = load_i32_as_i64(e, tw, ow), we = load_i32_as_i64(e, tw, em_addc(e, ow, p->OW));
  LLVMValueRef m = em_var(e, e->i8, em_load_at(e, e->i8, r, ws), "m");
  LLVMValueRef w = em_loop(e, &lj, em_addc(e, ws, 1), we, "w");
  LLVMBuildStore(e->b, umax(e, LLVMBuildLoad2(e->b, e->i8, m, ""), em_load_at(e, e->i8, r, w)), m);
  em_loop_end(e, &lj);
  em_store_at(e, LLVMBuildLoad2(e->b, e->i8, m, ""), e->i8, yrow, ow);
  em_loop_end_rolled(e, &lw);
}

static int emit_maxpool_u8(KernelCtx *k, Diag *d) {
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom p;
  ir_window_geom(n, &p);
  LLVMValueRef t, tw;
  if (window_table(k, &p, &t, &tw, d))
    return -1;
  /* Output columns whose window [ow*s - pl, + kw) lies inside the row. */
  int64_t lo = (p.pl + p.sw - 1) / p.sw, hi = p.W >= p.kw ? (p.W - p.kw + p.pl) / p.sw + 1 : 0;
  if (hi > p.OW)
    hi = p.OW;
  if (lo > hi)
    lo = hi;
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), y = kc_tensor(k, n->outputs[0]);
  LLVMBasicBlockRef here = LLVMGetInsertBlock(e->b);
  LLVMPositionBuilderAtEnd(e->b, e->entry);
  LLVMValueRef r = LLVMBuildArrayAlloca(e->b, e->i8, em_i64(e, p.W), "rowmax");
  LLVMPositionBuilderAtEnd(e->b, here);
  Loop l, lh, li, lw, lc;
  LLVMValueRef nc = kernel_range(k, &l);
  LLVMValueRef xp = em_elem(e, e->i8, x, em_mulc(e, nc, p.H * p.W));
  LLVMValueRef yp = em_elem(e, e->i8, y, em_mulc(e, nc, p.OH * p.OW));
  LLVMValueRef oh = em_loop_n(e, &lh, p.OH, "oh");
  LLVMValueRef hs = load_i32_as_i64(e, t, oh), he = load_i32_as_i64(e, t, em_addc(e, oh, p.OH));
  LLVMValueRef first = em_elem(e, e->i8, xp, em_mulc(e, hs, p.W));
  LLVMBuildMemCpy(e->b, r, 1, first, 1, em_i64(e, p.W));
  LLVMValueRef h = em_loop(e, &li, em_addc(e, hs, 1), he, "h");
  LLVMValueRef xrow = em_elem(e, e->i8, xp, em_mulc(e, h, p.W));
  LLVMValueRef w = em_loop_n(e, &lw, p.W, "w");
  em_store_at(e, umax(e, em_load_at(e, e->i8, r, w), em_load_at(e, e->i8, xrow, w)), e->i8, r, w);
  em_loop_end(e, &lw);
  em_loop_end_rolled(e, &li);
  LLVMValueRef yrow = em_elem(e, e->i8, yp, em_mulc(e, oh, p.OW));
  column_windows(e, &p, tw, r, yrow, 0, lo);
  if (lo < hi) {
    LLVMValueRef ow = em_loop(e, &lc, em_i64(e, lo), em_i64(e, hi), "ow");
    LLVMValueRef base = em_addc(e, em_mulc(e, ow, p.sw), -p.pl);
    LLVMValueRef m = em_load_at(e, e->i8, r, base);
    for (int64_t j = 1; j < p.kw; j++)
      m = umax(e, m, em_load_at(e, e->i8, r, em_addc(e, base, j)));
    em_store_at(e, m, e->i8, yrow, ow);
    em_loop_end(e, &lc);
  }
  column_windows(e, &p, tw, r, yrow, hi, p.OW);
  em_loop_end_rolled(e, &lh);
  em_loop_end(e, &l);
  return 0;
}

/* u8 maxpool on NHWC: one output row per parallel index; per output
 * pixel, vectors of channels (64 codes on avx512vnni, 32 elsewhere) take
 * the largest code over the window's real pixels (the bounds tables), the
 * same elements emit_pool compares. */
static int64_t row_extent(const Node *n) {
  return n->outputs[0]->dims[0] * n->outputs[0]->dims[2];
}

/* Channels c0 .. c0 + V - 1 of one output pixel, whose window is rows
 * [hs, he) x columns [ws, we): a window of the full kernel size (every
 * one but the padded borders') unrolled, the others as loops. */
static void max_channel_vector(Emit *e, const WindowGeom *p, unsigned V, LLVMValueRef xp,
                               LLVMValueRef yp, LLVMValueRef hs, LLVMValueRef he,
                               LLVMValueRef ws, LLVMValueRef we, LLVMValueRef c0) {
  LLVMTypeRef vb = LLVMVectorType(e->i8, V);
  LLVMValueRef corner = em_elem(e, e->i8, xp, em_madc(e, em_madc(e, hs, p->W, ws), p->C, c0));
  LLVMValueRef m = em_var(e, vb, LLVMGetUndef(vb), "m");
  LLVMValueRef full = LLVMBuildAnd(
      e->b, LLVMBuildICmp(e->b, LLVMIntEQ, LLVMBuildSub(e->b, he, hs, ""), em_i64(e, p->kh), ""),
      LLVMBuildICmp(e->b, LLVMIntEQ, LLVMBuildSub(e->b, we, ws, ""), em_i64(e, p->kw), ""), "");
  If inner, border;
  em_if(e, &inner, full);
  LLVMValueRef acc = NULL;
  for (int64_t i = 0; i < p->kh; i++)
    for (int64_t j = 0; j < p->kw; j++) {
      LLVMValueRef v = LLVMBuildLoad2(e->b, vb, em_elem(e, e->i8, corner, em_i64(e, (i * p->W + j) * p->C)), "");
      LLVMSetAlignment(v, 1);
      acc = acc ? umax(e, acc, v) : v;
    }
  LLVMBuildStore(e->b, acc, m);
  em_if_end(e, &inner);
  em_if(e, &border, LLVMBuildNot(e->b, full, ""));
  LLVMValueRef first = LLVMBuildLoad2(e->b, vb, corner, "");
  LLVMSetAlignment(first, 1);
  LLVMBuildStore(e->b, first, m);
  Loop li, lj;
  LLVMValueRef h = em_loop(e, &li, hs, he, "h");
  LLVMValueRef w = em_loop(e, &lj, ws, we, "w");
  LLVMValueRef v = LLVMBuildLoad2(e->b, vb, em_elem(e, e->i8, xp, em_madc(e, em_madc(e, h, p->W, w), p->C, c0)), "");
  LLVMSetAlignment(v, 1);
  LLVMBuildStore(e->b, umax(e, LLVMBuildLoad2(e->b, vb, m, ""), v), m);
  em_loop_end_rolled(e, &lj);
  em_loop_end_rolled(e, &li);
  em_if_end(e, &border);
  LLVMValueRef st = LLVMBuildStore(e->b, LLVMBuildLoad2(e->b, vb, m, ""), em_elem(e, e->i8, yp, c0));
  LLVMSetAlignment(st, 1);
}

static int emit_maxpool_nhwc(KernelCtx *k, Diag *d) {
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom p;
  ir_window_geom(n, &p);
  LLVMValueRef t, tw;
  if (window_table(k, &p, &t, &tw, d))
    return -1;
  unsigned V = kernel_channel_vector(target_info(k->target)->u8_bytes, p.C);
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), y = kc_tensor(k, n->outputs[0]);
  Loop l, lw, lc;
  LLVMValueRef r = kernel_range(k, &l); /* b * OH + oh */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, p.OH), "");
  LLVMValueRef oh = LLVMBuildURem(e->b, r, em_i64(e, p.OH), "");
  LLVMValueRef hs = load_i32_as_i64(e, t, oh), he = load_i32_as_i64(e, t, em_addc(e, oh, p.OH));
  LLVMValueRef xp = em_elem(e, e->i8, x, em_mulc(e, b, p.H * p.W * p.C));
  LLVMValueRef ow = em_loop_n(e, &lw, p.OW, "ow");
  LLVMValueRef ws = load_i32_as_i64(e, tw, ow), we = load_i32_as_i64(e, tw, em_addc(e, ow, p.OW));
  LLVMValueRef yp = em_elem(e, e->i8, y, em_mulc(e, em_madc(e, r, p.OW, ow), p.C));
  LLVMValueRef cv = em_loop_n(e, &lc, p.C / V, "cv");
  max_channel_vector(e, &p, V, xp, yp, hs, he, ws, we, em_mulc(e, cv, V));
  em_loop_end_rolled(e, &lc);
  if (p.C % V)
    max_channel_vector(e, &p, V, xp, yp, hs, he, ws, we, em_i64(e, p.C - V));
  em_loop_end_rolled(e, &lw);
  em_loop_end(e, &l);
  return 0;
}

static int emit_global_avgpool(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *xt = n->inputs[0];
  bool u8 = xt->dtype == DT_U8;
  int64_t HW = ir_tensor_numel(xt) / (xt->dims[0] * xt->dims[1]);
  int32_t z = u8 ? xt->quant->zero_point[0] : 0;
  LLVMTypeRef et = u8 ? e->i8 : e->f32;
  LLVMValueRef x = kc_tensor(k, xt), y = kc_tensor(k, n->outputs[0]);
  Loop l, li;
  LLVMValueRef nc = kernel_range(k, &l);
  LLVMValueRef acc = em_var(e, u8 ? e->i32 : e->f64, u8 ? em_i32(e, 0) : LLVMConstReal(e->f64, 0), "s");
  LLVMValueRef i = em_loop_n(e, &li, HW, "i");
  LLVMValueRef v = em_load_at(e, et, x, em_madc(e, nc, HW, i));
  LLVMValueRef cur = LLVMBuildLoad2(e->b, u8 ? e->i32 : e->f64, acc, "");
  LLVMBuildStore(e->b, u8 ? LLVMBuildAdd(e->b, cur, LLVMBuildSub(e->b, LLVMBuildZExt(e->b, v, e->i32, ""), em_i32(e, z), ""), "")
                          : LLVMBuildFAdd(e->b, cur, LLVMBuildFPExt(e->b, v, e->f64, ""), ""),
                 acc);
  em_loop_end(e, &li);
  LLVMValueRef s = LLVMBuildLoad2(e->b, u8 ? e->i32 : e->f64, acc, "");
  LLVMValueRef r;
  if (u8) {
    LLVMValueRef f = LLVMBuildFDiv(e->b, LLVMBuildSIToFP(e->b, s, e->f32, ""),
                                   em_f32(e, (float)(int32_t)HW), "");
    r = LLVMBuildTrunc(e->b, em_finish(e, em_rne(e, f), z, 0, 255), e->i8, "");
  } else {
    r = LLVMBuildFPTrunc(e->b, LLVMBuildFDiv(e->b, s, LLVMConstReal(e->f64, (double)HW), ""), e->f32, "");
  }
  em_store_at(e, r, et, y, nc);
  em_loop_end(e, &l);
  return 0;
}

/* ---- resize ----------------------------------------------------------------- */

/* Output rows up to this wide gather their neighbours into a stack buffer
 * first (4 x OW bytes). */
enum { RESIZE_ROW_MAX = 4096 };

/* The u8 bilinear value of docs/quantization.md from the four codes
 * (i8 values) and the weights (f32): w_tl = (1-ly)(1-lx), w_tr =
 * (1-ly)lx, w_bl = ly(1-lx), w_br = ly lx; v = w_tl d00 + w_tr d01 + w_bl
 * d10 + w_br d11, left to right, rounded and finished to a code. */
static LLVMValueRef blend_u8(Emit *e, LLVMValueRef fx, LLVMValueRef fy,
                             const LLVMValueRef q[4], int32_t z) {
  /* Scalars, or vectors of codes with fx, fy splat to their lanes. */
  LLVMTypeRef qt = LLVMTypeOf(q[0]);
  bool vec = LLVMGetTypeKind(qt) == LLVMVectorTypeKind;
  unsigned n = vec ? LLVMGetVectorSize(qt) : 1;
  LLVMTypeRef it = vec ? LLVMVectorType(e->i32, n) : e->i32;
  LLVMTypeRef ft = vec ? LLVMVectorType(e->f32, n) : e->f32;
  if (vec) {
    fx = em_splat_value(e, fx, n);
    fy = em_splat_value(e, fy, n);
  }
  LLVMValueRef one = em_like(fx, em_f32(e, 1.0f)), zz = em_like(fx, em_i32(e, z)), d[4];
  LLVMValueRef gx = LLVMBuildFSub(e->b, one, fx, ""), gy = LLVMBuildFSub(e->b, one, fy, "");
  for (int i = 0; i < 4; i++)
    d[i] = LLVMBuildSIToFP(e->b, LLVMBuildSub(e->b, LLVMBuildZExt(e->b, q[i], it, ""), zz, ""), ft, "");
  LLVMValueRef v = LLVMBuildFMul(e->b, LLVMBuildFMul(e->b, gy, gx, ""), d[0], "");
  v = LLVMBuildFAdd(e->b, v, LLVMBuildFMul(e->b, LLVMBuildFMul(e->b, gy, fx, ""), d[1], ""), "");
  v = LLVMBuildFAdd(e->b, v, LLVMBuildFMul(e->b, LLVMBuildFMul(e->b, fy, gx, ""), d[2], ""), "");
  v = LLVMBuildFAdd(e->b, v, LLVMBuildFMul(e->b, LLVMBuildFMul(e->b, fy, fx, ""), d[3], ""), "");
  return LLVMBuildTrunc(e->b, em_finish(e, em_rne(e, v), z, 0, 255), vec ? LLVMVectorType(e->i8, n) : e->i8, "");
}

/* One output row of a u8 bilinear resize in two loops: the four
 * neighbours of every column gathered from rows r0 and r1 (scalar loads,
 * which is what kept the one-loop form from vectorizing), then the blend
 * of docs/quantization.md over the row, which LLVM vectorizes: the same
 * operations in the same order per element as the one-loop form. */
static void resize_u8_row(KernelCtx *k, LLVMValueRef ti, LLVMValueRef tf, LLVMValueRef r0,
                          LLVMValueRef r1, LLVMValueRef fy, LLVMValueRef yrow, int64_t OH,
                          int64_t OW, int32_t z) {
  Emit *e = k->e;
  LLVMValueRef nb = em_var(e, LLVMArrayType(e->i8, (unsigned)(4 * OW)), NULL, "neighbours");
  Loop lg, lb;
  LLVMValueRef ow = em_loop_n(e, &lg, OW, "gather");
  LLVMValueRef c0 = load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH));
  LLVMValueRef c1 = load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH + OW));
  LLVMValueRef from[4] = {em_load_at(e, e->i8, r0, c0), em_load_at(e, e->i8, r0, c1),
                          em_load_at(e, e->i8, r1, c0), em_load_at(e, e->i8, r1, c1)};
  for (int q = 0; q < 4; q++)
    em_store_at(e, from[q], e->i8, nb, em_addc(e, ow, q * OW));
  em_loop_end(e, &lg);
  ow = em_loop_n(e, &lb, OW, "blend");
  LLVMValueRef fx = em_load_at(e, e->f32, tf, em_addc(e, ow, OH)), q[4];
  for (int i = 0; i < 4; i++)
    q[i] = em_load_at(e, e->i8, nb, em_addc(e, ow, i * OW));
  em_store_at(e, blend_u8(e, fx, fy, q, z), e->i8, yrow, ow);
  em_loop_end(e, &lb);
}

/* The plan of a resize as constants: [lo per output row, hi per output
 * row, lo per output column, hi per output column] (i32) at *ti, the
 * fractions per row then per column at *tf (f32 for u8, as the u8 blend
 * uses them, else f64). */
static int resize_tables(KernelCtx *k, bool u8, LLVMValueRef *ti, LLVMValueRef *tf,
                         bool *nearest, Diag *d) {
  const Node *n = k->n;
  int64_t OH = n->outputs[0]->dims[2], OW = n->outputs[0]->dims[3];
  ResizePlan plan;
  if (ref_resize_plan(n, &plan, d))
    return -1;
  int32_t *idx = malloc(sizeof(int32_t) * (size_t)(2 * (OH + OW)));
  double *frac = malloc(sizeof(double) * (size_t)(OH + OW));
  float *fracf = malloc(sizeof(float) * (size_t)(OH + OW));
  if (!idx || !frac || !fracf)
    QCC_DIE("out of memory");
  for (int64_t i = 0; i < OH; i++) {
    idx[i] = (int32_t)plan.h.lo[i];
    idx[OH + i] = (int32_t)plan.h.hi[i];
    frac[i] = plan.h.frac[i];
    fracf[i] = (float)plan.h.frac[i];
  }
  for (int64_t i = 0; i < OW; i++) {
    idx[2 * OH + i] = (int32_t)plan.w.lo[i];
    idx[2 * OH + OW + i] = (int32_t)plan.w.hi[i];
    frac[OH + i] = plan.w.frac[i];
    fracf[OH + i] = (float)plan.w.frac[i];
  }
  *nearest = plan.mode == RESIZE_NEAREST;
  ref_resize_plan_free(&plan);
  *ti = kc_const(k, "resize_idx", idx, sizeof(int32_t) * (size_t)(2 * (OH + OW)));
  *tf = u8 ? kc_const(k, "resize_frac", fracf, sizeof(float) * (size_t)(OH + OW))
           : kc_const(k, "resize_frac", frac, sizeof(double) * (size_t)(OH + OW));
  free(idx);
  free(frac);
  free(fracf);
  return 0;
}

/* Channels c0 .. c0 + V - 1 of one output pixel blended from its four
 * neighbouring pixels `from`. */
static void blend_channel_vector(Emit *e, unsigned V, const LLVMValueRef from[4], LLVMValueRef fx,
                                 LLVMValueRef fy, int32_t z, LLVMValueRef yp, LLVMValueRef c0) {
  LLVMValueRef q[4];
  for (int i = 0; i < 4; i++) {
    q[i] = LLVMBuildLoad2(e->b, LLVMVectorType(e->i8, V), em_elem(e, e->i8, from[i], c0), "");
    LLVMSetAlignment(q[i], 1);
  }
  LLVMValueRef st = LLVMBuildStore(e->b, blend_u8(e, fx, fy, q, z), em_elem(e, e->i8, yp, c0));
  LLVMSetAlignment(st, 1);
}

/* u8 resize on NHWC: one output row per parallel index; per output pixel
 * the nearest pixel's channels copied, or vectors of channels of the four
 * neighbours blended as docs/quantization.md says (blend_u8, the same
 * operations per element as the NCHW kernel). */
static int emit_resize_nhwc(KernelCtx *k, Diag *d) {
  Emit *e = k->e;
  const Tensor *xt = k->n->inputs[0], *yt = k->n->outputs[0];
  int64_t C = xt->dims[1], H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2], OW = yt->dims[3];
  LLVMValueRef ti, tf;
  bool nearest;
  if (resize_tables(k, true, &ti, &tf, &nearest, d))
    return -1;
  int32_t z = xt->quant->zero_point[0];
  unsigned V = kernel_channel_vector(target_info(k->target)->i32_lanes, C);
  LLVMValueRef x = kc_tensor(k, xt), y = kc_tensor(k, yt);
  Loop l, lw, lc;
  LLVMValueRef r = kernel_range(k, &l); /* b * OH + oh */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, OH), "");
  LLVMValueRef oh = LLVMBuildURem(e->b, r, em_i64(e, OH), "");
  LLVMValueRef r0 = em_elem(e, e->i8, x, em_mulc(e, em_madc(e, b, H, load_i32_as_i64(e, ti, oh)), W * C));
  LLVMValueRef r1 = em_elem(e, e->i8, x, em_mulc(e, em_madc(e, b, H, load_i32_as_i64(e, ti, em_addc(e, oh, OH))), W * C));
  LLVMValueRef fy = em_load_at(e, e->f32, tf, oh);
  LLVMValueRef ow = em_loop_n(e, &lw, OW, "ow");
  LLVMValueRef c0 = em_mulc(e, load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH)), C);
  LLVMValueRef yp = em_elem(e, e->i8, y, em_mulc(e, em_madc(e, r, OW, ow), C));
  if (nearest) {
    LLVMValueRef c = em_loop_n(e, &lc, C, "c");
    em_store_at(e, em_load_at(e, e->i8, r0, em_add(e, c0, c)), e->i8, yp, c);
    em_loop_end(e, &lc);
  } else {
    LLVMValueRef c1 = em_mulc(e, load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH + OW)), C);
    LLVMValueRef fx = em_load_at(e, e->f32, tf, em_addc(e, ow, OH));
    LLVMValueRef from[4] = {em_elem(e, e->i8, r0, c0), em_elem(e, e->i8, r0, c1),
                            em_elem(e, e->i8, r1, c0), em_elem(e, e->i8, r1, c1)};
    LLVMValueRef cv = em_loop_n(e, &lc, C / V, "cv");
    blend_channel_vector(e, V, from, fx, fy, z, yp, em_mulc(e, cv, V));
    em_loop_end_rolled(e, &lc);
    if (C % V)
      blend_channel_vector(e, V, from, fx, fy, z, yp, em_i64(e, C - V));
  }
  em_loop_end_rolled(e, &lw);
  em_loop_end(e, &l);
  return 0;
}

static int emit_resize(KernelCtx *k, Diag *d) {
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *xt = n->inputs[0], *yt = n->outputs[0];
  bool u8 = xt->dtype == DT_U8;
  int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2], OW = yt->dims[3];
  LLVMValueRef ti, tf;
  bool nearest;
  if (resize_tables(k, u8, &ti, &tf, &nearest, d))
    return -1;
  LLVMTypeRef et = u8 ? e->i8 : e->f32, ft = u8 ? e->f32 : e->f64;
  int32_t z = u8 ? xt->quant->zero_point[0] : 0;
  LLVMValueRef x = kc_tensor(k, xt), y = kc_tensor(k, yt);
  Loop l, lh, lw;
  LLVMValueRef nc = kernel_range(k, &l);
  LLVMValueRef xp = em_elem(e, et, x, em_mulc(e, nc, H * W));
  LLVMValueRef yp = em_elem(e, et, y, em_mulc(e, nc, OH * OW));
  LLVMValueRef oh = em_loop_n(e, &lh, OH, "oh");
  LLVMValueRef r0 = em_elem(e, et, xp, em_mulc(e, load_i32_as_i64(e, ti, oh), W));
  LLVMValueRef r1 = em_elem(e, et, xp, em_mulc(e, load_i32_as_i64(e, ti, em_addc(e, oh, OH)), W));
  LLVMValueRef fy = em_load_at(e, ft, tf, oh);
  if (u8 && !nearest && OW <= RESIZE_ROW_MAX) {
    resize_u8_row(k, ti, tf, r0, r1, fy, em_elem(e, e->i8, yp, em_mulc(e, oh, OW)), OH, OW, z);
    em_loop_end(e, &lh);
    em_loop_end(e, &l);
    return 0;
  }
  LLVMValueRef ow = em_loop_n(e, &lw, OW, "ow");
  LLVMValueRef c0 = load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH));
  LLVMValueRef at = em_madc(e, oh, OW, ow);
  if (nearest) {
    em_store_at(e, em_load_at(e, et, r0, c0), et, yp, at);
  } else {
    LLVMValueRef c1 = load_i32_as_i64(e, ti, em_addc(e, ow, 2 * OH + OW));
    LLVMValueRef fx = em_load_at(e, ft, tf, em_addc(e, ow, OH));
    LLVMValueRef one = LLVMConstReal(ft, 1.0);
    LLVMValueRef gx = LLVMBuildFSub(e->b, one, fx, ""), gy = LLVMBuildFSub(e->b, one, fy, "");
    LLVMValueRef v00 = em_load_at(e, et, r0, c0), v01 = em_load_at(e, et, r0, c1);
    LLVMValueRef v10 = em_load_at(e, et, r1, c0), v11 = em_load_at(e, et, r1, c1);
    if (u8) {
      LLVMValueRef q[4] = {v00, v01, v10, v11};
      em_store_at(e, blend_u8(e, fx, fy, q, z), e->i8, yp, at);
    } else {
#define X(v) LLVMBuildFPExt(e->b, v, e->f64, "")
      LLVMValueRef top = LLVMBuildFAdd(e->b, LLVMBuildFMul(e->b, gx, X(v00), ""),
                                       LLVMBuildFMul(e->b, fx, X(v01), ""), "");
      LLVMValueRef bot = LLVMBuildFAdd(e->b, LLVMBuildFMul(e->b, gx, X(v10), ""),
                                       LLVMBuildFMul(e->b, fx, X(v11), ""), "");
#undef X
      LLVMValueRef v = LLVMBuildFAdd(e->b, LLVMBuildFMul(e->b, gy, top, ""),
                                     LLVMBuildFMul(e->b, fy, bot, ""), "");
      em_store_at(e, LLVMBuildFPTrunc(e->b, v, e->f32, ""), e->f32, yp, at);
    }
  }
  em_loop_end(e, &lw);
  em_loop_end(e, &lh);
  em_loop_end(e, &l);
  return 0;
}

static bool u8_input(const Node *n) { return n->inputs[0]->dtype == DT_U8; }
static bool nhwc_input(const Node *n) { return n->inputs[0]->layout == LAYOUT_NHWC; }
static bool takes_pool(const Node *n) {
  return n->op == OP_AVGPOOL2D || (n->op == OP_MAXPOOL2D && !u8_input(n));
}
static bool takes_maxpool_u8(const Node *n) {
  return n->op == OP_MAXPOOL2D && u8_input(n) && !nhwc_input(n);
}
static bool takes_maxpool_nhwc(const Node *n) {
  return n->op == OP_MAXPOOL2D && u8_input(n) && nhwc_input(n);
}
static bool takes_gap(const Node *n) { return n->op == OP_GLOBAL_AVGPOOL; }
static bool takes_resize(const Node *n) { return n->op == OP_RESIZE && !nhwc_input(n); }
static bool takes_resize_nhwc(const Node *n) { return n->op == OP_RESIZE && nhwc_input(n); }

static bool params_u8_vector(TargetKind t, char *buf, size_t len) {
  snprintf(buf, len, "vector=%u", target_info(t)->u8_bytes);
  return true;
}
static bool params_i32_lanes(TargetKind t, char *buf, size_t len) {
  snprintf(buf, len, "lanes=%u", target_info(t)->i32_lanes);
  return true;
}

const KernelSpec kernel_pool = {
    .name = "pool_ukernel", .takes = takes_pool,
    .forms = {{"pool_ukernel__<isa>", "f32 max/avg pool, u8 avg pool, NCHW planes", NULL}},
    .extent = plane_extent, .emit = emit_pool};
const KernelSpec kernel_u8_maxpool_rows = {
    .name = "u8_maxpool_rows_ukernel", .takes = takes_maxpool_u8,
    .forms = {{"u8_maxpool_rows_ukernel__<isa>", "u8 max pool on NCHW planes, a row of windows at a time", NULL}},
    .extent = plane_extent, .emit = emit_maxpool_u8};
const KernelSpec kernel_u8_maxpool_nhwc = {
    .name = "u8_maxpool_nhwc_ukernel", .takes = takes_maxpool_nhwc,
    .forms = {{"u8_maxpool_nhwc_ukernel__<isa>", "u8 max pool, NHWC: vectors across channels", params_u8_vector}},
    .extent = row_extent, .emit = emit_maxpool_nhwc, .takes_layouts = kernel_same_layouts};
const KernelSpec kernel_global_avgpool = {
    .name = "global_avgpool_ukernel", .takes = takes_gap,
    .forms = {{"global_avgpool_ukernel__<isa>", "f32 and u8 global average pool", NULL}},
    .extent = plane_extent, .emit = emit_global_avgpool};
const KernelSpec kernel_resize = {
    .name = "resize_ukernel", .takes = takes_resize,
    .forms = {{"resize_ukernel__<isa>", "f32 and u8 nearest/bilinear resize, NCHW planes", NULL}},
    .extent = plane_extent, .emit = emit_resize};
const KernelSpec kernel_u8_resize_nhwc = {
    .name = "u8_resize_nhwc_ukernel", .takes = takes_resize_nhwc,
    .forms = {{"u8_resize_nhwc_ukernel__<isa>", "u8 resize, NHWC: vectors across channels", params_i32_lanes}},
    .extent = row_extent, .emit = emit_resize_nhwc, .takes_layouts = kernel_same_layouts};
