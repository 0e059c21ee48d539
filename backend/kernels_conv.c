/* The direct kernels: what the blocked and depthwise kernels leave of
 * conv2d, linear and qconv2d (grouped convs, computed weights), and
 * dqlinear. (qlinear always takes the blocked kernel.)
 *
 * Direct convolution, one output plane (batch b, channel o) per parallel
 * index, accumulated tap by tap: for every (c, kh, kw) the whole range of
 * output rows and columns whose input tap lies inside the image is known
 * at compile time, so the innermost loop runs over contiguous output
 * columns without bounds checks, and LLVM vectorizes it. Padding taps are
 * skipped, which is exactly "padding reads z_x and adds 0". The int8 form
 * accumulates (q_x - z_x) * q_w in i32 in a scratch plane — the integer
 * sum is exact, so its order does not matter — then requantizes each
 * element with the contract's formula (and the fused table, if any).
 * Float accumulates in f32 (the interpreter: double), well inside the
 * 1e-5 relative tolerance for the reductions of real models. */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "window.h"
#include "quant_math.h"
#include "requant.h"

static int64_t conv_extent(const Node *n) {
  WindowGeom g;
  ir_window_geom(n, &g);
  return g.N * g.O;
}

static int64_t qconv_scratch(const Graph *g, const Node *n, TargetKind t) {
  (void)g;
  (void)t;
  return ir_tensor_numel(n->outputs[0]) * 4;
}

/* The tap-by-tap accumulation into plane `acc` (f32 or i32) for output
 * channel o of batch b. `xval` turns a loaded input element into the
 * accumulator type (minus z_x for int8). */
static void accumulate_taps(KernelCtx *k, const WindowGeom *g, LLVMValueRef x,
                            LLVMValueRef w, LLVMValueRef acc, LLVMValueRef b,
                            LLVMValueRef o, bool int8, int32_t z_x) {
  Emit *e = k->e;
  LLVMTypeRef at = int8 ? e->i32 : e->f32;
  LLVMValueRef grp = LLVMBuildUDiv(e->b, o, em_i64(e, g->OG), "");
  Loop lc;
  LLVMValueRef c = em_loop_n(e, &lc, g->CG, "c");
  LLVMValueRef xc = em_add(e, em_mulc(e, b, g->C), em_add(e, em_mulc(e, grp, g->CG), c));
  LLVMValueRef xbase = em_mulc(e, xc, g->H * g->W);
  LLVMValueRef wbase = em_mulc(e, em_madc(e, o, g->CG, c), g->kh * g->kw);
  for (int64_t kh = 0; kh < g->kh; kh++) {
    int64_t oh0, oh1;
    ir_window_taps(g->OH, g->H, g->sh, kh * g->dh - g->pt, &oh0, &oh1);
    for (int64_t kw = 0; kw < g->kw; kw++) {
      int64_t ow0, ow1;
      ir_window_taps(g->OW, g->W, g->sw, kw * g->dw - g->pl, &ow0, &ow1);
      if (oh0 >= oh1 || ow0 >= ow1)
        continue;
      LLVMValueRef wv = em_load_at(e, int8 ? e->i8 : e->f32, w,
                                   em_addc(e, wbase, kh * g->kw + kw));
      if (int8)
        wv = LLVMBuildSExt(e->b, wv, e->i32, "");
      Loop lh, lw;
      LLVMValueRef oh = em_loop(e, &lh, em_i64(e, oh0), em_i64(e, oh1), "oh");
      LLVMValueRef ih = em_addc(e, em_mulc(e, oh, g->sh), kh * g->dh - g->pt);
      LLVMValueRef ow = em_loop(e, &lw, em_i64(e, ow0), em_i64(e, ow1), "ow");
      LLVMValueRef iw = em_addc(e, em_mulc(e, ow, g->sw), kw * g->dw - g->pl);
      LLVMValueRef xv = em_load_at(e, int8 ? e->i8 : e->f32, x,
                                   em_add(e, xbase, em_madc(e, ih, g->W, iw)));
      if (int8)
        xv = LLVMBuildSub(e->b, LLVMBuildZExt(e->b, xv, e->i32, ""),
                          em_i32(e, z_x), "");
      LLVMValueRef ai = em_madc(e, oh, g->OW, ow);
      LLVMValueRef cur = em_load_at(e, at, acc, ai);
      LLVMValueRef sum = int8 ? LLVMBuildAdd(e->b, cur, LLVMBuildMul(e->b, xv, wv, ""), "")
                              : LLVMBuildFAdd(e->b, cur, LLVMBuildFMul(e->b, xv, wv, ""), "");
      em_store_at(e, sum, at, acc, ai);
      em_loop_end(e, &lw);
      em_loop_end(e, &lh);
    }
  }
  em_loop_end(e, &lc);
}

