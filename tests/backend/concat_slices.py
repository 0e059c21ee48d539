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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chain_case  # noqa: E402

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


def check_log(lay, log):
    sliced = "; %d conv results stored in their concat's output;" % SLICED
    if lay == "nhwc" and sliced not in log:
        return "no '%s' in: %s" % (sliced, log.strip()[-400:])
    if lay == "nchw" and "stored in" in log:
        return "results sliced without the layout pass: " + log.strip()[-400:]
    return None


if __name__ == "__main__":
    chain_case.main(__doc__, 11, MODEL, CONVS, SHAPE, OUTPUTS, "cat", check_log)
