/* qcc print MODEL: the model as textual IR (docs/ir.md). */
#include <stdio.h>
#include <stdlib.h>

#include "driver.h"
#include "options.h"

static const OptSpec print_options[] = {
    OPT_SPEC_HELP,
    {0},
};

static void print_help(FILE *out) {
  fprintf(out, "usage: qcc print MODEL.yaml|MODEL.onnx|FILE.qir\n\n"
               "Prints the verified model as textual IR (see docs/ir.md);\n"
               "the output parses back with 'qcc opt'.\n");
  fprintf(out, "\n");
  opt_print_table(out, "options:", print_options);
  fprintf(out, "\n");
  opt_print_table(out, "ONNX models:", driver_import_options);
}

int cmd_print(int argc, char **argv) {
  static const OptSpec *const tables[] = {print_options,
                                          driver_import_options, NULL};
  const char *model = NULL;
  OptParser p;
  opt_init(&p, "print", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    if (id == OPT_ERROR)
      return 1;
    if (id == OPT_HELP_ID) {
      print_help(stdout);
      return 0;
    }
    int taken = driver_import_option("print", id, p.value);
    if (taken < 0)
      return 1;
    if (taken)
      continue;
    if (model) /* OPT_ARG */
      return driver_usage_error("print", "more than one model");
    model = p.value;
  }
  if (!model) {
    print_help(stderr);
    return 1;
  }
  Graph *g = driver_load_model("print", model);
  if (!g)
    return 1;
  char *text = ir_print(g);
  if (!text) {
    ir_graph_destroy(g);
    return driver_usage_error("print", "out of memory");
  }
  fputs(text, stdout);
  free(text);
  ir_graph_destroy(g);
  return 0;
}
