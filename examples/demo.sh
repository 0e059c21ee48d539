#!/usr/bin/env bash
# The main job on the bundled YOLO-style example, with what qcc can do
# today: verify and summarize the model, show the canonicalized IR's shape,
# run it with the float reference interpreter on a held-out input, and
# compare the result with the independent NumPy reference.
# (Calibration, int8 lowering and native compilation come with the
# quantization and backend work; this script grows with them.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/qcc ] || tools/setup.sh
qcc=build/qcc
python=/usr/bin/python3
[ -x "$python" ] || python=python3
m=examples/yolo_style
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== qcc check $m/model.yaml"
$qcc check $m/model.yaml

echo
echo "== qcc opt --passes=canonicalize (batch_norm folded into conv)"
$qcc print $m/model.yaml > "$out/before.qir"
$qcc opt "$out/before.qir" --passes=canonicalize --verify-each > "$out/after.qir"
echo "nodes before: $(grep -c '^  %' "$out/before.qir"), after: $(grep -c '^  %' "$out/after.qir")"

echo
echo "== qcc run (float reference interpreter) on a held-out input"
$qcc run $m/model.yaml --input images=$m/inputs/images_0.npy --output-dir "$out/run"
for o in p3 p4; do
  printf '%s vs NumPy reference: ' "$o"
  "$python" tools/npy_compare.py "$out/run/$o.npy" "$m/reference/${o}_0.npy" --max-rel 1e-4
done
