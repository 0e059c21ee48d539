/* Quantization options shared by the subcommands that quantize (`run`,
 * `opt`, later `compile`): parsing, calibration data loading, and the
 * one-paragraph summary of what stayed in float and why. */
#ifndef QCC_QUANT_CLI_H
#define QCC_QUANT_CLI_H

#include <stdbool.h>

#include "options.h"
#include "output_set.h"
#include "pass.h"

#define QUANT_CLI_MAX 64

typedef struct QuantCli {
  const char *mode; /* "none" (default), "static" */
  const char *calib[QUANT_CLI_MAX]; /* NAME=PATH */
  int num_calib;
  const char *calib_images[QUANT_CLI_MAX]; /* [NAME=]DIR of photos */
  int num_calib_images;
  const char *preprocess; /* recipe for the photos (frontend/image.h) */
  const char *calib_method; /* minmax, percentile:P, entropy, mse */
  const char *calib_engine; /* jit (default), interp */
  const char *observer;     /* minmax, moving-minmax, histogram */
  int bins;
  const char *keep_float[QUANT_CLI_MAX];
  int num_keep_float;
  bool per_tensor_weights;
  const char *report; /* FILE.md or FILE.json */
  const char *save_profile, *load_profile;
  /* Cross-layer equalization; auto: only with per-tensor weights. */
  enum { EQUALIZE_AUTO, EQUALIZE_ON, EQUALIZE_OFF } equalize;
  bool no_bias_correction;
  double max_drop; /* --max-drop: minimum output SQNR in dB; 0 = off */
  /* The command's output set: the report and a saved profile are staged
   * into it, so they appear with the command's other outputs or not at
   * all. Set by the command before quant_cli_quantize. */
  OutputSet *outputs;
  /* quant_graph_hash of the model as loaded, set by the command: the one
   * hash the header, the report and profiles carry. */
  char source_hash[17];
  int source_nodes; /* nodes of the model as loaded (as `qcc check` counts) */
} QuantCli;

/* The quantization options (ids from QUANT_CLI_FIRST_ID on), for the
 * subcommands' parsers (options.h) and their --help. */
#define QUANT_CLI_FIRST_ID 100
extern const OptSpec quant_cli_options[];

/* Applies option `id` from quant_cli_options with value v (NULL for a
 * flag): returns 1; 0 when id is not one of them; -1 on a bad value
 * (printed as "qcc SUB: error: bad value ..."). */
int quant_cli_apply(QuantCli *q, int id, const char *v, const char *sub);

/* Settles what the options mean together, after parsing (compile, run):
 * calibration options without --quant imply --quant=static (said on
 * stderr); with --quant=none or dynamic they are refused, as are
 * --calib-images without --preprocess and --load-profile without the
 * calibration data bias correction needs. Prints errors; returns 0 or 1. */
int quant_cli_resolve(QuantCli *q, const char *sub);

/* Calibration samples loaded for a graph (owned arrays). */
typedef struct CalibData {
  CalibSet set;
  float **arrays;
  CalibRunner *runner; /* the JIT runner, when used */
} CalibData;

/* Fills ctx from the options and loads the calibration data for g's inputs
 * (every input needs one --calib when need_calib or any --calib is given).
 * Prints errors; returns 0 or 1. */
int quant_cli_setup(const QuantCli *q, const Graph *g, PassContext *ctx,
                    CalibData *data, bool need_calib, const char *sub);
void calib_data_free(CalibData *data);

/* Runs the static quantization pipeline on g (in place), printing the
 * progress and the summary to stderr. Returns 0 or 1 (error printed). */
int quant_cli_quantize(const QuantCli *q, Graph *g, PassContext *ctx,
                       const char *sub);

#endif
