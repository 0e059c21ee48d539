/* libFuzzer harness for the YAML model loader (frontend_parse_yaml): any
 * input must load or fail with a Diag, and a loaded graph must survive the
 * textual IR round trip (print, parse, print the same text).
 *
 * `file:` constants resolve against the folder of the name given, here
 * $QCC_FUZZ_WORKDIR (run.sh fills it with the seeds' .npy files so that the
 * examples load whole) or else this process's empty scratch folder: relative
 * paths never reach into the repository or the current folder. The loader
 * only reads, so an absolute path the fuzzer spells out costs nothing.
 * Build and run: tools/fuzz/run.sh yaml_model */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "harness.h"

static const char *model_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = getenv("QCC_FUZZ_WORKDIR");
  if (!dir || !dir[0])
    dir = fuzz_scratch_dir();
  static char path[4096];
  snprintf(path, sizeof path, "%s/model.yaml", dir);
  model_path = path;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Diag d;
  diag_clear(&d);
  Graph *g = frontend_parse_yaml((const char *)data, size, model_path, &d);
  if (!g) {
    fuzz_require_diag(&d);
    return 0;
  }
  fuzz_require_ir_round_trip(g);
  ir_graph_destroy(g);
  return 0;
}
