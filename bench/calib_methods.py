#!/usr/bin/env python3
"""Output SQNR of each calibration method on the bundled examples, side by
side: on the calibration set (from qcc's report) and on the held-out inputs
(qcc run --quant=static vs the float reference outputs), plus the effect
of turning bias correction and equalization off.

usage: bench/calib_methods.py [--qcc build/qcc] [EXAMPLE ...]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
METHODS = ["minmax", "percentile:99.99", "percentile:99.999", "entropy", "mse"]
VARIANTS = [("default", []), ("no bias corr.", ["--no-bias-correction"]),
            ("equalize", ["--equalize"])]


def model_io(example):
    import yaml
    m = yaml.safe_load(open(os.path.join(ROOT, "examples", example, "model.yaml")))
    return m["inputs"][0]["name"], m["outputs"]


def measure(qcc, example, extra, tmp):
    d = os.path.join(ROOT, "examples", example)
    inp, outs = model_io(example)
    held = sorted(os.listdir(os.path.join(d, "inputs")))
    sig = err = 0.0
    calib_db = None
    for i, f in enumerate(held):
        outdir = os.path.join(tmp, "%s_%d" % (example, i))
        report = os.path.join(tmp, "r.json")
        cmd = [qcc, "run", os.path.join(d, "model.yaml"), "--quant=static",
               "--calib", "%s=%s" % (inp, os.path.join(d, "calib.npy")),
               "--input", "%s=%s" % (inp, os.path.join(d, "inputs", f)),
               "--output-dir", outdir] + extra
        if i == 0:
            cmd += ["--report", report]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            sys.exit("qcc failed: %s\n%s" % (" ".join(cmd), r.stderr))
        if i == 0:
            calib_db = json.load(open(report))["output_sqnr_db"]
        k = f[:-len(".npy")].split("_")[-1]
        for o in outs:
            ref = np.load(os.path.join(d, "reference", "%s_%s.npy" % (o, k))).astype(np.float64)
            q = np.load(os.path.join(outdir, o + ".npy")).astype(np.float64)
            sig += (ref ** 2).sum()
            err += ((q - ref) ** 2).sum()
    return calib_db, 10 * np.log10(sig / err) if err > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", default=os.path.join(ROOT, "build", "qcc"))
    ap.add_argument("examples", nargs="*",
                    default=["simple_linear", "lenet", "yolo_style"])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for ex in a.examples:
            print("\n%s: output SQNR (dB), int8 vs f32" % ex)
            print("%-18s %-15s %12s %10s" % ("method", "variant", "calibration", "held-out"))
            for m in METHODS:
                for vname, vflags in VARIANTS:
                    if vname != "default" and m != "minmax":
                        continue
                    c, h = measure(a.qcc, ex, ["--calib-method", m] + vflags, tmp)
                    print("%-18s %-15s %12.2f %10.2f" % (m, vname, c, h))


if __name__ == "__main__":
    main()
