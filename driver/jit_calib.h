/* A CalibRunner (passes/pass.h) that runs calibration samples on the
 * observed graph JIT-compiled for this host. */
#ifndef QCC_DRIVER_JIT_CALIB_H
#define QCC_DRIVER_JIT_CALIB_H

#include "pass.h"

CalibRunner *jit_calib_runner_create(void);
void jit_calib_runner_destroy(CalibRunner *r);

#endif
