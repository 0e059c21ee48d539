#!/usr/bin/env bash
# Builds build-device/: static binaries for a native AVX512-VNNI check on a
# machine that has no apt and no qcc (the device tool's lent host), plus the
# expected results computed here, and build-device/device.sh to run there:
#   - examples/app linked with yolo_style compiled for avx512vnni; its
#     outputs on the 4 held-out inputs must be byte-identical to the int8
#     interpreter's (computed here);
#   - the two detector apps (examples/detectors) compiled for avx512vnni;
#     their detections must equal those of the same binaries run here.
# Needs: build/qcc, examples/detectors/run.sh's output folder (RUN_DIR,
# default /tmp/det) for the imported models and calibration photos, and a
# CPU with AVX512-VNNI here for the expected detections.
#   tools/vnni_device_bundle.sh [RUN_DIR]; then run build-device/device.sh there
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-/tmp/det}"
D=build-device
Q=build/qcc
Y=examples/yolo_style
rm -rf $D && mkdir -p $D
$Q compile $Y/model.yaml -o $D/yolo --quant=static --calib images=$Y/calib.npy --target avx512vnni
cc -O2 -static -I$D/yolo -Iruntime -o $D/yolo_app examples/app/app.c examples/app/npy_io.c \
   runtime/*.c $D/yolo/yolo_style.o -lm -pthread
for k in 0 1 2 3; do
  $Q run $Y/model.yaml --quant=static --calib images=$Y/calib.npy \
     --input images=$Y/inputs/images_$k.npy --output-dir $D/ref$k >/dev/null 2>&1
  cp $Y/inputs/images_$k.npy $D/
done
for m in tiny_face nanodet; do
  $Q compile "$run/models/$m/model.yaml" -o $D/$m --name $m --target avx512vnni --quant=static \
     --calib-images "$run/calib/$m" --preprocess "$(cat examples/detectors/$m.recipe)"
done
make -s -C examples/detectors TINY_FACE_DIR="$PWD/$D/tiny_face" NANODET_DIR="$PWD/$D/nanodet" \
     OUT="$PWD/$D/apps" LDFLAGS=-static
cp "${QCC_SHARED:-$(dirname "$PWD")/shared}"/images/{astronaut.png,grace_hopper.jpg,camera.png} "$(tools/fetch_photos.sh)"/{dog,kite,person}.jpg $D/
(cd $D && ./apps/tiny_face_app astronaut.png grace_hopper.jpg camera.png | sed 's/ in [0-9.]* ms//' > expect_tiny_face.txt &&
          ./apps/nanodet_app dog.jpg kite.jpg person.jpg | sed 's/ in [0-9.]* ms//' > expect_nanodet.txt)
rm -rf $D/yolo $D/tiny_face $D/nanodet
cat > $D/device.sh <<'SH'
#!/bin/bash
# Runs on the lent machine; results go to $OUT.
cd "$(dirname "$0")"
grep -o -m1 'avx512_vnni' /proc/cpuinfo || { echo "no avx512_vnni on this CPU"; exit 3; }
grep -m1 'model name' /proc/cpuinfo
rc=0
for k in 0 1 2 3; do
  ./yolo_app images_$k.npy "$OUT/y$k" > /dev/null || rc=1
  for o in p3 p4; do
    cmp "$OUT/y$k/$o.npy" ref$k/$o.npy && echo "yolo_style input $k $o: byte-identical to the int8 interpreter" || rc=1
  done
done
./apps/tiny_face_app astronaut.png grace_hopper.jpg camera.png --repeat 20 | tee "$OUT/tf.txt"
./apps/nanodet_app dog.jpg kite.jpg person.jpg --repeat 20 | tee "$OUT/nd.txt"
./apps/nanodet_app dog.jpg --repeat 20 --threads 8
diff <(sed 's/ in [0-9.]* ms//' "$OUT/tf.txt") expect_tiny_face.txt && echo "tiny_face detections identical" || rc=1
diff <(sed 's/ in [0-9.]* ms//' "$OUT/nd.txt") expect_nanodet.txt && echo "nanodet detections identical" || rc=1
echo "device check rc=$rc"; exit $rc
SH
chmod +x $D/device.sh
echo "built $D (run: device tool, carry $D, command: bash $D/device.sh)"
