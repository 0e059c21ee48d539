/* AMX-INT8 tiles as the conv schedule uses them (kernels_conv_blocked.c),
 * in two forms that compute the same bits:
 *
 *   TILES_AMX       LLVM 19's AMX intrinsics (tileloadd64, tdpbusd,
 *                   tilestored64, tilezero; the .internal forms, whose
 *                   shapes let LLVM allocate the eight tmm registers and
 *                   write the tile configuration itself: ldtilecfg at
 *                   entry, tilerelease at exit)
 *   TILES_EMULATED  the same tiles in plain IR: an accumulator tile is
 *                   rows of <16 x i32> in memory, and a tdpbusd is, per
 *                   row, K/4 steps of the emulated VNNI step (dot_step.h):
 *                   runs on any x86-64, so the AMX schedule is proven
 *                   bit-exact on every machine
 *
 * The shapes the conv uses: an accumulator (C) tile is `rows` x 16 i32
 * (16 output channels of `rows` pixels, rows <= 16); an activation (A)
 * tile `rows` x K u8 (each pixel's K consecutive input bytes, the rows
 * `stride` bytes apart); a weight (B) tile K/4 x 64 i8: row r holds the
 * 4 weights of input bytes 4r .. 4r + 3 for each of the 16 channels, the
 * VNNI step's own packing (dot_step.h), rows 64 bytes apart. K <= 64, a
 * multiple of 4. tdpbusd: C[m][n] += sum_k A[m][k] * B[k / 4][4n + k % 4],
 * u8 times i8 summed exactly into i32 (wrapping, as every i32 add of the
 * schedule). */
#ifndef QCC_BACKEND_AMX_TILE_H
#define QCC_BACKEND_AMX_TILE_H

#include "emit.h"

typedef enum TileKind {
  TILES_NONE,
  TILES_AMX,
  TILES_EMULATED,
} TileKind;

/* TILE_SLACK: bytes every buffer an activation tile reads ends with,
 * for a last K chunk that reads past its row (into zero weights). */
enum { TILE_ROWS = 16, TILE_BYTES = 64, TILE_SLACK = TILE_BYTES };

/* An accumulator tile: a value (TILES_AMX: x86_amx) or `rows` rows of
 * <16 x i32> in memory at buf, `stride` bytes apart (TILES_EMULATED). */
typedef struct TileAcc {
  int rows;
  LLVMValueRef v;
  LLVMValueRef buf;
  int64_t stride;
} TileAcc;

/* An operand tile: loaded (TILES_AMX), or where its rows are. */
typedef struct TileOperand {
  int rows, bytes;
  LLVMValueRef v, at;
  int64_t stride;
} TileOperand;

/* A zero accumulator of `rows` pixels; buf/stride: where tile_store puts
 * it (and where the emulated form keeps it). */
TileAcc tile_zero(Emit *e, TileKind k, int rows, LLVMValueRef buf, int64_t stride);
/* A `rows` x `bytes` activation tile at `at`, rows `stride` bytes apart. */
TileOperand tile_load_a(Emit *e, TileKind k, int rows, int bytes, LLVMValueRef at,
                        int64_t stride);
/* The weight tile of `bytes` input bytes (bytes / 4 rows of 64) at `at`. */
TileOperand tile_load_b(Emit *e, TileKind k, int bytes, LLVMValueRef at);
/* c += a . b (tdpbusd). */
void tile_dot(Emit *e, TileKind k, TileAcc *c, const TileOperand *a, const TileOperand *b);
/* Writes c's rows to its buf (TILES_AMX; the emulated rows are there). */
void tile_store(Emit *e, TileKind k, const TileAcc *c);

/* A counted loop whose body updates accumulator tiles: x86_amx values
 * cannot live in allocas, so for TILES_AMX the `n` tiles become phis of
 * the loop head (updated in place, they are the loop's results after
 * tile_loop_end). Returns the induction variable. */
typedef struct TileLoop {
  Loop l;
  LLVMValueRef phi[8];
  int n;
} TileLoop;
LLVMValueRef tile_loop(Emit *e, TileKind k, TileLoop *tl, int64_t count, TileAcc *c, int n,
                       const char *name);
void tile_loop_end(Emit *e, TileLoop *tl, TileAcc *c);

#endif
