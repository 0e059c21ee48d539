#!/usr/bin/env python3
"""Edge-case matrix for the int8 conv/linear microkernels.

backend/kernels_conv_blocked.c computes every int8 conv2d (groups = 1) and
linear as register tiles of MR output pixels x NBT blocks of NR output
channels, with NR = 16 (avx512vnni, avx512vnni-emulated) or 8 (avx2,
generic), a budget of 24 / 12 / 4 accumulators (vnni / avx2 / generic;
these three numbers are read from `qcc kernels`, the kernel list),
NBT = min(ceil(O / NR), budget / 6) (at least 1; 1 for an NR = 16 conv
whose KH*KW*ceil(C/4) is at most 64), MR = min(OH*OW, budget /
NBT) over the image's pixels flattened (a tile may span output rows),
smaller tiles for the image's last pixels and the channel blocks left
over, and the input channels padded to the step's k (4 for u8, 2 for
avx2's i16 pairs).

This test generates small models (one conv2d, with or without a relu after
it; two convs in a chain; one linear on [rows, K]) whose shapes hit those
edges: O in {7, 8, 9, 15, 16, 17, 33, 65}, C in {1, 3, 5, 8, 16, 17, 33}, output
widths 1, 5, 7, 13, 25 (so that tiles span output rows and pixels mod MR != 0 on every target), strides 1
and 2, dilation 2, asymmetric and zero padding, kernels 1x1, 3x3, 1x3,
batch 2, linear rows in {1, 3, 13, 25, 29}, and checks that the chosen
tiles really leave pixel and channel-block remainders on every target.

For each case:
  - a calibration folder of 2 random f32 samples, one more input to run;
  - `qcc run --quant=static` (the int8 interpreter) gives the reference;
  - `qcc compile --quant=static` for avx2, generic, avx512vnni-emulated and,
    where /proc/cpuinfo has avx512_vnni and avx512bw, avx512vnni; the
    compile must say "nothing stayed in f32" and its report must list every
    conv2d/linear as int8, so a silent fallback to f32 cannot pass;
  - `qcc-exec` runs each library on 1 thread (avx2 also on 2), and its
    output .npy must be byte-identical to the interpreter's (both the file
    bytes and np.array_equal of the arrays).

usage: conv_matrix.py QCC QCC_EXEC [CASE ...]
Prints one line per failure ("FAIL case target: ...") and
"N passed, N failed" at the end.  CONV_MATRIX_KEEP=DIR keeps the
generated files under DIR.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

NAME = "cmx"  # library name (the model's own name would be fine, but not 'm')

# target: (NR, accumulator budget, input channels per step), read from the
# kernel list (`qcc kernels`: the blocked int8 conv form's nr, acc, k)
STEPS = {}


def kernel_rows(qcc, targets=None):
    """[(target, kernel, form, {param: int})] of `qcc kernels --format=tsv`."""
    out = subprocess.run([qcc, "kernels", "--format=tsv"], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    assert out[0].split("\t") == ["target", "kernel", "form", "params", "computes"], out[0]
    rows = []
    for line in out[1:]:
        t, kernel, form, params, _ = line.split("\t")
        if targets is None or t in targets:
            p = dict(kv.split("=") for kv in params.split())
            rows.append((t, kernel, form, {k: int(v) for k, v in p.items()}))
    return rows


def read_steps(qcc):
    for t, _, form, p in kernel_rows(qcc):
        if form.startswith("qu8_conv_minmax_fp32_ukernel_"):
            STEPS[t] = (p["nr"], p["acc"], p["k"])


def conv(O, k=(3, 3), s=(1, 1), p=(0, 0, 0, 0), d=(1, 1), relu=False, g=1, pin=None):
    """relu: False, True (a relu, fused into the clamp) or the op of an
    activation fused as a 1024-entry table (leaky_relu, which the kernels
    compute by two slopes; sigmoid, which they look up). pin: (scale,
    zero_point) fixed for the layer's result (the model's `quant`), e.g.
    a range whose low end lies below the activation's lowest value, so
    that the fused table's first code is above 0."""
    return dict(O=O, k=k, s=s, p=p, d=d, relu=relu, g=g, pin=pin)


def pool(k, s=None, p=(0, 0, 0, 0), ceil=False):
    """A u8 maxpool2d between convs (stride = kernel unless given)."""
    return dict(pool=True, k=k, s=s or k, p=p, d=(1, 1), ceil=ceil, relu=False)


