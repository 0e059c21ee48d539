/* See pack.h. */
#include "pack.h"

/* Block side of the vectorized NCHW path: 16 one-byte codes or 8 floats,
 * one xmm/ymm row of the transpose; 16 floats quantized into codes. */
static unsigned block_side(const Emit *e, const PackGeom *g, LLVMTypeRef src_elt) {
  return src_elt == e->f32 && !g->quantize ? 8 : 16;
}

/* The fused quantize's parameters (PackGeom.quantize). */
static void quant_params(const PackGeom *g, float *s, int32_t *z) {
  const QuantParams *q = g->quantize->outputs[0]->quant;
  *s = q->scale[0];
  *z = q->zero_point[0];
}

/* A loaded f32 value quantized to a u8 code (i8), when the pack has a
 * fused quantize; `seen` gathers its non-finite test. */
static LLVMValueRef quantized(Emit *e, const PackGeom *g, LLVMValueRef v, LLVMValueRef seen) {
  if (!g->quantize)
    return v;
  float s;
  int32_t z;
  quant_params(g, &s, &z);
  em_note_nonfinite(e, v, seen);
  return LLVMBuildTrunc(e->b, em_quantize(e, v, s, z, 0, 255), e->i8, "");
}

/* The n loaded f32 vectors of rows[] quantized in place to u8 codes
 * (i8), sharing one tie test, when the pack has a fused quantize. */
static void quantized_rows(Emit *e, const PackGeom *g, LLVMValueRef *rows, unsigned n,
                           LLVMValueRef seen) {
  if (!g->quantize || n == 0)
    return;
  float s;
  int32_t z;
  quant_params(g, &s, &z);
  LLVMValueRef q[16];
  em_quantize_vectors(e, rows, n, s, z, 0, 255, seen, q);
  for (unsigned i = 0; i < n; i++)
    rows[i] = LLVMBuildTrunc(e->b, q[i], LLVMVectorType(e->i8, LLVMGetVectorSize(LLVMTypeOf(q[i]))), "");
}

/* Channels [c0, c0 + L) of L pixels from w0: L loads of L contiguous
 * pixels of one channel each (rows past C are the fill, past Cp unused),
 * transposed in registers, L stores of the block's channels of one pixel
 * each (all L, or the Cp - c0 of the last block). */
static void pack_block(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                       LLVMTypeRef dst_elt, LLVMValueRef fill, LLVMValueRef x,
                       LLVMValueRef b, LLVMValueRef ih, LLVMValueRef dst,
                       LLVMValueRef w0, LLVMValueRef c0, int64_t nc_in, unsigned nc_out,
                       LLVMValueRef seen) {
  Emit *e = k->e;
  unsigned L = block_side(e, g, src_elt);
  LLVMTypeRef vin = LLVMVectorType(src_elt, L), vout = LLVMVectorType(dst_elt, L);
  LLVMValueRef rows[16], fill_row = NULL;
  unsigned loaded = (unsigned)(nc_in < L ? nc_in : L);
  for (unsigned i = 0; i < loaded; i++) {
    LLVMValueRef plane = em_madc(e, em_madc(e, b, g->C, em_addc(e, c0, i)), g->H, ih);
    rows[i] = LLVMBuildLoad2(e->b, vin, em_elem(e, src_elt, x, em_madc(e, plane, g->W, w0)), "");
    LLVMSetAlignment(rows[i], 1);
  }
  quantized_rows(e, g, rows, loaded, seen);
  for (unsigned i = 0; i < L; i++) {
    if (i < loaded) {
      if (LLVMTypeOf(rows[i]) != vout)
        rows[i] = LLVMBuildZExt(e->b, rows[i], vout, "");
      continue;
    }
    if (!fill_row) {
      fill_row = LLVMGetUndef(vout);
      for (unsigned j = 0; j < L; j++)
        fill_row = LLVMBuildInsertElement(e->b, fill_row, fill, em_i32(e, j), "");
    }
    rows[i] = i < nc_out ? fill_row : LLVMGetUndef(vout);
  }
  if (g->Cp == (int64_t)nc_out && (nc_out == 2 || nc_out == 4)) {
    /* Few channels (a first layer's 3, padded to 4): the L pixels' codes
     * are contiguous, so interleave the nc_out rows in one shuffle and
     * store them at once instead of transposing L rows for them. */
    LLVMValueRef cat = rows[0];
    for (unsigned n = 1; n < nc_out; n *= 2) {
      LLVMValueRef hi = n == 1 ? rows[1] : em_concat(e, rows[2], rows[3], L);
      cat = em_concat(e, cat, hi, n * L);
    }
    LLVMValueRef idx[64];
    for (unsigned px = 0; px < L; px++)
      for (unsigned c = 0; c < nc_out; c++)
        idx[px * nc_out + c] = em_i32(e, (int64_t)(c * L + px));
    LLVMValueRef v = LLVMBuildShuffleVector(e->b, cat, LLVMGetUndef(LLVMTypeOf(cat)),
                                            LLVMConstVector(idx, nc_out * L), "");
    LLVMValueRef at = em_elem(e, dst_elt, dst, em_mulc(e, em_addc(e, w0, g->pl), g->Cp));
    LLVMValueRef st = LLVMBuildStore(e->b, v, at);
    LLVMSetAlignment(st, 1);
    return;
  }
  em_transpose(e, rows, L);
  for (unsigned p = 0; p < L; p++) {
    LLVMValueRef px = em_addc(e, w0, g->pl + (int64_t)p);
    LLVMValueRef at = em_elem(e, dst_elt, dst, em_madc(e, px, g->Cp, c0));
    LLVMValueRef st = LLVMBuildStore(e->b, em_sub_vector(e, rows[p], 0, nc_out), at);
    LLVMSetAlignment(st, 1);
  }
}

