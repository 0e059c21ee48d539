/* qcc opt FILE --passes=...: run a pipeline over textual IR and print the
 * result; the workhorse of the IR-level pass tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "fileio.h"
#include "output_set.h"
#include "pass.h"
#include "quant_cli.h"

static void opt_help(FILE *out) {
  fprintf(out,
          "usage: qcc opt FILE.qir|MODEL.yaml --passes=P1,P2,... [options]\n\n"
          "Parses the input, runs the passes in order, and prints the IR.\n\n"
          "options:\n"
          "  --passes=LIST       comma-separated pass names (may be empty)\n"
          "  --print-after-all   print the IR to stderr after every pass\n"
          "  --verify-each       verify the IR after every pass\n"
          "  -o FILE             write the result to FILE (atomically)\n\n"
          "Pass options (insert-observers, calibrate, fold-scales,\n"
          "lower-int8) are the quantization options below.\n\n%s\n"
          "passes:\n", quant_cli_help);
  int n;
  const Pass *const *list = pass_list(&n);
  for (int i = 0; i < n; i++)
    fprintf(out, "  %-17s %s\n", list[i]->name, list[i]->summary);
}

static void print_after(void *user, const Pass *p, const Graph *g) {
  (void)user;
  char *text = ir_print(g);
  fprintf(stderr, "// ----- IR after %s -----\n%s", p->name, text ? text : "");
  free(text);
}

int cmd_opt(int argc, char **argv) {
  const char *input = NULL, *passes = NULL, *output = NULL;
  PipelineOptions opts = {0};
  QuantCli qc = {0};
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    int q = quant_cli_option(&qc, argc, argv, &i, "opt");
    if (q < 0)
      return 1;
    if (q > 0)
      continue;
    if (driver_is_help(argv[i])) {
      opt_help(stdout);
      return 0;
    } else if ((v = driver_option(argc, argv, &i, "--passes", &missing))) {
      passes = v;
    } else if ((v = driver_option(argc, argv, &i, "-o", &missing))) {
      output = v;
    } else if (missing) {
      return driver_usage_error("opt", "option '%s' needs a value", argv[i]);
    } else if (strcmp(argv[i], "--print-after-all") == 0) {
      opts.after = print_after;
    } else if (strcmp(argv[i], "--verify-each") == 0) {
      opts.verify_each = true;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return driver_usage_error("opt", "unknown option '%s'", argv[i]);
    } else if (input) {
      return driver_usage_error("opt", "more than one input file");
    } else {
      input = argv[i];
    }
  }
  if (!input) {
    opt_help(stderr);
    return 1;
  }
  Graph *g = driver_load_model(input);
  if (!g)
    return 1;
  Diag d;
  diag_clear(&d);
  PassContext ctx;
  QuantLog log = {0};
  CalibData calib = {0};
  int rc = quant_cli_setup(&qc, g, &ctx, &calib, false, "opt");
  ctx.log = &log;
  if (!rc && passes && pass_pipeline_run(g, passes, &ctx, &opts, &d)) {
    driver_report(&d);
    rc = 1;
  }
  calib_data_free(&calib);
  quant_log_free(&log);
  char *text = rc ? NULL : ir_print(g);
  if (!rc && output) {
    /* Through an output set, like every other output: -o creates its
     * folder, and a failure leaves nothing. */
    OutputSet *outputs = output_set_create();
    if (output_set_write(outputs, output, text, strlen(text), &d)) {
      output_set_abort(outputs);
      rc = 1;
    } else {
      rc = output_set_commit(outputs, &d) ? 1 : 0;
    }
    if (rc)
      driver_report(&d);
  } else if (!rc) {
    fputs(text, stdout);
  }
  free(text);
  ir_graph_destroy(g);
  return rc;
}
