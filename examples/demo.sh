#!/usr/bin/env bash
# The main job on the bundled YOLO-style example: compile it to a native
# int8 library with calibration (static post-training quantization), build
# the example app against it, run it on a held-out input, and show what
# happened: what was quantized, the accuracy against float, the speed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/qcc ] && [ -x build/qcc-exec ] || tools/setup.sh
qcc=build/qcc
python=/usr/bin/python3
[ -x "$python" ] || python=python3
m=examples/yolo_style
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== the model"
$qcc check $m/model.yaml

echo
echo "== qcc compile --quant=static (calibrated on $m/calib.npy: 32 images)"
$qcc compile $m/model.yaml -o "$out/int8" --quant=static \
    --calib images=$m/calib.npy --target native
sed -n '1,9p' "$out/int8/yolo_style.report.md"

echo
echo "== build examples/app against it (shared library) and run on a held-out image"
make -s -C examples/app MODEL_DIR="$out/int8" OUT="$out/app" >/dev/null
"$out/app/yolo_app-shared" $m/inputs/images_0.npy "$out/run"

echo
echo "== int8 vs float (NumPy reference), and vs the int8 reference interpreter"
for o in p3 p4; do
  printf '%s vs float: ' "$o"
  "$python" tools/npy_compare.py "$out/run/$o.npy" "$m/reference/${o}_0.npy" --min-sqnr 20 | grep -o 'SQNR [0-9.]* dB' | head -1
done
$qcc run $m/model.yaml --quant=static --calib images=$m/calib.npy \
    --input images=$m/inputs/images_0.npy --output-dir "$out/interp" 2>/dev/null
cmp "$out/run/p3.npy" "$out/interp/p3.npy" && cmp "$out/run/p4.npy" "$out/interp/p4.npy" &&
  echo "compiled int8 outputs are bit-identical to the int8 interpreter's"

echo
echo "== speed: int8 vs f32, the same model compiled both ways (median of 50 runs, this machine)"
$qcc compile $m/model.yaml -o "$out/f32" --name yolo_f32 --target native 2>/dev/null
speed() { build/qcc-exec "$1" --input images=$m/inputs/images_0.npy --output-dir "$out/x" --repeat 50; }
int8_line=$(speed "$out/int8/libyolo_style.so")
f32_line=$(speed "$out/f32/libyolo_f32.so")
printf '%s\n%s\n' "$int8_line" "$f32_line"
# qcc-exec prints "median T ms" or, below a millisecond, "median T µs".
us() { sed -n 's/.*median \([0-9.]*\) \(ms\|µs\).*/\1 \2/p' <<<"$1" | awk '{ print $2 == "ms" ? $1 * 1000 : $1 }'; }
awk -v i="$(us "$int8_line")" -v f="$(us "$f32_line")" \
  'BEGIN { if (i > 0 && f > 0) printf("int8 is %.2fx %s than f32\n", (f >= i) ? f / i : i / f, (f >= i) ? "faster" : "slower"); else { print "demo: no median time in the qcc-exec lines above"; exit 1 } }'
