#!/usr/bin/env bash
# The fuzz smoke (ctest fuzz/smoke): builds every libFuzzer harness in
# tools/fuzz/ with clang and runs each for 30 s from its fixed seed corpus
# (tools/fuzz/seeds.sh, copied fresh, -seed=1), then the ONNX importer's
# mutation smoke for 30 s; any finding fails it. Skips (77) when clang
# cannot build a libFuzzer program (tools/setup.sh installs clang and
# libclang-rt-14-dev). tools/fuzz/run.sh NAME runs one target for longer.
# Usage: tests/fuzz/smoke.sh [WORKDIR (default build-fuzz/smoke)] [QCC]
#   QCC, when given, is what the importer checks its output with.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$src/build-fuzz/smoke} qcc=${2:-}
secs=${QCC_FUZZ_SMOKE_SECONDS:-30}
mkdir -p "$work" && work=$(cd "$work" && pwd)

if ! command -v clang >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer,address - -o "$work/probe" 2>/dev/null; then
  echo "skipped: clang with libFuzzer not installed (tools/setup.sh installs" \
       "clang and libclang-rt-14-dev)"
  exit 77
fi

build=$work/build
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$src/tools/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang \
    >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
fi
ninja -C "$build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

ran=0 failed=()
for h in "$src"/tools/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c) name=${name#fuzz_}
  corpus=$work/corpus/$name wdir=$work/work/$name found=$work/findings/$name
  rm -rf "$corpus" "$corpus.dict" "$wdir" "$found"
  mkdir -p "$found"
  "$src/tools/fuzz/seeds.sh" "$name" "$corpus" "$wdir" || exit 1
  start=$SECONDS
  if QCC_FUZZ_WORKDIR=$wdir UBSAN_OPTIONS=print_stacktrace=1 \
     "$build/fuzz_$name" -max_total_time="$secs" -seed=1 -timeout=10 \
       -dict="$corpus.dict" -artifact_prefix="$found/" "$corpus" \
       >"$work/$name.log" 2>&1; then
    echo "fuzz smoke: $name: $(grep -oE 'Done [0-9]+ runs' "$work/$name.log" |
      tail -1) in $((SECONDS - start)) s, no finding"
  else
    echo "fuzz smoke: $name: FINDING (log $work/$name.log; input in $found):"
    # The harness's or sanitizer's words, and the stack inside the repository.
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz:)| in .* $src/" \
      "$work/$name.log" | head -20
    failed+=("$name")
  fi
  ran=$((ran + 1))
done

onnx_args=(--time "$secs" --seed 1 --work "$work/work/onnx_import"
           --findings "$work/findings/onnx_import")
[ -n "$qcc" ] && onnx_args+=(--qcc "$qcc")
rm -rf "$work/work/onnx_import" "$work/findings/onnx_import"
/usr/bin/python3 "$src/tools/fuzz/fuzz_onnx_import.py" "${onnx_args[@]}" \
  >"$work/onnx_import.log" 2>&1
rc=$?
case $rc in
0) echo "fuzz smoke: $(head -1 "$work/onnx_import.log"), no finding"
   ran=$((ran + 1)) ;;
77) echo "fuzz smoke: onnx_import: $(cat "$work/onnx_import.log")" ;;
*) echo "fuzz smoke: onnx_import: FINDING:"; cat "$work/onnx_import.log"
   failed+=(onnx_import); ran=$((ran + 1)) ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke: $ran targets ran, findings in: ${failed[*]}"
  exit 1
fi
echo "fuzz smoke: $ran targets ran ${secs} s each, no findings"
