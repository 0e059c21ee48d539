/* The module builder (module.c), shared by the object-file path
 * (backend_compile) and the JIT (jit.c). */
#ifndef QCC_BACKEND_MODULE_H
#define QCC_BACKEND_MODULE_H

#include <llvm-c/TargetMachine.h>

#include "backend.h"

/* Builds g's module in ctx for tm's target: node functions, entry
 * points, the descriptor; optimized. Sets *workspace to its size and,
 * when facts is not NULL, the counts of BackendOutput. 0, or -1 with the
 * reason in d. */
int module_build(const Graph *g, const BackendOptions *opts, LLVMContextRef ctx,
                 LLVMTargetMachineRef tm, LLVMModuleRef *mod_out, int64_t *workspace,
                 BackendOutput *facts, Diag *d);

#endif
