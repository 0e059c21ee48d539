#!/usr/bin/python3
"""Writes the tiny model of quant_pinned.test and its data into DIR:

    quant_pinned_model.py DIR [--no-quant]

DIR/model.yaml: x [1, 2, 4, 4] -> conv2d 'conv' (1x1, 3 output channels)
-> c -> relu 'act' -> r -> maxpool2d 'pool' 2x2 -> p (output), with a
`quant:` section pinning c (u8 0.05:100), r (u8 0.02:0) and the weight w
(i8 per channel, scales 0.01 0.02 0.03); --no-quant leaves the section out
(the same model, calibrated everywhere). The weights are exact multiples of
their pinned scales (codes 50 -30 | 20 50 | -20 30).
DIR/calib.npy: 4 samples [4, 1, 2, 4, 4] of evenly spaced values covering
exactly [-1, 3], so the input's calibrated (minmax) parameters are
scale 4/255 = 0.015686275, zero point rne(1 / scale) = rne(63.75) = 64.
DIR/input.npy: one of those samples.
"""

import os
import sys

import numpy as np

MODEL = """format: 1
name: pinned
inputs:
  - {name: x, shape: [1, 2, 4, 4]}
outputs: [p]
constants:
  w: {dtype: f32, shape: [3, 2, 1, 1], data: [0.5, -0.3, 0.4, 1.0, -0.6, 0.9]}
  b: {dtype: f32, shape: [3], data: [0.1, -0.2, 0.3]}
nodes:
  - {name: conv, op: conv2d, inputs: [x, w, b], outputs: [c]}
  - {name: act, op: relu, inputs: [c], outputs: [r]}
  - {name: pool, op: maxpool2d, inputs: [r], outputs: [p], attrs: {kernel: [2, 2]}}
"""

QUANT = """quant:
  c: {dtype: u8, scale: 0.05, zero_point: 100}
  r: {dtype: u8, scale: 0.02, zero_point: 0}
  w: {dtype: i8, axis: 0, scale: [0.01, 0.02, 0.03], zero_point: 0}
"""


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.yaml"), "w") as f:
        f.write(MODEL if "--no-quant" in argv else MODEL + QUANT)
    values = np.linspace(-1.0, 3.0, 4 * 32, dtype=np.float32)
    calib = np.resize(values, (4, 1, 2, 4, 4)).astype(np.float32)
    assert calib.min() == -1.0 and calib.max() == 3.0
    np.save(os.path.join(out, "calib.npy"), calib)
    np.save(os.path.join(out, "input.npy"), calib[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
