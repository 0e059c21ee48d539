/* The pass registry and the pipeline runner behind `qcc opt --passes=`. */
#include "pass.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const Pass passes[] = {
    {"canonicalize",
     "fold batch_norm into conv/linear/conv_transpose, fold constant "
     "subgraphs, lower conv_transpose, fold transpose pairs, remove dead "
     "nodes (to a fixed point)",
     pass_canonicalize},
    {"fold-batch-norm", "fold batch_norm into the conv2d or linear before it",
     pass_fold_batch_norm},
    {"fold-constants", "evaluate nodes whose inputs are all constants",
     pass_fold_constants},
    {"dce", "remove nodes and constants that no output depends on", pass_dce},
    {"lower-conv-transpose",
     "conv_transpose -> conv2d over the stride's phases, their interleaving "
     "(reshape, transpose, reshape) and a slice for the padding",
     pass_lower_conv_transpose},
    {"fold-transposes",
     "transpose of a transpose: one transpose with the composed permutation, "
     "or none when it is the identity",
     pass_fold_transposes},
    {"equalize",
     "cross-layer equalization of conv2d -> relu/leaky_relu -> conv2d "
     "chains (weight ranges per channel made equal)",
     pass_equalize},
    {"insert-observers",
     "observe every f32 activation that may be quantized (graph inputs and "
     "node results)",
     pass_insert_observers},
    {"calibrate",
     "run the float graph over the calibration set and fill each observer's "
     "range",
     pass_calibrate},
    {"fold-scales",
     "turn observed ranges into u8 parameters (shared across concat and "
     "pass-through ops) and weight scales into i8 per channel",
     pass_fold_scales},
    {"correct-bias",
     "subtract the mean output shift that i8 weight rounding causes, "
     "measured on the calibration set, from each conv/linear bias",
     pass_correct_bias},
    {"lower-int8",
     "rewrite quantized conv/linear/add/mul/activations into the int8 "
     "dialect, with explicit quantize/dequantize at float boundaries",
     pass_lower_int8},
    {"quantize-dynamic",
     "dynamic quantization: linear -> dqlinear (i8 weights, run-time "
     "activation scale); everything else stays f32, and the log says why",
     pass_quantize_dynamic},
    {"layout",
     "store u8 activations NHWC between the kernels that read and write it "
     "(blocked and depthwise convs, max-pools, resizes, u8 elementwise ops, "
     "concat, split); NCHW elsewhere",
     pass_layout},
};

void pass_context_init(PassContext *ctx) {
  memset(ctx, 0, sizeof *ctx);
  ctx->observer = OBS_HISTOGRAM;
  ctx->bins = CALIB_MIN_BINS;
  ctx->range.method = RANGE_MINMAX;
  ctx->range.percentile = 99.99;
  ctx->range.num_quant_levels = 256;
}

bool pass_kept_float(const PassContext *ctx, const Node *n) {
  if (!ctx)
    return false;
  for (int i = 0; i < ctx->num_keep_float; i++)
    if (fnmatch(ctx->keep_float[i], n->name, 0) == 0)
      return true;
  for (int i = 0; i < ctx->num_auto_keep; i++)
    if (strcmp(ctx->auto_keep[i], n->name) == 0)
      return true;
  return false;
}

const Pass *const *pass_list(int *count) {
  static const Pass *list[sizeof passes / sizeof passes[0]];
  int n = (int)(sizeof passes / sizeof passes[0]);
  for (int i = 0; i < n; i++)
    list[i] = &passes[i];
  *count = n;
  return list;
}

const Pass *pass_find(const char *name) {
  for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++)
    if (strcmp(passes[i].name, name) == 0)
      return &passes[i];
  return NULL;
}

/* Splits the pipeline into pass records; NULL-terminated, malloc'd. */
static const Pass **parse_pipeline(const char *pipeline, Diag *d) {
  size_t len = strlen(pipeline);
  const Pass **out = calloc(len / 2 + 2, sizeof(Pass *));
  if (!out)
    QCC_DIE("out of memory");
  int n = 0;
  const char *p = pipeline;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t l = end ? (size_t)(end - p) : strlen(p);
    char name[64];
    if (l == 0 || l >= sizeof name) {
      diag_error(d, srcloc("--passes", 0, 0), "bad pass name in '%s'",
                 pipeline);
      free(out);
      return NULL;
    }
    memcpy(name, p, l);
    name[l] = 0;
    const Pass *pass = pass_find(name);
    if (!pass) {
      diag_error(d, srcloc("--passes", 0, 0),
                 "unknown pass '%s' (see 'qcc opt --help')", name);
      free(out);
      return NULL;
    }
    out[n++] = pass;
    p += l;
    if (*p == ',')
      p++;
  }
  return out;
}

int pass_pipeline_run(Graph *g, const char *pipeline, PassContext *ctx,
                      const PipelineOptions *opts, Diag *d) {
  const Pass **list = parse_pipeline(pipeline, d);
  if (!list)
    return -1;
  PassContext defaults;
  if (!ctx) {
    pass_context_init(&defaults);
    ctx = &defaults;
  }
  int rc = 0;
  for (int i = 0; list[i] && !rc; i++) {
    rc = list[i]->run(g, ctx, NULL, d);
    if (!rc && opts && opts->verify_each && ir_verify(g, d)) {
      /* Say which pass broke the graph: that is a compiler bug to fix. */
      char msg[QCC_DIAG_MSG_MAX];
      memcpy(msg, d->msg, sizeof msg);
      int keep = (int)sizeof d->msg - 64;
      snprintf(d->msg, sizeof d->msg, "after pass '%s': %.*s", list[i]->name,
               keep, msg);
      rc = -1;
    }
    if (!rc && opts && opts->after)
      opts->after(opts->user, list[i], g);
  }
  free(list);
  return rc;
}
