#!/usr/bin/python3
"""Generates the bundled example models: examples/{simple_linear,lenet,yolo_style}.

Each model folder gets model.yaml, weights/*.npy, calib.npy ([32, *input
shape]), four held-out inputs inputs/<input>_<k>.npy and their reference
outputs reference/<output>_<k>.npy computed by tools/npref.py (NumPy, never
qcc). It also rewrites examples/README.md with the per-layer activation
statistics over the calibration set.

The models are built node by node while being evaluated on the calibration
batch with npref's own op functions. That is what lets batch-norm layers get
statistics that actually normalize: when a batch_norm node is added, its
mean/var are set from the per-channel statistics of its input over the
calibration images, so every conv+bn output starts at mean ~0, std ~1 (then
gamma ~ 1 +- noise, beta small), exactly like a trained network in eval mode.

Deterministic: numpy's legacy RandomState (a frozen stream) with fixed seeds.
Usage: /usr/bin/python3 examples/gen_examples.py   (from anywhere; ~10 s)
"""

import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import npref  # noqa: E402

CALIB = 32     # calibration samples per model
HELDOUT = 4    # held-out inputs (and reference outputs) per model
INLINE_MAX = 32  # biases up to this size go inline as `data:`, the rest in files


# ---------------------------------------------------------------------------
# YAML writing (by hand, so the files stay compact and readable: one node or
# constant per line, flow style, floats in their shortest float32 form)


def fmt_float(v):
    # Positional notation always has a '.', so YAML 1.1 resolvers (PyYAML,
    # libyaml users) read it as a float, and it round-trips through float32.
    return np.format_float_positional(np.float32(v), unique=True, trim="0")


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return fmt_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, fmt(x)) for k, x in v.items()) + "}"
    raise TypeError(type(v))


# ---------------------------------------------------------------------------
# The builder: adds nodes and evaluates them on the calibration batch.


