/* See target.h. */
#include "target.h"

#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdlib.h>
#include <string.h>

/* The dot steps (dot_step.h): {kind, NR, k, x bytes, w bytes, register
 * budget, isa}. Budgets: vnni512 has 32 zmm, of which a tile of 24
 * accumulators leaves the weights of up to 4 blocks and the broadcast
 * (MLAS and oneDNN use the same 24); avx2 has 16 ymm: 12 accumulators, 2
 * weight vectors, the broadcast and the product; generic keeps 4 of SSE2's
 * 16 xmm for a step that takes four registers per lane group. emul512
 * keeps vnni512's tile so that it proves the same schedule; its f32 step
 * is avx2's (it compiles for x86-64-v3). */
#define STEP(kind, nr, k, xb, budget, isa) {kind, nr, k, xb, (nr) * 4, budget, isa}

/* avx512vnni asks for x86-64-v4 (AVX-512 F/BW/CD/DQ/VL) plus VNNI:
 * Cascade Lake, Ice Lake, Sapphire Rapids and Zen 4 all have it. The
 * emulated target runs its schedule on x86-64-v3, where every machine of
 * ours can run it. */
static const TargetInfo rows[] = {
    {TARGET_GENERIC, "generic", "generic", "x86-64", "",
     STEP(STEP_GENERIC, 8, 4, 1, 4, "generic"), STEP(STEP_F32, 4, 1, 4, 12, "sse2"),
     32, 8, 0, TILES_NONE},
    {TARGET_AVX2, "avx2", "avx2", "x86-64-v3", "",
     STEP(STEP_AVX2, 8, 2, 2, 12, "avx2"), STEP(STEP_F32, 8, 1, 4, 12, "avx2"),
     32, 8, 1, TILES_NONE},
    {TARGET_AVX512VNNI, "avx512vnni", "avx512vnni", "x86-64-v4", "+avx512vnni",
     STEP(STEP_VNNI512, 16, 4, 1, 24, "avx512vnni"), STEP(STEP_F32, 16, 1, 4, 24, "avx512f"),
     64, 16, 2, TILES_NONE},
    {TARGET_AVX512VNNI_EMULATED, "avx512vnni-emulated", "avx512vnni_emulated", "x86-64-v3", "",
     STEP(STEP_EMUL512, 16, 4, 1, 24, "avx512vnni_emulated"),
     STEP(STEP_F32, 8, 1, 4, 12, "avx2"), 32, 8, -1, TILES_NONE},
    /* AMX: the VNNI row plus tiles (amx_tile.h) for the layers that fill
     * them; the others keep vnni512's step. */
    {TARGET_AVX512AMX, "avx512amx", "avx512amx", "x86-64-v4",
     "+avx512vnni,+amx-tile,+amx-int8",
     STEP(STEP_VNNI512, 16, 4, 1, 24, "avx512vnni"), STEP(STEP_F32, 16, 1, 4, 24, "avx512f"),
     64, 16, 3, TILES_AMX},
    {TARGET_AVX512AMX_EMULATED, "avx512amx-emulated", "avx512amx_emulated", "x86-64-v3", "",
     STEP(STEP_EMUL512, 16, 4, 1, 24, "avx512vnni_emulated"),
     STEP(STEP_F32, 8, 1, 4, 12, "avx2"), 32, 8, -1, TILES_EMULATED},
};

static const char *const target_names[TARGET_COUNT] = {
    "generic",   "avx2",       "avx512vnni", "avx512vnni-emulated", "avx512amx",
    "avx512amx-emulated", "native", "multi"};

const char *backend_target_name(TargetKind t) { return target_names[t]; }

int backend_target_parse(const char *name, TargetKind *t) {
  for (int i = 0; i < TARGET_COUNT; i++)
    if (strcmp(name, target_names[i]) == 0) {
      *t = (TargetKind)i;
      return 0;
    }
  return -1;
}

TargetKind backend_target_host(void) {
  char *f = LLVMGetHostCPUFeatures(); /* LLVM leaves out what the OS does not save */
  bool vnni = strstr(f, "+avx512vnni") && strstr(f, "+avx512bw") && strstr(f, "+avx512vl");
  TargetKind t = vnni && strstr(f, "+amx-tile") && strstr(f, "+amx-int8") ? TARGET_AVX512AMX
                 : vnni                                                   ? TARGET_AVX512VNNI
                 : strstr(f, "+avx2") && strstr(f, "+fma")                 ? TARGET_AVX2
                                                            : TARGET_GENERIC;
  LLVMDisposeMessage(f);
  return t;
}

const TargetInfo *target_info(TargetKind t) {
  if (t == TARGET_NATIVE)
    t = backend_target_host();
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    if (rows[i].kind == t)
      return &rows[i];
  QCC_DIE("target %s has no row of its own (target_variants)", backend_target_name(t));
}

int target_variants(TargetKind t, TargetKind out[MAX_VARIANTS]) {
  if (t == TARGET_NATIVE && backend_target_host() == TARGET_AVX512AMX)
    t = TARGET_AVX512AMX;
  if (t == TARGET_AVX512AMX) {
    out[0] = TARGET_AVX512AMX;
    out[1] = TARGET_AVX512VNNI;
    return 2;
  }
  if (t != TARGET_MULTI) {
    out[0] = t;
    return 1;
  }
  int n = 0;
  for (int level = 3; level >= 0; level--)
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
      if (rows[i].cpu_level == level)
        out[n++] = rows[i].kind;
  return n;
}

LLVMTargetMachineRef target_machine(TargetKind t, int opt, Diag *d) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeX86AsmParser(); /* inline asm: cpuid, xgetbv */
  const char *triple = "x86_64-pc-linux-gnu";
  LLVMTargetRef target;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &err)) {
    diag_error(d, srcloc(NULL, 0, 0), "LLVM has no x86-64 target: %s", err);
    LLVMDisposeMessage(err);
    return NULL;
  }
  char *cpu = NULL, *features = NULL;
  switch (t) {
  case TARGET_GENERIC:
  case TARGET_AVX2:
  case TARGET_AVX512VNNI_EMULATED:
  case TARGET_AVX512VNNI:
  case TARGET_AVX512AMX:
  case TARGET_AVX512AMX_EMULATED:
    cpu = strdup(target_info(t)->cpu);
    features = strdup(target_info(t)->features);
    break;
  case TARGET_MULTI: /* the baseline; variants raise it per function */
    cpu = strdup(target_info(TARGET_GENERIC)->cpu);
    features = strdup(target_info(TARGET_GENERIC)->features);
    break;
  case TARGET_NATIVE: {
    char *c = LLVMGetHostCPUName(), *f = LLVMGetHostCPUFeatures();
    cpu = strdup(c);
    features = strdup(f);
    LLVMDisposeMessage(c);
    LLVMDisposeMessage(f);
    break;
  }
  default: QCC_DIE("bad target %d", t);
  }
  LLVMCodeGenOptLevel level = opt <= 0   ? LLVMCodeGenLevelNone
                              : opt == 1 ? LLVMCodeGenLevelLess
                              : opt == 2 ? LLVMCodeGenLevelDefault
                                         : LLVMCodeGenLevelAggressive;
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
      target, triple, cpu, features, level, LLVMRelocPIC, LLVMCodeModelDefault);
  free(cpu);
  free(features);
  return tm;
}