ACT_ATTRS = {"leaky_relu": ", attrs: {alpha: 0.1}", "sigmoid": ""}


def act_node(name, relu, inp, out):
    op = "relu" if relu is True else relu
    return "  - {name: %s, op: %s, inputs: [%s], outputs: [%s]%s}" % (name, op, inp, out, ACT_ATTRS.get(op, ""))


def act_nodes(spec):
    """(activation node name, op) of the spec's table-fused activations."""
    if "rows" in spec:
        return [("fc_relu", spec["relu"])] if isinstance(spec["relu"], str) else []
    return [("conv%d_act" % i, L["relu"]) for i, L in enumerate(spec["layers"]) if isinstance(L["relu"], str)]


# name: dict(N, C, H, W, layers=[conv...]) or dict(rows, K, O, relu)
CASES = [
    # single conv2d
    ("o7_c3_k3_p1_w25_relu", dict(N=1, C=3, H=4, W=25, layers=[conv(7, p=(1, 1, 1, 1), relu=True)])),
    ("o8_c1_k1_w13", dict(N=1, C=1, H=3, W=13, layers=[conv(8, k=(1, 1))])),
    ("o9_c5_k3_s2_p1_w7", dict(N=1, C=5, H=9, W=13, layers=[conv(9, s=(2, 2), p=(1, 1, 1, 1))])),
    ("o15_c8_k1x3_p01_w5_relu", dict(N=1, C=8, H=3, W=5, layers=[conv(15, k=(1, 3), p=(0, 1, 0, 1), relu=True)])),
    ("o16_c17_k3_asym_w13", dict(N=1, C=17, H=5, W=11, layers=[conv(16, p=(0, 1, 2, 3))])),
    ("o17_c3_k3_d2_p2_w13_relu", dict(N=1, C=3, H=6, W=13, layers=[conv(17, p=(2, 2, 2, 2), d=(2, 2), relu=True)])),
    ("o33_c5_k1_w25", dict(N=1, C=5, H=2, W=25, layers=[conv(33, k=(1, 1))])),
    ("o33_c17_k3_s2_asym_w7_relu", dict(N=1, C=17, H=6, W=14, layers=[conv(33, s=(2, 2), p=(1, 0, 0, 1), relu=True)])),
    ("o7_c17_k1x3_d2_s2_w6", dict(N=1, C=17, H=3, W=11, layers=[conv(7, k=(1, 3), s=(2, 2), p=(0, 2, 0, 2), d=(2, 2))])),
    ("o8_c8_k3_p1_w1", dict(N=1, C=8, H=5, W=1, layers=[conv(8, p=(1, 1, 1, 1))])),
    ("o16_c1_k3_nopad_w1_relu", dict(N=1, C=1, H=4, W=3, layers=[conv(16, relu=True)])),
    ("o9_c3_k3_p1_w13_n2", dict(N=2, C=3, H=3, W=13, layers=[conv(9, p=(1, 1, 1, 1))])),
    ("o17_c8_k1_s2_w7_n2_relu", dict(N=2, C=8, H=5, W=13, layers=[conv(17, k=(1, 1), s=(2, 2), relu=True)])),
    ("o15_c1_k1x3_asym_w25", dict(N=1, C=1, H=2, W=25, layers=[conv(15, k=(1, 3), p=(1, 0, 0, 2))])),
    ("o33_c3_k3_d2_s2_p2_w5", dict(N=1, C=3, H=9, W=9, layers=[conv(33, s=(2, 2), p=(2, 2, 2, 2), d=(2, 2))])),
    ("o7_c5_k3_nopad_w5_relu", dict(N=1, C=5, H=4, W=7, layers=[conv(7, relu=True)])),
    ("o16_c5_k3_s2_asym_w13", dict(N=1, C=5, H=7, W=26, layers=[conv(16, s=(2, 2), p=(2, 1, 0, 0))])),
    ("o8_c17_k3_s21_d12_w13", dict(N=1, C=17, H=7, W=13, layers=[conv(8, s=(2, 1), p=(1, 2, 1, 2), d=(1, 2))])),
    ("o9_c1_k1_w25_relu", dict(N=1, C=1, H=3, W=25, layers=[conv(9, k=(1, 1), relu=True)])),
    ("o65_c8_k1_w25", dict(N=1, C=8, H=2, W=25, layers=[conv(65, k=(1, 1))])),
    ("o17_c5_k1x3_nopad_w5_n2", dict(N=2, C=5, H=3, W=7, layers=[conv(17, k=(1, 3))])),
    ("o15_c3_k3_p1_w1_s2", dict(N=1, C=3, H=5, W=2, layers=[conv(15, s=(2, 2), p=(1, 1, 1, 1))])),
    # the input pack's 16 x 16 blocks (backend/pack.c): C >= 16 with C mod
    # 16 != 0 (the scalar loop takes the rest), W >= 16 with W mod 16 != 0
    # (the last block overlaps), padding rows and columns, batch 2; and
    # a K long enough (9 taps x 9 steps) for the 6 x 64 zmm tile
    ("o65_c33_k3_p1_w19", dict(N=1, C=33, H=4, W=19, layers=[conv(65, p=(1, 1, 1, 1))])),
    ("o16_c16_k3_asym_w16_n2_relu", dict(N=2, C=16, H=3, W=16, layers=[conv(16, p=(0, 2, 1, 0), relu=True)])),
    # fused activation tables (backend/requant.c): leaky_relu computed by
    # two slopes, sigmoid looked up, on the zmm and ymm tiles and the NCHW
    # transpose of the output stage
    ("o17_c8_k3_p1_w13_leaky", dict(N=1, C=8, H=4, W=13, layers=[conv(17, p=(1, 1, 1, 1), relu="leaky_relu")])),
    ("o33_c5_k1_w25_sigmoid", dict(N=1, C=5, H=2, W=25, layers=[conv(33, k=(1, 1), relu="sigmoid")])),
    # depthwise (groups = C; backend/kernels_depthwise.c): vectors of 8
    # (avx2) or 16 (vnni) columns, the overlapping last vector, rows
    # narrower than a vector, stride 2, dilation, channel multiplier 2
    ("dw_c8_k3_p1_w13_relu", dict(N=1, C=8, H=5, W=13, layers=[conv(8, p=(1, 1, 1, 1), relu=True, g=8)])),
    ("dw_c5_m2_k3_s2_p1_w37", dict(N=1, C=5, H=6, W=73, layers=[conv(10, s=(2, 2), p=(1, 1, 1, 1), g=5)])),
    ("dw_c16_k3_d2_asym_w40", dict(N=1, C=16, H=6, W=40, layers=[conv(16, p=(2, 1, 2, 3), d=(2, 2), g=16)])),
    ("dw_c3_k5_p2_w7_n2_relu", dict(N=2, C=3, H=7, W=7, layers=[conv(3, k=(5, 5), p=(2, 2, 2, 2), relu=True, g=3)])),
    ("dw_c16_k3_p1_w19_leaky", dict(N=1, C=16, H=4, W=19, layers=[conv(16, p=(1, 1, 1, 1), relu="leaky_relu", g=16)])),
    ("chain_dw_pw_w21", dict(N=1, C=8, H=4, W=21, nhwc=0, layers=[
        conv(8, p=(1, 1, 1, 1), relu=True, g=8), conv(17, k=(1, 1))])),
    # two convs in a chain
    ("chain_o16_leaky_o9_sigmoid_w13", dict(nhwc=1, N=1, C=3, H=4, W=13, layers=[
        conv(16, p=(1, 1, 1, 1), relu="leaky_relu"), conv(9, k=(1, 1), relu="sigmoid")])),
    ("chain_o9_relu_o17_w13", dict(nhwc=1, N=1, C=3, H=4, W=13, layers=[
        conv(9, p=(1, 1, 1, 1), relu=True), conv(17, k=(1, 1))])),
    ("chain_o16_s2_relu_o7_k1x3_w7", dict(nhwc=1, N=1, C=5, H=6, W=14, layers=[
        conv(16, s=(2, 2), p=(0, 1, 1, 0), relu=True), conv(7, k=(1, 3), p=(0, 1, 0, 1))])),
    ("chain_o33_o15_d2_n2", dict(nhwc=1, N=2, C=8, H=5, W=25, layers=[
        conv(33, k=(1, 1)), conv(15, p=(2, 2, 2, 2), d=(2, 2), relu=True)])),
    # NHWC between layers (passes/layout.c): `nhwc` is how many activations
    # the compile must report NHWC. Channel counts that are not a multiple
    # of the NHWC kernels' vectors (17, 3: the overlapping last vector),
    # padded, strided, dilated and ceil_mode max-pools, depthwise stride 2
    # and dilation 2, a fused leaky_relu; a multiplier-2 depthwise and a
    # max-pool that ends the graph keep NCHW
    ("nhwc_conv_pool_dw_pw_c17", dict(N=1, C=5, H=9, W=19, nhwc=3, layers=[
        conv(17, p=(1, 1, 1, 1), relu=True), pool((2, 2)),
        conv(17, p=(1, 1, 1, 1), relu=True, g=17), conv(33, k=(1, 1))])),
    ("nhwc_c3_pool_pad_s1_dw_s2_d2_n2", dict(N=2, C=3, H=8, W=11, nhwc=3, layers=[
        conv(3, p=(1, 1, 1, 1), relu=True), pool((3, 3), s=(1, 1), p=(1, 1, 1, 1)),
        conv(3, s=(2, 2), p=(2, 2, 2, 2), d=(2, 2), g=3), conv(9, k=(1, 1))])),
    ("nhwc_ceil_pool_leaky_dw", dict(N=1, C=8, H=7, W=13, nhwc=3, layers=[
        conv(16, p=(1, 1, 1, 1), relu="leaky_relu"), pool((2, 2), ceil=True),
        conv(16, p=(1, 1, 1, 1), relu="leaky_relu", g=16), conv(7, k=(1, 3), p=(0, 1, 0, 1), relu=True)])),
    ("nhwc_c64_pool_dw_o65", dict(N=1, C=3, H=6, W=10, nhwc=3, layers=[
        conv(64, k=(1, 1), relu=True), pool((2, 2)), conv(64, p=(1, 1, 1, 1), g=64), conv(65, k=(1, 1))])),
    # 128 channels NHWC: the output stage's four-vector narrow within one
    # pixel (a 4-block tile that does not hold every channel), two-slope
    ("nhwc_o128_leaky_pool_o9", dict(N=1, C=5, H=4, W=13, nhwc=2, layers=[
        conv(128, k=(1, 1), relu="leaky_relu"), pool((2, 2)), conv(9, k=(1, 1))])),
    # results pinned to a range below the activation's lowest value, on
    # an input 3x the calibration's: the stage's integer clamp at the
    # first code (two slopes: 0.1 * x never reaches -2, the accumulators
    # leave the table's index range; relu: never below 0)
    ("pin_o16_leaky_o32_relu_w13", dict(N=1, C=3, H=4, W=13, nhwc=1, input_scale=3.0, layers=[
        conv(16, p=(1, 1, 1, 1), relu="leaky_relu", pin=(0.02, 100)),
        conv(32, k=(1, 1), relu=True, pin=(0.004, 60))])),
    # the NHWC depthwise on a 16-lane VNNI step, four taps per dot step
    # (kernels_depthwise.c): 32 channels (two pixels a piece, a row tail),
    # 128 with stride 2, 64 with 25 taps (a last group of one) and
    # dilation, 16 with a looked-up sigmoid (the stage's float route)
    ("dw4_c32_tail_leaky", dict(N=1, C=3, H=5, W=13, nhwc=2, layers=[
        conv(32, k=(1, 1)), conv(32, p=(1, 1, 1, 1), relu="leaky_relu", g=32), conv(9, k=(1, 1))])),
    ("dw4_c128_s2_relu", dict(N=1, C=5, H=7, W=9, nhwc=2, layers=[
        conv(128, k=(1, 1), relu=True), conv(128, s=(2, 2), p=(1, 1, 1, 1), relu=True, g=128),
        conv(7, k=(1, 1))])),
    ("dw4_c64_k5_d2_n2", dict(N=2, C=3, H=9, W=10, nhwc=2, layers=[
        conv(64, k=(1, 1)), conv(64, k=(5, 5), p=(4, 4, 4, 4), d=(2, 2), g=64), conv(9, k=(1, 1))])),
    ("dw4_c16_sigmoid_w13", dict(N=1, C=3, H=4, W=13, nhwc=2, layers=[
        conv(16, p=(1, 1, 1, 1), relu=True), conv(16, p=(1, 1, 1, 1), relu="sigmoid", g=16),
        conv(5, k=(1, 1))])),
    # few pixel groups (under 32 per call): each also cut into pieces of
    # 64 output channels, the last one partial (kernels_conv_blocked.c),
    # NHWC (balanced rows) and NCHW results, batch 2, a linear
    ("pieces_o100_relu_w5_o9", dict(N=1, C=8, H=4, W=5, nhwc=1, layers=[
        conv(100, p=(1, 1, 1, 1), relu=True), conv(9, k=(1, 1))])),
    ("pieces_o130_n2_w7", dict(N=2, C=5, H=3, W=7, nhwc=0, layers=[
        conv(130, p=(1, 1, 1, 1), relu="leaky_relu")])),
    ("nchw_dw_m2_pool_last", dict(N=1, C=8, H=6, W=12, nhwc=0, layers=[
        conv(8, p=(1, 1, 1, 1), relu=True), conv(16, p=(1, 1, 1, 1), g=8), pool((2, 2))])),
    # linear on [rows, K]
    ("lin_r1_k17_o7", dict(rows=1, K=17, O=7, relu=False)),
    ("lin_r3_k5_o16", dict(rows=3, K=5, O=16, relu=False)),
    ("lin_r13_k64_o17_relu", dict(rows=13, K=64, O=17, relu=True)),
    ("lin_r13_k1_o16", dict(rows=13, K=1, O=16, relu=False)),
    ("lin_r3_k33_o17", dict(rows=3, K=33, O=17, relu=False)),
    ("lin_r1_k8_o16_relu", dict(rows=1, K=8, O=16, relu=True)),
    ("lin_r13_k3_o7", dict(rows=13, K=3, O=7, relu=False)),
    ("lin_r25_k16_o7", dict(rows=25, K=16, O=7, relu=False)),
    ("lin_r29_k17_o33_relu", dict(rows=29, K=17, O=33, relu=True)),
    ("lin_r13_k33_o17_leaky", dict(rows=13, K=33, O=17, relu="leaky_relu")),
    ("lin_r3_k20_o100_relu", dict(rows=3, K=20, O=100, relu=True)),
]


