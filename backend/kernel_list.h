/* The kernel list (kernel_list.c): every kernel family of the backend,
 * the one place dispatch asks which kernel computes a node. The module
 * builder includes this; the kernels include only kernel.h. */
#ifndef QCC_BACKEND_KERNEL_LIST_H
#define QCC_BACKEND_KERNEL_LIST_H

#include "kernel.h"

/* The kernel for n, or NULL when the backend has none (reported). */
const KernelSpec *kernel_for(const Node *n);

/* Families, each in its own file. */
const KernelSpec *kernel_elementwise(const Node *n);
const KernelSpec *kernel_conv(const Node *n);
const KernelSpec *kernel_conv_blocked(const Node *n);
const KernelSpec *kernel_depthwise(const Node *n);
const KernelSpec *kernel_window(const Node *n);
const KernelSpec *kernel_shape(const Node *n);

#endif
