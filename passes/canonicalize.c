/* canonicalize: the clean-up every pipeline starts with. Runs
 * fold-batch-norm, fold-constants, lower-conv-transpose, fold-transposes
 * and dce until none changes anything, so later passes see conv/linear
 * with folded biases, no conv_transpose, no transpose of a transpose and
 * no dead code.
 * Requires: a verified float graph. Preserves: graph outputs' values (up to
 * float rounding of the folded weights). */
#include "pass.h"

int pass_canonicalize(Graph *g, PassContext *ctx, bool *changed, Diag *d) {
  (void)ctx;
  bool any = false;
  for (int round = 0; round < 16; round++) {
    bool c1 = false, c2 = false, c3 = false, c4 = false, c5 = false;
    if (pass_fold_batch_norm(g, ctx, &c1, d) ||
        pass_fold_constants(g, ctx, &c2, d) ||
        pass_lower_conv_transpose(g, ctx, &c5, d) ||
        pass_fold_transposes(g, ctx, &c4, d) || pass_dce(g, ctx, &c3, d))
      return -1;
    if (!(c1 || c2 || c3 || c4 || c5))
      break;
    any = true;
  }
  if (changed)
    *changed = any;
  return 0;
}
