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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chain_case  # noqa: E402

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


CONVS = (("c0", (12, 3, 3, 3)), ("c1", (5, 7, 1, 1)), ("c2", (9, 24, 1, 1)))


def check_log(lay, log):
    want = "; %d activations NHWC;" % (NHWC_VALUES if lay == "nhwc" else 0)
    return None if want in log else "no '%s' in: %s" % (want, log.strip()[-400:])


if __name__ == "__main__":
    chain_case.main(__doc__, 7, MODEL, CONVS, (2, 3, 9, 11), ("y",), "cmx", check_log)
