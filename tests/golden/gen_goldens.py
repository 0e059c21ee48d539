#!/usr/bin/python3
"""Generates the NumPy golden cases in tests/golden/<case>/.

Each case is a tiny model in the model format (shared/spec/model-format.md)
exercising one op, or a short chain of ops, with one edge case of its
semantics (docs/ops.md). The folder holds

    model.yaml             the model; inputs are f32
    <const>.npy            constants too big to write inline as `data:`
    input_<i>.npy          the value of the i-th graph input
    expected_<out>.npy     each graph output, computed here with NumPy

tests/unit/test_golden.c loads every folder with the frontend, runs the float
reference interpreter and compares with expected_*.npy.

The NumPy op implementations below are deliberately written apart from the
C interpreter (interp/): whole-array formulations (np.pad + strided slices +
einsum for conv, padded masks for pooling, index arrays for resize) rather
than the interpreter's per-element loops, computed in float64 and rounded to
float32 after every node, as the interpreter stores tensors. They read
attribute defaults from this file's own table (DEFAULTS), not from the
compiler.

Deterministic: every case draws from its own numpy Generator seeded with a
fixed number. The outputs are committed; rerun after changing a case:

    /usr/bin/python3 tests/golden/gen_goldens.py      (needs python3-numpy)

It deletes and rewrites every case folder it knows.
"""

import math
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
F32, F64 = np.float32, np.float64
INLINE_MAX = 16  # constants with at most this many values go inline


# ---------------------------------------------------------------------------
# NumPy reference ops. Inputs arrive as float32 arrays; each returns float64
# (the caller rounds to float32). Attributes are complete (see DEFAULTS).


def pads4(p):
    return list(p) * 2 if len(p) == 2 else list(p)


def np_conv_transpose(x, w, b, a):
    """ONNX ConvTranspose as the textbook identity: a stride-1 conv2d of the
    input with stride - 1 zeros inserted between its pixels, padded by
    K - 1 - pad (output_padding more at the end; a negative pad crops),
    with each group's kernel flipped and its in/out channels swapped."""
    sh, sw = a.get("stride", [1, 1])
    pt, pl, pb, pr = pads4(a.get("padding", [0, 0, 0, 0]))
    oph, opw = a.get("output_padding", [0, 0])
    g = a.get("groups", 1)
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    xd = np.zeros((n, c, (h - 1) * sh + 1, (wd - 1) * sw + 1))
    xd[:, :, ::sh, ::sw] = x
    lo_h, lo_w = kh - 1 - pt, kw - 1 - pl
    hi_h, hi_w = kh - 1 - pb + oph, kw - 1 - pr + opw
    xd = np.pad(xd, ((0, 0), (0, 0), (max(lo_h, 0), max(hi_h, 0)),
                     (max(lo_w, 0), max(hi_w, 0))))
    xd = xd[:, :, max(-lo_h, 0):xd.shape[2] - max(-hi_h, 0),
            max(-lo_w, 0):xd.shape[3] - max(-hi_w, 0)]
    wf = w.reshape(g, c // g, og, kh, kw).transpose(0, 2, 1, 3, 4)
    wf = wf.reshape(g * og, c // g, kh, kw)[:, :, ::-1, ::-1]
    return np_conv2d(xd, np.ascontiguousarray(wf), b,
                     {"stride": [1, 1], "dilation": [1, 1],
                      "padding": [0, 0, 0, 0], "groups": g})


def np_conv2d(x, w, b, a):
    x, w = x.astype(F64), w.astype(F64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = a["stride"]
    dh, dw = a["dilation"]
    pt, pl, pb, pr = pads4(a["padding"])
    g = a["groups"]
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = o // g
    y = np.zeros((n, o, oh, ow))
    for gi in range(g):
        xg = xp[:, gi * cg:(gi + 1) * cg]
        wg = w[gi * og:(gi + 1) * og]
        for i in range(kh):
            for j in range(kw):
                # Every output's tap (i, j) at once: a strided view.
                patch = xg[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                           j * dw:j * dw + sw * (ow - 1) + 1:sw]
                y[:, gi * og:(gi + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, wg[:, :, i, j])
    if b is not None:
        y += b.astype(F64)[None, :, None, None]
    return y


def np_linear(x, w, b, a):
    y = x.astype(F64) @ w.astype(F64).T
    if b is not None:
        y += b.astype(F64)
    return y


def np_batch_norm(x, gamma, beta, mean, var, a):
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    r = lambda v: v.astype(F64).reshape(shape)
    return (x.astype(F64) - r(mean)) / np.sqrt(r(var) + a["eps"]) * r(gamma) + r(beta)


def sigmoid64(x):
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x):
    """erf elementwise in float64 (NumPy has none; math.erf is libm's)."""
    x = np.asarray(x, dtype=np.float64)
    return np.vectorize(math.erf, otypes=[np.float64])(x)


UNARY = {
    "relu": lambda x, a: np.maximum(x, 0.0),
    "relu6": lambda x, a: np.minimum(np.maximum(x, 0.0), 6.0),
    "clip": lambda x, a: np.minimum(np.maximum(x, a["min"]), a["max"]),
    "sigmoid": lambda x, a: sigmoid64(x),
    "tanh": lambda x, a: np.tanh(x),
    "silu": lambda x, a: x * sigmoid64(x),
    "hardswish": lambda x, a: x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0,
    "leaky_relu": lambda x, a: np.where(x >= 0, x, a["alpha"] * x),
    "hardsigmoid": lambda x, a: np.maximum(0.0, np.minimum(1.0, a["alpha"] * x + a["beta"])),
    "exp": lambda x, a: np.exp(x),
    "neg": lambda x, a: -x,
    "abs": lambda x, a: np.abs(x),
    "sqrt": lambda x, a: np.sqrt(x),
    "reciprocal": lambda x, a: 1.0 / x,
    "log": lambda x, a: np.log(x),
    "softplus": lambda x, a: np.log1p(np.exp(x)),
    "mish": lambda x, a: x * np.tanh(np.log1p(np.exp(x))),
    "pow": lambda x, a: np.power(x, a["exponent"]),
    "erf": lambda x, a: _erf(x),
    "gelu": lambda x, a: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0))),
}

BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply}


def pool_out(size, k, s, lo, hi, ceil_mode):
    span = size + lo + hi - k
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= size + lo:
        o -= 1
    return o


