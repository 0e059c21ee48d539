#!/usr/bin/env python3
"""Latency of the YOLO-style example (or another example), side by side in
one run: compiled int8 vs compiled float vs the reference interpreters,
median of N runs each, on 1 and 2 threads, and the ratios.

usage: bench/latency.py [--qcc build/qcc] [--runs 50] [--target avx2]
                        [EXAMPLE (default yolo_style)]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def median_ms(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    # qcc-exec prints µs below 1 ms, qcc run --repeat always ms.
    m = re.search(r"median ([0-9.]+) (ms|µs)", r.stdout)
    if not m:
        sys.exit("no timing in: %s" % r.stdout)
    return float(m.group(1)) / (1000.0 if m.group(2) == "µs" else 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcc", default=os.path.join(ROOT, "build", "qcc"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--target", default="avx2")
    ap.add_argument("example", nargs="?", default="yolo_style")
    a = ap.parse_args()
    qexec = os.path.join(os.path.dirname(a.qcc), "qcc-exec")
    d = os.path.join(ROOT, "examples", a.example)
    m = yaml.safe_load(open(os.path.join(d, "model.yaml")))
    inp = m["inputs"][0]["name"]
    x = os.path.join(d, "inputs", sorted(os.listdir(os.path.join(d, "inputs")))[0])
    calib = ["--calib", "%s=%s" % (inp, os.path.join(d, "calib.npy"))]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, q in (("f32", []), ("int8", ["--quant=static"] + calib)):
            r = subprocess.run([a.qcc, "compile", os.path.join(d, "model.yaml"), "-o",
                                os.path.join(tmp, kind), "--name", "m_" + kind,
                                "--target", a.target] + q, capture_output=True, text=True)
            if r.returncode:
                sys.exit(r.stderr)
        rows = {}
        for kind in ("f32", "int8"):
            for th in (1, 2):
                rows[(kind, th)] = median_ms([
                    qexec, os.path.join(tmp, kind, "libm_%s.so" % kind),
                    "--input", "%s=%s" % (inp, x), "--output-dir", os.path.join(tmp, "o"),
                    "--repeat", str(a.runs), "--threads", str(th)])
        interp_runs = max(5, a.runs // 10)
        rows[("interp f32", 1)] = median_ms([
            a.qcc, "run", os.path.join(d, "model.yaml"), "--input", "%s=%s" % (inp, x),
            "--output-dir", os.path.join(tmp, "i"), "--repeat", str(interp_runs)])
        rows[("interp int8", 1)] = median_ms([
            a.qcc, "run", os.path.join(d, "model.yaml"), "--input", "%s=%s" % (inp, x),
            "--output-dir", os.path.join(tmp, "i"), "--repeat", str(interp_runs),
            "--quant=static"] + calib)
    print("%s on %s (target %s): median latency, %d runs (interpreters: %d)" %
          (a.example, os.uname().machine, a.target, a.runs, interp_runs))
    print("%-22s %8s %10s %14s" % ("code", "threads", "ms", "vs int8 1T"))
    base = rows[("int8", 1)]
    for (kind, th), ms in rows.items():
        name = {"f32": "compiled f32", "int8": "compiled int8"}.get(kind, "reference " + kind[7:])
        print("%-22s %8d %10.3f %13.2fx" % (name, th, ms, ms / base))
    print("int8 speed-up over f32: %.2fx (1 thread), %.2fx (2 threads)" %
          (rows[("f32", 1)] / rows[("int8", 1)], rows[("f32", 2)] / rows[("int8", 2)]))


if __name__ == "__main__":
    main()