/* Every channel of the row's interior pixels, from NCHW, in blocks of L
 * pixels x L channels. The last pixel block of a row overlaps the one
 * before it (W >= L): it rewrites the same values. */
static void pack_nchw_blocks(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                             LLVMTypeRef dst_elt, LLVMValueRef fill, LLVMValueRef x,
                             LLVMValueRef b, LLVMValueRef ih, LLVMValueRef dst,
                             LLVMValueRef seen) {
  Emit *e = k->e;
  unsigned L = block_side(e, g, src_elt);
  int64_t nwb = (g->W + L - 1) / L, full = g->C / L, tail = g->Cp - full * L;
  Loop lw, lc;
  LLVMValueRef wb = em_loop_n(e, &lw, nwb, "wblock");
  LLVMValueRef w0 = em_mulc(e, wb, L);
  LLVMValueRef wmax = em_i64(e, g->W - (int64_t)L);
  w0 = LLVMBuildSelect(e->b, LLVMBuildICmp(e->b, LLVMIntSGT, w0, wmax, ""), wmax, w0, "");
  if (full > 0) {
    LLVMValueRef cb = em_loop_n(e, &lc, full, "cblock");
    pack_block(k, g, src_elt, dst_elt, fill, x, b, ih, dst, w0, em_mulc(e, cb, L), L, L, seen);
    em_loop_end_rolled(e, &lc);
  }
  if (tail > 0)
    pack_block(k, g, src_elt, dst_elt, fill, x, b, ih, dst, w0, em_i64(e, full * L),
               g->C - full * L, (unsigned)tail, seen);
  em_loop_end_rolled(e, &lw);
}

/* A channels-last row (NHWC, or a linear's [rows][C]): its W pixels of
 * C contiguous elements (xs apart) copied, zero-extended where dst_elt is wider, by
 * loops LLVM vectorizes (one loop, or a memcpy, when C = Cp); the
 * channels past C filled per pixel. */
static void pack_channels_last(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                               LLVMTypeRef dst_elt, LLVMValueRef fill, LLVMValueRef x,
                               LLVMValueRef b, LLVMValueRef ih, LLVMValueRef dst) {
  Emit *e = k->e;
  LLVMValueRef src = em_elem(e, src_elt, x, em_mulc(e, em_madc(e, b, g->H, ih), g->W * g->xs));
  LLVMValueRef inner = em_elem(e, dst_elt, dst, em_i64(e, g->pl * g->Cp));
  Loop lw, lc, lf;
  if (g->C == g->Cp && g->xs == g->C) {
    LLVMValueRef i = em_loop_n(e, &lc, g->W * g->C, "i");
    LLVMValueRef v = em_load_at(e, src_elt, src, i);
    em_store_at(e, dst_elt != src_elt ? LLVMBuildZExt(e->b, v, dst_elt, "") : v, dst_elt, inner, i);
    em_loop_end(e, &lc);
    return;
  }
  LLVMValueRef w = em_loop_n(e, &lw, g->W, "w");
  LLVMValueRef from = em_elem(e, src_elt, src, em_mulc(e, w, g->xs));
  LLVMValueRef to = em_elem(e, dst_elt, inner, em_mulc(e, w, g->Cp));
  LLVMValueRef c = em_loop_n(e, &lc, g->C, "c");
  LLVMValueRef v = em_load_at(e, src_elt, from, c);
  em_store_at(e, dst_elt != src_elt ? LLVMBuildZExt(e->b, v, dst_elt, "") : v, dst_elt, to, c);
  em_loop_end(e, &lc);
  LLVMValueRef f = em_loop(e, &lf, em_i64(e, g->C), em_i64(e, g->Cp), "fill");
  em_store_at(e, fill, dst_elt, to, f);
  em_loop_end(e, &lf);
  em_loop_end_rolled(e, &lw);
}

