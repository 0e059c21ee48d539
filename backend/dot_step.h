/* The innermost int8 step of the blocked conv/linear schedule, one per
 * target: for NR output channels (one i32 lane each), add the dot product
 * of 4 consecutive u8 activations (one 32-bit word, the same for every
 * lane) with each lane's 4 i8 weights:
 *
 *   acc[j] += x0*w[j][0] + x1*w[j][1] + x2*w[j][2] + x3*w[j][3]
 *
 * exactly (i32, wrapping like every i32 add of the schedule). The
 * schedule around it is the same for every target; only this step, its
 * lane count and its weight packing differ:
 *
 *   vnni512   NR 16, w as i8[16][4]; llvm.x86.avx512.vpdpbusd.512
 *   emul512   NR 16, w as i8[16][4]; the same step in plain IR (zext, sext,
 *             mul, add of four lanes): runs on any x86-64, bit-identical
 *   avx2      NR 8,  w as i16[2][8][2] (pre-widened); two vpmaddwd: u8·i16
 *             pairs never saturate, unlike vpmaddubsw's i16 sums
 *   generic   NR 8,  w as i8[8][4]; plain IR
 */
#ifndef QCC_BACKEND_DOT_STEP_H
#define QCC_BACKEND_DOT_STEP_H

#include "backend.h"
#include "emit.h"

typedef enum DotStepKind {
  STEP_GENERIC,
  STEP_AVX2,
  STEP_VNNI512,
  STEP_EMUL512,
} DotStepKind;

typedef struct DotStep {
  DotStepKind kind;
  int lanes;        /* NR */
  int group_bytes;  /* packed weight bytes per K-group of 4: NR*4 or NR*8 */
  const char *isa;  /* kernel name suffix, e.g. "avx512vnni" */
} DotStep;

/* The step a target uses (native resolves the host's features). */
DotStep dot_step_for(TargetKind t);

/* Packs the 4 weights of each lane for one K-group: w[j][i] (i8) into dst
 * (group_bytes bytes) in the step's layout. */
void dot_step_pack(const DotStep *s, const int8_t w[][4], void *dst);

/* acc (<NR x i32>) += step(x4 (i32 holding 4 u8), weights at wptr). */
LLVMValueRef dot_step_emit(Emit *e, const DotStep *s, LLVMValueRef acc,
                           LLVMValueRef x4, LLVMValueRef wptr);

#endif
