/* Small helpers over the LLVM C API for writing kernels: typed constants,
 * counted loops, element addressing, and the arithmetic of the int8
 * contract (docs/quantization.md) emitted as IR. Every kernel of the
 * backend is written with these, so the loops look alike and LLVM sees
 * constant trip counts it can unroll and vectorize.
 *
 * Loop induction variables are i64. Scalars that live across iterations
 * (accumulators) are allocas in the function's entry block; SROA/mem2reg
 * turn them into registers. Nothing here owns LLVM objects: the Emit's
 * context owns everything created through it. */
#ifndef QCC_BACKEND_EMIT_H
#define QCC_BACKEND_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

typedef struct Emit {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMValueRef fn;       /* the function being written */
  LLVMBasicBlockRef entry; /* where allocas go */
  LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, void_t;
} Emit;

typedef struct Loop {
  LLVMBasicBlockRef head, body, latch, exit;
  LLVMValueRef iv; /* i64 */
} Loop;

void em_init(Emit *e, LLVMContextRef ctx, LLVMModuleRef mod);
void em_dispose(Emit *e);

/* Starts writing function fn (creates its entry block). */
void em_begin_function(Emit *e, LLVMValueRef fn);

LLVMValueRef em_i32(Emit *e, int64_t v);
LLVMValueRef em_i64(Emit *e, int64_t v);
LLVMValueRef em_f32(Emit *e, float v);

/* for (iv = lo; iv < hi; iv++): returns the induction variable; the
 * builder is left in the body. em_loop_end closes the innermost open loop. */
LLVMValueRef em_loop(Emit *e, Loop *l, LLVMValueRef lo, LLVMValueRef hi,
                     const char *name);
LLVMValueRef em_loop_n(Emit *e, Loop *l, int64_t n, const char *name);
void em_loop_end(Emit *e, Loop *l);
/* The same, and asks LLVM not to unroll this loop (llvm.loop.unroll.
 * disable): for the outer loops of kernels whose inner loops unroll, so
 * that nested full unrolling does not multiply code size (and compile
 * time) for nothing. */
void em_loop_end_rolled(Emit *e, Loop *l);

/* if (cond) { ... }: the builder is left in the then-block; em_if_end
 * continues after it. */
typedef struct If {
  LLVMBasicBlockRef then, done;
} If;
void em_if(Emit *e, If *f, LLVMValueRef cond);
/* The same for a branch taken rarely (a slow path): the code of the
 * then-block stays behind the branch. */
void em_if_rare(Emit *e, If *f, LLVMValueRef cond);
void em_if_end(Emit *e, If *f);

