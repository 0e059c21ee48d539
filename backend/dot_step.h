/* The innermost int8 step of the blocked conv/linear schedule, one per
 * target: for NR output channels (one i32 lane each), add the dot product
 * of k consecutive packed activations (one 32-bit word, the same for
 * every lane) with each lane's k weights:
 *
 *   acc[j] += x0*w[j][0] + ... + x(k-1)*w[j][k-1]
 *
 * exactly (i32, wrapping like every i32 add of the schedule). The
 * schedule around it (kernels_conv_blocked.c) is the same for every
 * target; only this step, its lane count, the form of the packed
 * activations and the weight packing differ:
 *
 *   vnni512   NR 16, k 4, x u8,  w i8[16][4];  llvm.x86.avx512.vpdpbusd.512
 *   emul512   NR 16, k 4, x u8,  w i8[16][4];  the same step in plain IR
 *             (zext, sext, mul, add of four lanes): runs on any x86-64,
 *             bit-identical, with the same register tile as vnni512
 *   avx2      NR 8,  k 2, x u8 zero-extended to i16 when the input is
 *             packed (so the broadcast word is a ready i16 pair), w
 *             i16[8][2]; one vpmaddwd: u8·i16 pairs never saturate,
 *             unlike vpmaddubsw's i16 sums
 *   generic   NR 8,  k 4, x u8,  w i8[8][4];   plain IR
 *
 * and the f32 conv runs the same schedule with a step of k 1 (x one f32,
 * w f32[NR], llvm.fmuladd), NR the target's f32 vector width: 16
 * (avx512vnni), 8 (avx2, avx512vnni-emulated), 4 (generic), so int8 and
 * f32 are compared on one schedule.
 *
 * A step is split in three so that a register tile loads each operand
 * once: dot_step_x (one per pixel), dot_step_w (one per block of NR
 * channels) and dot_step_apply (one per accumulator). */
#ifndef QCC_BACKEND_DOT_STEP_H
#define QCC_BACKEND_DOT_STEP_H

#include "backend.h"
#include "emit.h"

typedef enum DotStepKind {
  STEP_GENERIC,
  STEP_AVX2,
  STEP_VNNI512,
  STEP_EMUL512,
  STEP_F32, /* acc (<NR x float>) += x * w, fused */
} DotStepKind;

typedef struct DotStep {
  DotStepKind kind;
  int lanes;       /* NR: i32 lanes of one accumulator */
  int k;           /* input channels per step: 4 (u8) or 2 (i16 pairs) */
  int x_bytes;     /* bytes of one packed activation: 1, 2 or 4 (k * x_bytes == 4) */
  int w_bytes;     /* packed weight bytes per step and block: NR * 4 */
  int max_acc;     /* accumulator vectors one register tile may hold */
  const char *isa; /* kernel name suffix, e.g. "avx512vnni" */
} DotStep;

/* Packs the k weights of each lane for one step: w[j][i] (i8, NR x k,
 * row-major) into dst (w_bytes bytes) in the step's layout. */
void dot_step_pack(const DotStep *s, const int8_t *w, void *dst);

/* The activation operand from the step's 32-bit word of packed codes. */
LLVMValueRef dot_step_x(Emit *e, const DotStep *s, LLVMValueRef word);
/* The same from a <NR x i32> vector: each lane its own word of k codes
 * (a depthwise conv's taps of one channel per lane). */
LLVMValueRef dot_step_x_lanes(Emit *e, const DotStep *s, LLVMValueRef v);
/* The weight operand of one block, loaded from wptr. */
LLVMValueRef dot_step_w(Emit *e, const DotStep *s, LLVMValueRef wptr);
/* acc (<NR x i32>, or <NR x float> for STEP_F32) + step(x, w). */
LLVMValueRef dot_step_apply(Emit *e, const DotStep *s, LLVMValueRef acc,
                            LLVMValueRef x, LLVMValueRef w);

#endif