/* Element by element: rows of an NCHW input narrower than a block. */
static void pack_scalar(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                        LLVMTypeRef dst_elt, LLVMValueRef fill, LLVMValueRef x,
                        LLVMValueRef b, LLVMValueRef ih, LLVMValueRef row_in, LLVMValueRef dst,
                        LLVMValueRef seen) {
  Emit *e = k->e;
  Loop lw, lc;
  LLVMValueRef pw = em_loop_n(e, &lw, g->PW, "pw");
  LLVMValueRef iw = em_addc(e, pw, -g->pl);
  LLVMValueRef in = LLVMBuildAnd(e->b, row_in,
                                 LLVMBuildAnd(e->b, LLVMBuildICmp(e->b, LLVMIntSGE, iw, em_i64(e, 0), ""),
                                              LLVMBuildICmp(e->b, LLVMIntSLT, iw, em_i64(e, g->W), ""), ""), "");
  LLVMValueRef c = em_loop_n(e, &lc, g->Cp, "c");
  LLVMValueRef ok = LLVMBuildAnd(e->b, in, LLVMBuildICmp(e->b, LLVMIntSLT, c, em_i64(e, g->C), ""), "");
  /* Clamp the address so the load is always in bounds, then select. */
  LLVMValueRef ihc = LLVMBuildSelect(e->b, ok, ih, em_i64(e, 0), "");
  LLVMValueRef iwc = LLVMBuildSelect(e->b, ok, iw, em_i64(e, 0), "");
  LLVMValueRef cc = LLVMBuildSelect(e->b, ok, c, em_i64(e, 0), "");
  LLVMValueRef src = em_add(e, em_mulc(e, em_madc(e, b, g->C, cc), g->H * g->W),
                            em_madc(e, ihc, g->W, iwc));
  LLVMValueRef v = quantized(e, g, em_load_at(e, src_elt, x, src), seen);
  if (LLVMTypeOf(v) != dst_elt)
    v = LLVMBuildZExt(e->b, v, dst_elt, "");
  v = LLVMBuildSelect(e->b, ok, v, fill, "");
  em_store_at(e, v, dst_elt, dst, em_madc(e, pw, g->Cp, c));
  em_loop_end(e, &lc);
  em_loop_end(e, &lw);
}

void pack_nhwc_emit(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                    LLVMTypeRef dst_elt, LLVMValueRef fill) {
  Emit *e = k->e;
  LLVMValueRef x = kc_tensor(k, g->quantize ? g->quantize->inputs[0] : k->n->inputs[0]);
  LLVMValueRef seen = g->quantize ? em_var(e, e->i8, LLVMConstInt(e->i8, 0, 0), "nonfinite") : NULL;
  Loop l;
  LLVMValueRef r = kernel_range(k, &l); /* b * PH + ph */
  LLVMValueRef b = LLVMBuildUDiv(e->b, r, em_i64(e, g->PH), "");
  LLVMValueRef ih = em_addc(e, LLVMBuildURem(e->b, r, em_i64(e, g->PH), ""), -g->pt);
  LLVMValueRef row_in = LLVMBuildAnd(e->b, LLVMBuildICmp(e->b, LLVMIntSGE, ih, em_i64(e, 0), ""),
                                     LLVMBuildICmp(e->b, LLVMIntSLT, ih, em_i64(e, g->H), ""), "");
  LLVMValueRef dst = em_elem(e, dst_elt, k->scratch, em_mulc(e, r, g->PW * g->Cp));
  if (!g->channels_last && g->W < (int64_t)block_side(e, g, src_elt)) {
    pack_scalar(k, g, src_elt, dst_elt, fill, x, b, ih, row_in, dst, seen);
    em_loop_end(e, &l);
    if (seen)
      kc_flag_nonfinite(k, seen);
    return;
  }
  /* Padding rows and columns are filled as spans, the interior comes
   * from the blocks (NCHW) or the row copy (channels last). */
  If out, in;
  em_if(e, &out, LLVMBuildNot(e->b, row_in, ""));
  em_fill_span(e, dst_elt, dst, fill, 0, g->PW * g->Cp);
  em_if_end(e, &out);
  em_if(e, &in, row_in);
  em_fill_span(e, dst_elt, dst, fill, 0, g->pl * g->Cp);
  em_fill_span(e, dst_elt, dst, fill, (g->pl + g->W) * g->Cp, g->PW * g->Cp);
  if (g->channels_last)
    pack_channels_last(k, g, src_elt, dst_elt, fill, x, b, ih, dst);
  else
    pack_nchw_blocks(k, g, src_elt, dst_elt, fill, x, b, ih, dst, seen);
  em_if_end(e, &in);
  em_loop_end(e, &l);
  if (seen)
    kc_flag_nonfinite(k, seen);
}
