/* qcc opt FILE --passes=...: run a pipeline over textual IR and print the
 * result; the workhorse of the IR-level pass tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "fileio.h"
#include "options.h"
#include "output_set.h"
#include "pass.h"
#include "quant_cli.h"

enum { ID_PASSES = 2, ID_PRINT_AFTER_ALL, ID_VERIFY_EACH, ID_OUTPUT };

static const OptSpec opt_options[] = {
    {"--passes", "LIST", "comma-separated pass names (may be empty)",
     ID_PASSES, 0, NULL},
    {"--print-after-all", NULL, "print the IR to stderr after every pass",
     ID_PRINT_AFTER_ALL, 0, NULL},
    {"--verify-each", NULL, "verify the IR after every pass", ID_VERIFY_EACH,
     0, NULL},
    {"-o", "FILE", "write the result to FILE (atomically)", ID_OUTPUT, 0,
     NULL},
    OPT_SPEC_HELP,
    {0},
};

static void opt_help(FILE *out) {
  fprintf(out,
          "usage: qcc opt FILE.qir|MODEL.yaml|MODEL.onnx --passes=P1,P2,... [options]\n\n"
          "Parses the input, runs the passes in order, and prints the IR.\n\n");
  opt_print_table(out, "options:", opt_options);
  fprintf(out, "\nPass options (insert-observers, calibrate, fold-scales,\n"
               "lower-int8) are the quantization options below.\n\n");
  opt_print_table(out, "quantization:", quant_cli_options);
  fprintf(out, "\n");
  opt_print_table(out, "ONNX models:", driver_import_options);
  fprintf(out, "\npasses:\n");
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
  static const OptSpec *const tables[] = {opt_options, quant_cli_options,
                                          driver_import_options, NULL};
  OptParser p;
  opt_init(&p, "opt", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    switch (id) {
    case OPT_ERROR:
      return 1;
    case OPT_HELP_ID:
      opt_help(stdout);
      return 0;
    case ID_PASSES:
      passes = p.value;
      break;
    case ID_OUTPUT:
      output = p.value;
      break;
    case ID_PRINT_AFTER_ALL:
      opts.after = print_after;
      break;
    case ID_VERIFY_EACH:
      opts.verify_each = true;
      break;
    case OPT_ARG:
      if (input)
        return driver_usage_error("opt", "more than one input file");
      input = p.value;
      break;
    default: {
      int taken = driver_import_option("opt", id, p.value);
      if (taken < 0 || (!taken && quant_cli_apply(&qc, id, p.value, "opt") < 0))
        return 1;
    }
    }
  }
  if (!input) {
    opt_help(stderr);
    return 1;
  }
  Graph *g = driver_load_model("opt", input);
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
