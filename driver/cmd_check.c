/* qcc check MODEL: parse, verify, and summarize a model. */
#include <stdio.h>

#include "driver.h"
#include "options.h"
#include "stats.h"

static void print_tensor_line(const char *what, const Tensor *t) {
  char s[128];
  printf("  %-7s %s : %s%s\n", what, t->name, dtype_name(t->dtype),
         ir_shape_str(t->rank, t->dims, s, sizeof s));
}

static void print_bytes(const char *label, int64_t b) {
  if (b >= 1 << 20)
    printf("%s%.2f MiB (%lld bytes)\n", label, (double)b / (1 << 20),
           (long long)b);
  else
    printf("%s%.1f KiB (%lld bytes)\n", label, (double)b / 1024, (long long)b);
}

static const OptSpec check_options[] = {
    OPT_SPEC_HELP,
    {0},
};

static void check_help(FILE *out) {
  fprintf(out, "usage: qcc check MODEL.yaml|MODEL.onnx|FILE.qir\n\n"
               "Parses and verifies the model (shapes, types, attributes, no\n"
               "cycles), then prints its interface and a summary: nodes per op,\n"
               "parameters, multiply-accumulates (MACs) of conv2d and linear,\n"
               "and activation memory (all values, and the peak alive at once\n"
               "when nodes run in order). Exit status 1 on any error.\n");
  fprintf(out, "\n");
  opt_print_table(out, "options:", check_options);
  fprintf(out, "\n");
  opt_print_table(out, "ONNX models:", driver_import_options);
}

int cmd_check(int argc, char **argv) {
  static const OptSpec *const tables[] = {check_options,
                                          driver_import_options, NULL};
  const char *model = NULL;
  OptParser p;
  opt_init(&p, "check", argc, argv, tables);
  for (int id; (id = opt_next(&p)) != OPT_END;) {
    if (id == OPT_ERROR)
      return 1;
    if (id == OPT_HELP_ID) {
      check_help(stdout);
      return 0;
    }
    int taken = driver_import_option("check", id, p.value);
    if (taken < 0)
      return 1;
    if (taken)
      continue;
    if (model) /* OPT_ARG */
      return driver_usage_error("check", "more than one model");
    model = p.value;
  }
  if (!model) {
    check_help(stderr);
    return 1;
  }
  Graph *g = driver_load_model("check", model);
  if (!g)
    return 1;
  GraphStats s;
  ir_graph_stats(g, &s);
  printf("model %s: ok\n", g->name);
  for (int i = 0; i < g->num_inputs; i++)
    print_tensor_line("input", g->inputs[i]);
  for (int i = 0; i < g->num_outputs; i++)
    print_tensor_line("output", g->outputs[i]);
  printf("nodes: %d\n", g->num_nodes);
  for (int op = 0; op < OP_COUNT; op++)
    if (s.ops[op])
      printf("  %-15s %d\n", op_info((OpKind)op)->name, s.ops[op]);
  printf("parameters: %lld\n", (long long)s.params);
  print_bytes("parameter memory: ", s.param_bytes);
  printf("MACs: %lld (%.3f M)\n", (long long)s.macs, (double)s.macs / 1e6);
  print_bytes("activation memory (all values): ", s.activation_bytes);
  print_bytes("activation memory (peak live): ", s.peak_live_bytes);
  ir_graph_destroy(g);
  return 0;
}
