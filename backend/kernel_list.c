/* The kernel list: the kernel families in the order dispatch asks them
 * (the first that takes a node computes it), each with the names it gives
 * its code per target. See kernel_list.h. */
#include "kernel_list.h"

const KernelSpec *kernel_for(const Node *n) {
  const KernelSpec *s = kernel_elementwise(n);
  if (!s)
    s = kernel_conv_blocked(n);
  if (!s)
    s = kernel_depthwise(n);
  if (!s)
    s = kernel_conv(n);
  if (!s)
    s = kernel_window(n);
  if (!s)
    s = kernel_shape(n);
  return s;
}
