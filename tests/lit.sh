#!/usr/bin/env bash
# A small lit: runs every "RUN:" line of a test file through bash with
# pipefail, after substituting
#   %s   the test file          %S  its folder
#   %qcc-exec  tools/qcc_exec.c's binary, next to %qcc
#   %t   a fresh scratch path   %qcc  the driver    FileCheck  llvm's FileCheck
#   %{src} the source tree root   %python  Debian's python3 (with numpy)
# "not CMD" inverts CMD's status but still fails when CMD died of a signal,
# so a crash never passes as an expected error. A RUN line that exits 77
# skips the test (ctest reports it as skipped, with the line's message):
# only for tests that need hardware this machine lacks, or the detectors'
# data of the shared folder ($QCC_SHARED, default ../shared).
# Usage: lit.sh TEST QCC FILECHECK TMPROOT
set -u
test_file=$1 qcc=$2 filecheck=$3 tmproot=$4
dir=$(cd "$(dirname "$test_file")" && pwd)
src_root=$(cd "$(dirname "$0")/.." && pwd)
rel=${test_file#"$src_root"/}
tmp="$tmproot/$(echo "$rel" | tr '/' '_')"
rm -rf "$tmp" "$tmp".*
mkdir -p "$tmproot"

not() {
  "$@"
  local rc=$?
  if [ $rc -ge 128 ]; then
    echo "lit: '$*' died of signal $((rc - 128))" >&2
    return 1
  fi
  [ $rc -ne 0 ]
}
export -f not

# Debian's interpreter carries python3-numpy; a python3 earlier on PATH
# (pyenv, venv) may not.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

n=0
while IFS= read -r line; do
  cmd=${line#*RUN:}
  cmd=${cmd//%qcc-exec/${qcc%/*}/qcc-exec}
  cmd=${cmd//%qcc/$qcc}
  cmd=${cmd//%\{src\}/$src_root}
  cmd=${cmd//%python/$python}
  cmd=${cmd//%s/$test_file}
  cmd=${cmd//%S/$dir}
  cmd=${cmd//%t/$tmp}
  cmd=${cmd//FileCheck/$filecheck}
  n=$((n + 1))
  echo "RUN[$n]: $cmd"
  (cd "$dir" && bash -o pipefail -c "$cmd")
  rc=$?
  if [ $rc -eq 77 ]; then
    echo "lit: SKIPPED: $test_file (RUN line $n asked to skip; see its output)"
    exit 77
  fi
  if [ $rc -ne 0 ]; then
    echo "lit: FAILED: $test_file (RUN line $n)"
    exit 1
  fi
done < <(grep -E '(#|//|;) *RUN:' "$test_file")
if [ $n -eq 0 ]; then
  echo "lit: no RUN line in $test_file"
  exit 1
fi
echo "lit: PASSED: $test_file ($n RUN lines)"
