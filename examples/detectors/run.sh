#!/usr/bin/env bash
# The two real detectors end to end: ONNX import -> int8 compile with
# calibration on photos -> the C apps -> detections printed and drawn.
#
#   examples/detectors/run.sh [OUT_DIR]      (default: a temporary folder)
#
# The models and most photos are not in this repository: they come from
# the shared folder, $QCC_SHARED if set, else ../shared next to the
# repository root (its models/ and images/; README.md here).
# Calibration photos are never evaluation photos:
#   tiny_face_detector  calibrates on the darknet photos plus the face-less
#                       photos of SHARED/images; runs on the three faces
#                       (astronaut, grace_hopper, camera)
#   nanodet_g           calibrates on SHARED/images; runs on the darknet
#                       photos (Debian's darknet package, fetched here)
# Both are compiled twice, f32 and int8, so the two sets of detections can
# be read side by side; PNGs with the boxes go to OUT_DIR/png, as
# <photo>_f32.png and <photo>_int8.png.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${QCC_SHARED:-$(dirname "$root")/shared}"
for f in models/tiny_face_detector/model.onnx models/nanodet_g/model.onnx \
    images/{astronaut.png,grace_hopper.jpg,camera.png,chelsea.png,coffee.png,rocket.jpg,text.png,hubble_deep_field.jpg}; do
  [ -e "$shared/$f" ] && continue
  if [ -n "${QCC_SHARED:-}" ]; then where="QCC_SHARED=$shared"
  else where="$shared (../shared next to the repository; QCC_SHARED is not set)"; fi
  echo "run.sh: error: no $f in $where: set QCC_SHARED to the folder that holds the detectors' models/ and images/ (examples/detectors/README.md)" >&2
  exit 1
done
[ -x "$root/build/qcc" ] || "$root/tools/setup.sh"
qcc="$root/build/qcc"
out="${1:-}"
if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
darknet=$("$root/tools/fetch_photos.sh")

# Calibration and evaluation sets, as folders of links.
mkdir -p "$out/calib/tiny_face" "$out/calib/nanodet" "$out/eval/tiny_face" "$out/eval/nanodet"
for p in "$darknet"/*.jpg "$shared"/images/{chelsea.png,coffee.png,rocket.jpg,text.png,hubble_deep_field.jpg}; do
  ln -sf "$p" "$out/calib/tiny_face/"
done
for p in "$shared"/images/*.png "$shared"/images/*.jpg; do ln -sf "$p" "$out/calib/nanodet/"; done
for p in astronaut.png grace_hopper.jpg camera.png; do ln -sf "$shared/images/$p" "$out/eval/tiny_face/"; done
for p in "$darknet"/*.jpg; do ln -sf "$p" "$out/eval/nanodet/"; done

declare -A onnx=([tiny_face]=tiny_face_detector [nanodet]=nanodet_g)
for m in tiny_face nanodet; do
  echo "== $m: import ${onnx[$m]}/model.onnx, compile f32 and int8 (calibrated on $(ls "$out/calib/$m" | wc -l) photos)"
  mkdir -p "$out/models/$m"
  "$qcc" import "$shared/models/${onnx[$m]}/model.onnx" -o "$out/models/$m/model.yaml"
  recipe=$(cat "$here/$m.recipe")
  "$qcc" compile "$out/models/$m/model.yaml" -o "$out/f32/$m" --name "$m" --target native
  "$qcc" compile "$out/models/$m/model.yaml" -o "$out/int8/$m" --name "$m" --target native \
      --quant=static --calib-images "$out/calib/$m" --preprocess "$recipe"
done

for v in f32 int8; do
  make -s -C "$here" TINY_FACE_DIR="$out/$v/tiny_face" NANODET_DIR="$out/$v/nanodet" OUT="$out/$v/apps"
done
mkdir -p "$out/png"
for m in tiny_face nanodet; do
  echo
  echo "== $m on photos it was not calibrated on: f32, then int8 (PNGs: $out/png/<photo>_f32.png, _int8.png)"
  "$out/f32/apps/${m}_app" "$out/eval/$m"/* -o "$out/png"
  "$out/int8/apps/${m}_app" "$out/eval/$m"/* -o "$out/png"
done
echo
echo "bench/accuracy.py measures the difference (SQNR, matched detections, ONNX Runtime's int8)."
