/* Internal to the interpreter: the int8 reference kernels, the bit-exact
 * oracle the compiled int8 code is checked against. They implement the
 * integer arithmetic contract of docs/quantization.md ("The int8
 * interpreter" section spells out every formula) through the helpers of
 * ir/quant_math.h, so there is one definition of each rounding step.
 *
 * The kernels are of two kinds: the int8 dialect (quantize, dequantize,
 * qconv2d, qlinear, qadd/qsub/qmul, lut, dqlinear) and the u8 versions of
 * the model ops that may run on u8 when input and output share one set of
 * quantization parameters (pools, resize and the data-movement ops). Their
 * buffers are untyped because the element type differs per operand; each
 * kernel knows its operands' types from the op (the verifier and
 * qref_check_node guarantee them). Integer sums are exact (int64) and then
 * checked against int32, the width the compiled code uses.
 *
 * Nothing outside interp/ includes this; the public API is interp.h.
 */
#ifndef QCC_INTERP_QREF_H
#define QCC_INTERP_QREF_H

#include <stdint.h>

#include "ir.h"

/* Evaluates node n: in[i] holds the elements of n->inputs[i] in its dtype,
 * out[j] has room for n->outputs[j]. 0, or -1 with the reason in d. */
typedef int (*QRefKernel)(const Node *n, const void *const *in,
                          void *const *out, Diag *d);

/* The kernel that runs n on its operands' dtypes: the int8 dialect ops, and
 * the u8-capable model ops when their input is u8. NULL for float nodes
 * (interp_eval_node runs those) and for observe (which computes nothing). */
QRefKernel qref_kernel_for(const Node *n);

/* Checks what the kernels rely on beyond ir_verify() (or instead of it, for
 * graphs built by hand): operand dtypes, per-tensor quantization parameters
 * where the kernel reads them, and the contract's symmetric weights (zero
 * point 0). 0, or -1 with a message at the node's location. */
int qref_check_node(const Node *n, Diag *d);

/* int8 dialect (qref_convert.c, qref_conv.c, qref_binary.c). */
int qref_quantize(const Node *n, const void *const *in, void *const *out,
                  Diag *d);
int qref_dequantize(const Node *n, const void *const *in, void *const *out,
                    Diag *d);
int qref_lut(const Node *n, const void *const *in, void *const *out,
             Diag *d);
int qref_qconv2d(const Node *n, const void *const *in, void *const *out,
                 Diag *d);
int qref_qlinear(const Node *n, const void *const *in, void *const *out,
                 Diag *d);
int qref_dqlinear(const Node *n, const void *const *in, void *const *out,
                  Diag *d);
int qref_qbinary(const Node *n, const void *const *in, void *const *out,
                 Diag *d);

/* u8 versions of model ops (qref_pool.c, qref_resize.c, qref_shape.c). */
int qref_maxpool2d_u8(const Node *n, const void *const *in, void *const *out,
                      Diag *d);
int qref_avgpool2d_u8(const Node *n, const void *const *in, void *const *out,
                      Diag *d);
int qref_global_avgpool_u8(const Node *n, const void *const *in,
                           void *const *out, Diag *d);
int qref_resize_u8(const Node *n, const void *const *in, void *const *out,
                   Diag *d);
int qref_concat_u8(const Node *n, const void *const *in, void *const *out,
                   Diag *d);
int qref_split_u8(const Node *n, const void *const *in, void *const *out,
                  Diag *d);
int qref_copy_u8(const Node *n, const void *const *in, void *const *out,
                 Diag *d);
int qref_pad_u8(const Node *n, const void *const *in, void *const *out,
                Diag *d);
int qref_strided_u8(const Node *n, const void *const *in, void *const *out,
                    Diag *d);

/* ---- helpers shared by the kernels -------------------------------------- */

/* Scale and zero point of element index `c` along the quantization axis
 * (any c for per-tensor parameters). qref_check_node has made sure q
 * exists; a per-axis index out of range is an internal bug. */
static inline float qref_scale(const QuantParams *q, int64_t c) {
  if (q->axis < 0)
    return q->scale[0];
  if (c < 0 || c >= q->count)
    QCC_DIE("quantization index %lld of %d", (long long)c, q->count);
  return q->scale[c];
}
static inline int32_t qref_zero_point(const QuantParams *q, int64_t c) {
  if (q->axis < 0)
    return q->zero_point[0];
  if (c < 0 || c >= q->count)
    QCC_DIE("quantization index %lld of %d", (long long)c, q->count);
  return q->zero_point[c];
}

/* The clamp attribute [lo, hi] of a qconv2d/qlinear/qadd/qsub/qmul node,
 * already checked by qref_check_node to lie in 0..255 with lo <= hi. */
void qref_clamp(const Node *n, int32_t *lo, int32_t *hi);

/* An exact integer sum (accumulator) that the compiled code holds in an
 * i32: -1 with a message naming the node when it does not fit. Lowering
 * keeps layers whose sums could overflow in f32, so only a hand-written
 * graph gets here; it is reported, not wrapped. */
int qref_check_i32(const Node *n, int64_t v, Diag *d);


#endif
