#!/usr/bin/python3
"""npref: an independent NumPy reference interpreter of the qcc model format.

This is the first link of the oracle chain (NumPy goldens -> float
interpreter -> int8 interpreter -> compiled code), so it is written to be
obviously correct rather than fast: every op is a direct transcription of
/work/shared/spec/model-format.md (ONNX semantics where the spec is silent),
computed in float64, with results cast to float32 at the end. It shares no
code with the C compiler on purpose.

Library use:
    m = npref.load("examples/lenet/model.yaml")
    outs = npref.run(m, {"image": x})          # {"logits": float32 array}
    y = npref.eval_op("conv2d", [x, w, b], {"stride": [2, 2]})[0]

Command line:
    python3 tools/npref.py MODEL.yaml --input NAME=FILE.npy ... --output-dir DIR
writes DIR/<output>.npy (float32) for every graph output.
"""

import argparse
import math
import os
import sys

import numpy as np

try:
    import yaml
except ImportError:  # only load() needs it; eval_op works without
    yaml = None

NP_DTYPES = {"f32": np.float32, "i8": np.int8, "u8": np.uint8, "i32": np.int32}


class ModelError(Exception):
    pass


# ---------------------------------------------------------------------------
# Attribute helpers


def _pads4(p):
    """padding as [top, left, bottom, right]; [ph, pw] means symmetric."""
    if p is None:
        return (0, 0, 0, 0)
    p = [int(v) for v in p]
    if len(p) == 2:
        return (p[0], p[1], p[0], p[1])
    if len(p) == 4:
        return tuple(p)
    raise ModelError("padding must have 2 or 4 entries, got %r" % (p,))


def _pair(v, default):
    if v is None:
        v = default
    if isinstance(v, (int, float)):
        v = [v, v]
    v = [int(x) for x in v]
    if len(v) != 2:
        raise ModelError("expected 2 entries, got %r" % (v,))
    return v


def _axis(axis, rank):
    a = int(axis)
    if a < 0:
        a += rank
    if not 0 <= a < rank:
        raise ModelError("axis %d out of range for rank %d" % (axis, rank))
    return a


# ---------------------------------------------------------------------------
# Ops. Each takes float64 arrays and the attrs dict, returns a list of outputs.


