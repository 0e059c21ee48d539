/* libFuzzer harness for the textual IR parser: any input must either parse
 * or fail with a Diag (never crash), and whatever parses must print, parse
 * again and print identically. Build and run: tools/fuzz/run.sh ir_parse */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Diag d;
  diag_clear(&d);
  Graph *g = ir_parse((const char *)data, size, "f.qir", &d);
  if (!g) {
    if (!d.has_error)
      abort(); /* failure without a diagnostic */
    return 0;
  }
  char *a = ir_print(g);
  if (!a)
    abort();
  Diag d2;
  diag_clear(&d2);
  Graph *g2 = ir_parse(a, strlen(a), "f2.qir", &d2);
  if (!g2)
    abort(); /* printed text does not parse back */
  char *b = ir_print(g2);
  if (!b || strcmp(a, b) != 0)
    abort(); /* print(parse(print(g))) != print(g) */
  free(a);
  free(b);
  ir_graph_destroy(g2);
  ir_graph_destroy(g);
  return 0;
}
