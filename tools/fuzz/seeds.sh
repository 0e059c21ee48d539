#!/usr/bin/env bash
# Copies a fuzz target's fixed seed corpus, taken from the repository's tests
# and examples, into CORPUS (a scratch folder: fuzzing writes there, never
# into the repository). For yaml_model it also fills WORKDIR with the .npy
# files the seeds name, each seed's `file:` paths rewritten to its own
# subfolder there (lenet and simple_linear both have weights/fc1.w.npy).
# It writes the target's libFuzzer dictionary to CORPUS.dict: the words its
# format knows, op and attribute names read from ir/ops.def and ir/attrs.def
# so they never go stale.
# Usage: tools/fuzz/seeds.sh NAME CORPUS [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1 corpus=$2 work=${3:-}
mkdir -p "$corpus"

# One seed: SRC copied as CORPUS/TAG (the tag keeps same-named files apart).
seed() { cp "$1" "$corpus/$2"; }
tag() { printf '%s' "$1" | tr '/' '_'; }
# Dictionary entries: each argument as one quoted word.
words() { for w in "$@"; do printf '"%s"\n' "$w"; done >> "$corpus.dict"; }
op_words() {
  sed -nE 's/^OP\([A-Z0-9_]+, *"([a-z0-9_]+)".*/"\1"/p' ir/ops.def >> "$corpus.dict"
  sed -nE 's/^ATTR_KEY\([A-Z0-9_]+, *"([a-z0-9_]+)"\).*/"\1"/p' ir/attrs.def >> "$corpus.dict"
  words f32 u8 i8 i32
}
: > "$corpus.dict"

case $name in
ir_parse)
  for f in $(find tests/bad tests/ir -name '*.qir' | sort); do
    seed "$f" "$(tag "$f")"
  done
  op_words
  words graph input const output resources "dense<[" "dense_resource<" \
    "!q.uniform<" "u8:f32" "i8:f32:0" "0x" "{" "}" "[" "]" "%" "@" "=" ":" ;;
npy)
  # The larger example inputs add length, not structure.
  for f in $(find tests/bad examples -name '*.npy' -size -65k | sort); do
    seed "$f" "$(tag "$f")"
  done
  words '\x93NUMPY' '\x01\x00' '\x02\x00' '\x03\x00' "'descr'" "'<f4'" \
    "'|i1'" "'|u1'" "'<i4'" "'>f4'" "'<f8'" "'fortran_order'" "'shape'" \
    False True "()" "(0,)" "(1, 2, 3)" ;;
yaml_model)
  [ -n "$work" ] || { echo "seeds.sh: yaml_model needs WORKDIR" >&2; exit 2; }
  mkdir -p "$work"
  for f in tests/bad/*.yaml examples/*/model.yaml tests/golden/*/model.yaml; do
    dir=$(dirname "$f") t=$(tag "$(dirname "$f")")
    mkdir -p "$work/$t"
    { grep -oE "file: *['\"]?[^,}'\" ]+" "$f" || true; } | sed -E "s/file: *['\"]?//" |
      while read -r w; do
        [ -f "$dir/$w" ] || continue
        mkdir -p "$work/$t/$(dirname "$w")"
        cp "$dir/$w" "$work/$t/$w"
      done
    sed -E "s#(file: *['\"]?)#\1$t/#g" "$f" > "$corpus/$(tag "$f")"
  done
  op_words
  words format name inputs outputs constants nodes op attrs dtype shape \
    data file quant tensor scale zero_point axis "{" "}" "[" "]" ": " "- " \
    "&a" "*a" "!!str" "1e39" "-0" ".nan" ".inf" "0x10" ;;
profile)
  for f in tests/fuzz/corpus/profile/*; do seed "$f" "$(basename "$f")"; done
  words format qcc-profile-1 model graph_hash method samples ranges minmax \
    "'" "''" '\"' '\\n' '\\x01' "[" "]" "1e39" "1e-50" "-0" ".nan" \
    ".inf" "0x10" ;;
recipe)
  # The detectors' recipe files end in a newline that their apps strip.
  for f in examples/detectors/*.recipe; do
    tr -d '\n' < "$f" > "$corpus/$(basename "$f")"
  done
  for f in tests/fuzz/corpus/recipe/*; do seed "$f" "$(basename "$f")"; done
  words size= mean= std= rgb bgr stretch pad x : , 1e39 1e-50 inf nan 0x1p4 ;;
*)
  echo "seeds.sh: unknown target '$name'" >&2; exit 2 ;;
esac
