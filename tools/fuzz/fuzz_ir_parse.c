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
  fuzz_require_ir_round_trip(g);
  ir_graph_destroy(g);
  return 0;
}
