#!/usr/bin/env bash
# Installs npm's onnxruntime-node (ONNX Runtime's CPU build for Node.js) into
# a cache folder, once, and prints that folder. bench/ort_run.js loads it
# from there. Idempotent: does nothing when it is already installed.
#
# usage: bench/ort_setup.sh        (folder: ${QCC_ORT_DIR:-$HOME/.cache/qcc/ort})
#
# --ignore-scripts: the package's install script downloads extra binaries
# from nuget, which is unreachable here; the CPU binary ships in the package.
set -euo pipefail
dir="${QCC_ORT_DIR:-$HOME/.cache/qcc/ort}"
if [ ! -d "$dir/node_modules/onnxruntime-node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "ort_setup: npm not found (install Node.js 18+ and npm)" >&2; exit 1; }
    mkdir -p "$dir"
    log="$dir/npm-install.log"
    if ! npm install --ignore-scripts --no-audit --no-fund --prefix "$dir" onnxruntime-node >"$log" 2>&1; then
        echo "ort_setup: npm install onnxruntime-node failed (see $log)" >&2
        exit 1
    fi
fi
echo "$dir"
