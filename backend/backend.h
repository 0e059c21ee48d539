/* The LLVM backend: compiles a verified graph (float, int8 dialect, or a
 * mix) into one LLVM module with a reentrant entry point
 *
 *   int <name>_run(void *workspace, const float *in_0, ..., float *out_0, ...)
 *   int <name>_run_parallel(void *workspace, const qcc_parallel *par, ...)
 *   int <name>_run_args(void *workspace, void *const *args)  (inputs, then
 *       outputs, as one array: for loaders that do not know the arity)
 *   const qcc_model_info <name>_info;
 *
 * and emits it as an object file, assembly or LLVM IR text, plus the C
 * header apps include. Every node becomes code specialized to its shapes,
 * parameters and weights (constants in the module). The generated code
 * calls nothing but libm (expf, tanhf) and the caller's parallel_for.
 * Requires: a verified graph whose inputs and outputs are f32.
 * Errors are returned through Diag; nothing is printed. */
#ifndef QCC_BACKEND_H
#define QCC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"

typedef enum TargetKind {
  TARGET_GENERIC,             /* x86-64 baseline (SSE2) */
  TARGET_AVX2,                /* Haswell+: AVX2, FMA (exact int8 route) */
  TARGET_AVX512VNNI,          /* Cascade Lake+: vpdpbusd on zmm */
  TARGET_AVX512VNNI_EMULATED, /* the VNNI schedule, its dot step in plain IR */
  TARGET_AVX512AMX,           /* Sapphire Rapids+: AMX-INT8 tiles where a layer
                                 fills them, VNNI elsewhere; the library also
                                 holds the avx512vnni variant, run where the
                                 OS refuses the tile state */
  TARGET_AVX512AMX_EMULATED,  /* the AMX schedule, tiles in plain IR */
  TARGET_NATIVE,              /* whatever the host has */
  TARGET_MULTI,               /* avx512amx + avx512vnni + avx2 + generic in
                                 one library, chosen per call by cpuid */
  TARGET_COUNT
} TargetKind;

/* "generic", "avx2", "avx512vnni", "avx512vnni-emulated", "avx512amx",
 * "avx512amx-emulated", "native", "multi". */
const char *backend_target_name(TargetKind t);
/* Returns 0 and sets *t, or -1 for an unknown name. */
int backend_target_parse(const char *name, TargetKind *t);
/* The best fixed target the compiling CPU runs: avx512amx (with AMX-TILE
 * and AMX-INT8 and their state enabled by the OS), else avx512vnni (with
 * AVX-512 BW and VNNI, zmm state enabled by the OS), else avx2 (with
 * FMA), else generic. qcc compile's default, so a library built on an AVX512-VNNI
 * machine gets its VNNI code without asking, and still runs on any CPU
 * with those features. */
TargetKind backend_target_host(void);

/* The kernel list (backend/kernel_list.c), for `qcc kernels` and what
 * reads its print (the edge-case matrix, bench/peers): visit is called
 * once per form of every kernel, in dispatch order, with the kernel's
 * name, the form's symbol grammar with <isa> filled for t (e.g.
 * "qu8_conv_minmax_fp32_ukernel_<MR>x<NR>c<k>__avx2"), what it computes,
 * and its parameters on t ("nr=8 k=2 acc=12"; "" where it has none).
 * Forms without code for t are left out. t: a fixed target or native. */
typedef void (*BackendKernelVisit)(void *ctx, const char *kernel, const char *grammar,
                                   const char *computes, const char *params);
void backend_kernel_list(TargetKind t, BackendKernelVisit visit, void *ctx);

/* Where node n runs on t when t has AMX tiles (avx512amx, its emulated
 * form, or multi/native with an AMX variant): 1 on tiles (the int8 convs
 * and linears that fill one), 0 on the VNNI step (the others of the
 * blocked conv kernel), -1 neither (another kernel, or no tiles on t). */
int backend_tile_choice(const Node *n, TargetKind t);

typedef struct BackendOptions {
  TargetKind target;
  const char *symbol_prefix; /* C identifier; defaults to the graph name */
  const char *source;        /* the model's path, for the header comment */
  const char *source_hash;   /* hash of the model, for the header comment */
  int opt_level;             /* 0..3; default 3 */
  /* Calibration builds: observe nodes emit no code and the tensors they
   * observe become extra outputs, after the graph's own, in node order. */
  bool observe;
} BackendOptions;

/* What one compilation produced; every buffer is malloc'd and owned by
 * the struct (backend_output_free). */
typedef struct BackendOutput {
  char *object;  /* ELF relocatable object (-fPIC) */
  size_t object_size;
  char *asm_text; /* when asked for */
  char *llvm_text;
  char *header;  /* <prefix>.h */
  int64_t workspace_size; /* bytes, a multiple of 64 */
  int64_t workspace_naive; /* bytes if no buffer were shared */
  int num_in_place;        /* results written over their input */
  int num_sliced;          /* conv results stored in their concat's output */
  int num_padded;          /* conv results stored as their reader convs' padded
                              input (kernel_stored_padded): those convs pack nothing */
  /* On a target with AMX tiles (its best variant): the int8 convs and
   * linears on tiles, and those kept on the VNNI step (too few channels,
   * pixels or K to fill a tile). 0 and 0 elsewhere. */
  int num_on_tiles, num_off_tiles;
  int num_kernels;        /* node functions emitted */
  int num_fused;          /* quantizes done by their conv's pack (no kernel) */
} BackendOutput;

enum { BACKEND_EMIT_ASM = 1, BACKEND_EMIT_LLVM = 2 };

int backend_compile(const Graph *g, const BackendOptions *opts, int emit,
                    BackendOutput *out, Diag *d);
void backend_output_free(BackendOutput *out);

/* A model compiled in memory for this host (ORC LLJIT), e.g. to run the
 * calibration set natively. run() takes the inputs then the outputs (with
 * opts->observe: then the observed tensors) as one array of pointers and
 * a workspace of workspace_size bytes, 64-byte aligned. */
typedef struct BackendJit BackendJit;
BackendJit *backend_jit_create(const Graph *g, const BackendOptions *opts,
                               Diag *d);
int64_t backend_jit_workspace_size(const BackendJit *j);
int backend_jit_run(BackendJit *j, void *workspace, void *const *args);
void backend_jit_destroy(BackendJit *j);

#endif
