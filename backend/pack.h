/* The packing phase the blocked conv kernels share: one padded input row
 * per parallel index, from NCHW to [N][H + pads][W + pads][Cp] with the
 * channels innermost (rounded up to Cp), every position outside the image
 * or past C filled with `fill` (z_x for u8, 0 for f32). */
#ifndef QCC_BACKEND_PACK_H
#define QCC_BACKEND_PACK_H

#include "codegen.h"

typedef struct PackGeom {
  int64_t C, H, W, PH, PW, Cp, pt, pl;
} PackGeom;

void pack_nhwc_emit(KernelCtx *k, const PackGeom *g, LLVMTypeRef elt,
                    LLVMValueRef fill);

#endif
