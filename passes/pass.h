/* Pass registry and pipeline. A pass is a record (name, summary, run); the
 * pipeline is a comma-separated string of pass names, e.g.
 * "canonicalize" or "fold-batch-norm,fold-constants,dce", run in order.
 * Each pass file opens with what it requires and what it preserves. */
#ifndef QCC_PASS_H
#define QCC_PASS_H

#include "ir.h"

typedef struct Pass {
  const char *name;
  const char *summary;
  /* Rewrites g in place; returns 0, or -1 with a Diag. *changed (may be
   * NULL) tells whether anything was rewritten. */
  int (*run)(Graph *g, bool *changed, Diag *d);
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
 * naming it (checked before anything runs). Empty string: no passes. */
int pass_pipeline_run(Graph *g, const char *pipeline,
                      const PipelineOptions *opts, Diag *d);

/* The passes, for callers that run one directly. */
int pass_fold_batch_norm(Graph *g, bool *changed, Diag *d);
int pass_fold_constants(Graph *g, bool *changed, Diag *d);
int pass_dce(Graph *g, bool *changed, Diag *d);
int pass_canonicalize(Graph *g, bool *changed, Diag *d);

#endif
