#!/usr/bin/python3
"""The exporter-made corpus end to end (tests/corpus/models.py): for each
model, export it with torch.onnx.export, then

  f32   `qcc compile model.onnx` and the library's output within 1e-4 of
        the output's range from ONNX Runtime's on the same input
        (bench/ort_run.js, npm's onnxruntime-node, installed by
        bench/ort_setup.sh when missing);
  int8  `qcc compile model.onnx --quant=static --calib ...` and the
        library's output byte-identical to the int8 interpreter's
        (`qcc run --quant=static`, same calibration).

    corpus.py --qcc QCC --qcc-exec EXEC --work DIR [--models A,B] [--ops]

--ops prints the ONNX ops each model uses instead (docs/onnx.md's table).
Prints a line per model; exit status 1 when any check fails.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import models  # noqa: E402  (exits 77 without python3-torch)

TOL = 1e-4  # of the output's range


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if r.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:2]),
                                                   r.returncode,
                                                   r.stdout.strip()[-2000:]))
    return r.stdout


def ort_dir():
    out = subprocess.run([os.path.join(SRC, "bench", "ort_setup.sh")],
                         stdout=subprocess.PIPE, text=True)
    if out.returncode:
        sys.exit("corpus: ONNX Runtime could not be installed "
                 "(bench/ort_setup.sh)")
    return out.stdout.strip()


def onnx_ops(path):
    import onnx
    return sorted({n.op_type for n in onnx.load(path).graph.node})


def check(name, a, work, ort_env):
    d = os.path.join(work, name)
    models.export(name, d)
    onnx_path = os.path.join(d, "model.onnx")
    x = os.path.join(d, "input.npy")
    # f32 against ONNX Runtime
    run([a.qcc, "compile", onnx_path, "-o", os.path.join(d, "f32"),
         "--name=model"])
    run([a.qcc_exec, os.path.join(d, "f32", "libmodel.so"), "--input",
         "images=" + x, "--output-dir", os.path.join(d, "f32", "out")])
    run(["node", os.path.join(SRC, "bench", "ort_run.js"), onnx_path,
         os.path.join(d, "ort"), "images=" + x], env=ort_env)
    got = np.load(os.path.join(d, "f32", "out", "output.npy"))
    want = np.load(os.path.join(d, "ort", "output.npy"))
    if got.shape != want.shape:
        return "f32 output shape %s, ONNX Runtime's %s" % (got.shape,
                                                           want.shape)
    span = float(want.max() - want.min()) or 1.0
    err = float(np.abs(got.astype(np.float64) - want).max()) / span
    if not err <= TOL:
        return "f32 differs from ONNX Runtime by %.3g of the range" % err
    # int8 against the int8 interpreter
    calib = "images=" + os.path.join(d, "calib")
    log = run([a.qcc, "compile", onnx_path, "-o", os.path.join(d, "q"),
               "--name=model", "--quant=static", "--calib", calib])
    run([a.qcc_exec, os.path.join(d, "q", "libmodel.so"), "--input",
         "images=" + x, "--output-dir", os.path.join(d, "q", "out")])
    run([a.qcc, "run", onnx_path, "--quant=static", "--calib", calib,
         "--input", "images=" + x, "--output-dir", os.path.join(d, "interp")])
    with open(os.path.join(d, "q", "out", "output.npy"), "rb") as f1, \
            open(os.path.join(d, "interp", "output.npy"), "rb") as f2:
        if f1.read() != f2.read():
            return "int8 compiled output differs from the int8 interpreter"
    lines = log.splitlines()
    at = next((i for i, l in enumerate(lines) if "nodes int8" in l), None)
    summary = "?" if at is None else " ".join(
        [lines[at].split(": ", 2)[2]] +
        [l.strip() for l in lines[at + 1:] if l.startswith("  ")][:4])
    return ("ok: f32 within %.1e of ONNX Runtime's range; int8 byte-identical "
            "to the interpreter (%s)" % (err, summary))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc")
    ap.add_argument("--qcc-exec")
    ap.add_argument("--work", default="corpus-work")
    ap.add_argument("--models", default=",".join(models.MODELS))
    ap.add_argument("--ops", action="store_true")
    a = ap.parse_args()
    names = a.models.split(",")
    if a.ops:
        for name in names:
            d = os.path.join(a.work, name)
            models.export(name, d)
            print("%s: %s" % (name, ", ".join(onnx_ops(os.path.join(d, "model.onnx")))))
        return 0
    env = dict(os.environ, QCC_ORT_DIR=ort_dir())
    bad = 0
    for name in names:
        try:
            res = check(name, a, a.work, env)
        except RuntimeError as e:
            res = "FAIL: " + str(e)
        ok = res.startswith("ok")
        bad += not ok
        print("%s: %s" % (name, res if ok else "FAIL: " + res.replace("FAIL: ", "")))
        sys.stdout.flush()
    print("corpus: %d of %d models passed" % (len(names) - bad, len(names)))
    return 1 if bad else 0


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    sys.exit(main())