class Builder:
    def __init__(self, name, title, seed):
        self.name = name
        self.title = title
        self.rng = np.random.RandomState(seed)
        self.inputs = []        # (name, shape)
        self.outputs = []
        self.consts = {}        # name -> float32 array
        self.nodes = []         # dicts: name, op, inputs, outputs, attrs
        self.env = {}           # tensor -> float64 value on the calibration batch
        self.stats = []         # (node name, op, tensor, shape, mean, std, min, max)
        self.bn_checks = []

    # -- graph pieces --

    def input(self, name, shape, calib):
        assert calib.shape == (CALIB,) + tuple(shape), calib.shape
        self.inputs.append((name, tuple(shape)))
        # Evaluate with the batch folded into N: [S, 1, ...] -> [S, ...].
        self.env[name] = calib.reshape((CALIB,) + tuple(shape[1:])).astype(np.float64)
        return name

    def const(self, name, arr):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        self.consts[name] = arr
        self.env[name] = arr.astype(np.float64)
        return name

    def node(self, op, name, inputs, outputs, attrs=None):
        attrs = dict(attrs or {})
        outs = npref.eval_op(op, [self.env[i] for i in inputs], attrs, len(outputs))
        for t, v in zip(outputs, outs):
            self.env[t] = v
            self.stats.append((name, op, t, (1,) + v.shape[1:], v.mean(), v.std(),
                               v.min(), v.max()))
        self.nodes.append({"name": name, "op": op, "inputs": list(inputs),
                           "outputs": list(outputs), "attrs": attrs})
        return outputs[0] if len(outputs) == 1 else outputs

    # -- layers with initialised weights --

    def conv(self, name, x, cout, k, stride=1, pad=None, groups=1, bias=True,
             dilation=1):
        cin = self.env[x].shape[1]
        fan_in = cin // groups * k * k
        w = self.rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_in)
        ins = [x, self.const(name + ".w", w)]
        if bias:
            ins.append(self.const(name + ".b", 0.05 * self.rng.standard_normal(cout)))
        if pad is None:
            pad = (k - 1) // 2 * dilation
        attrs = {}
        if stride != 1:
            attrs["stride"] = [stride, stride]
        if pad:
            attrs["padding"] = [pad, pad, pad, pad]
        if dilation != 1:
            attrs["dilation"] = [dilation, dilation]
        if groups != 1:
            attrs["groups"] = groups
        return self.node("conv2d", name, ins, [name + ".y"], attrs)

    def linear(self, name, x, cout, out=None, gain=2.0):
        cin = self.env[x].shape[1]
        w = self.rng.standard_normal((cout, cin)) * np.sqrt(gain / cin)
        b = 0.05 * self.rng.standard_normal(cout)
        return self.node("linear", name,
                         [x, self.const(name + ".w", w), self.const(name + ".b", b)],
                         [out or name + ".y"])

    def batch_norm(self, name, x, eps=1e-3):
        v = self.env[x]
        c = v.shape[1]
        axes = (0, 2, 3) if v.ndim == 4 else (0,)
        mean = v.mean(axis=axes)
        var = v.var(axis=axes)
        gamma = 1.0 + 0.05 * self.rng.standard_normal(c)
        beta = 0.05 * self.rng.standard_normal(c)
        ins = [x] + [self.const("%s.%s" % (name, p), a)
                     for p, a in (("gamma", gamma), ("beta", beta),
                                  ("mean", mean), ("var", var))]
        y = self.node("batch_norm", name, ins, [name + ".y"], {"eps": eps})
        self.bn_checks.append(name)
        out = self.env[y]
        # The point of calibrating BN: outputs normalised on the calibration set.
        cm = out.mean(axis=axes)
        cs = out.std(axis=axes)
        assert abs(out.mean()) < 0.1 and abs(out.std() - 1.0) < 0.1, \
            (name, out.mean(), out.std())
        assert np.all(np.abs(cm) < 0.25) and np.all((cs > 0.75) & (cs < 1.25)), \
            (name, cm, cs)
        return y

    def conv_bn_act(self, name, x, cout, k, stride=1, groups=1, act="silu",
                    attrs=None):
        c = self.conv(name + ".conv", x, cout, k, stride=stride, groups=groups,
                      bias=False)
        n = self.batch_norm(name + ".bn", c)
        return self.node(act, name + ".act", [n], [name], attrs)

    # -- output --

    def write(self, outdir):
        for sub in ("weights", "inputs", "reference"):
            shutil.rmtree(os.path.join(outdir, sub), ignore_errors=True)
        os.makedirs(os.path.join(outdir, "weights"))
        lines = [
            "# %s: %s" % (self.name, self.title),
            "# Generated by examples/gen_examples.py (deterministic); do not edit.",
            "format: 1",
            "name: %s" % self.name,
            "inputs:",
        ]
        for n, s in self.inputs:
            lines.append("  - {name: %s, shape: %s}" % (n, fmt(list(s))))
        lines.append("outputs: %s" % fmt(self.outputs))
        lines.append("constants:")
        for n, a in self.consts.items():
            spec = "dtype: f32, shape: %s" % fmt(list(a.shape))
            if n.endswith(".b") and a.size <= INLINE_MAX:
                spec += ", data: %s" % fmt([float(v) for v in a])
            else:
                rel = "weights/%s.npy" % n
                np.save(os.path.join(outdir, rel), a.astype("<f4"))
                spec += ", file: %s" % rel
            lines.append("  %s: {%s}" % (n, spec))
        lines.append("nodes:")
        for nd in self.nodes:
            s = "  - {name: %s, op: %s, inputs: %s, outputs: %s" % (
                nd["name"], nd["op"], fmt(nd["inputs"]), fmt(nd["outputs"]))
            if nd["attrs"]:
                s += ",\n     attrs: %s" % fmt(nd["attrs"])
            lines.append(s + "}")
        path = os.path.join(outdir, "model.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path


def write_data(b, outdir, calib, heldout):
    """calib.npy, held-out inputs and their npref reference outputs; checks
    that the written YAML reproduces what the builder computed."""
    (iname, ishape), = b.inputs
    np.save(os.path.join(outdir, "calib.npy"), calib.astype("<f4"))
    os.makedirs(os.path.join(outdir, "inputs"))
    os.makedirs(os.path.join(outdir, "reference"))
    model = npref.load(os.path.join(outdir, "model.yaml"))
    # The YAML round trip must agree with the builder's own evaluation.
    for s in range(2):
        got = npref.run(model, {iname: calib[s]})
        for o in b.outputs:
            want = b.env[o][s:s + 1]
            err = np.abs(got[o] - want).max() / max(np.abs(want).max(), 1e-30)
            assert err < 1e-5, (b.name, o, err)
    for k in range(HELDOUT):
        x = heldout[k].astype("<f4")
        np.save(os.path.join(outdir, "inputs", "%s_%d.npy" % (iname, k)), x)
        for o, v in npref.run(model, {iname: x}).items():
            np.save(os.path.join(outdir, "reference", "%s_%d.npy" % (o, k)), v)


# ---------------------------------------------------------------------------
# Synthetic data


def synth_photos(rng, n, h=64, w=64):
    """Smooth colour gradients + soft blobs + a few hard-edged boxes + noise,
    in [0, 1], like small natural images."""
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h - 1, w - 1]).reshape(2, 1, 1)
    out = np.empty((n, 3, h, w))
    for i in range(n):
        ang = rng.uniform(0, 2 * np.pi)
        t = np.cos(ang) * xx + np.sin(ang) * yy
        t = (t - t.min()) / (t.max() - t.min())
        c0, c1 = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
        img = c0[:, None, None] + (c1 - c0)[:, None, None] * t
        for _ in range(rng.randint(2, 6)):   # soft blobs
            cy, cx = rng.uniform(0, 1, 2)
            ry, rx = rng.uniform(0.05, 0.3, 2)
            m = np.exp(-0.5 * (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2))
            col = rng.uniform(0, 1, 3)
            img = img * (1 - m) + col[:, None, None] * m
        for _ in range(rng.randint(0, 3)):   # hard-edged objects
            y0, x0 = rng.randint(0, h - 8), rng.randint(0, w - 8)
            y1, x1 = y0 + rng.randint(6, h // 2), x0 + rng.randint(6, w // 2)
            img[:, y0:y1, x0:x1] = rng.uniform(0, 1, 3)[:, None, None]
        img += 0.03 * rng.standard_normal(img.shape)
        out[i] = np.clip(img, 0.0, 1.0)
    return out


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


def synth_digits(rng, n, size=28):
    """Digit-like images: 1-3 thick anti-aliased strokes and sometimes a ring,
    white on black in [0, 1], in the middle 20x20 like MNIST."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    out = np.zeros((n, 1, size, size))
    for i in range(n):
        img = np.zeros((size, size))
        for _ in range(rng.randint(1, 4)):
            p0 = rng.uniform(5, 23, 2)
            p1 = rng.uniform(5, 23, 2)
            d = p1 - p0
            tt = np.clip(((yy - p0[0]) * d[0] + (xx - p0[1]) * d[1]) / max(d @ d, 1e-9),
                         0, 1)
            dist = np.hypot(yy - p0[0] - tt * d[0], xx - p0[1] - tt * d[1])
            img = np.maximum(img, np.clip(1.8 - dist, 0, 1))
        if rng.uniform() < 0.5:
            cy, cx = rng.uniform(10, 18, 2)
            r = rng.uniform(3, 6)
            dist = np.abs(np.hypot(yy - cy, xx - cx) - r)
            img = np.maximum(img, np.clip(1.8 - dist, 0, 1))
        out[i, 0] = img
    return out


# ---------------------------------------------------------------------------
# The models


def build_simple_linear():
    # The SimpleLinearModel of PyTorch's dynamic quantization tutorial.
    b = Builder("simple_linear", "Linear(10, 20) -> ReLU -> Linear(20, 5)", seed=1)
    rng = np.random.RandomState(101)
    data = rng.standard_normal((CALIB + HELDOUT, 1, 10)).astype(np.float32)
    calib, held = data[:CALIB], data[CALIB:]
    x = b.input("x", [1, 10], calib)
    h = b.linear("fc1", x, 20)
    h = b.node("relu", "relu1", [h], ["relu1.y"])
    b.linear("fc2", h, 5, out="y", gain=1.0)
    b.outputs = ["y"]
    return b, calib, held


def build_lenet():
    b = Builder("lenet", "LeNet-style digit classifier", seed=2)
    rng = np.random.RandomState(102)
    raw = synth_digits(rng, CALIB + HELDOUT)
    data = ((raw - 0.1307) / 0.3081).astype(np.float32)   # MNIST normalisation
    calib, held = data[:CALIB, None], data[CALIB:, None]
    x = b.input("image", [1, 1, 28, 28], calib)
    h = b.conv("conv1", x, 6, 5, pad=2)
    h = b.node("relu", "relu1", [h], ["relu1.y"])
    h = b.node("maxpool2d", "pool1", [h], ["pool1.y"], {"kernel": [2, 2]})
    h = b.conv("conv2", h, 16, 5, pad=0)
    h = b.node("relu", "relu2", [h], ["relu2.y"])
    h = b.node("maxpool2d", "pool2", [h], ["pool2.y"], {"kernel": [2, 2]})
    h = b.node("flatten", "flatten", [h], ["flatten.y"])
    h = b.linear("fc1", h, 120)
    h = b.node("relu", "relu3", [h], ["relu3.y"])
    h = b.linear("fc2", h, 84)
    h = b.node("relu", "relu4", [h], ["relu4.y"])
    b.linear("fc3", h, 10, out="logits", gain=1.0)
    b.outputs = ["logits"]
    return b, calib, held


def build_yolo_style():
    b = Builder("yolo_style", "small YOLOv8-style detector (C2f, SPPF, FPN neck, "
                "two sigmoid heads)", seed=3)
    rng = np.random.RandomState(103)
    raw = synth_photos(rng, CALIB + HELDOUT)
    data = ((raw - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)
    calib, held = data[:CALIB, None], data[CALIB:, None]
    x = b.input("images", [1, 3, 64, 64], calib)

    # Backbone
    s1 = b.conv_bn_act("stem", x, 16, 3, stride=2)             # 16 x 32 x 32
    s2 = b.conv_bn_act("down1", s1, 32, 3, stride=2)           # 32 x 16 x 16
    # C2f: cv1, split in halves, two residual bottlenecks, concat all, cv2
    c = b.conv_bn_act("c2f.cv1", s2, 32, 1)
    a, h = b.node("split", "c2f.split", [c], ["c2f.a", "c2f.b"],
                  {"axis": 1, "sizes": [16, 16]})
    parts = [a, h]
    for i in range(2):
        m = "c2f.m%d" % i
        t = b.conv_bn_act(m + ".cv1", h, 16, 3)
        t = b.conv_bn_act(m + ".cv2", t, 16, 3)
        h = b.node("add", m + ".add", [h, t], [m])
        parts.append(h)
    cat = b.node("concat", "c2f.cat", parts, ["c2f.cat"], {"axis": 1})
    p3 = b.conv_bn_act("c2f.cv2", cat, 32, 1)                  # 32 x 16 x 16
    d2 = b.conv_bn_act("down2", p3, 64, 3, stride=2)           # 64 x 8 x 8
    # SPPF: 1x1 conv, three chained 5x5 max pools, concat of four, 1x1 conv
    t = b.conv_bn_act("sppf.cv1", d2, 32, 1)
    pools = [t]
    for i in range(3):
        pools.append(b.node("maxpool2d", "sppf.pool%d" % i, [pools[-1]],
                            ["sppf.pool%d" % i],
                            {"kernel": [5, 5], "stride": [1, 1], "padding": [2, 2, 2, 2]}))
    cat = b.node("concat", "sppf.cat", pools, ["sppf.cat"], {"axis": 1})
    p4 = b.conv_bn_act("sppf.cv2", cat, 64, 1)                 # 64 x 8 x 8
    # Neck: upsample the deep feature, join the shallower one
    up = b.node("resize", "neck.up", [p4], ["neck.up"],
                {"scale": [2.0, 2.0], "mode": "nearest"})
    cat = b.node("concat", "neck.cat", [up, p3], ["neck.cat"], {"axis": 1})
    n3 = b.conv_bn_act("neck.conv", cat, 32, 3)                # 32 x 16 x 16
    dw = b.conv_bn_act("neck.dw", n3, 32, 3, groups=32, act="leaky_relu",
                       attrs={"alpha": 0.1})
    # Heads: 3 anchors x (4 box + 1 objectness + 2 classes) = 21 channels
    h3 = b.conv("head3", dw, 21, 1)
    b.node("sigmoid", "head3.sigmoid", [h3], ["p3"])           # 21 x 16 x 16
    h4 = b.conv("head4", p4, 21, 1)
    b.node("sigmoid", "head4.sigmoid", [h4], ["p4"])           # 21 x 8 x 8
    b.outputs = ["p3", "p4"]
    for o in b.outputs:   # heads must not be saturated
        v = b.env[o]
        sat = np.mean((v < 0.01) | (v > 0.99))
        assert sat < 0.05 and 0.2 < v.mean() < 0.8 and v.std() > 0.05, \
            (o, sat, v.mean(), v.std())
    return b, calib, held


# ---------------------------------------------------------------------------
# README


README_HEAD = """\
# Example models

Generated by `examples/gen_examples.py` (deterministic, NumPy only):

    /usr/bin/python3 examples/gen_examples.py

Do not edit this file or the model folders by hand; change the script and
rerun it. Every folder holds:

- `model.yaml`: the model (format 1, see the model-format spec);
- `weights/*.npy`: float32 constants (little-endian, C order); biases of at
  most %d values are inline `data:` lists instead;
- `calib.npy`: %d calibration samples, shape `[%d, *input shape]`;
- `inputs/<input>_<k>.npy`, k = 0..%d: held-out inputs (not in `calib.npy`);
- `reference/<output>_<k>.npy`: their outputs, computed by the NumPy reference
  interpreter `tools/npref.py` (float64 inside, saved as float32), never by
  qcc.

To recompute a reference by hand:

    /usr/bin/python3 tools/npref.py examples/lenet/model.yaml \\
        --input image=examples/lenet/inputs/image_0.npy --output-dir /tmp/out

The end-to-end tests in `tests/e2e/` run `qcc run` on the held-out inputs and
compare with `tools/npy_compare.py`.

## The models

**simple_linear**: the `SimpleLinearModel` of PyTorch's dynamic quantization
tutorial, `Linear(10, 20) -> ReLU -> Linear(20, 5)`, input `x` `[1, 10]`,
output `y` `[1, 5]`. Inputs are standard normal.

**lenet**: LeNet-style classifier, input `image` `[1, 1, 28, 28]`, output
`logits` `[1, 10]`: conv 6@5x5 pad 2, relu, maxpool 2, conv 16@5x5, relu,
maxpool 2, flatten, linear 400-120, relu, linear 120-84, relu, linear 84-10.
Inputs are synthetic digit-like strokes in [0, 1], normalised as MNIST
(`(x - 0.1307) / 0.3081`).

**yolo_style**: a small YOLOv8-style detector, input `images`
`[1, 3, 64, 64]`, outputs `p3` `[1, 21, 16, 16]` and `p4` `[1, 21, 8, 8]`
(3 anchors x (4 box + 1 objectness + 2 classes), after sigmoid). Every "conv"
below is conv2d (no bias) + a separate `batch_norm` node (eps 0.001; the
compiler's canonicalize pass folds it) + silu:
stem conv3x3 s2 (16) -> conv3x3 s2 (32) -> C2f (1x1 conv 32, split 16+16, two
bottlenecks of two conv3x3 with a residual add, concat of the four pieces
(64), 1x1 conv 32) = P3 -> conv3x3 s2 (64) -> SPPF (1x1 conv 32, three chained
maxpool 5x5 s1 p2, concat of four (128), 1x1 conv 64) = P4; neck: nearest
resize x2 of P4, concat with P3 (96), conv3x3 (32), depthwise conv3x3
(groups 32) + bn + leaky_relu(0.1); heads: 1x1 conv (with bias) + sigmoid on
the neck (`p3`) and on P4 (`p4`). Inputs are synthetic "photos" (colour
gradients, soft blobs, hard-edged boxes, noise) in [0, 1], normalised with the
ImageNet mean/std.

Weights are He-initialised (normal, std sqrt(2/fan_in)). Batch-norm layers
are calibrated, not random: each one's mean/var are the per-channel
statistics of its input over the calibration set, gamma = 1 + N(0, 0.05),
beta = N(0, 0.05), so every bn output has mean ~0 and std ~1 there (the
script asserts it, and that the sigmoid heads are not saturated).

## Per-layer activation statistics (over the calibration set)
"""


def stats_table(b):
    rows = ["", "### %s" % b.name, "",
            "| node | op | output | shape | mean | std | min | max |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for (node, op, t, shape, mean, std, mn, mx) in b.stats:
        rows.append("| %s | %s | %s | %s | %.3f | %.3f | %.3f | %.3f |" % (
            node, op, t, "x".join(str(d) for d in shape), mean, std, mn, mx))
    return rows


def main():
    builders = []
    for build in (build_simple_linear, build_lenet, build_yolo_style):
        b, calib, held = build()
        outdir = os.path.join(HERE, b.name)
        os.makedirs(outdir, exist_ok=True)
        b.write(outdir)
        write_data(b, outdir, calib, held)
        builders.append(b)
        print("%s:" % b.name)
        for (node, op, t, shape, mean, std, mn, mx) in b.stats:
            print("  %-18s %-14s %-14s mean %7.3f std %6.3f  [%7.3f, %7.3f]"
                  % (node, op, "x".join(str(d) for d in shape), mean, std, mn, mx))
    text = README_HEAD % (INLINE_MAX, CALIB, CALIB, HELDOUT - 1)
    for b in builders:
        text += "\n".join(stats_table(b)) + "\n"
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(text)
    total = 0
    for b in builders:
        for root, _, files in os.walk(os.path.join(HERE, b.name)):
            total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("total size of the example folders: %.2f MB" % (total / 1e6))


if __name__ == "__main__":
    main()