def op_conv_transpose(ins, attrs, nout):
    """ONNX ConvTranspose as a scatter of each input pixel's weighted
    kernel, then the padding cropped."""
    x, w = ins[0].astype(np.float64), ins[1].astype(np.float64)
    b = ins[2] if len(ins) > 2 else None
    sh, sw = _pair(attrs.get("stride"), 1)
    pad = [int(v) for v in attrs.get("padding", [0, 0, 0, 0])]
    pt, pl, pb, pr = pad * 2 if len(pad) == 2 else pad
    oph, opw = _pair(attrs.get("output_padding"), 0)
    g = int(attrs.get("groups", 1))
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // g
    z = np.zeros((n, og * g, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for ci in range(c):
        gi = ci // cg
        for i in range(kh):
            for j in range(kw):
                z[:, gi * og:(gi + 1) * og, i:i + (h - 1) * sh + 1:sh,
                  j:j + (wd - 1) * sw + 1:sw] += (
                      x[:, ci, None] * w[ci, :, i, j][None, :, None, None])
    oh = (h - 1) * sh - pt - pb + kh + oph
    ow = (wd - 1) * sw - pl - pr + kw + opw
    y = z[:, :, pt:pt + oh, pl:pl + ow]
    if b is not None:
        y = y + np.asarray(b, np.float64)[None, :, None, None]
    return [y]


def op_conv2d(ins, attrs, nout):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    sh, sw = _pair(attrs.get("stride"), 1)
    dh, dw = _pair(attrs.get("dilation"), 1)
    pt, pl, pb, pr = _pads4(attrs.get("padding"))
    g = int(attrs.get("groups", 1))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if c % g or o % g or cg != c // g:
        raise ModelError("conv2d: channels %d / weight %s / groups %d mismatch"
                         % (c, w.shape, g))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    hp, wp = xp.shape[2], xp.shape[3]
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ModelError("conv2d: kernel larger than the padded input")
    og = o // g
    wg = w.reshape(g, og, cg, kh, kw)
    y = np.zeros((n, g, og, oh * ow))
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            patch = xp[:, :, r0:r0 + sh * (oh - 1) + 1:sh,
                       c0:c0 + sw * (ow - 1) + 1:sw]
            patch = patch.reshape(n, g, cg, oh * ow)
            # (g, og, cg) @ (n, g, cg, P) -> (n, g, og, P)
            y += np.matmul(wg[:, :, :, i, j], patch)
    y = y.reshape(n, o, oh, ow)
    if b is not None:
        y = y + b.reshape(1, o, 1, 1)
    return [y]


def op_linear(ins, attrs, nout):
    x, w = ins[0], ins[1]
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1]:
        raise ModelError("linear: x %s and w %s do not match" % (x.shape, w.shape))
    y = x @ w.T
    if len(ins) > 2:
        y = y + ins[2].reshape(1, -1)
    return [y]


def op_batch_norm(ins, attrs, nout):
    x, gamma, beta, mean, var = ins
    eps = float(attrs.get("eps", 1e-5))
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    r = lambda v: v.reshape(shape)
    return [(x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)]


def _sigmoid(x):
    # Split by sign so exp never overflows.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def op_unary(fn):
    return lambda ins, attrs, nout: [fn(ins[0], attrs)]


def _erf(x):
    """erf elementwise in float64 (NumPy has none; math.erf is libm's)."""
    x = np.asarray(x, dtype=np.float64)
    return np.vectorize(math.erf, otypes=[np.float64])(x)


UNARY = {
    "relu": lambda x, a: np.maximum(x, 0.0),
    "relu6": lambda x, a: np.minimum(np.maximum(x, 0.0), 6.0),
    "clip": lambda x, a: np.minimum(np.maximum(x, float(a.get("min", -np.inf))),
                                    float(a.get("max", np.inf))),
    "sigmoid": lambda x, a: _sigmoid(x),
    "tanh": lambda x, a: np.tanh(x),
    "silu": lambda x, a: x * _sigmoid(x),
    "hardswish": lambda x, a: x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0,
    "hardsigmoid": lambda x, a: np.maximum(
        0.0, np.minimum(1.0, float(a.get("alpha", 1.0 / 6.0)) * x
                        + float(a.get("beta", 0.5)))),
    "leaky_relu": lambda x, a: np.where(x >= 0, x, float(a.get("alpha", 0.01)) * x),
    "exp": lambda x, a: np.exp(x),
    "neg": lambda x, a: -x,
    "abs": lambda x, a: np.abs(x),
    "sqrt": lambda x, a: np.sqrt(x),
    "reciprocal": lambda x, a: 1.0 / x,
    "log": lambda x, a: np.log(x),
    "softplus": lambda x, a: np.log1p(np.exp(x)),
    "mish": lambda x, a: x * np.tanh(np.log1p(np.exp(x))),
    "pow": lambda x, a: np.power(x, float(a["exponent"])),
    "erf": lambda x, a: _erf(x),
    "gelu": lambda x, a: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0))),
}


def op_binary(fn):
    def f(ins, attrs, nout):
        a, b = ins
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ModelError("cannot broadcast %s with %s" % (a.shape, b.shape))
        return [fn(a, b)]
    return f


def op_concat(ins, attrs, nout):
    axis = _axis(attrs.get("axis", 1), ins[0].ndim)
    return [np.concatenate(ins, axis=axis)]


