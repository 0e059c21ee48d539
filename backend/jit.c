/* The in-memory JIT (backend.h's BackendJit): the module of module.c for
 * this host, compiled by ORC's LLJIT, its <prefix>_run_args called
 * directly (the calibration runs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "module.h"
#include "target.h"

struct BackendJit {
  LLVMOrcLLJITRef jit;
  int (*run_args)(void *, void *const *);
  int64_t workspace;
};

static int jit_error(Diag *d, const char *what, LLVMErrorRef err) {
  char *m = LLVMGetErrorMessage(err);
  diag_error(d, srcloc(NULL, 0, 0), "%s: %s", what, m);
  LLVMDisposeErrorMessage(m);
  return -1;
}

BackendJit *backend_jit_create(const Graph *g, const BackendOptions *opts,
                               Diag *d) {
  LLVMTargetMachineRef tm = target_machine(opts->target, opts->opt_level, d);
  if (!tm)
    return NULL;
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMModuleRef mod = NULL;
  int64_t ws = 0;
  int rc = module_build(g, opts, LLVMOrcThreadSafeContextGetContext(tsc), tm,
                        &mod, &ws, NULL, d);
  LLVMDisposeTargetMachine(tm);
  if (rc) {
    LLVMOrcDisposeThreadSafeContext(tsc);
    return NULL;
  }
  BackendJit *j = calloc(1, sizeof *j);
  if (!j)
    QCC_DIE("out of memory");
  j->workspace = ws;
  LLVMErrorRef err = LLVMOrcCreateLLJIT(&j->jit, NULL);
  if (err) {
    LLVMDisposeModule(mod);
    LLVMOrcDisposeThreadSafeContext(tsc);
    free(j);
    jit_error(d, "cannot create the JIT", err);
    return NULL;
  }
  /* libm (expf, tanhf, exp) resolves from this process. */
  LLVMOrcDefinitionGeneratorRef gen;
  err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, LLVMOrcLLJITGetGlobalPrefix(j->jit), NULL, NULL);
  if (!err)
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j->jit), gen);
  LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
  LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps it alive */
  if (!err)
    err = LLVMOrcLLJITAddLLVMIRModule(j->jit, LLVMOrcLLJITGetMainJITDylib(j->jit), tsm);
  else
    LLVMOrcDisposeThreadSafeModule(tsm);
  char name[256];
  snprintf(name, sizeof name, "%s_run_args", opts->symbol_prefix);
  LLVMOrcExecutorAddress addr = 0;
  if (!err)
    err = LLVMOrcLLJITLookup(j->jit, &addr, name);
  if (err) {
    jit_error(d, "cannot JIT-compile the model", err);
    backend_jit_destroy(j);
    return NULL;
  }
  j->run_args = (int (*)(void *, void *const *))(uintptr_t)addr;
  return j;
}

int64_t backend_jit_workspace_size(const BackendJit *j) { return j->workspace; }

int backend_jit_run(BackendJit *j, void *workspace, void *const *args) {
  return j->run_args(workspace, args);
}

void backend_jit_destroy(BackendJit *j) {
  if (!j)
    return;
  if (j->jit) {
    LLVMErrorRef err = LLVMOrcDisposeLLJIT(j->jit);
    if (err)
      LLVMConsumeError(err);
  }
  free(j);
}
