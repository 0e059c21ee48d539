/* The checks every pass that reads calibration samples makes first, so that
 * calibrate, correct-bias and the report refuse the same sets with the same
 * words. Non-finite samples are refused rather than skipped: the observers
 * could skip them, but bias correction and the report's SQNR average over
 * whole tensors, and a NaN there reaches float-to-int conversions. */
#include "pass.h"

#include <math.h>

int calib_set_check(const Graph *g, const CalibSet *cs, const char *pass,
                    Diag *d) {
  SrcLoc where = srcloc(g->source_path, 0, 0);
  if (!cs || cs->num_samples <= 0)
    return diag_error(d, where, "%s needs calibration data (--calib "
                                "NAME=FILE.npy for every input)", pass);
  if (cs->num_inputs != g->num_inputs)
    return diag_error(d, where, "calibration data has %d inputs, the model %d",
                      cs->num_inputs, g->num_inputs);
  for (int k = 0; k < g->num_inputs; k++) {
    int64_t numel = ir_tensor_numel(g->inputs[k]);
    const float *x = cs->inputs[k];
    for (int64_t i = 0; i < numel * cs->num_samples; i++)
      if (!isfinite(x[i]))
        return diag_error(d, where,
                          "calibration sample %lld of input '%s' holds %s at "
                          "element %lld: calibration data must be finite",
                          (long long)(i / numel), g->inputs[k]->name,
                          isnan(x[i]) ? "NaN" : "an infinity",
                          (long long)(i % numel));
  }
  return 0;
}
