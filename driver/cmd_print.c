/* qcc print MODEL: the model as textual IR (docs/ir.md). */
#include <stdio.h>
#include <stdlib.h>

#include "driver.h"

int cmd_print(int argc, char **argv) {
  if (argc != 2 || driver_is_help(argv[1])) {
    FILE *out = argc == 2 ? stdout : stderr;
    fprintf(out, "usage: qcc print MODEL.yaml|FILE.qir\n\n"
                 "Prints the verified model as textual IR (see docs/ir.md);\n"
                 "the output parses back with 'qcc opt'.\n");
    return argc == 2 ? 0 : 1;
  }
  Graph *g = driver_load_model(argv[1]);
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
