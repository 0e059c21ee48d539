/* Pass registry and pipeline. A pass is a record (name, summary, run); the
 * pipeline is a comma-separated string of pass names, e.g.
 * "canonicalize" or "fold-batch-norm,fold-constants,dce", run in order.
 * Each pass file opens with what it requires and what it preserves. */
#ifndef QCC_PASS_H
#define QCC_PASS_H

#include "calib.h"
#include "ir.h"
#include "quant_log.h"

/* Calibration samples: for graph input i, inputs[i] holds num_samples
 * consecutive tensors of that input's shape (f32). Not owned. */
typedef struct CalibSet {
  int num_samples;
  int num_inputs;
  const float *const *inputs;
} CalibSet;

/* 0 when cs has samples for every input of g and every value is finite;
 * else -1 with a Diag naming the sample, the input and the element. */
int calib_set_check(const Graph *g, const CalibSet *cs, const char *pass,
                    Diag *d);

typedef void (*PassProgress)(void *user, int done, int total);

/* Runs the observed graph natively during calibration (the driver builds
 * one on the backend's JIT); without one, calibrate uses the reference
 * interpreter. prepare() sees the observed graph once; run() computes one
 * sample and points observed[k] at the values of the k-th distinct tensor
 * that observe nodes watch, in node order (valid until the next run). */
typedef struct CalibRunner {
  void *user;
  int (*prepare)(void *user, const Graph *g, Diag *d);
  int (*run)(void *user, const float *const *inputs, const float **observed,
             Diag *d);
  void (*finish)(void *user);
} CalibRunner;

/* Options and results shared by the passes of one pipeline. Passes read
 * only the fields that concern them; pass_context_init sets the defaults. */
typedef struct PassContext {
  /* insert-observers */
  ObserverKind observer;
  int bins;
  /* calibrate */
  const CalibSet *calib;
  RangeOptions range;
  const CalibRunner *runner; /* may be NULL: the interpreter */
  PassProgress progress; /* may be NULL */
  void *progress_user;
  /* fold-scales */
  bool per_tensor_weights;
  /* lower-int8: node-name globs kept in f32 */
  const char *const *keep_float;
  int num_keep_float;
  /* lower-int8: node names the --max-drop search keeps in f32, and why */
  const char *const *auto_keep;
  int num_auto_keep;
  const char *auto_keep_reason;
  /* every pass that decides precision records why here (may be NULL) */
  QuantLog *log;
} PassContext;

void pass_context_init(PassContext *ctx);

/* Whether node n is to stay in f32: it matches a --keep-float glob or the
 * --max-drop search chose it. Every pass that treats such nodes
 * differently asks this one function. */
bool pass_kept_float(const PassContext *ctx, const Node *n);

typedef struct Pass {
  const char *name;
  const char *summary;
  /* Rewrites g in place; returns 0, or -1 with a Diag. *changed (may be
   * NULL) tells whether anything was rewritten. */
  int (*run)(Graph *g, PassContext *ctx, bool *changed, Diag *d);
} Pass;

/* All registered passes, in registry order. */
const Pass *const *pass_list(int *count);
const Pass *pass_find(const char *name);

typedef void (*PassAfterHook)(void *user, const Pass *p, const Graph *g);

typedef struct PipelineOptions {
  bool verify_each;      /* run ir_verify after every pass */
  PassAfterHook after;   /* called after every pass (--print-after-all) */
  void *user;
} PipelineOptions;

/* Runs the comma-separated pipeline. An unknown pass name is an error
 * naming it (checked before anything runs). Empty string: no passes.
 * ctx may be NULL (defaults). */
int pass_pipeline_run(Graph *g, const char *pipeline, PassContext *ctx,
                      const PipelineOptions *opts, Diag *d);

/* The passes, for callers that run one directly. */
int pass_fold_batch_norm(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_fold_constants(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_dce(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_fold_transposes(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_lower_conv_transpose(Graph *g, PassContext *ctx, bool *changed,
                              Diag *d);
int pass_canonicalize(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_insert_observers(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_calibrate(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_fold_scales(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_equalize(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_correct_bias(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_lower_int8(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_quantize_dynamic(Graph *g, PassContext *ctx, bool *changed, Diag *d);
int pass_layout(Graph *g, PassContext *ctx, bool *changed, Diag *d);

#endif