static int emit_conv_f32(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom g;
  ir_window_geom(n, &g);
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), w = kc_tensor(k, n->inputs[1]);
  LLVMValueRef bias = n->num_inputs > 2 ? kc_tensor(k, n->inputs[2]) : NULL;
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l;
  LLVMValueRef p = kernel_range(k, &l);
  LLVMValueRef b = LLVMBuildUDiv(e->b, p, em_i64(e, g.O), "");
  LLVMValueRef o = LLVMBuildURem(e->b, p, em_i64(e, g.O), "");
  LLVMValueRef plane = em_elem(e, e->f32, y, em_mulc(e, p, g.OH * g.OW));
  LLVMValueRef init = bias ? em_load_at(e, e->f32, bias, o) : em_f32(e, 0);
  Loop li;
  LLVMValueRef i = em_loop_n(e, &li, g.OH * g.OW, "init");
  em_store_at(e, init, e->f32, plane, i);
  em_loop_end(e, &li);
  accumulate_taps(k, &g, x, w, plane, b, o, false, 0);
  em_loop_end(e, &l);
  return 0;
}

static int emit_qconv(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  WindowGeom g;
  ir_window_geom(n, &g);
  OutStage os = requant_out_stage(k);
  float *m = requant_multipliers(n, os.scale);
  LLVMValueRef mult = kc_const(k, "mult", m, sizeof(float) * (size_t)g.O);
  free(m);
  int32_t z_x = n->inputs[0]->quant->zero_point[0];
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), w = kc_tensor(k, n->inputs[1]);
  LLVMValueRef bias = n->num_inputs > 2 ? kc_tensor(k, n->inputs[2]) : NULL;
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l;
  LLVMValueRef p = kernel_range(k, &l);
  LLVMValueRef b = LLVMBuildUDiv(e->b, p, em_i64(e, g.O), "");
  LLVMValueRef o = LLVMBuildURem(e->b, p, em_i64(e, g.O), "");
  LLVMValueRef plane = em_elem(e, e->i32, k->scratch, em_mulc(e, p, g.OH * g.OW));
  LLVMValueRef init = bias ? em_load_at(e, e->i32, bias, o) : em_i32(e, 0);
  Loop li;
  LLVMValueRef i = em_loop_n(e, &li, g.OH * g.OW, "init");
  em_store_at(e, init, e->i32, plane, i);
  em_loop_end(e, &li);
  accumulate_taps(k, &g, x, w, plane, b, o, true, z_x);
  LLVMValueRef mo = em_load_at(e, e->f32, mult, o);
  LLVMValueRef ybase = em_mulc(e, p, g.OH * g.OW);
  Loop lr;
  i = em_loop_n(e, &lr, g.OH * g.OW, "requant");
  LLVMValueRef q = requant_out_value(e, &os, em_load_at(e, e->i32, plane, i), mo);
  em_store_at(e, q, requant_out_type(e, &os), y, em_add(e, ybase, i));
  em_loop_end(e, &lr);
  em_loop_end(e, &l);
  return 0;
}

/* ---- linear ---------------------------------------------------------------- */

static int64_t linear_extent(const Node *n) {
  return n->outputs[0]->dims[0] * n->outputs[0]->dims[1];
}

static int emit_linear_f32(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  int64_t K = n->inputs[0]->dims[1], M = n->inputs[1]->dims[0];
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), w = kc_tensor(k, n->inputs[1]);
  LLVMValueRef bias = n->num_inputs > 2 ? kc_tensor(k, n->inputs[2]) : NULL;
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l;
  LLVMValueRef p = kernel_range(k, &l);
  LLVMValueRef r = LLVMBuildUDiv(e->b, p, em_i64(e, M), "");
  LLVMValueRef o = LLVMBuildURem(e->b, p, em_i64(e, M), "");
  LLVMValueRef acc = em_var(e, e->f32, bias ? em_load_at(e, e->f32, bias, o) : em_f32(e, 0), "acc");
  Loop lk;
  LLVMValueRef kk = em_loop_n(e, &lk, K, "k");
  LLVMValueRef xv = em_load_at(e, e->f32, x, em_madc(e, r, K, kk));
  LLVMValueRef wv = em_load_at(e, e->f32, w, em_madc(e, o, K, kk));
  LLVMBuildStore(e->b, LLVMBuildFAdd(e->b, LLVMBuildLoad2(e->b, e->f32, acc, ""),
                                     LLVMBuildFMul(e->b, xv, wv, ""), ""), acc);
  em_loop_end(e, &lk);
  em_store_at(e, LLVMBuildLoad2(e->b, e->f32, acc, ""), e->f32, y, p);
  em_loop_end(e, &l);
  return 0;
}

