#!/usr/bin/env bash
# qcc against oneDNN and ONNX Runtime on this machine, in one command:
# installs what is missing (apt's libdnnl-dev; npm's onnxruntime-node,
# --ignore-scripts, into build-peers/ort), then runs bench/peers/peers.py
# at nice 10: the six YOLO-style conv layers, yolo_style and the two real
# detectors, qcc int8/f32 against oneDNN int8/f32 (default ISA, capped at
# AVX512_CORE_VNNI and at AVX2) and ONNX Runtime int8 (QLinearConv, QDQ)
# and f32, on 1 and 2 threads, with a peak microbenchmark in the same run.
# docs/performance.md has the last full run and how to read it.
#
# usage: bench/peers.sh [--rounds 3] [--runs 20] [--warmup 5] [--quick] [--fresh]
#                       [--work DIR] [--raw FILE] [--report-only]
#   --quick    layers (a) and (b) and yolo_style only, for development
#   --fresh    prepare (compile, export, calibrate) again even if nothing changed
# Needs build/qcc (a release build) and the shared folder's detectors
# ($QCC_SHARED, else ../shared next to the repository).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$root/build/qcc" ] && [ -f "$root/build/libqcc_runtime.a" ] || {
  echo "peers.sh: build/qcc or build/libqcc_runtime.a missing: build first (README.md, 'Building by hand')" >&2; exit 1; }
if [ ! -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  echo "peers.sh: installing libdnnl-dev (oneDNN's C API)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y libdnnl-dev >&2
  else sudo apt-get install -y libdnnl-dev >&2; fi
fi
export QCC_ORT_DIR="${QCC_ORT_DIR:-$root/build-peers/ort}"
nice -n 10 "$root/bench/ort_setup.sh" >/dev/null
exec nice -n 10 /usr/bin/python3 "$root/bench/peers/peers.py" "$@"
