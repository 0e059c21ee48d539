/* qcc.cpu_level(), the i32 function a module's dispatcher and
 * <name>_target() ask which variant this CPU runs (cpu_level of the
 * target rows, target.h): 3 when the AMX variant can run (level 2, plus
 * AMX-TILE and AMX-INT8, the OS saving the tile state in XCR0, and Linux
 * granting this process the tile data, asked once), 2 when the AVX-512
 * VNNI variant can (x86-64-v4 + VNNI, with the OS saving zmm state), 1
 * for the AVX2 one (x86-64-v3 with AVX state saved), else 0. cpuid runs
 * on every call; only the permission's answer is kept. Created in e's
 * module on first use. */
#ifndef QCC_BACKEND_CPU_LEVEL_H
#define QCC_BACKEND_CPU_LEVEL_H

#include "emit.h"

LLVMValueRef cpu_level_fn(Emit *e);

#endif