def out_hw(H, W, L):
    (kh, kw), (sh, sw), (pt, pl, pb, pr), (dh, dw) = L["k"], L["s"], L["p"], L["d"]

    def axis(n, k, s, lo, hi, d):
        span = n + lo + hi - d * (k - 1) - 1
        if not L.get("ceil"):
            return span // s + 1
        o = -(-span // s) + 1  # ONNX/PyTorch: the last window starts inside
        return o - 1 if (o - 1) * s >= n + lo else o
    return axis(H, kh, sh, pt, pb, dh), axis(W, kw, sw, pl, pr, dw)


def tile(target, L):
    """(MR, NBT, pixel remainder, channel-block remainder) as tile_for(),
    for a layer of layer_geoms()."""
    nr, budget, k = STEPS[target]
    O, P, C, taps, linear = L["O"], L["P"], L["C"], L["taps"], L["linear"]
    nb = -(-O // nr)
    nbt = max(budget // 6, 1)
    if nr == 16 and not linear and not L["nhwc_out"] and taps * -(-C // k) <= 64:
        nbt = 1  # short K into NCHW: the tallest tile
    nbt = min(nbt, nb)
    mr = budget // nbt
    # groups of one output row where crossing a row costs and the result
    # is NHWC or 4 does not divide OW, else of 48 pixels; NHWC rows in
    # tiles of two heights one apart, the taller first (MR)
    balanced = L["wraps_cost"] and L["nhwc_out"]
    rows = L["wraps_cost"] and (L["OW"] % 4 != 0 or L["nhwc_out"])
    if balanced and L["OW"] % mr:
        tiles = -(-L["OW"] // mr)
        mr = -(-L["OW"] // tiles)
    elif L["wraps_cost"] and L["OW"] % mr:
        # a narrower MR (dividing the group, >= 16 accumulators) that divides OW
        mr = next((m for m in range(mr - 1, 0, -1)
                   if m * nbt >= 16 and (rows or 48 % m == 0) and L["OW"] % m == 0), mr)
    mr = min(mr, P)
    return mr, nbt, (L["OW"] if rows else P) % mr, nb % nbt


def layer_geoms(spec):
    """[layer] per blocked conv/linear (dicts of O, P = pixels per image,
    C, taps = KH*KW, linear, OW, wraps_cost = a tile wrapping an output row
    changes its window offsets, nhwc_out), plus the output shape."""
    if "rows" in spec:
        return [dict(O=spec["O"], P=spec["rows"], C=spec["K"], taps=1, linear=True, OW=spec["rows"],
                     wraps_cost=False, nhwc_out=False)], (spec["rows"], spec["O"])
    H, W, C = spec["H"], spec["W"], spec["C"]
    layers = spec["layers"]
    # the layout pass makes every value between layers NHWC or none (the
    # cases are built so); a blocked conv's output is NHWC unless it is last
    inner = len(layers) - 1
    assert spec.get("nhwc", 0) in (0, inner), spec
    g = []
    for i, L in enumerate(layers):
        PW = W + L["p"][1] + L["p"][3]
        H, W = out_hw(H, W, L)
        assert H >= 1 and W >= 1, spec
        if L.get("pool"):
            continue
        if L["g"] == 1:
            g.append(dict(O=L["O"], P=H * W, C=C, taps=L["k"][0] * L["k"][1], linear=False, OW=W,
                          wraps_cost=L["s"][0] * PW != W * L["s"][1],
                          nhwc_out=i < inner and spec.get("nhwc", 0) > 0))
        C = L["O"]
    return g, (spec["N"], C, H, W)


def fmt(v):
    return "[" + ", ".join(str(x) for x in v) + "]"


def write_model(spec, d, rng):
    """Writes d/model.yaml and its weights; returns (input shape, out shape)."""
    lines = ["format: 1", "name: " + NAME, "inputs:"]
    pins = []
    consts, nodes = [], []
    if "rows" in spec:
        rows, K, O = spec["rows"], spec["K"], spec["O"]
        in_shape = (rows, K)
        w = (rng.standard_normal((O, K)) / np.sqrt(K)).astype(np.float32)
        b = (0.2 * rng.standard_normal(O)).astype(np.float32)
        np.save(os.path.join(d, "fc.w.npy"), w)
        np.save(os.path.join(d, "fc.b.npy"), b)
        consts.append("  fc.w: {dtype: f32, shape: %s, file: fc.w.npy}" % fmt(w.shape))
        consts.append("  fc.b: {dtype: f32, shape: %s, file: fc.b.npy}" % fmt(b.shape))
        last = "y" if not spec["relu"] else "fc_out"
        nodes.append("  - {name: fc, op: linear, inputs: [x, fc.w, fc.b], outputs: [%s]}" % last)
        if spec["relu"]:
            nodes.append(act_node("fc_relu", spec["relu"], "fc_out", "y"))
    else:
        in_shape = (spec["N"], spec["C"], spec["H"], spec["W"])
        C, cur = spec["C"], "x"
        for i, L in enumerate(spec["layers"]):
            final = i == len(spec["layers"]) - 1
            if L.get("pool"):
                out = "y" if final else "pool%d_out" % i
                nodes.append("  - {name: pool%d, op: maxpool2d, inputs: [%s], outputs: [%s], "
                             "attrs: {kernel: %s, stride: %s, padding: %s, ceil_mode: %s}}" %
                             (i, cur, out, fmt(L["k"]), fmt(L["s"]), fmt(L["p"]),
                              "true" if L["ceil"] else "false"))
                cur = out
                continue
            nm = "conv%d" % i
            O, (kh, kw) = L["O"], L["k"]
            fan = C * kh * kw
            fan //= L["g"]
            w = (rng.standard_normal((O, C // L["g"], kh, kw)) / np.sqrt(fan)).astype(np.float32)
            b = (0.2 * rng.standard_normal(O)).astype(np.float32)
            np.save(os.path.join(d, nm + ".w.npy"), w)
            np.save(os.path.join(d, nm + ".b.npy"), b)
            consts.append("  %s.w: {dtype: f32, shape: %s, file: %s.w.npy}" % (nm, fmt(w.shape), nm))
            consts.append("  %s.b: {dtype: f32, shape: %s, file: %s.b.npy}" % (nm, fmt(b.shape), nm))
            out = "y" if final and not L["relu"] else nm + "_out"
            nodes.append("  - {name: %s, op: conv2d, inputs: [%s, %s.w, %s.b], outputs: [%s], "
                         "attrs: {stride: %s, padding: %s, dilation: %s, groups: %d}}" %
                         (nm, cur, nm, nm, out, fmt(L["s"]), fmt(L["p"]), fmt(L["d"]), L["g"]))
            cur = out
            if L["relu"]:
                r = "y" if final else nm + "_relu"
                nodes.append(act_node(nm + "_act", L["relu"], cur, r))
                cur = r
            if L.get("pin"):
                pins.append("  %s: {dtype: u8, scale: %r, zero_point: %d}" % (cur, L["pin"][0], L["pin"][1]))
            C = O
    lines.append("  - {name: x, shape: %s}" % fmt(in_shape))
    lines.append("outputs: [y]")
    lines.append("constants:")
    lines += consts
    if pins:
        lines.append("quant:")
        lines += pins
    lines.append("nodes:")
    lines += nodes
    with open(os.path.join(d, "model.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return in_shape


class Runner:
    def __init__(self, qcc, qexec):
        self.qcc, self.qexec = qcc, qexec

    def run(self, cmd):
        r = subprocess.run(["nice", "-n", "10"] + cmd, capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr


def int8_problems(log, report, spec):
    """Why this compile/run is not all int8 (empty: it is)."""
    probs = []
    if "nothing stayed in f32" not in log:
        line = [l for l in log.splitlines() if "nodes int8" in l]
        probs.append("not all int8: %s" % (line[0].strip() if line else log.strip()[-300:]))
    if report is None:
        return probs
    want = ["fc"] if "rows" in spec else [
        "conv%d" % i for i, L in enumerate(spec["layers"]) if not L.get("pool")]
    prec = {}
    for l in open(report).read().splitlines():
        cells = [c.strip() for c in l.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[1] in ("conv2d", "linear"):
            prec[cells[0]] = cells[2]
    for n in want:
        if prec.get(n) != "int8":
            probs.append("report: %s is %s, not int8" % (n, prec.get(n, "missing")))
    # a fused leaky_relu table is computed (two slopes reproduce it), a
    # sigmoid's looked up; the bytes compared below prove either exact
    rows = {c[0]: c[-1] for c in (
        [x.strip() for x in l.strip().strip("|").split("|")] for l in open(report).read().splitlines()) if c}
    for n, op in act_nodes(spec):
        note = rows.get(n, "")
        if "table on the accumulator" not in note:
            probs.append("report: %s is not fused as a table: %r" % (n, note))
        elif ("computed, not looked up" in note) != (op == "leaky_relu"):
            probs.append("report: %s (%s): %r" % (n, op, note))
    return probs


def compare(got_f, ref_f):
    """None when identical, else a description of what differs."""
    a, b = open(got_f, "rb").read(), open(ref_f, "rb").read()
    ga, gb = np.load(got_f), np.load(ref_f)
    same_arr = ga.shape == gb.shape and ga.dtype == gb.dtype and np.array_equal(ga, gb)
    if a == b and same_arr:
        return None
    if ga.shape != gb.shape or ga.dtype != gb.dtype:
        return "output %s %s, interpreter %s %s" % (ga.dtype, ga.shape, gb.dtype, gb.shape)
    diff = np.argwhere(ga != gb)
    first_byte = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    if len(diff) == 0:
        return "arrays equal but files differ (%d vs %d bytes, first at byte %d)" % (
            len(a), len(b), first_byte)
    i = tuple(int(v) for v in diff[0])
    return ("%d of %d elements differ from the int8 interpreter (first file byte %d), "
            "first at %s: %r vs %r" % (len(diff), ga.size, first_byte, i, ga[i], gb[i]))


def check_case(R, name, spec, targets, root, seed):
    rng = np.random.default_rng(seed)
    d = os.path.join(root, name)
    os.makedirs(d)
    in_shape = write_model(spec, d, rng)
    _, out_shape = layer_geoms(spec)
    calib = os.path.join(d, "calib")
    os.makedirs(calib)
    for s in range(2):
        np.save(os.path.join(calib, "s%d.npy" % s), rng.standard_normal(in_shape).astype(np.float32))
    # every other case runs on an input 1.5x the calibration range, so the
    # input quantization saturates at 0 and 255 (a case may set its own)
    scale = spec.get("input_scale", 1.5 if seed % 2 else 1.0)
    inp = os.path.join(d, "input.npy")
    np.save(inp, (scale * rng.standard_normal(in_shape)).astype(np.float32))
    model = os.path.join(d, "model.yaml")
    calib_args = ["--calib", "x=" + calib]
    fails = []

    ref = os.path.join(d, "interp")
    rc, log = R.run([R.qcc, "run", model, "--quant=static"] + calib_args +
                    ["--input", "x=" + inp, "--output-dir", ref])
    if rc:
        return [("interp", "qcc run failed: " + log.strip())]
    fails += [("interp", p) for p in int8_problems(log, None, spec)]
    ref_y = os.path.join(ref, "y.npy")
    yr = np.load(ref_y)
    if yr.shape != out_shape:
        fails.append(("interp", "output shape %s, expected %s" % (yr.shape, out_shape)))
    if len(np.unique(yr)) < 3:
        fails.append(("interp", "degenerate reference output: %d distinct values" % len(np.unique(yr))))

    # chains compile twice: with the default layout pass (u8 values NHWC
    # between blocked convs, depthwise convs and max-pools) and with
    # --layout=nchw, so both store and pack paths stay checked
    layouts = [("nhwc", [])]
    if len(spec.get("layers", [])) > 1:
        layouts.append(("nchw", ["--layout=nchw"]))
    for t in targets:
        for lay, lay_args in layouts:
            od = os.path.join(d, "lib_%s_%s" % (t, lay))
            tl = t if lay == "nhwc" else "%s --layout=nchw" % t
            rc, log = R.run([R.qcc, "compile", model, "-o", od, "--name", NAME, "--target", t,
                             "--quant=static"] + calib_args + lay_args)
            if rc:
                fails.append((tl, "compile failed: " + log.strip()))
                continue
            fails += [(tl, p) for p in int8_problems(log, os.path.join(od, NAME + ".report.md"), spec)]
            want = spec.get("nhwc", 0) if lay == "nhwc" else 0
            if "; %d activations NHWC;" % want not in log:
                line = [l for l in log.splitlines() if "activations NHWC" in l]
                fails.append((tl, "expected %d activations NHWC: %s" % (want, line[0] if line else log)))
            for th in (["1", "2"] if t == "avx2" else ["1"]):
                eo = os.path.join(d, "out_%s_%s_%s" % (t, lay, th))
                rc, log = R.run([R.qexec, os.path.join(od, "lib%s.so" % NAME), "--input", "x=" + inp,
                                 "--output-dir", eo, "--threads", th])
                tt = "%s (%s thread%s)" % (tl, th, "s" if th != "1" else "")
                if rc:
                    fails.append((tt, "qcc-exec failed: " + log.strip()))
                    continue
                why = compare(os.path.join(eo, "y.npy"), ref_y)
                if why:
                    fails.append((tt, why))
    return fails


def coverage(cases, targets):
    """Problems with the matrix itself: every target must see pixel-tile and
    channel-tile remainders, on convs and on linears."""
    probs = []
    for t in targets:
        nr, budget, _ = STEPS[t]
        seen = {"conv": [False, False], "linear": [False, False]}
        for _, spec in cases:
            kind = "linear" if "rows" in spec else "conv"
            for L in layer_geoms(spec)[0]:
                mr, nbt, prest, crest = tile(t, L)
                seen[kind][0] |= prest != 0
                seen[kind][1] |= crest != 0
        for kind, (p, c) in seen.items():
            if not p:
                probs.append("%s: no %s case leaves a pixel remainder (pixels mod MR)" % (t, kind))
            if not c and budget // 6 > 1 and kind == "conv":
                probs.append("%s: no %s case leaves a channel-block remainder" % (t, kind))
    return probs


def test_targets():
    """The targets every machine runs, and avx512vnni where /proc/cpuinfo
    has avx512_vnni and avx512bw (else it says it is skipped)."""
    targets = ["avx2", "generic", "avx512vnni-emulated"]
    flags = set()
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("flags"):
                flags |= set(l.split(":", 1)[1].split())
    if "avx512_vnni" in flags and "avx512bw" in flags:
        targets.append("avx512vnni")
    else:
        print("avx512vnni: skipped, the CPU lacks avx512_vnni")
    return targets


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    R = Runner(sys.argv[1], sys.argv[2])
    read_steps(R.qcc)
    only = sys.argv[3:]
    targets = test_targets()
    cases = [(n, s) for n, s in CASES if not only or n in only]
    if only and len(cases) != len(only):
        sys.exit("unknown case in %s" % only)
    passed = failed = 0
    for p in coverage(CASES, targets) if not only else []:
        print("FAIL coverage: " + p)
        failed += 1
    keep = os.environ.get("CONV_MATRIX_KEEP")
    root = keep or tempfile.mkdtemp(prefix="conv_matrix.")
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        os.makedirs(keep)
    t0 = time.time()
    try:
        for seed, (name, spec) in enumerate(CASES):
            if (name, spec) not in cases:
                continue
            fails = check_case(R, name, spec, targets, root, 1000 + seed)
            if fails:
                failed += 1
                for t, why in fails:
                    print("FAIL %s %s: %s" % (name, t, why))
            else:
                passed += 1
            sys.stdout.flush()
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    print("targets: %s; %.0f s" % (", ".join(targets), time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
