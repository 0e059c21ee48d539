#!/usr/bin/env python3
"""Blocked convs that store their results straight into their slice of a
channel concat's output, and convs that read such a slice as their input
(kernel_concat_slice), compiled and compared byte for byte with the int8
interpreter.

One model, batch 2 (the pixel index runs over both images): convs of the
input a (3->17, 3x3, relu: a partial block), b (24: one block and a half
on a 16-lane step, three on avx2), c (5), e (64: the wide output stage
that narrows four blocks of one pixel at once), f (16: the single block
whose unsliced store packs four pixels together, which a slice must not
do) and h (7); then concat(a, c, b, e, f, hp, h) on channels (17 + 5 + 24
+ 64 + 16 + 7 + 7 = 140) -> conv 140->9 3x3 (output y). c is also read
by conv g (5->9 3x3, padded: output z) and f by conv j (16->4 1x1: a C
that fills its step, output u), whose packs read the slice at the
concat's stride; h is also read by a max-pool (hp), which has no strided
form, so the concat copies h and hp. 5 results are stored in place (the
compile must say so). Compiled for avx2 (1 and 2 threads), generic,
avx512vnni-emulated and, where the CPU has it, avx512vnni; also with
--layout=nchw, where nothing is sliced.

usage: concat_slices.py QCC QCC_EXEC
"""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_matrix as cm  # noqa: E402

SLICED = 5
SHAPE = (2, 3, 9, 11)
CONVS = (("a", (17, 3, 3, 3)), ("b", (24, 3, 1, 1)), ("c", (5, 3, 3, 3)), ("e", (64, 3, 3, 3)),
         ("f", (16, 3, 1, 1)), ("h", (7, 3, 3, 3)), ("d", (9, 140, 3, 3)), ("g", (9, 5, 3, 3)),
         ("j", (4, 16, 1, 1)))
OUTPUTS = ("y", "z", "u")

MODEL = """format: 1
name: cat
inputs:
  - {name: x, shape: [2, 3, 9, 11]}
outputs: [y, z, u]
constants:
%s
nodes:
  - {name: a, op: conv2d, inputs: [x, a.w, a.b], outputs: [a_out], attrs: {padding: [1, 1, 1, 1]}}
  - {name: a_relu, op: relu, inputs: [a_out], outputs: [a_r]}
  - {name: b, op: conv2d, inputs: [x, b.w, b.b], outputs: [b_out]}
  - {name: c, op: conv2d, inputs: [x, c.w, c.b], outputs: [c_out], attrs: {padding: [1, 1, 1, 1]}}
  - {name: e, op: conv2d, inputs: [x, e.w, e.b], outputs: [e_out], attrs: {padding: [1, 1, 1, 1]}}
  - {name: f, op: conv2d, inputs: [x, f.w, f.b], outputs: [f_out]}
  - {name: h, op: conv2d, inputs: [x, h.w, h.b], outputs: [h_out], attrs: {padding: [1, 1, 1, 1]}}
  - {name: hp, op: maxpool2d, inputs: [h_out], outputs: [hp], attrs: {kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1]}}
  - {name: cat, op: concat, inputs: [a_r, c_out, b_out, e_out, f_out, hp, h_out], outputs: [cat], attrs: {axis: 1}}
  - {name: d, op: conv2d, inputs: [cat, d.w, d.b], outputs: [y], attrs: {padding: [1, 1, 1, 1]}}
  - {name: g, op: conv2d, inputs: [c_out, g.w, g.b], outputs: [z], attrs: {padding: [1, 1, 1, 1]}}
  - {name: j, op: conv2d, inputs: [f_out, j.w, j.b], outputs: [u]}
"""


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    R = cm.Runner(sys.argv[1], sys.argv[2])
    rng = np.random.default_rng(11)
    d = tempfile.mkdtemp(prefix="concat_slices.")
    consts = []
    for name, shape in CONVS:
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
        np.save(os.path.join(calib, "s%d.npy" % s), rng.standard_normal(SHAPE).astype(np.float32))
    inp = os.path.join(d, "input.npy")
    np.save(inp, rng.standard_normal(SHAPE).astype(np.float32))
    calib_args = ["--quant=static", "--calib", "x=" + calib]
    rc, log = R.run([R.qcc, "run", model] + calib_args + ["--input", "x=" + inp, "--output-dir", os.path.join(d, "ref")])
    if rc or "nothing stayed in f32" not in log:
        sys.exit("FAIL interpreter: " + log.strip())
    refs = {o: os.path.join(d, "ref", o + ".npy") for o in OUTPUTS}
    for o, r in refs.items():
        if len(np.unique(np.load(r))) < 3:
            sys.exit("FAIL interpreter: degenerate reference output " + o)
    targets = ["avx2", "generic", "avx512vnni-emulated"]
    flags = open("/proc/cpuinfo").read().split()
    if "avx512_vnni" in flags and "avx512bw" in flags:
        targets.append("avx512vnni")
    else:
        print("avx512vnni: skipped, the CPU lacks avx512_vnni")
    fails, runs = [], 0
    for t in targets:
        for lay in ("nhwc", "nchw"):
            od = os.path.join(d, "%s_%s" % (t, lay))
            rc, log = R.run([R.qcc, "compile", model, "-o", od, "--name", "cat", "--target", t,
                             "--layout=" + lay] + calib_args)
            sliced = "; %d conv results stored in their concat's output;" % SLICED
            if rc or "nothing stayed in f32" not in log or (lay == "nhwc") != (sliced in log) or \
                    (lay == "nchw" and "stored in" in log):
                fails.append("%s %s: compile: %s" % (t, lay, log.strip()[-400:]))
                continue
            for th in (["1", "2"] if t == "avx2" else ["1"]):
                eo = os.path.join(d, "out_%s_%s_%s" % (t, lay, th))
                rc, log = R.run([R.qexec, os.path.join(od, "libcat.so"), "--input", "x=" + inp,
                                 "--output-dir", eo, "--threads", th])
                runs += 1
                for o, r in refs.items():
                    why = log.strip() if rc else cm.compare(os.path.join(eo, o + ".npy"), r)
                    if why:
                        fails.append("%s %s (%s threads) %s: %s" % (t, lay, th, o, why))
    for f in fails:
        print("FAIL " + f)
    print("%d runs, %d failed" % (runs, len(fails)))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
