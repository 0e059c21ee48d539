/* The output stage of qconv2d and qlinear (out_stage.h). */
#include "out_stage.h"

QuantOutStage ir_out_stage(const Node *n) {
  if (n->outputs[0]->dtype == DT_F32)
    return (QuantOutStage){OUT_F32, 1.0f, 0, 0, 0};
  if (n->num_inputs > 3)
    return (QuantOutStage){OUT_TABLE, (float)ir_attr_float(n, ATTR_INDEX_SCALE),
                           (int32_t)ir_attr_int(n, ATTR_INDEX_ZERO_POINT), 0,
                           (int32_t)n->inputs[3]->dims[0] - 1};
  const QuantParams *q = n->outputs[0]->quant;
  int cnt;
  const int64_t *c = ir_attr_ints(n, ATTR_CLAMP, &cnt);
  if (cnt != 2 || c[0] < 0 || c[1] > 255 || c[0] > c[1])
    QCC_DIE("%s '%s': clamp not checked before running", op_info(n->op)->name,
            n->name);
  return (QuantOutStage){OUT_U8, q->scale[0], q->zero_point[0], (int32_t)c[0],
                         (int32_t)c[1]};
}
