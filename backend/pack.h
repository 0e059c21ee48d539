/* The packing phase the blocked and depthwise conv kernels share: one
 * padded input row per parallel index, from NCHW (or, with channels_last,
 * from NHWC or a [rows][C] matrix seen as N = H = 1, W = rows) to
 * [N][H + pads][W + pads][Cp] with the channels innermost (rounded up to
 * Cp), every position outside the image or past C filled with `fill`
 * (z_x for u8, 0 for f32). Elements are read as src_elt and stored as
 * dst_elt, zero-extended when dst_elt is wider (u8 codes packed as i16
 * for the AVX2 int8 step). An NCHW input at least 16 codes (8 floats)
 * wide moves in blocks of that many pixels x channels, transposed in
 * registers, a channels-last row by copy loops; the border is filled as
 * whole spans; narrower NCHW rows go element by element. */
#ifndef QCC_BACKEND_PACK_H
#define QCC_BACKEND_PACK_H

#include <stdbool.h>

#include "kernel.h"

typedef struct PackGeom {
  int64_t C, H, W, PH, PW, Cp, pt, pl;
  bool channels_last;
  int64_t xs; /* channels last: elements from one input pixel to the next
                 (C, or a concat's channels when the input is its slice) */
  /* A quantize fused into the pack: src (f32 NCHW) is read instead of
   * the node's input 0 and quantized on the way, as the quantize kernel
   * would (em_quantize_vectors / em_quantize), its non-finite test
   * included; src_elt is then the f32 it reads. NULL: no quantize. */
  const Node *quantize;
} PackGeom;

void pack_nhwc_emit(KernelCtx *k, const PackGeom *g, LLVMTypeRef src_elt,
                    LLVMTypeRef dst_elt, LLVMValueRef fill);

#endif
