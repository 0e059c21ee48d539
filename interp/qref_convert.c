/* int8 reference kernels that convert one element at a time: quantize
 * (f32 -> u8/i8), dequantize (u8/i8 -> f32) and lut (u8 -> u8 through a
 * 256-entry table). Each is one call of the quant_math.h helper that
 * defines it, so this file holds no arithmetic of its own.
 */
#include "qref.h"

#include "quant_math.h"

int qref_quantize(const Node *n, const void *const *in, void *const *out,
                  Diag *d) {
  (void)d;
  const Tensor *yt = n->outputs[0];
  const float *x = in[0];
  float s = qref_scale(yt->quant, 0);
  int32_t z = qref_zero_point(yt->quant, 0);
  int64_t numel = ir_tensor_numel(yt);
  if (yt->dtype == DT_U8) {
    uint8_t *y = out[0];
    for (int64_t i = 0; i < numel; i++)
      y[i] = (uint8_t)qm_quantize(x[i], s, z, 0, 255);
  } else {
    int8_t *y = out[0];
    for (int64_t i = 0; i < numel; i++)
      y[i] = (int8_t)qm_quantize(x[i], s, z, -128, 127);
  }
  return 0;
}

int qref_dequantize(const Node *n, const void *const *in, void *const *out,
                    Diag *d) {
  (void)d;
  const Tensor *xt = n->inputs[0];
  float *y = out[0];
  float s = qref_scale(xt->quant, 0);
  int32_t z = qref_zero_point(xt->quant, 0);
  int64_t numel = ir_tensor_numel(xt);
  if (xt->dtype == DT_U8) {
    const uint8_t *x = in[0];
    for (int64_t i = 0; i < numel; i++)
      y[i] = qm_dequantize(x[i], s, z);
  } else {
    const int8_t *x = in[0];
    for (int64_t i = 0; i < numel; i++)
      y[i] = qm_dequantize(x[i], s, z);
  }
  return 0;
}

int qref_lut(const Node *n, const void *const *in, void *const *out,
             Diag *d) {
  (void)d;
  const uint8_t *x = in[0], *table = in[1];
  uint8_t *y = out[0];
  int64_t numel = ir_tensor_numel(n->outputs[0]);
  for (int64_t i = 0; i < numel; i++)
    y[i] = table[x[i]];
  return 0;
}
