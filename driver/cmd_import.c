/* qcc import MODEL.onnx -o OUT.yaml [...]: converts an ONNX model to the
 * YAML model format (plus .npy weights in OUT.weights/) with the importer
 * script, under the first Python that has python3-onnx and python3-numpy
 * (onnx_input.c finds both; docs/onnx.md). The script checks its result
 * with this very qcc (`--check-with`), so an import that qcc could not
 * load writes nothing, and prints its own one-line errors. */
#include "driver.h"

int cmd_import(int argc, char **argv) {
  return driver_run_importer("import", argc - 1, argv + 1);
}
