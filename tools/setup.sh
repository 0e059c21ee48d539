#!/usr/bin/env bash
# Installs what qcc needs from Debian's apt (only what is missing, so a
# second run does nothing) and builds qcc into build/.
# Usage: tools/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  gcc make cmake ninja-build          # build
  llvm-19-dev llvm-19-tools           # LLVM C API; FileCheck for the tests
  libyaml-dev libcmocka-dev           # frontend; unit tests
  libstb-dev                          # photos: stb_image (calibration, apps)
  python3 python3-numpy python3-yaml  # example/golden generators, NumPy references
  valgrind pkg-config                 # tests/backend: app.test (valgrind), cmake_package.test (.pc)
  python3-onnx libonnx-testdata       # qcc import (frontend/onnx/); ONNX conformance (tests/onnx)
  python3-torch                       # the exporter-made corpus (tests/corpus: torch.onnx.export)
  clang libclang-rt-14-dev            # fuzz targets (-fsanitize=fuzzer: tools/fuzz, tests/fuzz/smoke.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

if [ "${1:-}" != "--no-build" ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQCC_WERROR=ON >/dev/null
  ninja -C build
  echo "setup: built build/qcc"
fi
