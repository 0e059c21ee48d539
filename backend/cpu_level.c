/* See cpu_level.h. */
#include "cpu_level.h"

#include <string.h>

/* cpuid(leaf, subleaf) -> {eax, ebx, ecx, edx}. */
static LLVMValueRef cpuid(Emit *e, int leaf, int sub) {
  LLVMTypeRef f4[4] = {e->i32, e->i32, e->i32, e->i32};
  LLVMTypeRef st = LLVMStructTypeInContext(e->ctx, f4, 4, 0);
  LLVMTypeRef in[2] = {e->i32, e->i32};
  LLVMTypeRef ft = LLVMFunctionType(st, in, 2, 0);
  const char *asm_s = "cpuid", *cons = "={ax},={bx},={cx},={dx},0,2";
  LLVMValueRef fn = LLVMGetInlineAsm(ft, asm_s, strlen(asm_s), cons, strlen(cons),
                                     0, 0, LLVMInlineAsmDialectATT, 0);
  LLVMValueRef args[2] = {em_i32(e, leaf), em_i32(e, sub)};
  return LLVMBuildCall2(e->b, ft, fn, args, 2, "cpuid");
}

static LLVMValueRef bits(Emit *e, LLVMValueRef reg, uint32_t mask) {
  return LLVMBuildICmp(e->b, LLVMIntEQ,
                       LLVMBuildAnd(e->b, reg, em_i32(e, (int64_t)mask), ""),
                       em_i32(e, (int64_t)mask), "");
}

/* ARCH_REQ_XCOMP_PERM with XFEATURE_XTILEDATA: Linux enables the tile
 * data state per process only when asked (arch/x86 xstate); without it
 * the first tile instruction faults. */
enum { SYS_ARCH_PRCTL = 158, ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };

/* i32 qcc.amx_permitted(i32 cpu_has_amx): 1 when the tiles may be used.
 * The answer is asked once per process and kept in qcc.amx_state (0 not
 * asked, 1 granted, 2 refused): racing threads each ask the kernel the
 * same idempotent question and store the same answer, so monotonic
 * atomics suffice. QCC_NO_AMX set to anything but "" or "0" refuses it
 * without asking (the fallback's test hook, and a user's switch). */
