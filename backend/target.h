/* The target table: every fact the backend knows about a target, in one
 * row (QBE's Target, XNNPACK's isa checks): its name, the LLVM CPU and
 * features it compiles for, the int8 and f32 dot steps of the conv
 * schedule (dot_step.h), the vector widths of the lane kernels, and how
 * multi's cpuid dispatch recognizes it. Code generation reads these rows
 * instead of testing target kinds.
 *
 * native has no row of its own: target_info resolves it to the best fixed
 * row the compiling CPU runs (backend_target_host), so its kernels are
 * that row's; only its LLVM CPU and features are the host's own
 * (target_machine). multi is the four variants of target_variants, one
 * module; avx512amx is two, the tile code and its VNNI fallback. */
#ifndef QCC_BACKEND_TARGET_H
#define QCC_BACKEND_TARGET_H

#include <stdbool.h>

#include <llvm-c/TargetMachine.h>

#include "backend.h"
#include "amx_tile.h"
#include "dot_step.h"

typedef struct TargetInfo {
  TargetKind kind;
  const char *name;     /* --target spelling */
  const char *isa;      /* kernel name suffix (__<isa>) */
  const char *cpu;      /* LLVM target-cpu */
  const char *features; /* LLVM target-features beyond the CPU's, or "" */
  DotStep i8;           /* the int8 step of the conv/linear schedule */
  DotStep f32;          /* the f32 step of the same schedule */
  unsigned u8_bytes;    /* bytes per vector of the u8 NHWC kernels (pools) */
  unsigned i32_lanes;   /* lanes per i32/f32 vector of the lane kernels */
  int cpu_level;        /* qcc.cpu_level() value that selects it in multi, or -1 */
  TileKind tiles;       /* AMX tiles for the layers that fill them (amx_tile.h) */
} TargetInfo;

/* The row of t (native: the host's fixed target). */
const TargetInfo *target_info(TargetKind t);

/* The fixed targets one module holds, best first (their cpu_level
 * descending): t itself; multi's four variants; avx512amx and the
 * avx512vnni variant it falls back to where the OS refuses the tile
 * state. Returns the count. */
enum { MAX_VARIANTS = 4 };
int target_variants(TargetKind t, TargetKind out[MAX_VARIANTS]);

/* An LLVM target machine for t (x86-64, PIC) at -O`opt`: the row's CPU and
 * features; native's are the host's; multi's are generic's (its variants
 * raise them per function). NULL, with the reason in d, without LLVM's
 * x86 target. */
LLVMTargetMachineRef target_machine(TargetKind t, int opt, Diag *d);

#endif