/* Sum over k of (x[r,k] - z) * w[o,k] in i32, x read as u8 from px. */
static LLVMValueRef int_dot(Emit *e, LLVMValueRef px, LLVMValueRef pw,
                            LLVMValueRef r, LLVMValueRef o, int64_t K,
                            LLVMValueRef z, LLVMValueRef init) {
  LLVMValueRef acc = em_var(e, e->i32, init, "acc");
  Loop lk;
  LLVMValueRef kk = em_loop_n(e, &lk, K, "k");
  LLVMValueRef xv = LLVMBuildZExt(e->b, em_load_at(e, e->i8, px, em_madc(e, r, K, kk)), e->i32, "");
  LLVMValueRef wv = LLVMBuildSExt(e->b, em_load_at(e, e->i8, pw, em_madc(e, o, K, kk)), e->i32, "");
  LLVMValueRef t = LLVMBuildMul(e->b, LLVMBuildSub(e->b, xv, z, ""), wv, "");
  LLVMBuildStore(e->b, LLVMBuildAdd(e->b, LLVMBuildLoad2(e->b, e->i32, acc, ""), t, ""), acc);
  em_loop_end(e, &lk);
  return LLVMBuildLoad2(e->b, e->i32, acc, "");
}

/* dqlinear: the activation's parameters are computed once per call over
 * the whole input (extent 1), exactly as interp/qref_conv.c does. */
static int64_t one(const Node *n) {
  (void)n;
  return 1;
}

static int64_t dqlinear_scratch(const Graph *g, const Node *n, TargetKind t) {
  (void)g;
  (void)t;
  return ir_tensor_numel(n->inputs[0]);
}

static int emit_dqlinear(KernelCtx *k, Diag *d) {
  (void)d;
  Emit *e = k->e;
  const Node *n = k->n;
  const Tensor *wt = n->inputs[1];
  int64_t rows = n->inputs[0]->dims[0], K = n->inputs[0]->dims[1], M = wt->dims[0];
  int64_t numel = rows * K;
  LLVMValueRef x = kc_tensor(k, n->inputs[0]), w = kc_tensor(k, wt);
  LLVMValueRef bias = n->num_inputs > 2 ? kc_tensor(k, n->inputs[2]) : NULL;
  LLVMValueRef y = kc_tensor(k, n->outputs[0]);
  Loop l;
  kernel_range(k, &l);
  LLVMValueRef lo = em_var(e, e->f32, em_f32(e, 0), "lo");
  LLVMValueRef hi = em_var(e, e->f32, em_f32(e, 0), "hi");
  Loop la;
  LLVMValueRef i = em_loop_n(e, &la, numel, "range");
  LLVMValueRef v = em_load_at(e, e->f32, x, i);
  LLVMValueRef cl = LLVMBuildLoad2(e->b, e->f32, lo, "");
  LLVMBuildStore(e->b, LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, v, cl, ""), v, cl, ""), lo);
  LLVMValueRef ch = LLVMBuildLoad2(e->b, e->f32, hi, "");
  LLVMBuildStore(e->b, LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, v, ch, ""), v, ch, ""), hi);
  em_loop_end(e, &la);
  LLVMValueRef flo = LLVMBuildLoad2(e->b, e->f32, lo, "");
  LLVMValueRef fhi = LLVMBuildLoad2(e->b, e->f32, hi, "");
  LLVMValueRef same = LLVMBuildFCmp(e->b, LLVMRealOEQ, fhi, flo, "");
  LLVMValueRef s = LLVMBuildFDiv(e->b, LLVMBuildFSub(e->b, fhi, flo, ""), em_f32(e, 255.0f), "");
  LLVMValueRef zq = em_finish(e, em_rne(e, LLVMBuildFDiv(e->b, LLVMBuildFNeg(e->b, flo, ""), s, "")), 0, 0, 255);
  s = LLVMBuildSelect(e->b, same, em_f32(e, 1.0f), s, "");
  LLVMValueRef z = LLVMBuildSelect(e->b, same, em_i32(e, 0), zq, "");
  /* Quantize x once into the scratch (codes), then integer dots. */
  Loop lq;
  i = em_loop_n(e, &lq, numel, "quant");
  v = LLVMBuildFDiv(e->b, em_load_at(e, e->f32, x, i), s, "");
  LLVMValueRef r = em_rne(e, v);
  /* qm_finish with z only known at run time: clamp to [-z, 255 - z]. */
  LLVMValueRef nan = LLVMBuildFCmp(e->b, LLVMRealUNO, r, r, "");
  r = LLVMBuildSelect(e->b, nan, em_f32(e, 0), r, "");
  LLVMValueRef fz = LLVMBuildSIToFP(e->b, z, e->f32, "");
  LLVMValueRef rlo = LLVMBuildFNeg(e->b, fz, "");
  LLVMValueRef rhi = LLVMBuildFSub(e->b, em_f32(e, 255.0f), fz, "");
  r = LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOLT, r, rlo, ""), rlo, r, "");
  r = LLVMBuildSelect(e->b, LLVMBuildFCmp(e->b, LLVMRealOGT, r, rhi, ""), rhi, r, "");
  LLVMValueRef q = LLVMBuildAdd(e->b, LLVMBuildFPToSI(e->b, r, e->i32, ""), z, "");
  em_store_at(e, LLVMBuildTrunc(e->b, q, e->i8, ""), e->i8, k->scratch, i);
  em_loop_end(e, &lq);
  double *sw = malloc(sizeof(double) * (size_t)M);
  if (!sw)
    QCC_DIE("out of memory");
  for (int64_t o = 0; o < M; o++)
    sw[o] = (double)wt->quant->scale[wt->quant->axis < 0 ? 0 : o];
  LLVMValueRef swg = kc_const(k, "wscale", sw, sizeof(double) * (size_t)M);
  free(sw);
  Loop lo_, lr;
  LLVMValueRef o = em_loop_n(e, &lo_, M, "o");
  LLVMValueRef md = LLVMBuildFMul(e->b, LLVMBuildFPExt(e->b, s, e->f64, ""),
                                  em_load_at(e, e->f64, swg, o), "");
  LLVMValueRef mo = LLVMBuildFPTrunc(e->b, md, e->f32, "");
  LLVMValueRef row = em_loop_n(e, &lr, rows, "r");
  LLVMValueRef acc = int_dot(e, k->scratch, w, row, o, K, z, em_i32(e, 0));
  LLVMValueRef out = LLVMBuildFMul(e->b, LLVMBuildSIToFP(e->b, acc, e->f32, ""), mo, "");
  if (bias)
    out = LLVMBuildFAdd(e->b, out, em_load_at(e, e->f32, bias, o), "");
  em_store_at(e, out, e->f32, y, em_madc(e, row, M, o));
  em_loop_end(e, &lr);
  em_loop_end(e, &lo_);
  em_loop_end(e, &l);
  return 0;
}