def pool_windows(x, a):
    """Pads x for the pooling windows and returns (values, real, in_pad,
    oh, ow, geometry): `real` marks input cells, `in_pad` input and padding
    cells; the extra rows/columns ceil_mode needs past the padding are in
    neither."""
    n, c, h, w = x.shape
    kh, kw = a["kernel"]
    sh, sw = a["stride"]
    pt, pl, pb, pr = pads4(a["padding"])
    oh = pool_out(h, kh, sh, pt, pb, a["ceil_mode"])
    ow = pool_out(w, kw, sw, pl, pr, a["ceil_mode"])
    eh = max(0, (oh - 1) * sh + kh - (h + pt + pb))
    ew = max(0, (ow - 1) * sw + kw - (w + pl + pr))
    widths = ((0, 0), (0, 0), (pt, pb + eh), (pl, pr + ew))
    real = np.pad(np.ones((h, w)), widths[2:])
    in_pad = np.pad(np.ones((h + pt + pb, w + pl + pr)), ((0, eh), (0, ew)))
    return widths, real, in_pad, oh, ow, (kh, kw, sh, sw)


def window_view(arr, oh, ow, kh, kw, sh, sw):
    """[..., oh, ow, kh, kw] view of the last two axes' windows."""
    v = np.lib.stride_tricks.sliding_window_view(arr, (kh, kw), axis=(-2, -1))
    return v[..., ::sh, ::sw, :, :][..., :oh, :ow, :, :]


def np_maxpool2d(x, a):
    widths, real, _, oh, ow, (kh, kw, sh, sw) = pool_windows(x, a)
    xp = np.pad(x.astype(F64), widths, constant_values=-np.inf)
    rv = window_view(real, oh, ow, kh, kw, sh, sw)
    assert (rv.sum(axis=(-2, -1)) > 0).all(), "window of padding only"
    return window_view(xp, oh, ow, kh, kw, sh, sw).max(axis=(-2, -1))


def np_avgpool2d(x, a):
    widths, real, in_pad, oh, ow, (kh, kw, sh, sw) = pool_windows(x, a)
    xp = np.pad(x.astype(F64), widths)
    total = window_view(xp, oh, ow, kh, kw, sh, sw).sum(axis=(-2, -1))
    mask = in_pad if a["count_include_pad"] else real
    count = window_view(mask, oh, ow, kh, kw, sh, sw).sum(axis=(-2, -1))
    return total / count


def np_global_avgpool(x, a):
    return x.astype(F64).mean(axis=(2, 3), keepdims=True)


def resize_source(coord, n_out, n_in, scale):
    o = np.arange(n_out, dtype=F64)
    if coord == "asymmetric":
        return o / scale
    if coord == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(1)
    if coord == "align_corners":
        return o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(1)
    if coord == "tf_half_pixel_for_nn":
        return (o + 0.5) / scale
    raise ValueError(coord)


def nearest_pixel(rule, v):
    """ONNX's nearest_mode: a half rounds down (round_prefer_floor) or up."""
    if rule == "ceil":
        return np.ceil(v)
    if rule in ("round_prefer_floor", "round_prefer_ceil"):
        r = np.floor(v + 0.5)
        half = (v - np.floor(v)) == 0.5
        return np.where(half, np.floor(v) if rule == "round_prefer_floor" else np.ceil(v), r)
    return np.floor(v)


def np_resize(x, a):
    n, c, h, w = x.shape
    if "scale" in a:
        scales = [float(s) for s in a["scale"]]
        out = [int(np.floor(h * scales[0])), int(np.floor(w * scales[1]))]
    else:
        out = list(a["size"])
        scales = [out[0] / h, out[1] / w]
    mode = a.get("mode", "nearest")
    coord = a.get("coord", "asymmetric" if mode == "nearest" else "half_pixel")
    xs = x.astype(F64)
    src = [resize_source(coord, out[i], (h, w)[i], scales[i]) for i in range(2)]
    if mode == "nearest":
        rule = a.get("nearest", "floor")
        iy = np.clip(nearest_pixel(rule, src[0]), 0, h - 1).astype(int)
        ix = np.clip(nearest_pixel(rule, src[1]), 0, w - 1).astype(int)
        return xs[:, :, iy][:, :, :, ix]
    sy = np.clip(src[0], 0, h - 1)
    sx = np.clip(src[1], 0, w - 1)
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    ly, lx = (sy - y0)[:, None], (sx - x0)[None, :]
    rows0, rows1 = xs[:, :, y0], xs[:, :, y1]
    top = (1 - lx) * rows0[..., x0] + lx * rows0[..., x1]
    bot = (1 - lx) * rows1[..., x0] + lx * rows1[..., x1]
    return (1 - ly) * top + ly * bot


def np_reshape(x, a):
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(a["shape"])]
    return x.reshape(shape)


def np_flatten(x, a):
    ax = a["axis"] + x.ndim if a["axis"] < 0 else a["axis"]
    return x.reshape(x.shape[:ax] + (int(np.prod(x.shape[ax:])),))


def np_softmax(x, a):
    x = x.astype(F64)
    e = np.exp(x - x.max(axis=a["axis"], keepdims=True))
    return e / e.sum(axis=a["axis"], keepdims=True)


