/* The kernel list (kernel_list.c): every kernel of the backend, in the
 * order dispatch asks them, the one place that says which kernel computes
 * a node; `qcc kernels` prints it, and the edge-case matrix
 * (tests/backend/kernel_matrix.py) and bench/peers read that print. The
 * module builder includes this; the kernels include only kernel.h. */
#ifndef QCC_BACKEND_KERNEL_LIST_H
#define QCC_BACKEND_KERNEL_LIST_H

#include "kernel.h"

/* The kernel for n: the first in the list that takes it, or NULL when the
 * backend has none (reported). */
const KernelSpec *kernel_for(const Node *n);

/* The name of n's code on t (describe, or name__<isa>): the node
 * function's symbol says which kernel and tile compute it. */
void kernel_symbol(const KernelSpec *s, const Node *n, TargetKind t, char *buf, size_t len);

/* The kernels, each defined in its family's file. */
extern const KernelSpec kernel_f32_vunary, kernel_f32_vbinary, kernel_qu8_vbinary,
    kernel_f32_qu8_vcvt, kernel_qu8_f32_vcvt, kernel_x8_lut, kernel_f32_batch_norm,
    kernel_f32_softmax;                                     /* kernels_elementwise.c */
extern const KernelSpec kernel_conv_blocked;                /* kernels_conv_blocked.c */
extern const KernelSpec kernel_qu8_dwconv, kernel_qu8_dwconv_nhwc; /* kernels_depthwise.c */
extern const KernelSpec kernel_f32_conv_direct, kernel_qu8_conv_direct,
    kernel_f32_gemm_direct, kernel_qd8_f32_gemm;           /* kernels_conv.c */
extern const KernelSpec kernel_pool, kernel_u8_maxpool_rows, kernel_u8_maxpool_nhwc,
    kernel_global_avgpool, kernel_resize, kernel_u8_resize_nhwc; /* kernels_window.c */
extern const KernelSpec kernel_concat, kernel_split, kernel_copy,
    kernel_transpose, kernel_pad;                           /* kernels_shape.c */

#endif