/* The direct kernels take what the blocked and depthwise ones leave
 * (kernel_list.c asks those first): grouped convs, f32 convs and linears
 * with computed weights. */
static bool takes_conv_f32(const Node *n) { return n->op == OP_CONV2D; }
static bool takes_qconv(const Node *n) { return n->op == OP_QCONV2D; }
static bool takes_linear_f32(const Node *n) { return n->op == OP_LINEAR; }
static bool takes_dqlinear(const Node *n) { return n->op == OP_DQLINEAR; }

const KernelSpec kernel_f32_conv_direct = {
    .name = "f32_conv_direct_ukernel", .takes = takes_conv_f32,
    .forms = {{"f32_conv_direct_ukernel__<isa>", "f32 conv2d the blocked kernel does not take (groups > 1, computed weights)", NULL}},
    .extent = conv_extent, .emit = emit_conv_f32};
const KernelSpec kernel_qu8_conv_direct = {
    .name = "qu8_conv_direct_minmax_fp32_ukernel", .takes = takes_qconv,
    .forms = {{"qu8_conv_direct_minmax_fp32_ukernel__<isa>", "qconv2d the blocked and depthwise kernels do not take (groups > 1 with more than one input channel per group, channel multiplier > 1)", NULL}},
    .extent = conv_extent, .scratch = qconv_scratch, .emit = emit_qconv};
const KernelSpec kernel_f32_gemm_direct = {
    .name = "f32_gemm_direct_ukernel", .takes = takes_linear_f32,
    .forms = {{"f32_gemm_direct_ukernel__<isa>", "f32 linear with computed weights", NULL}},
    .extent = linear_extent, .emit = emit_linear_f32};
const KernelSpec kernel_qd8_f32_gemm = {
    .name = "qd8_f32_qc8w_gemm_ukernel", .takes = takes_dqlinear,
    .forms = {{"qd8_f32_qc8w_gemm_ukernel__<isa>", "dqlinear: the input quantized per call, i8 weights, f32 result", NULL}},
    .extent = one, .scratch = dqlinear_scratch, .emit = emit_dqlinear};
