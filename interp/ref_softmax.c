/* Reference softmax along one axis, numerically stable: the row's maximum
 * is subtracted before exp, so large logits never overflow, and the sum of
 * exponentials is kept in double. y = exp(x - max) / sum(exp(x - max)).
 */
#include <math.h>

#include "ref.h"

int ref_softmax(const Node *n, const float *const *in, float *const *out,
                Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  int axis = ref_axis(n, ir_attr_int(n, ATTR_AXIS), xt->rank);
  int64_t outer = ref_prod(xt->dims, 0, axis);
  int64_t len = xt->dims[axis];
  int64_t inner = ref_prod(xt->dims, axis + 1, xt->rank);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      /* Elements of this row sit `inner` apart. */
      const float *x = in[0] + o * len * inner + i;
      float *y = out[0] + o * len * inner + i;
      if (len == 0)
        continue;
      double m = x[0];
      for (int64_t k = 1; k < len; k++)
        if (x[k * inner] > m)
          m = x[k * inner];
      double sum = 0;
      for (int64_t k = 0; k < len; k++)
        sum += exp((double)x[k * inner] - m);
      for (int64_t k = 0; k < len; k++)
        y[k * inner] = (float)(exp((double)x[k * inner] - m) / sum);
    }
  return 0;
}