def np_split(x, a, n_out):
    ax = a["axis"]
    sizes = a.get("sizes") or [x.shape[ax] // n_out] * n_out
    return np.split(x, np.cumsum(sizes)[:-1], axis=ax)


# Defaults of the spec's table, applied here without asking the compiler.
DEFAULTS = {
    "conv2d": {"stride": [1, 1], "padding": [0, 0, 0, 0], "dilation": [1, 1], "groups": 1},
    "batch_norm": {"eps": 1e-5},
    "leaky_relu": {"alpha": 0.01},
    "hardsigmoid": {"alpha": 1.0 / 6.0, "beta": 0.5},
    "concat": {"axis": 1},
    "split": {"axis": 1},
    "maxpool2d": {"padding": [0, 0, 0, 0], "ceil_mode": False},
    "avgpool2d": {"padding": [0, 0, 0, 0], "ceil_mode": False, "count_include_pad": False},
    "flatten": {"axis": 1},
    "softmax": {"axis": -1},
}


def evaluate(op, attrs, args, n_out):
    """One node: list of float32 outputs."""
    a = dict(DEFAULTS.get(op, {}))
    a.update(attrs)
    if op in ("maxpool2d", "avgpool2d") and "stride" not in a:
        a["stride"] = a["kernel"]
    if op == "conv2d":
        ys = [np_conv2d(args[0], args[1], args[2] if len(args) > 2 else None, a)]
    elif op == "conv_transpose":
        ys = [np_conv_transpose(args[0], args[1], args[2] if len(args) > 2 else None, a)]
    elif op == "linear":
        ys = [np_linear(args[0], args[1], args[2] if len(args) > 2 else None, a)]
    elif op == "batch_norm":
        ys = [np_batch_norm(*args, a)]
    elif op in UNARY:
        ys = [UNARY[op](args[0].astype(F64), a)]
    elif op in BINARY:
        ys = [BINARY[op](args[0].astype(F64), args[1].astype(F64))]
    elif op == "concat":
        ys = [np.concatenate(args, axis=a["axis"])]
    elif op == "split":
        ys = np_split(args[0], a, n_out)
    elif op == "maxpool2d":
        ys = [np_maxpool2d(args[0], a)]
    elif op == "avgpool2d":
        ys = [np_avgpool2d(args[0], a)]
    elif op == "global_avgpool":
        ys = [np_global_avgpool(args[0], a)]
    elif op == "resize":
        ys = [np_resize(args[0], a)]
    elif op == "flatten":
        ys = [np_flatten(args[0], a)]
    elif op == "reshape":
        ys = [np_reshape(args[0], a)]
    elif op == "transpose":
        ys = [np.transpose(args[0], a["perm"])]
    elif op == "slice":
        ys = [np_slice(args[0], a)]
    elif op == "pad":
        ys = [np_pad(args[0], a)]
    elif op == "softmax":
        ys = [np_softmax(args[0], a)]
    else:
        raise ValueError("no NumPy reference for " + op)
    assert len(ys) == n_out, (op, len(ys), n_out)
    return [np.ascontiguousarray(y, dtype=F32) for y in ys]


def np_pad(x, a):
    """ONNX Pad by index arrays: along each axis, output i reads input
    i - begin, mirrored (reflect) or clamped (edge) outside, or the value
    (constant); tools/npref.py uses np.pad instead."""
    r, p = x.ndim, a["pads"]
    mode = a.get("mode", "constant")
    y, keep = x.astype(F64), np.ones(x.shape, bool)
    for ax in range(r):
        dim = x.shape[ax]
        src = np.arange(-p[ax], dim + p[ax + r])
        if mode == "reflect":
            src = np.where(src < 0, -src, np.where(src >= dim, 2 * (dim - 1) - src, src))
        elif mode == "edge":
            src = np.clip(src, 0, dim - 1)
        inside = ((src >= 0) & (src < dim)).reshape([-1 if i == ax else 1 for i in range(r)])
        y = np.take(y, np.clip(src, 0, dim - 1), axis=ax)
        keep = np.take(keep, np.clip(src, 0, dim - 1), axis=ax) & inside
    return np.where(keep, y, a.get("value", 0.0))


def np_slice(x, a):
    """ONNX Slice, which clamps as Python's slices do."""
    k = len(a["starts"])
    axes = a.get("axes", list(range(k)))
    steps = a.get("steps", [1] * k)
    idx = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(a["starts"], a["ends"], axes, steps):
        idx[ax] = slice(st, en, sp)
    return x[tuple(idx)]


# ---------------------------------------------------------------------------
# Cases


class Case:
    def __init__(self, name, seed, doc):
        self.name, self.doc = name, doc
        self.rng = np.random.default_rng(seed)
        self.inputs = []      # (name, array)
        self.consts = {}      # name -> array
        self.nodes = []       # (name, op, inputs, outputs, attrs)
        self.outputs = []

    def randn(self, *shape, scale=1.0):
        return (self.rng.standard_normal(shape) * scale).astype(F32)

    def input(self, name, arr):
        self.inputs.append((name, np.ascontiguousarray(arr, dtype=F32)))
        return name

    def const(self, name, arr):
        self.consts[name] = np.ascontiguousarray(arr, dtype=F32)
        return name

    def node(self, op, inputs, outputs, attrs=None, name=None):
        if isinstance(outputs, str):
            outputs = [outputs]
        name = name or "%s_%d" % (op, len(self.nodes))
        self.nodes.append((name, op, list(inputs), list(outputs), dict(attrs or {})))
        return outputs[0] if len(outputs) == 1 else outputs

    def output(self, *names):
        self.outputs.extend(names)

    def run(self):
        env = dict(self.inputs)
        env.update(self.consts)
        for name, op, ins, outs, attrs in self.nodes:
            ys = evaluate(op, attrs, [env[i] for i in ins], len(outs))
            env.update(zip(outs, ys))
        return {o: env[o] for o in self.outputs}


CASES = []


def case(seed, doc):
    def register(fn):
        CASES.append((fn.__name__, seed, doc, fn))
        return fn
    return register


# ---- conv2d ----------------------------------------------------------------

def conv_case(c, x_shape, w_shape, attrs, bias=True):
    x = c.input("x", c.randn(*x_shape))
    w = c.const("w", c.randn(*w_shape, scale=0.5))
    ins = [x, w]
    if bias:
        ins.append(c.const("b", c.randn(w_shape[0], scale=0.1)))
    c.output(c.node("conv2d", ins, "y", attrs))


def conv_transpose_case(c, x_shape, w_shape, attrs, bias=True):
    x = c.input("x", c.randn(*x_shape))
    w = c.const("w", c.randn(*w_shape, scale=0.5))
    ins = [x, w]
    if bias:
        groups = attrs.get("groups", 1)
        ins.append(c.const("b", c.randn(w_shape[1] * groups, scale=0.1)))
    c.output(c.node("conv_transpose", ins, "y", attrs))


@case(131, "conv_transpose 2x2 stride 2 (UNet's upsampling), bias")
def conv_transpose_k2s2(c):
    conv_transpose_case(c, (1, 4, 3, 5), (4, 3, 2, 2), {"stride": [2, 2]})


@case(132, "conv_transpose 3x3 stride 2, padding 1, output_padding 1 (an exact 2x)")
def conv_transpose_k3s2_op(c):
    conv_transpose_case(c, (1, 3, 4, 4), (3, 5, 3, 3),
                        {"stride": [2, 2], "padding": [1, 1], "output_padding": [1, 1]})


@case(133, "conv_transpose 4x4 stride 2 padding 1 with output_padding past the kernel, no bias")
def conv_transpose_k4s2(c):
    conv_transpose_case(c, (1, 2, 3, 4), (2, 3, 4, 4),
                        {"stride": [2, 2], "padding": [1, 1, 0, 0], "output_padding": [1, 1]},
                        bias=False)


@case(134, "conv_transpose grouped (2 groups), stride 3x2, asymmetric padding, batch 2")
def conv_transpose_groups(c):
    conv_transpose_case(c, (2, 4, 3, 3), (4, 3, 3, 2),
                        {"stride": [3, 2], "padding": [1, 0, 2, 1], "groups": 2})


@case(135, "conv_transpose 3x3 stride 1 padding 1 (a flipped conv)")
def conv_transpose_s1(c):
    conv_transpose_case(c, (1, 3, 5, 5), (3, 4, 3, 3), {"padding": [1, 1]})


@case(101, "3x3, stride 1, padding in the [ph, pw] short form, bias")
def conv2d_3x3_pad_short(c):
    conv_case(c, (1, 3, 6, 6), (4, 3, 3, 3), {"padding": [1, 1]})


@case(102, "stride 2 on an odd input, symmetric padding 1")
def conv2d_stride2(c):
    conv_case(c, (1, 3, 7, 7), (4, 3, 3, 3), {"stride": [2, 2], "padding": [1, 1, 1, 1]})


@case(103, "asymmetric padding [top, left, bottom, right] = [0, 1, 2, 3], stride [1, 2]")
def conv2d_asym_pad(c):
    conv_case(c, (1, 2, 5, 6), (3, 2, 3, 3), {"stride": [1, 2], "padding": [0, 1, 2, 3]})


@case(104, "dilation 2 with padding 2 (same size)")
def conv2d_dilation2(c):
    conv_case(c, (1, 2, 7, 7), (3, 2, 3, 3), {"dilation": [2, 2], "padding": [2, 2]})


@case(105, "groups 2: 4 input, 6 output channels")
def conv2d_groups2(c):
    conv_case(c, (1, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": [1, 1]})


@case(106, "depthwise: groups == C == O, stride 2, padding 1")
def conv2d_depthwise(c):
    conv_case(c, (1, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "stride": [2, 2], "padding": [1, 1]})


@case(107, "no bias input")
def conv2d_no_bias(c):
    conv_case(c, (1, 3, 5, 5), (2, 3, 3, 3), {}, bias=False)


@case(108, "1x1 kernel (pointwise), batch 2")
def conv2d_1x1(c):
    conv_case(c, (2, 5, 4, 3), (7, 5, 1, 1), {})


@case(109, "kernel 5x5 equal to the padded 3x3 input: a 1x1 output")
def conv2d_kernel_eq_padded(c):
    conv_case(c, (1, 2, 3, 3), (3, 2, 5, 5), {"padding": [1, 1]})


@case(110, "rectangular 1x3 kernel, stride [2, 1], padding [0, 1]")
def conv2d_rect_kernel(c):
    conv_case(c, (1, 3, 6, 5), (2, 3, 1, 3), {"stride": [2, 1], "padding": [0, 1]})


@case(111, "long reduction: 32 channels x 3x3 (K = 288)")
def conv2d_deep(c):
    conv_case(c, (1, 32, 4, 4), (8, 32, 3, 3), {"padding": [1, 1]})


# ---- linear, batch_norm -----------------------------------------------------

@case(201, "linear with bias, batch 2")
def linear_bias(c):
    x = c.input("x", c.randn(2, 7))
    w, b = c.const("w", c.randn(5, 7)), c.const("b", c.randn(5))
    c.output(c.node("linear", [x, w, b], "y"))


@case(202, "linear without bias")
def linear_no_bias(c):
    x = c.input("x", c.randn(3, 6))
    w = c.const("w", c.randn(4, 6))
    c.output(c.node("linear", [x, w], "y"))


@case(203, "flatten [1, 2, 3, 3] then linear 18 -> 4")
def linear_after_flatten(c):
    x = c.input("x", c.randn(1, 2, 3, 3))
    f = c.node("flatten", [x], "f")
    w, b = c.const("w", c.randn(4, 18)), c.const("b", c.randn(4))
    c.output(c.node("linear", [f, w, b], "y"))


def bn_params(c, ch):
    return [c.const("gamma", 1 + c.randn(ch, scale=0.2)), c.const("beta", c.randn(ch, scale=0.3)),
            c.const("mean", c.randn(ch, scale=0.5)),
            c.const("var", np.abs(c.randn(ch)) + 0.1)]


@case(301, "batch_norm on NCHW with the default eps")
def batch_norm_4d(c):
    x = c.input("x", c.randn(2, 3, 4, 4))
    c.output(c.node("batch_norm", [x] + bn_params(c, 3), "y"))


@case(302, "batch_norm on a rank-2 [N, C] input, eps 0.001")
def batch_norm_2d(c):
    x = c.input("x", c.randn(4, 5))
    c.output(c.node("batch_norm", [x] + bn_params(c, 5), "y", {"eps": 0.001}))


# ---- activations ------------------------------------------------------------

def act_input(c):
    # The breakpoints of every piecewise activation, exactly, plus a spread.
    marks = [-8, -6, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 8]
    rest = c.rng.uniform(-8, 8, 64 - len(marks))
    return np.concatenate([marks, rest]).reshape(1, 4, 4, 4).astype(F32)


def act_case(c, op, attrs=None):
    x = c.input("x", act_input(c))
    c.output(c.node(op, [x], "y", attrs))


@case(401, "relu")
def act_relu(c): act_case(c, "relu")


@case(402, "relu6")
def act_relu6(c): act_case(c, "relu6")


@case(403, "clip to [-1.5, 2.25]")
def act_clip(c): act_case(c, "clip", {"min": -1.5, "max": 2.25})


@case(404, "sigmoid")
def act_sigmoid(c): act_case(c, "sigmoid")


@case(405, "tanh")
def act_tanh(c): act_case(c, "tanh")


@case(406, "silu")
def act_silu(c): act_case(c, "silu")


@case(407, "hardswish")
def act_hardswish(c): act_case(c, "hardswish")


@case(408, "leaky_relu with the default alpha 0.01")
def act_leaky_relu_default(c): act_case(c, "leaky_relu")


@case(409, "leaky_relu alpha 0.2")
def act_leaky_relu_alpha(c): act_case(c, "leaky_relu", {"alpha": 0.2})


@case(410, "hardsigmoid with the defaults alpha 1/6, beta 0.5")
def act_hardsigmoid_default(c): act_case(c, "hardsigmoid")


@case(411, "hardsigmoid alpha 0.2, beta 0.4 (ONNX's defaults)")
def act_hardsigmoid_alpha_beta(c): act_case(c, "hardsigmoid", {"alpha": 0.2, "beta": 0.4})


@case(413, "exp")
def act_exp(c): act_case(c, "exp")


@case(414, "erf")
def act_erf(c): act_case(c, "erf")


@case(415, "gelu (the exact, erf form)")
def act_gelu(c): act_case(c, "gelu")


@case(416, "pow with a constant exponent 3")
def act_pow(c): act_case(c, "pow", {"exponent": 3.0})


@case(417, "neg")
def act_neg(c): act_case(c, "neg")


@case(418, "abs")
def act_abs(c): act_case(c, "abs")


@case(419, "softplus")
def act_softplus(c): act_case(c, "softplus")


@case(420, "mish (YOLOv4)")
def act_mish(c): act_case(c, "mish")


def positive_case(c, op):
    """sqrt, log, reciprocal: on (0, 8], where they are finite."""
    x = np.concatenate([[0.0625, 0.25, 1, 2, 4, 8],
                        c.rng.uniform(0.05, 8, 58)]).reshape(1, 4, 4, 4)
    c.output(c.node(op, [c.input("x", x.astype(F32))], "y"))


@case(421, "sqrt on (0, 8]")
def act_sqrt(c): positive_case(c, "sqrt")


@case(422, "log on (0, 8]")
def act_log(c): positive_case(c, "log")


@case(423, "reciprocal on (0, 8]")
def act_reciprocal(c): positive_case(c, "reciprocal")


@case(412, "sigmoid and silu far into saturation (|x| up to 100)")
def act_saturation(c):
    x = c.input("x", np.linspace(-100, 100, 41).reshape(1, 41).astype(F32))
    c.output(c.node("sigmoid", [x], "s"), c.node("silu", [x], "t"))


# ---- add, sub, mul ------------------------------------------------------------

@case(501, "add, equal shapes, both graph inputs")
def add_same_shape(c):
    a, b = c.input("a", c.randn(1, 3, 4, 4)), c.input("b", c.randn(1, 3, 4, 4))
    c.output(c.node("add", [a, b], "y"))


@case(502, "add [1, C, H, W] + constant [1, C, 1, 1]")
def add_channel_bcast(c):
    a = c.input("a", c.randn(1, 3, 4, 5))
    b = c.const("b", c.randn(1, 3, 1, 1))
    c.output(c.node("add", [a, b], "y"))


@case(503, "add [1, C, 1, 1] + [1, C, H, W] (broadcast on the left operand)")
def add_channel_bcast_left(c):
    a = c.const("a", c.randn(1, 3, 1, 1))
    b = c.input("b", c.randn(2, 3, 3, 2))
    c.output(c.node("add", [a, b], "y"))


@case(504, "sub a scalar-like [1] constant")
def sub_scalar_like(c):
    a = c.input("a", c.randn(1, 2, 3, 3))
    b = c.const("b", np.array([0.75]))
    c.output(c.node("sub", [a, b], "y"))


@case(505, "sub with ranks 3 and 2 broadcasting both ways: [2, 1, 4] - [3, 1]")
def sub_both_sides(c):
    a, b = c.input("a", c.randn(2, 1, 4)), c.input("b", c.randn(3, 1))
    c.output(c.node("sub", [a, b], "y"))


@case(506, "mul rank mismatch: [2, 3, 4, 5] * [4, 1]")
def mul_rank_mismatch(c):
    a = c.input("a", c.randn(2, 3, 4, 5))
    b = c.const("b", c.randn(4, 1))
    c.output(c.node("mul", [a, b], "y"))


@case(507, "mul of a tensor with itself")
def mul_self(c):
    a = c.input("a", c.randn(1, 2, 2, 3))
    c.output(c.node("mul", [a, a], "y"))


# ---- concat, split ----------------------------------------------------------

@case(601, "concat three inputs on axis 1 (channels), one a constant")
def concat_axis1(c):
    a, b = c.input("a", c.randn(2, 1, 2, 3)), c.input("b", c.randn(2, 3, 2, 3))
    k = c.const("k", c.randn(2, 2, 2, 3))
    c.output(c.node("concat", [a, b, k], "y"))


@case(602, "concat three inputs on axis 2 (height)")
def concat_axis2(c):
    ins = [c.input("x%d" % i, c.randn(1, 2, h, 3)) for i, h in enumerate((1, 3, 2))]
    c.output(c.node("concat", ins, "y", {"axis": 2}))


@case(603, "concat on axis -1 (width)")
def concat_axis_neg(c):
    ins = [c.input("x%d" % i, c.randn(1, 2, 2, w)) for i, w in enumerate((2, 1, 3))]
    c.output(c.node("concat", ins, "y", {"axis": -1}))


@case(604, "split channels into sizes [1, 3, 2]")
def split_sizes(c):
    x = c.input("x", c.randn(2, 6, 2, 2))
    c.output(*c.node("split", [x], ["y0", "y1", "y2"], {"sizes": [1, 3, 2]}))


@case(605, "split height into 2 equal parts (no sizes)")
def split_equal(c):
    x = c.input("x", c.randn(1, 2, 4, 3))
    c.output(*c.node("split", [x], ["y0", "y1"], {"axis": 2}))


# ---- pooling ------------------------------------------------------------------

def pool_case(c, op, shape, attrs, negative=False):
    x = c.randn(*shape)
    if negative:
        x = -np.abs(x) - 0.25
    c.output(c.node(op, [c.input("x", x)], "y", attrs))


@case(701, "maxpool 2x2 (stride defaults to the kernel)")
def maxpool_2x2(c): pool_case(c, "maxpool2d", (1, 2, 6, 6), {"kernel": [2, 2]})


@case(702, "maxpool 3x3 stride 1 padding 1 on all-negative input: padding never wins")
def maxpool_pad_negative(c):
    pool_case(c, "maxpool2d", (1, 2, 5, 5), {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1]},
              negative=True)


@case(703, "maxpool kernel 3 stride 2 (overlapping windows)")
def maxpool_stride_ne_kernel(c):
    pool_case(c, "maxpool2d", (1, 2, 7, 7), {"kernel": [3, 3], "stride": [2, 2]})


@case(704, "maxpool ceil_mode: 6x6, kernel 3 stride 2 -> partial last window")
def maxpool_ceil(c):
    pool_case(c, "maxpool2d", (1, 2, 6, 6), {"kernel": [3, 3], "stride": [2, 2], "ceil_mode": True},
              negative=True)


@case(705, "maxpool ceil_mode where the last window would start in the padding and is dropped")
def maxpool_ceil_drop_last(c):
    pool_case(c, "maxpool2d", (1, 2, 3, 5),
              {"kernel": [2, 2], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True},
              negative=True)


@case(706, "maxpool asymmetric padding [0, 1, 1, 0], kernel [2, 3] stride [1, 2]")
def maxpool_asym(c):
    pool_case(c, "maxpool2d", (1, 1, 4, 6),
              {"kernel": [2, 3], "stride": [1, 2], "padding": [0, 1, 1, 0]}, negative=True)


@case(711, "avgpool 2x2")
def avgpool_2x2(c): pool_case(c, "avgpool2d", (1, 2, 4, 6), {"kernel": [2, 2]})


@case(712, "avgpool 3x3 stride 1 padding 1, count_include_pad false")
def avgpool_pad_exclude(c):
    pool_case(c, "avgpool2d", (1, 2, 5, 5), {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1]})


@case(713, "avgpool 3x3 stride 1 padding 1, count_include_pad true")
def avgpool_pad_include(c):
    pool_case(c, "avgpool2d", (1, 2, 5, 5),
              {"kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "count_include_pad": True})


@case(714, "avgpool ceil_mode without padding: partial last window averages its real cells")
def avgpool_ceil_exclude(c):
    pool_case(c, "avgpool2d", (1, 2, 5, 5), {"kernel": [2, 2], "stride": [2, 2], "ceil_mode": True})


@case(715, "avgpool ceil_mode + padding 1 + count_include_pad: cells past the padding do not count")
def avgpool_ceil_include(c):
    pool_case(c, "avgpool2d", (1, 2, 6, 6),
              {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True,
               "count_include_pad": True})


@case(716, "avgpool ceil_mode + asymmetric padding [1, 0, 0, 1], count_include_pad false")
def avgpool_ceil_asym_exclude(c):
    pool_case(c, "avgpool2d", (1, 1, 6, 7),
              {"kernel": [2, 3], "stride": [2, 2], "padding": [1, 0, 0, 1], "ceil_mode": True})


@case(717, "global_avgpool, batch 2")
def global_avgpool(c):
    c.output(c.node("global_avgpool", [c.input("x", c.randn(2, 3, 4, 5))], "y"))


# ---- resize -------------------------------------------------------------------

def resize_case(c, shape, attrs):
    c.output(c.node("resize", [c.input("x", c.randn(*shape))], "y", attrs))


@case(831, "nearest ceil with half_pixel, upsampling sizes 4 -> 8 (ONNX's nearest_mode)")
def resize_nearest_ceil(c):
    resize_case(c, (1, 1, 4, 4), {"size": [8, 8], "mode": "nearest", "coord": "half_pixel",
                                  "nearest": "ceil"})


@case(832, "nearest round_prefer_ceil with asymmetric, sizes 4 -> 7 x 8")
def resize_nearest_round_ceil(c):
    resize_case(c, (1, 2, 4, 4), {"size": [7, 8], "mode": "nearest", "coord": "asymmetric",
                                  "nearest": "round_prefer_ceil"})


@case(833, "nearest round_prefer_floor with half_pixel, downsampling 6 -> 4 (halves round down)")
def resize_nearest_round_floor(c):
    resize_case(c, (1, 1, 6, 6), {"size": [4, 3], "mode": "nearest", "coord": "half_pixel",
                                  "nearest": "round_prefer_floor"})


@case(834, "nearest tf_half_pixel_for_nn, downsampling sizes 4 -> 3")
def resize_nearest_tf_nn(c):
    resize_case(c, (1, 1, 4, 4), {"size": [3, 3], "mode": "nearest",
                                  "coord": "tf_half_pixel_for_nn"})


@case(801, "nearest, scale 2, asymmetric (default coord)")
def resize_nearest_scale2(c): resize_case(c, (1, 2, 3, 4), {"scale": [2.0, 2.0]})


@case(802, "nearest, scale 2, half_pixel")
def resize_nearest_half_pixel(c):
    resize_case(c, (1, 2, 3, 4), {"scale": [2.0, 2.0], "coord": "half_pixel"})


@case(803, "nearest, size [7, 5] from [5, 3]: non-integer ratios")
def resize_nearest_size_nonint(c): resize_case(c, (1, 2, 5, 3), {"size": [7, 5]})


@case(804, "nearest downscale, scale 0.5 on a 5x6 input (floor of the output size)")
def resize_nearest_downscale(c): resize_case(c, (1, 2, 5, 6), {"scale": [0.5, 0.5]})


@case(805, "nearest, scale [3, 1.5], align_corners")
def resize_nearest_align_corners(c):
    resize_case(c, (1, 1, 3, 4), {"scale": [3.0, 1.5], "coord": "align_corners"})


@case(806, "nearest, size [6, 9] from [4, 4], pytorch_half_pixel")
def resize_nearest_pytorch_half_pixel(c):
    resize_case(c, (1, 1, 4, 4), {"size": [6, 9], "coord": "pytorch_half_pixel"})


@case(811, "bilinear, scale 2, half_pixel (default coord): clamps at the border")
def resize_bilinear_half_pixel(c):
    resize_case(c, (1, 2, 3, 4), {"scale": [2.0, 2.0], "mode": "bilinear"})


@case(812, "bilinear, size [7, 9] from [4, 5], align_corners")
def resize_bilinear_align_corners(c):
    resize_case(c, (1, 2, 4, 5), {"size": [7, 9], "mode": "bilinear", "coord": "align_corners"})


@case(813, "bilinear, scale [1.5, 2], asymmetric")
def resize_bilinear_asymmetric(c):
    resize_case(c, (1, 2, 4, 3), {"scale": [1.5, 2.0], "mode": "bilinear", "coord": "asymmetric"})


@case(814, "bilinear, size [1, 7] from [4, 3], pytorch_half_pixel (an output of 1 samples 0)")
def resize_bilinear_pytorch_half_pixel(c):
    resize_case(c, (1, 2, 4, 3), {"size": [1, 7], "mode": "bilinear",
                                  "coord": "pytorch_half_pixel"})


@case(815, "bilinear downscale, size [3, 2] from [7, 5], half_pixel")
def resize_bilinear_downscale(c):
    resize_case(c, (1, 2, 7, 5), {"size": [3, 2], "mode": "bilinear"})


@case(816, "bilinear, size [5, 7] from [3, 4] (non-integer ratio), half_pixel")
def resize_bilinear_size_nonint(c):
    resize_case(c, (1, 1, 3, 4), {"size": [5, 7], "mode": "bilinear", "coord": "half_pixel"})


# ---- flatten, reshape, transpose, softmax --------------------------------------

@case(901, "flatten axis 1 (default)")
def flatten_axis1(c):
    c.output(c.node("flatten", [c.input("x", c.randn(2, 3, 2, 2))], "y"))


@case(902, "flatten axis 2 keeps [d0, d1]")
def flatten_axis2(c):
    c.output(c.node("flatten", [c.input("x", c.randn(2, 3, 2, 2))], "y", {"axis": 2}))


@case(903, "reshape with -1")
def reshape_neg1(c):
    c.output(c.node("reshape", [c.input("x", c.randn(1, 2, 3, 4))], "y", {"shape": [1, -1, 4]}))


@case(904, "reshape with 0 (copy the dim) and -1")
def reshape_zero(c):
    c.output(c.node("reshape", [c.input("x", c.randn(2, 3, 4))], "y", {"shape": [0, -1, 2]}))


@case(905, "transpose NCHW -> NHWC")
def transpose_nhwc(c):
    c.output(c.node("transpose", [c.input("x", c.randn(1, 3, 2, 4))], "y", {"perm": [0, 2, 3, 1]}))


@case(906, "transpose of a matrix")
def transpose_2d(c):
    c.output(c.node("transpose", [c.input("x", c.randn(3, 5))], "y", {"perm": [1, 0]}))


@case(907, "slice: every other row and column (YOLOv5's Focus)")
def slice_focus(c):
    c.output(c.node("slice", [c.input("x", c.randn(1, 3, 4, 6))], "y",
                    {"starts": [0, 1], "ends": [4, 6], "axes": [2, 3], "steps": [2, 2]}))


@case(908, "slice: negative starts and ends, a negative step (channels reversed)")
def slice_negative(c):
    c.output(c.node("slice", [c.input("x", c.randn(1, 4, 3, 5))], "y",
                    {"starts": [-1, -4], "ends": [-100, -1], "axes": [1, -1], "steps": [-1, 1]}))


@case(909, "slice: ends past the dim (clamped), default axes, starts before the dim")
def slice_clamped(c):
    x = c.input("x", c.randn(2, 3, 4))
    c.output(c.node("slice", [x], "y", {"starts": [1, 0], "ends": [1000, 3]}),
             c.node("slice", [x], "z", {"starts": [-9, 1, 1], "ends": [2, 3, 4], "steps": [1, 1, 2]}))


@case(913, "pad: constant 1.5 on H and W, a negative pad cropping W's end")
def pad_constant(c):
    c.output(c.node("pad", [c.input("x", c.randn(1, 2, 3, 4))], "y",
                    {"pads": [0, 0, 1, 2, 0, 0, 2, -1], "value": 1.5}))


@case(914, "pad: reflect by up to the axis size minus one, batch 2")
def pad_reflect(c):
    c.output(c.node("pad", [c.input("x", c.randn(2, 3, 4, 5))], "y",
                    {"pads": [0, 0, 3, 1, 0, 0, 2, 4], "mode": "reflect"}))


@case(915, "pad: edge, on a channel axis too")
def pad_edge(c):
    c.output(c.node("pad", [c.input("x", c.randn(1, 3, 2, 3))], "y",
                    {"pads": [0, 1, 2, 0, 0, 2, 0, 3], "mode": "edge"}))


@case(910, "slice: steps far past the dim (one element, no overflow), stepping back too")
def slice_huge_step(c):
    x = c.input("x", c.randn(1, 3, 4, 5))
    c.output(c.node("slice", [x], "y", {"starts": [1, 4], "ends": [3, 0],
                                        "axes": [1, 3], "steps": [2 ** 62, -(2 ** 62)]}))


@case(911, "softmax on axis 1 of NCHW")
def softmax_axis1(c):
    c.output(c.node("softmax", [c.input("x", c.randn(1, 4, 2, 3, scale=2.0))], "y", {"axis": 1}))


@case(912, "softmax on the last axis (default) with large logits (stability)")
def softmax_last_large(c):
    x = c.randn(2, 3, 5, scale=3.0) + np.array([0, 500, -500], dtype=F32)[None, :, None]
    c.output(c.node("softmax", [c.input("x", x)], "y"))


# ---- chains -------------------------------------------------------------------

@case(1001, "conv -> batch_norm -> silu -> maxpool (a YOLO conv block)")
def chain_conv_bn_silu_pool(c):
    x = c.input("x", c.randn(1, 3, 8, 8))
    w = c.const("w", c.randn(6, 3, 3, 3, scale=0.4))
    y = c.node("conv2d", [x, w], "c", {"padding": [1, 1]})
    y = c.node("batch_norm", [y] + bn_params(c, 6), "bn")
    y = c.node("silu", [y], "s")
    c.output(c.node("maxpool2d", [y], "y", {"kernel": [2, 2]}))


@case(1002, "C2f-like: conv, split in two, a residual conv branch, concat")
def chain_c2f(c):
    x = c.input("x", c.randn(1, 4, 5, 5))
    w1 = c.const("w1", c.randn(4, 4, 1, 1, scale=0.5))
    w2 = c.const("w2", c.randn(2, 2, 3, 3, scale=0.3))
    b2 = c.const("b2", c.randn(2, scale=0.1))
    w3 = c.const("w3", c.randn(3, 6, 1, 1, scale=0.5))
    h = c.node("conv2d", [x, w1], "h")
    p, q = c.node("split", [h], ["p", "q"])
    r = c.node("conv2d", [q, w2, b2], "r", {"padding": [1, 1]})
    r = c.node("hardswish", [r], "r.act")
    s = c.node("add", [q, r], "s")
    cat = c.node("concat", [p, q, s], "cat")
    c.output(c.node("conv2d", [cat, w3], "y"))


@case(1003, "FPN-like: upsample x2 (nearest), concat with a skip, conv, relu6")
def chain_fpn(c):
    top = c.input("top", c.randn(1, 2, 2, 3))
    skip = c.input("skip", c.randn(1, 3, 4, 6))
    w = c.const("w", c.randn(2, 5, 3, 3, scale=0.3))
    up = c.node("resize", [top], "up", {"scale": [2.0, 2.0]})
    cat = c.node("concat", [up, skip], "cat")
    y = c.node("conv2d", [cat, w], "conv", {"padding": [1, 1], "stride": [2, 2]})
    c.output(c.node("relu6", [y], "y"))


@case(1004, "detection head: conv, reshape to [N, A, K, HW], transpose, softmax; sigmoid branch")
def chain_detect_head(c):
    x = c.input("x", c.randn(1, 4, 3, 3))
    w = c.const("w", c.randn(8, 4, 1, 1))
    b = c.const("b", c.randn(8, scale=0.2))
    h = c.node("conv2d", [x, w, b], "h")
    box, cls = c.node("split", [h], ["box", "cls"], {"sizes": [4, 4]})
    r = c.node("reshape", [box], "r", {"shape": [0, 2, 2, -1]})
    t = c.node("transpose", [r], "t", {"perm": [0, 3, 1, 2]})
    c.output(c.node("softmax", [t], "dist"), c.node("sigmoid", [cls], "score"))


@case(1005, "classifier tail: global_avgpool, flatten, linear, leaky_relu, linear, softmax")
def chain_classifier(c):
    x = c.input("x", c.randn(2, 6, 3, 3))
    g = c.node("global_avgpool", [x], "g")
    f = c.node("flatten", [g], "f")
    h = c.node("linear", [f, c.const("w1", c.randn(5, 6)), c.const("b1", c.randn(5))], "h")
    h = c.node("leaky_relu", [h], "h.act", {"alpha": 0.1})
    z = c.node("linear", [h, c.const("w2", c.randn(3, 5))], "z")
    c.output(c.node("softmax", [z], "y", {"axis": 1}))


@case(1006, "SPPF-like: maxpool 5x5 stride 1 padding 2, chained three times, concat, sub/mul")
def chain_sppf(c):
    x = c.input("x", c.randn(1, 2, 6, 6))
    attrs = {"kernel": [5, 5], "stride": [1, 1], "padding": [2, 2]}
    p1 = c.node("maxpool2d", [x], "p1", attrs)
    p2 = c.node("maxpool2d", [p1], "p2", attrs)
    p3 = c.node("maxpool2d", [p2], "p3", attrs)
    cat = c.node("concat", [x, p1, p2, p3], "cat")
    d = c.node("sub", [cat, c.const("m", c.randn(1, 8, 1, 1))], "d")
    e = c.node("mul", [d, c.const("s", np.array([0.5]))], "e")
    c.output(c.node("tanh", [e], "y"))


# ---------------------------------------------------------------------------
# Writing


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        # Positional with a '.', so no YAML reader takes it for an int or a
        # string; repr of the double is exact for float32 data.
        s = np.format_float_positional(float(v), unique=True)
        return s + "0" if s.endswith(".") else s
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    raise TypeError(type(v))


def write_case(name, doc, c, results):
    folder = os.path.join(HERE, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    lines = ["# %s: %s" % (name, doc),
             "# Generated by tests/golden/gen_goldens.py; do not edit.",
             "format: 1", "name: %s" % name, "inputs:"]
    for i, (iname, arr) in enumerate(c.inputs):
        lines.append("  - {name: %s, shape: %s}" % (iname, fmt(list(arr.shape))))
        np.save(os.path.join(folder, "input_%d.npy" % i), arr)
    lines.append("outputs: %s" % fmt(c.outputs))
    if c.consts:
        lines.append("constants:")
        for cname, arr in c.consts.items():
            head = "dtype: f32, shape: %s" % fmt(list(arr.shape))
            if arr.size <= INLINE_MAX:
                body = "data: %s" % fmt([float(v) for v in arr.reshape(-1)])
            else:
                np.save(os.path.join(folder, cname + ".npy"), arr)
                body = "file: %s.npy" % cname
            lines.append("  %s: {%s, %s}" % (cname, head, body))
    lines.append("nodes:")
    for nname, op, ins, outs, attrs in c.nodes:
        s = "  - {name: %s, op: %s, inputs: %s, outputs: %s" % (nname, op, fmt(ins), fmt(outs))
        if attrs:
            s += ", attrs: {%s}" % ", ".join("%s: %s" % (k, fmt(v)) for k, v in attrs.items())
        lines.append(s + "}")
    with open(os.path.join(folder, "model.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for oname, arr in results.items():
        np.save(os.path.join(folder, "expected_%s.npy" % oname), arr)


def self_check():
    """A few values worked out by hand, so a broken NumPy reference cannot
    silently produce goldens (the C side has its own hand-made tests)."""
    x = np.arange(1, 17, dtype=F32).reshape(1, 1, 4, 4)
    w = np.array([1, 0, -1, 2, 0, -2, 1, 0, -1], dtype=F32).reshape(1, 1, 3, 3)
    y = np_conv2d(x, w, np.array([0.5], dtype=F32), dict(DEFAULTS["conv2d"], padding=[1, 1]))
    assert y[0, 0, 0].tolist() == [-9.5, -5.5, -5.5, 13.5], y
    x = np.array([1, 2, 3, 4], dtype=F32).reshape(1, 1, 2, 2)
    a = dict(DEFAULTS["avgpool2d"], kernel=[2, 2], stride=[1, 1], padding=[1, 1])
    assert np_avgpool2d(x, a)[0, 0, 0].tolist() == [1, 1.5, 2]
    a["count_include_pad"] = True
    assert np_avgpool2d(x, a)[0, 0, 0].tolist() == [0.25, 0.75, 0.5]
    x = np.array([-1, -2, -3, -4], dtype=F32).reshape(1, 1, 2, 2)
    a = dict(DEFAULTS["maxpool2d"], kernel=[2, 2], stride=[1, 1], padding=[1, 1])
    assert np_maxpool2d(x, a)[0, 0].tolist() == [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]]
    assert pool_out(3, 2, 2, 1, 1, True) == 2 and pool_out(5, 2, 2, 0, 0, True) == 3
    x = np.array([0, 2, 4, 6], dtype=F32).reshape(1, 1, 2, 2)
    y = np_resize(x, {"size": [3, 3], "mode": "bilinear", "coord": "align_corners"})
    assert y[0, 0].tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    y = np_resize(np.array([0, 4], dtype=F32).reshape(1, 1, 1, 2),
                  {"scale": [2.0, 2.0], "mode": "bilinear"})
    assert y[0, 0, 0].tolist() == [0, 1, 3, 4]


def main():
    self_check()
    known = set()
    total = 0
    for name, seed, doc, fn in CASES:
        c = Case(name, seed, doc)
        fn(c)
        results = c.run()
        write_case(name, doc, c, results)
        known.add(name)
    for entry in sorted(os.listdir(HERE)):
        path = os.path.join(HERE, entry)
        if os.path.isdir(path):
            if entry not in known:
                print("note: %s is not a case of this script" % entry, file=sys.stderr)
            total += sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    print("%d cases, %d bytes" % (len(CASES), total))


if __name__ == "__main__":
    main()