/* i64 arithmetic (constants fold as LLVM builds them). */
LLVMValueRef em_add(Emit *e, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef em_mul(Emit *e, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef em_addc(Emit *e, LLVMValueRef a, int64_t c);
LLVMValueRef em_mulc(Emit *e, LLVMValueRef a, int64_t c);
/* a * c + d: the usual row-major index step. */
LLVMValueRef em_madc(Emit *e, LLVMValueRef a, int64_t c, LLVMValueRef d);

/* Address of element idx (i64) of an array of elt at base. */
LLVMValueRef em_elem(Emit *e, LLVMTypeRef elt, LLVMValueRef base,
                     LLVMValueRef idx);
LLVMValueRef em_load_at(Emit *e, LLVMTypeRef elt, LLVMValueRef base,
                        LLVMValueRef idx);
void em_store_at(Emit *e, LLVMValueRef v, LLVMTypeRef elt, LLVMValueRef base,
                 LLVMValueRef idx);

/* A scalar in the entry block, initialised to init where the builder is. */
LLVMValueRef em_var(Emit *e, LLVMTypeRef t, LLVMValueRef init,
                    const char *name);

/* A call of an overloaded LLVM intrinsic such as "llvm.rint" on type t. */
LLVMValueRef em_intrinsic(Emit *e, const char *name, LLVMTypeRef t,
                          LLVMValueRef *args, unsigned n);
/* A call of a target intrinsic that is not overloaded, declared by name
 * with its return and parameter types (llvm.x86.avx512.vpdpbusd.512);
 * only where the target has the feature. */
LLVMValueRef em_x86_call(Emit *e, const char *name, LLVMTypeRef ret,
                         LLVMTypeRef *pt, unsigned n, LLVMValueRef *args);
/* A call of a C library function float f(float) (expf, tanhf). */
LLVMValueRef em_libm_f32(Emit *e, const char *name, LLVMValueRef x);

/* Private constant global holding n bytes, 64-byte aligned. */
LLVMValueRef em_const_bytes(Emit *e, const char *name, const void *data,
                            size_t n);

/* ---- the int8 contract (ir/quant_math.h), as IR ---------------------- */

/* rne(v): round half to even in the default mode. */
LLVMValueRef em_rne(Emit *e, LLVMValueRef v);
/* qm_finish: v (rounded f32) clamped to [lo - z, hi - z], NaN to 0, then
 * converted and z added; returns i32 (for a <N x float> v, <N x i32>,
 * lane by lane the same). */
LLVMValueRef em_finish(Emit *e, LLVMValueRef v, int32_t z, int32_t lo,
                       int32_t hi);
/* qm_requantize(acc (i32), m, z, lo, hi) -> i32. */
LLVMValueRef em_requantize(Emit *e, LLVMValueRef acc, float m, int32_t z,
                           int32_t lo, int32_t hi);
/* qm_quantize(x (f32), s, z, lo, hi) -> i32. */
LLVMValueRef em_quantize(Emit *e, LLVMValueRef x, float s, int32_t z,
                         int32_t lo, int32_t hi);
/* qm_quantize of count (<= 64) vectors x[] (<N x float>) into q[]
 * (<N x i32>), bit-exact, mostly by a multiply: m = x * fl(1/s) is within 3 * 2^-24 |x/s| of fl(x / s),
 * so both round to the same integer unless m lies within that distance of
 * a half-integer; below |x/s| = 2^12 the distance is under 2^-10, and
 * above it both clamp alike (|lo - z|, |hi - z| <= 511), as do NaN and the
 * infinities. So the vector takes m, unless a lane lies within 2^-10 of a
 * half-integer (about one in 2^9 lanes) or is not finite: then it divides,
 * as the contract (and ONNX) says (a division costs 5-10x a multiply).
 * The test, |m - rint(m)| > 0.5 - 2^-10 or unordered, reuses the rounding
 * the result needs, and leaves the fast path free of NaN and infinities.
 * Only for a scale whose reciprocal is a normal float (else em_quantize
 * lane by lane). A lane that is NaN or infinite sets the i8 variable
 * `seen` to 1 (the run's non-finite status). The vectors share one test
 * and branch: the division runs for all of them when any lane needs it. */
void em_quantize_vectors(Emit *e, const LLVMValueRef *x, unsigned count, float s, int32_t z,
                         int32_t lo, int32_t hi, LLVMValueRef seen, LLVMValueRef *q);
/* seen (an i8 variable) |= whether x (f32, scalar or vector) holds a NaN
 * or an infinity: the quantize's non-finite test. */
void em_note_nonfinite(Emit *e, LLVMValueRef x, LLVMValueRef seen);
/* Whether em_quantize_vectors may be used with scale s. */
bool em_quantize_vector_ok(float s);
/* qm_dequantize(q (i32), s, z) -> f32. */
LLVMValueRef em_dequantize(Emit *e, LLVMValueRef q, float s, int32_t z);

/* Float min/max with the interpreter's semantics: a < b ? ... */
LLVMValueRef em_fmin(Emit *e, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef em_fmax(Emit *e, LLVMValueRef a, LLVMValueRef b);

/* A constant vector of n copies of constant c (n <= 64: a zmm of
 * bytes). */
LLVMValueRef em_splat_const(LLVMValueRef c, unsigned n);
/* a followed by b, two vectors of n lanes each (2n <= 64). */
LLVMValueRef em_concat(Emit *e, LLVMValueRef a, LLVMValueRef b, unsigned n);
/* Value v (not necessarily constant) in each of n lanes. */
LLVMValueRef em_splat_value(Emit *e, LLVMValueRef v, unsigned n);
/* Constant c, or c in every lane when v is a vector. */
LLVMValueRef em_like(LLVMValueRef v, LLVMValueRef c);

/* rows[0 .. L): L vectors of L lanes (L a power of two, at most 32)
 * transposed in place with shuffles: lane j of row i becomes lane i of
 * row j. */
void em_transpose(Emit *e, LLVMValueRef *rows, unsigned L);
/* dst[from, to) = fill, elements of type elt (constant bounds; a loop
 * LLVM turns into memset or vector stores). */
void em_fill_span(Emit *e, LLVMTypeRef elt, LLVMValueRef dst, LLVMValueRef fill,
                  int64_t from, int64_t to);
/* Elements [at, at + n) of vector v, as a vector of n (n = 1: the
 * element itself). */
LLVMValueRef em_sub_vector(Emit *e, LLVMValueRef v, unsigned at, unsigned n);

#endif
