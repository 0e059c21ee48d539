/* libFuzzer harness for the textual IR parser: any input must either parse
 * or fail with a Diag (never crash), and whatever parses must print, parse
 * again and print identically. Build and run: tools/fuzz/run.sh ir_parse */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Diag d;
  diag_clear(&d);
  Graph *g = ir_parse((const char *)data, size, "f.qir", &d);
  if (!g) {
    fuzz_require_diag(&d);
    return 0;
  }
  char *a = ir_print(g);
  if (!a)
    abort();
  Diag d2;
  diag_clear(&d2);
  Graph *g2 = ir_parse(a, strlen(a), "f2.qir", &d2);
  if (!g2) {
    char buf[QCC_DIAG_MSG_MAX + 300];
    fprintf(stderr, "fuzz: printed IR does not parse back: %s\n%s\n",
            diag_format(&d2, buf, sizeof buf), a);
    abort();
  }
  char *b = ir_print(g2);
  if (!b || strcmp(a, b) != 0) {
    fprintf(stderr, "fuzz: print(parse(print(g))) != print(g):\n%s\n---\n%s\n", a,
            b ? b : "(null)");
    abort();
  }
  free(a);
  free(b);
  ir_graph_destroy(g2);
  ir_graph_destroy(g);
  return 0;
}
