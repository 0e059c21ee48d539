#!/usr/bin/env bash
# Builds one fuzz target with clang (libFuzzer, ASan + UBSan) into
# build-fuzz/ and runs it on build-fuzz/corpus/NAME, which starts from the
# fixed seeds (tools/fuzz/seeds.sh) and keeps what the fuzzer adds; findings
# go to build-fuzz/findings/NAME/. The repository is never written.
# Usage: tools/fuzz/run.sh NAME [libFuzzer options, e.g. -max_total_time=600]
#   NAME: ir_parse yaml_model npy profile recipe, or onnx_import (the Python
#   importer's mutation smoke; it takes -max_total_time=N and -seed=N).
#   BUILD_FUZZ=DIR builds and works in DIR instead of build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { sed -n 2,9p "$0" >&2; exit 2; }
name=$1; shift
out=$(mkdir -p "${BUILD_FUZZ:-build-fuzz}" && cd "${BUILD_FUZZ:-build-fuzz}" && pwd)

if [ "$name" = onnx_import ]; then
  args=()
  for a in "$@"; do
    case $a in
    -max_total_time=*) args+=(--time "${a#*=}") ;;
    -seed=*) args+=(--seed "${a#*=}") ;;
    *) echo "run.sh: onnx_import takes -max_total_time=N and -seed=N only" >&2
       exit 2 ;;
    esac
  done
  exec /usr/bin/python3 tools/fuzz/fuzz_onnx_import.py --work "$out/work/onnx_import" \
    --findings "$out/findings/onnx_import" "${args[@]}"
fi

[ -f "tools/fuzz/fuzz_$name.c" ] || { echo "run.sh: no target '$name'" >&2; exit 2; }
if [ ! -f "$out/build.ninja" ]; then
  cmake -G Ninja -S tools/fuzz -B "$out" -DCMAKE_C_COMPILER=clang >/dev/null
fi
ninja -C "$out" "fuzz_$name" >/dev/null

corpus=$out/corpus/$name work=$out/work/$name
tools/fuzz/seeds.sh "$name" "$corpus" "$work"
mkdir -p "$out/findings/$name" "$work"
QCC_FUZZ_WORKDIR=$work exec "$out/fuzz_$name" -dict="$corpus.dict" \
  -artifact_prefix="$out/findings/$name/" "$corpus" "$@"