static LLVMValueRef amx_permitted_fn(Emit *e) {
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, "qcc.amx_permitted");
  if (fn)
    return fn;
  LLVMBasicBlockRef caller = LLVMGetInsertBlock(e->b);
  LLVMValueRef caller_fn = e->fn;
  LLVMBasicBlockRef caller_entry = e->entry;
  LLVMValueRef state = LLVMAddGlobal(e->mod, e->i32, "qcc.amx_state");
  LLVMSetLinkage(state, LLVMInternalLinkage);
  LLVMSetInitializer(state, em_i32(e, 0));
  fn = LLVMAddFunction(e->mod, "qcc.amx_permitted", LLVMFunctionType(e->i32, &e->i32, 1, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  em_begin_function(e, fn);
  LLVMBasicBlockRef b_known = LLVMAppendBasicBlockInContext(e->ctx, fn, "known");
  LLVMBasicBlockRef b_ask = LLVMAppendBasicBlockInContext(e->ctx, fn, "ask");
  LLVMBasicBlockRef b_env = LLVMAppendBasicBlockInContext(e->ctx, fn, "env");
  LLVMBasicBlockRef b_call = LLVMAppendBasicBlockInContext(e->ctx, fn, "syscall");
  LLVMBasicBlockRef b_done = LLVMAppendBasicBlockInContext(e->ctx, fn, "done");
  LLVMBasicBlockRef b_no = LLVMAppendBasicBlockInContext(e->ctx, fn, "no");
  LLVMBasicBlockRef b_has = LLVMAppendBasicBlockInContext(e->ctx, fn, "has");
  LLVMBuildCondBr(e->b, LLVMBuildICmp(e->b, LLVMIntNE, LLVMGetParam(fn, 0), em_i32(e, 0), ""),
                  b_has, b_no);
  LLVMPositionBuilderAtEnd(e->b, b_no);
  LLVMBuildRet(e->b, em_i32(e, 0));
  LLVMPositionBuilderAtEnd(e->b, b_has);
  LLVMValueRef s = LLVMBuildLoad2(e->b, e->i32, state, "state");
  LLVMSetOrdering(s, LLVMAtomicOrderingMonotonic);
  LLVMSetAlignment(s, 4);
  LLVMBuildCondBr(e->b, LLVMBuildICmp(e->b, LLVMIntNE, s, em_i32(e, 0), ""), b_known, b_ask);
  LLVMPositionBuilderAtEnd(e->b, b_known);
  LLVMBuildRet(e->b, LLVMBuildZExt(e->b, LLVMBuildICmp(e->b, LLVMIntEQ, s, em_i32(e, 1), ""),
                                   e->i32, ""));
  LLVMPositionBuilderAtEnd(e->b, b_ask);
  LLVMTypeRef gt = LLVMFunctionType(e->ptr, &e->ptr, 1, 0);
  LLVMValueRef getenv_fn = LLVMGetNamedFunction(e->mod, "getenv");
  if (!getenv_fn)
    getenv_fn = LLVMAddFunction(e->mod, "getenv", gt);
  LLVMValueRef name = LLVMBuildGlobalStringPtr(e->b, "QCC_NO_AMX", "qcc.no_amx");
  LLVMValueRef v = LLVMBuildCall2(e->b, gt, getenv_fn, &name, 1, "");
  LLVMValueRef unset = LLVMBuildICmp(e->b, LLVMIntEQ, v, LLVMConstNull(e->ptr), "");
  LLVMBuildCondBr(e->b, unset, b_call, b_env);
  LLVMPositionBuilderAtEnd(e->b, b_env);
  LLVMValueRef c0 = LLVMBuildLoad2(e->b, e->i8, v, "");
  LLVMValueRef off = LLVMBuildOr(e->b, LLVMBuildICmp(e->b, LLVMIntEQ, c0, LLVMConstInt(e->i8, 0, 0), ""),
                                 LLVMBuildICmp(e->b, LLVMIntEQ, c0, LLVMConstInt(e->i8, '0', 0), ""), "");
  LLVMBasicBlockRef b_refuse = LLVMAppendBasicBlockInContext(e->ctx, fn, "refuse");
  LLVMBuildCondBr(e->b, off, b_call, b_refuse);
  LLVMPositionBuilderAtEnd(e->b, b_refuse);
  LLVMBuildBr(e->b, b_done);
  LLVMPositionBuilderAtEnd(e->b, b_call);
  LLVMTypeRef sa[3] = {e->i64, e->i64, e->i64};
  LLVMTypeRef st = LLVMFunctionType(e->i64, sa, 3, 0);
  const char *as = "syscall", *ac = "={ax},{ax},{di},{si},~{rcx},~{r11},~{memory},~{dirflag},~{fpsr},~{flags}";
  LLVMValueRef sys = LLVMGetInlineAsm(st, as, strlen(as), ac, strlen(ac), 1, 0,
                                      LLVMInlineAsmDialectATT, 0);
  LLVMValueRef args[3] = {em_i64(e, SYS_ARCH_PRCTL), em_i64(e, ARCH_REQ_XCOMP_PERM),
                          em_i64(e, XFEATURE_XTILEDATA)};
  LLVMValueRef rc = LLVMBuildCall2(e->b, st, sys, args, 3, "");
  LLVMValueRef ok = LLVMBuildICmp(e->b, LLVMIntEQ, rc, em_i64(e, 0), "");
  LLVMBuildBr(e->b, b_done);
  LLVMPositionBuilderAtEnd(e->b, b_done);
  LLVMValueRef got = LLVMBuildPhi(e->b, e->i1, "granted");
  LLVMValueRef vals[2] = {LLVMConstInt(e->i1, 0, 0), ok};
  LLVMBasicBlockRef from[2] = {b_refuse, b_call};
  LLVMAddIncoming(got, vals, from, 2);
  LLVMValueRef ns = LLVMBuildSelect(e->b, got, em_i32(e, 1), em_i32(e, 2), "");
  LLVMValueRef w = LLVMBuildStore(e->b, ns, state);
  LLVMSetOrdering(w, LLVMAtomicOrderingMonotonic);
  LLVMSetAlignment(w, 4);
  LLVMBuildRet(e->b, LLVMBuildZExt(e->b, got, e->i32, ""));
  e->fn = caller_fn;
  e->entry = caller_entry;
  LLVMPositionBuilderAtEnd(e->b, caller);
  return fn;
}

LLVMValueRef cpu_level_fn(Emit *e) {
  LLVMValueRef fn = LLVMGetNamedFunction(e->mod, "qcc.cpu_level");
  if (fn)
    return fn;
  fn = LLVMAddFunction(e->mod, "qcc.cpu_level", LLVMFunctionType(e->i32, NULL, 0, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  em_begin_function(e, fn);
  LLVMBasicBlockRef b_xsave = LLVMAppendBasicBlockInContext(e->ctx, fn, "xsave");
  LLVMBasicBlockRef b_zero = LLVMAppendBasicBlockInContext(e->ctx, fn, "generic");
  LLVMValueRef l0 = cpuid(e, 0, 0);
  LLVMValueRef max_leaf = LLVMBuildExtractValue(e->b, l0, 0, "");
  LLVMValueRef l1 = cpuid(e, 1, 0);
  LLVMValueRef ecx1 = LLVMBuildExtractValue(e->b, l1, 2, "");
  /* OSXSAVE (27) and AVX (28), FMA (12), MOVBE (22), F16C (29) */
  LLVMValueRef ok = LLVMBuildAnd(e->b, bits(e, ecx1, (1u << 27) | (1u << 28)),
                                 LLVMBuildICmp(e->b, LLVMIntUGE, max_leaf, em_i32(e, 7), ""), "");
  LLVMBuildCondBr(e->b, ok, b_xsave, b_zero);
  LLVMPositionBuilderAtEnd(e->b, b_zero);
  LLVMBuildRet(e->b, em_i32(e, 0));
  LLVMPositionBuilderAtEnd(e->b, b_xsave);
  LLVMTypeRef f2[2] = {e->i32, e->i32};
  LLVMTypeRef st2 = LLVMStructTypeInContext(e->ctx, f2, 2, 0);
  LLVMTypeRef xt = LLVMFunctionType(st2, &e->i32, 1, 0);
  const char *xs = "xgetbv", *xc = "={ax},={dx},{cx}";
  LLVMValueRef xg = LLVMGetInlineAsm(xt, xs, strlen(xs), xc, strlen(xc), 1, 0,
                                     LLVMInlineAsmDialectATT, 0);
  LLVMValueRef zero = em_i32(e, 0);
  LLVMValueRef xcr0 = LLVMBuildExtractValue(e->b, LLVMBuildCall2(e->b, xt, xg, &zero, 1, ""), 0, "");
  LLVMValueRef l7 = cpuid(e, 7, 0);
  LLVMValueRef ebx7 = LLVMBuildExtractValue(e->b, l7, 1, "");
  LLVMValueRef ecx7 = LLVMBuildExtractValue(e->b, l7, 2, "");
  LLVMValueRef lx = cpuid(e, (int)0x80000001u, 0);
  LLVMValueRef ecxx = LLVMBuildExtractValue(e->b, lx, 2, "");
  /* v3: AVX2 (ebx7 5), BMI1 (3), BMI2 (8); FMA, MOVBE, F16C; LZCNT
   * (0x80000001 ecx 5); XCR0 SSE|AVX state. */
  LLVMValueRef v3 = bits(e, ebx7, (1u << 5) | (1u << 3) | (1u << 8));
  v3 = LLVMBuildAnd(e->b, v3, bits(e, ecx1, (1u << 12) | (1u << 22) | (1u << 29)), "");
  v3 = LLVMBuildAnd(e->b, v3, bits(e, ecxx, 1u << 5), "");
  v3 = LLVMBuildAnd(e->b, v3, bits(e, xcr0, 0x6), "");
  /* v4 + VNNI: AVX512 F (16) DQ (17) CD (28) BW (30) VL (31), VNNI (ecx7
   * 11); XCR0 opmask|ZMM_Hi256|Hi16_ZMM. */
  LLVMValueRef v4 = LLVMBuildAnd(
      e->b, v3, bits(e, ebx7, (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31)), "");
  v4 = LLVMBuildAnd(e->b, v4, bits(e, ecx7, 1u << 11), "");
  v4 = LLVMBuildAnd(e->b, v4, bits(e, xcr0, 0xE6), "");
  /* AMX: AMX-TILE (edx7 24), AMX-INT8 (25); XCR0 XTILECFG|XTILEDATA
   * (17, 18); then the kernel's permission (amx_permitted_fn). */
  LLVMValueRef edx7 = LLVMBuildExtractValue(e->b, l7, 3, "");
  LLVMValueRef amx = LLVMBuildAnd(e->b, v4, bits(e, edx7, (1u << 24) | (1u << 25)), "");
  amx = LLVMBuildAnd(e->b, amx, bits(e, xcr0, (1u << 17) | (1u << 18)), "");
  LLVMValueRef permit = amx_permitted_fn(e);
  LLVMValueRef arg = LLVMBuildZExt(e->b, amx, e->i32, "");
  LLVMValueRef granted = LLVMBuildCall2(e->b, LLVMGlobalGetValueType(permit), permit, &arg, 1, "");
  amx = LLVMBuildICmp(e->b, LLVMIntNE, granted, em_i32(e, 0), "");
  LLVMValueRef level = LLVMBuildSelect(e->b, v4, em_i32(e, 2),
                                       LLVMBuildSelect(e->b, v3, em_i32(e, 1), em_i32(e, 0), ""), "");
  level = LLVMBuildSelect(e->b, amx, em_i32(e, 3), level, "");
  LLVMBuildRet(e->b, level);
  return fn;
}

