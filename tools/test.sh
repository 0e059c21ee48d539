#!/usr/bin/env bash
# Runs every test (cmocka units, FileCheck IR tests, bad-input cases,
# NumPy goldens, end-to-end examples) on a build with warnings as errors
# and AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-build
cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQCC_WERROR=ON -DASAN=ON >/dev/null
ninja -C build-asan
# allocator_may_return_null: a model that declares a tensor too large to
# allocate must get its one-line error under ASan too, not an ASan abort.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j2 "$@"
