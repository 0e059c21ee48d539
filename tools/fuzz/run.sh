#!/usr/bin/env bash
# Builds and runs one libFuzzer harness with clang (ASan + UBSan).
# Usage: tools/fuzz/run.sh ir_parse [libFuzzer options, e.g. -max_total_time=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1; shift
out=build-fuzz; mkdir -p "$out/corpus-$name"
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Iir -Ifrontend \
  "tools/fuzz/fuzz_$name.c" ir/*.c frontend/*.c -lyaml -lm -o "$out/fuzz_$name"
exec "$out/fuzz_$name" "$out/corpus-$name" "$@"
