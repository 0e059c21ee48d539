#!/usr/bin/env python3
"""The ops the layout pass runs on NHWC besides convs and max-pools (split,
qadd, qmul, lut, concat, resize), compiled and compared byte for byte with the int8
interpreter.

One model: conv 3->12 (relu) -> split [5, 7] on channels -> add of the
first part and a 1x1 conv of the second back to 5 channels -> sigmoid (a
lut) -> mul with the first part -> concat of that, the second part and the
first conv's result (24 channels, 5 + 7 + 12: no multiple of any vector)
-> max-pool 2x2 -> bilinear resize x2 -> nearest resize to 7 x 9 -> conv
24->9 1x1 (the graph output). Every u8 value
between the first conv and the last is NHWC (the compile must report 11),
compiled for avx2 (1 and 2 threads), generic, avx512vnni-emulated and, where
the CPU has it, avx512vnni, each also with --layout=nchw.

usage: layout_ops.py QCC QCC_EXEC
"""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_matrix as cm  # noqa: E402

NHWC_VALUES = 11  # c0, s0, s1, p1, a, g, m, cat, pool, up, near

MODEL = """format: 1
name: cmx
inputs:
  - {name: x, shape: [2, 3, 9, 11]}
outputs: [y]
constants:
%s
nodes:
  - {name: c0, op: conv2d, inputs: [x, c0.w, c0.b], outputs: [c0_out], attrs: {padding: [1, 1, 1, 1]}}
  - {name: c0_relu, op: relu, inputs: [c0_out], outputs: [c0_r]}
  - {name: sp, op: split, inputs: [c0_r], outputs: [s0, s1], attrs: {axis: 1, sizes: [5, 7]}}
  - {name: c1, op: conv2d, inputs: [s1, c1.w, c1.b], outputs: [p1]}
  - {name: add, op: add, inputs: [s0, p1], outputs: [a]}
  - {name: sig, op: sigmoid, inputs: [a], outputs: [g]}
  - {name: mul, op: mul, inputs: [g, s0], outputs: [m]}
  - {name: cat, op: concat, inputs: [m, s1, c0_r], outputs: [cat], attrs: {axis: 1}}
  - {name: pool, op: maxpool2d, inputs: [cat], outputs: [pool], attrs: {kernel: [2, 2]}}
  - {name: up, op: resize, inputs: [pool], outputs: [up], attrs: {scale: [2, 2], mode: bilinear}}
  - {name: near, op: resize, inputs: [up], outputs: [near], attrs: {size: [7, 9]}}
  - {name: c2, op: conv2d, inputs: [near, c2.w, c2.b], outputs: [y]}
"""


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    R = cm.Runner(sys.argv[1], sys.argv[2])
    rng = np.random.default_rng(7)
    d = tempfile.mkdtemp(prefix="layout_ops.")
    consts = []
    for name, shape in (("c0", (12, 3, 3, 3)), ("c1", (5, 7, 1, 1)), ("c2", (9, 24, 1, 1))):
        w = (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)
        b = (0.2 * rng.standard_normal(shape[0])).astype(np.float32)
        np.save(os.path.join(d, name + ".w.npy"), w)
        np.save(os.path.join(d, name + ".b.npy"), b)
        consts.append("  %s.w: {dtype: f32, shape: %s, file: %s.w.npy}" % (name, cm.fmt(shape), name))
        consts.append("  %s.b: {dtype: f32, shape: [%d], file: %s.b.npy}" % (name, shape[0], name))
    model = os.path.join(d, "model.yaml")
    with open(model, "w") as f:
        f.write(MODEL % "\n".join(consts))
    calib = os.path.join(d, "calib")
    os.makedirs(calib)
    for s in range(2):
        np.save(os.path.join(calib, "s%d.npy" % s), rng.standard_normal((2, 3, 9, 11)).astype(np.float32))
    inp = os.path.join(d, "input.npy")
    np.save(inp, rng.standard_normal((2, 3, 9, 11)).astype(np.float32))
    calib_args = ["--quant=static", "--calib", "x=" + calib]
    fails = []
    rc, log = R.run([R.qcc, "run", model] + calib_args + ["--input", "x=" + inp, "--output-dir", os.path.join(d, "ref")])
    if rc or "nothing stayed in f32" not in log:
        sys.exit("FAIL interpreter: " + log.strip())
    ref = os.path.join(d, "ref", "y.npy")
    if len(np.unique(np.load(ref))) < 3:
        sys.exit("FAIL interpreter: degenerate reference output")
    targets = ["avx2", "generic", "avx512vnni-emulated"]
    flags = open("/proc/cpuinfo").read().split()
    if "avx512_vnni" in flags and "avx512bw" in flags:
        targets.append("avx512vnni")
    else:
        print("avx512vnni: skipped, the CPU lacks avx512_vnni")
    runs = 0
    for t in targets:
        for lay in ("nhwc", "nchw"):
            od = os.path.join(d, "%s_%s" % (t, lay))
            rc, log = R.run([R.qcc, "compile", model, "-o", od, "--name", "cmx", "--target", t,
                             "--layout=" + lay] + calib_args)
            want = "; %d activations NHWC;" % (NHWC_VALUES if lay == "nhwc" else 0)
            if rc or want not in log or "nothing stayed in f32" not in log:
                fails.append("%s %s: compile: %s" % (t, lay, log.strip()[-400:]))
                continue
            for th in (["1", "2"] if t == "avx2" else ["1"]):
                eo = os.path.join(d, "out_%s_%s_%s" % (t, lay, th))
                rc, log = R.run([R.qexec, os.path.join(od, "libcmx.so"), "--input", "x=" + inp,
                                 "--output-dir", eo, "--threads", th])
                why = log.strip() if rc else cm.compare(os.path.join(eo, "y.npy"), ref)
                runs += 1
                if why:
                    fails.append("%s %s (%s threads): %s" % (t, lay, th, why))
    for f in fails:
        print("FAIL " + f)
    print("%d runs, %d failed" % (runs, len(fails)))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