def op_split(ins, attrs, nout):
    x = ins[0]
    axis = _axis(attrs.get("axis", 1), x.ndim)
    sizes = attrs.get("sizes")
    if sizes is None:
        if x.shape[axis] % nout:
            raise ModelError("split: %d not divisible into %d parts"
                             % (x.shape[axis], nout))
        sizes = [x.shape[axis] // nout] * nout
    sizes = [int(s) for s in sizes]
    if len(sizes) != nout or sum(sizes) != x.shape[axis]:
        raise ModelError("split: sizes %r do not fit axis %d of %s into %d outputs"
                         % (sizes, axis, x.shape, nout))
    bounds = np.cumsum(sizes)[:-1]
    return list(np.split(x, bounds, axis=axis))


def _pool_out(size, k, s, p0, p1, ceil_mode):
    """Output length of a pooling window along one axis (PyTorch/ONNX rule)."""
    span = size + p0 + p1 - k
    if span < 0:
        raise ModelError("pool: kernel larger than the padded input")
    if ceil_mode:
        out = -(-span // s) + 1
        # The last window must start inside the input or the left padding.
        if (out - 1) * s >= size + p0:
            out -= 1
    else:
        out = span // s + 1
    return out


def _pool_windows(x, attrs, fill, extra_fill):
    """Pads x and returns (windows [N,C,OH,OW,KH,KW], padded-shape info).

    `fill` goes into the declared padding, `extra_fill` into the overhang
    that ceil_mode may add past the padded bounds."""
    kh, kw = _pair(attrs.get("kernel"), None)
    sh, sw = _pair(attrs.get("stride"), [kh, kw])
    pt, pl, pb, pr = _pads4(attrs.get("padding"))
    ceil_mode = bool(attrs.get("ceil_mode", False))
    n, c, h, w = x.shape
    oh = _pool_out(h, kh, sh, pt, pb, ceil_mode)
    ow = _pool_out(w, kw, sw, pl, pr, ceil_mode)
    need_h = (oh - 1) * sh + kh
    need_w = (ow - 1) * sw + kw
    hp, wp = h + pt + pb, w + pl + pr
    big = np.full((n, c, max(need_h, hp), max(need_w, wp)), extra_fill)
    big[:, :, :hp, :wp] = fill
    big[:, :, pt:pt + h, pl:pl + w] = x
    win = np.empty((n, c, oh, ow, kh, kw))
    for i in range(kh):
        for j in range(kw):
            win[:, :, :, :, i, j] = big[:, :, i:i + sh * (oh - 1) + 1:sh,
                                        j:j + sw * (ow - 1) + 1:sw]
    return win


def op_maxpool2d(ins, attrs, nout):
    if attrs.get("kernel") is None:
        raise ModelError("maxpool2d: kernel is required")
    win = _pool_windows(ins[0], attrs, -np.inf, -np.inf)
    return [win.max(axis=(4, 5))]


def op_avgpool2d(ins, attrs, nout):
    if attrs.get("kernel") is None:
        raise ModelError("avgpool2d: kernel is required")
    x = ins[0]
    total = _pool_windows(x, attrs, 0.0, 0.0).sum(axis=(4, 5))
    if bool(attrs.get("count_include_pad", False)):
        # Count every position inside the padded bounds, not the overhang.
        ones = np.ones_like(x)
        cnt = _pool_windows(ones, attrs, 1.0, 0.0).sum(axis=(4, 5))
    else:
        ones = np.ones_like(x)
        cnt = _pool_windows(ones, attrs, 0.0, 0.0).sum(axis=(4, 5))
    return [total / cnt]


def op_global_avgpool(ins, attrs, nout):
    return [ins[0].mean(axis=(2, 3), keepdims=True)]


def _src_coords(out_len, in_len, scale, coord):
    o = np.arange(out_len, dtype=np.float64)
    if coord == "asymmetric":
        return o / scale
    if coord == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        if out_len > 1:
            return (o + 0.5) / scale - 0.5
        return np.zeros_like(o)
    if coord == "align_corners":
        if out_len > 1:
            return o * (in_len - 1) / (out_len - 1)
        return np.zeros_like(o)
    if coord == "tf_half_pixel_for_nn":
        return (o + 0.5) / scale
    raise ModelError("resize: unknown coord %r" % (coord,))


# resize's `nearest`: ONNX's nearest_mode (round_prefer_floor rounds halves
# down, round_prefer_ceil up).
_NEAREST = {"floor": np.floor, "ceil": np.ceil,
            "round_prefer_floor": lambda v: np.ceil(v - 0.5),
            "round_prefer_ceil": lambda v: np.floor(v + 0.5)}


def op_resize(ins, attrs, nout):
    x = ins[0]
    n, c, h, w = x.shape
    mode = attrs.get("mode", "nearest")
    if mode not in ("nearest", "bilinear"):
        raise ModelError("resize: unknown mode %r" % (mode,))
    coord = attrs.get("coord", "asymmetric" if mode == "nearest" else "half_pixel")
    if ("scale" in attrs) == ("size" in attrs):
        raise ModelError("resize: exactly one of scale and size is required")
    if "scale" in attrs:
        sh, sw = [float(v) for v in attrs["scale"]]
        if sh <= 0 or sw <= 0:
            raise ModelError("resize: scale must be positive")
        oh, ow = int(math.floor(h * sh)), int(math.floor(w * sw))
    else:
        oh, ow = [int(v) for v in attrs["size"]]
        sh, sw = oh / h, ow / w
    if oh <= 0 or ow <= 0:
        raise ModelError("resize: empty output")
    ys = _src_coords(oh, h, sh, coord)
    xs = _src_coords(ow, w, sw, coord)
    if mode == "nearest":
        pick = _NEAREST[attrs.get("nearest", "floor")]
        iy = np.clip(pick(ys).astype(np.int64), 0, h - 1)
        ix = np.clip(pick(xs).astype(np.int64), 0, w - 1)
        return [x[:, :, iy][:, :, :, ix]]
    ys = np.clip(ys, 0.0, h - 1)
    xs = np.clip(xs, 0.0, w - 1)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    fy = (ys - y0).reshape(1, 1, oh, 1)
    fx = (xs - x0).reshape(1, 1, 1, ow)
    top = x[:, :, y0][:, :, :, x0] * (1 - fx) + x[:, :, y0][:, :, :, x1] * fx
    bot = x[:, :, y1][:, :, :, x0] * (1 - fx) + x[:, :, y1][:, :, :, x1] * fx
    return [top * (1 - fy) + bot * fy]


def op_flatten(ins, attrs, nout):
    x = ins[0]
    axis = int(attrs.get("axis", 1))
    if axis < 0:
        axis += x.ndim
    if not 0 <= axis <= x.ndim:
        raise ModelError("flatten: axis out of range")
    return [x.reshape(tuple(x.shape[:axis]) + (int(np.prod(x.shape[axis:])),))]


def op_reshape(ins, attrs, nout):
    x = ins[0]
    shape = [int(v) for v in attrs["shape"]]
    if shape.count(-1) > 1:
        raise ModelError("reshape: more than one -1")
    shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    if -1 in shape:
        rest = int(np.prod([v for v in shape if v != -1]))
        if rest == 0 or x.size % rest:
            raise ModelError("reshape: cannot infer -1 for %s -> %s" % (x.shape, shape))
        shape[shape.index(-1)] = x.size // rest
    if int(np.prod(shape)) != x.size:
        raise ModelError("reshape: %s has %d elements, %s does not"
                         % (x.shape, x.size, shape))
    return [x.reshape(shape)]


def op_pad(ins, attrs, nout):
    """ONNX Pad (constant, reflect, edge): NumPy's pad of the positive
    amounts, then the negative ones cropped."""
    x = ins[0]
    r = x.ndim
    p = [int(v) for v in attrs["pads"]]
    if len(p) != 2 * r:
        raise ModelError("pad: %d pads for rank %d" % (len(p), r))
    mode = attrs.get("mode", "constant")
    widths = [(max(p[i], 0), max(p[i + r], 0)) for i in range(r)]
    if mode == "constant":
        y = np.pad(x, widths, constant_values=float(attrs.get("value", 0.0)))
    else:
        y = np.pad(x, widths, mode=mode)
    return [y[tuple(slice(max(-p[i], 0), y.shape[i] - max(-p[i + r], 0))
                    for i in range(r))]]


def op_slice(ins, attrs, nout):
    """ONNX Slice (Python's slice clamping is ONNX's)."""
    x = ins[0]
    k = len(attrs["starts"])
    axes = [int(v) for v in attrs.get("axes", range(k))]
    steps = [int(v) for v in attrs.get("steps", [1] * k)]
    idx = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(attrs["starts"], attrs["ends"], axes, steps):
        if sp == 0:
            raise ModelError("slice: step 0")
        idx[ax] = slice(int(st), int(en), sp)
    return [x[tuple(idx)]]


def op_transpose(ins, attrs, nout):
    perm = [int(v) for v in attrs["perm"]]
    if sorted(perm) != list(range(ins[0].ndim)):
        raise ModelError("transpose: bad perm %r" % (perm,))
    return [np.transpose(ins[0], perm)]


def op_softmax(ins, attrs, nout):
    x = ins[0]
    axis = _axis(attrs.get("axis", -1), x.ndim)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return [e / e.sum(axis=axis, keepdims=True)]


OPS = {
    "conv2d": op_conv2d,
    "conv_transpose": op_conv_transpose,
    "linear": op_linear,
    "batch_norm": op_batch_norm,
    "add": op_binary(np.add),
    "sub": op_binary(np.subtract),
    "mul": op_binary(np.multiply),
    "concat": op_concat,
    "split": op_split,
    "maxpool2d": op_maxpool2d,
    "avgpool2d": op_avgpool2d,
    "global_avgpool": op_global_avgpool,
    "resize": op_resize,
    "flatten": op_flatten,
    "reshape": op_reshape,
    "transpose": op_transpose,
    "slice": op_slice,
    "pad": op_pad,
    "softmax": op_softmax,
}
OPS.update({name: op_unary(fn) for name, fn in UNARY.items()})


def eval_op(op, inputs, attrs=None, nout=1):
    """Evaluates one op on arrays (any dtype; computed in float64).

    Returns a list of float64 arrays, one per output."""
    if op not in OPS:
        raise ModelError("unknown op %r" % (op,))
    ins = [np.asarray(a, dtype=np.float64) for a in inputs]
    return OPS[op](ins, dict(attrs or {}), nout)


# ---------------------------------------------------------------------------
# Models


class Model:
    """A loaded model: inputs [(name, shape)], outputs [name],
    constants {name: ndarray}, nodes [dict] in dependency order."""

    def __init__(self, name, inputs, outputs, constants, nodes):
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.constants = constants
        self.nodes = nodes


def _load_constant(name, spec, base):
    dt = NP_DTYPES.get(spec.get("dtype"))
    if dt is None:
        raise ModelError("constant %s: bad dtype %r" % (name, spec.get("dtype")))
    shape = tuple(int(v) for v in spec["shape"])
    if ("data" in spec) == ("file" in spec):
        raise ModelError("constant %s: exactly one of data and file" % name)
    if "data" in spec:
        arr = np.array(spec["data"], dtype=dt)
        if arr.size != int(np.prod(shape)):
            raise ModelError("constant %s: %d values for shape %s"
                             % (name, arr.size, shape))
        return arr.reshape(shape)
    path = os.path.join(base, spec["file"])
    arr = np.load(path, allow_pickle=False)
    if arr.dtype != np.dtype(dt).newbyteorder("<") and arr.dtype != np.dtype(dt):
        raise ModelError("%s: dtype %s, declared %s" % (path, arr.dtype, spec["dtype"]))
    if arr.shape != shape:
        raise ModelError("%s: shape %s, declared %s" % (path, arr.shape, shape))
    return arr


def _toposort(nodes, available):
    ready = set(available)
    pending = list(nodes)
    order = []
    while pending:
        progress = False
        rest = []
        for nd in pending:
            if all(i in ready for i in nd["inputs"]):
                order.append(nd)
                ready.update(nd["outputs"])
                progress = True
            else:
                rest.append(nd)
        if not progress:
            missing = sorted({i for nd in rest for i in nd["inputs"] if i not in ready})
            raise ModelError("cycle or undefined tensors: %s" % ", ".join(missing))
        pending = rest
    return order


def load(path):
    """Reads a model YAML file (constants from data or .npy files)."""
    if yaml is None:
        raise ModelError("python3-yaml is required to read model files")
    with open(path) as f:
        doc = yaml.safe_load(f)
    if doc.get("format") != 1:
        raise ModelError("%s: format must be 1" % path)
    base = os.path.dirname(os.path.abspath(path))
    inputs = [(i["name"], tuple(int(v) for v in i["shape"])) for i in doc["inputs"]]
    constants = {k: _load_constant(k, v, base)
                 for k, v in (doc.get("constants") or {}).items()}
    nodes = []
    for idx, nd in enumerate(doc["nodes"]):
        nodes.append({
            "name": nd.get("name", "%s_%d" % (nd["op"], idx)),
            "op": nd["op"],
            "inputs": list(nd["inputs"]),
            "outputs": list(nd["outputs"]),
            "attrs": dict(nd.get("attrs") or {}),
        })
    produced = [n for n, _ in inputs] + list(constants)
    for nd in nodes:
        produced += nd["outputs"]
    dup = {t for t in produced if produced.count(t) > 1}
    if dup:
        raise ModelError("tensors produced more than once: %s" % ", ".join(sorted(dup)))
    order = _toposort(nodes, [n for n, _ in inputs] + list(constants))
    return Model(doc["name"], inputs, list(doc["outputs"]), constants, order)


def run(model, feeds, keep_all=False):
    """Evaluates the model. feeds: {input name: array of the declared shape}.

    Returns {output name: float32 array}; with keep_all, every tensor."""
    env = {k: v.astype(np.float64) for k, v in model.constants.items()}
    for name, shape in model.inputs:
        if name not in feeds:
            raise ModelError("missing input %s" % name)
        x = np.asarray(feeds[name], dtype=np.float64)
        if tuple(x.shape) != shape:
            raise ModelError("input %s: shape %s, declared %s" % (name, x.shape, shape))
        env[name] = x
    for nd in model.nodes:
        try:
            outs = eval_op(nd["op"], [env[i] for i in nd["inputs"]], nd["attrs"],
                           len(nd["outputs"]))
        except ModelError as e:
            raise ModelError("node %s (%s): %s" % (nd["name"], nd["op"], e))
        for t, v in zip(nd["outputs"], outs):
            env[t] = v
    names = list(env) if keep_all else model.outputs
    return {t: env[t].astype(np.float32) for t in names}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy")
    ap.add_argument("--output-dir", required=True)
    args = ap.parse_args(argv)
    try:
        m = load(args.model)
        feeds = {}
        for spec in args.input:
            name, sep, path = spec.partition("=")
            if not sep:
                raise ModelError("--input expects NAME=FILE.npy, got %r" % spec)
            feeds[name] = np.load(path, allow_pickle=False)
        outs = run(m, feeds)
    except (ModelError, OSError, KeyError, ValueError) as e:
        print("npref: error: %s" % e, file=sys.stderr)
        return 1
    os.makedirs(args.output_dir, exist_ok=True)
    for name, v in outs.items():
        np.save(os.path.join(args.output_dir, name + ".npy"), v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
