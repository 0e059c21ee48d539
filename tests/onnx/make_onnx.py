#!/usr/bin/python3
"""Small ONNX models for the importer's lit tests (tests/onnx/import_*.test).

    make_onnx.py KIND DIR        writes DIR/model.onnx, DIR/<input>.npy and
                                 DIR/expected_<output>.npy (NumPy, float64)
    make_onnx.py compare DIR OUT compares OUT/<output>.npy with the expected
                                 files (|got - want| <= 1e-5 + 1e-5 |want|)

Exits 77 (the lit runner's "skipped") with a message naming the package
when python3-onnx is missing.
"""

import os
import sys

import numpy as np

try:
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper as nh
except ImportError:
    print("python3-onnx is missing (tools/setup.sh installs it: "
          "apt-get install python3-onnx)")
    sys.exit(77)

RNG = np.random.default_rng(20240605)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def init(name, v):
    return nh.from_array(np.asarray(v), name)


def model(nodes, inputs, outputs, inits, opset=13, name="g"):
    g = h.make_graph(nodes, name,
                     [h.make_tensor_value_info(n, T.FLOAT, s)
                      for n, s in inputs],
                     [h.make_tensor_value_info(n, T.FLOAT, None)
                      for n in outputs], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)],
                     producer_name="make_onnx.py")
    m.ir_version = 7
    return m


# ---- NumPy references (float64) --------------------------------------------------

def conv2d(x, w, b, stride, pads, dil=(1, 1)):
    x, w = x.astype(np.float64), w.astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    O, _, KH, KW = w.shape
    H, W = xp.shape[2:]
    OH = (H - dil[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W - dil[1] * (KW - 1) - 1) // stride[1] + 1
    y = np.zeros((x.shape[0], O, OH, OW))
    for i in range(OH):
        for j in range(OW):
            r, c = i * stride[0], j * stride[1]
            patch = xp[:, :, r:r + dil[0] * (KH - 1) + 1:dil[0],
                       c:c + dil[1] * (KW - 1) + 1:dil[1]]
            y[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return y + (0 if b is None else b.astype(np.float64)[None, :, None, None])


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- the models ----------------------------------------------------------------------------

def gemm():
    """Gemm with transB, alpha and beta; the bias C a constant [M]."""
    x = rand(2, 3)
    B, C = rand(4, 3), rand(4)
    n = h.make_node("Gemm", ["x", "B", "C"], ["y"], name="fc", transB=1,
                    alpha=0.5, beta=2.0)
    y = 0.5 * x.astype(np.float64) @ B.T.astype(np.float64) + 2.0 * C
    return (model([n], [("x", [2, 3])], ["y"], [init("B", B), init("C", C)]),
            {"x": x}, {"y": y})


def conv_same():
    """Conv auto_pad SAME_UPPER (stride 2, odd padding total on W), then
    SAME_LOWER (extra padding at the top/left)."""
    x = rand(1, 2, 5, 6)
    W1, B1, W2 = rand(3, 2, 3, 3), rand(3), rand(2, 3, 2, 2)
    nodes = [h.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv_upper",
                         auto_pad="SAME_UPPER", strides=[2, 2]),
             h.make_node("Conv", ["c1", "W2"], ["y"], name="conv_lower",
                         auto_pad="SAME_LOWER")]
    c1 = conv2d(x, W1, B1, (2, 2), (1, 0, 1, 1))
    y = conv2d(c1.astype(np.float32), W2, None, (1, 1), (1, 1, 0, 0))
    return (model(nodes, [("x", [1, 2, 5, 6])], ["y"],
                  [init("W1", W1), init("B1", B1), init("W2", W2)]),
            {"x": x}, {"y": y})


def silu():
    """Mul(x, Sigmoid(x)) twice: the first sigmoid has no other reader and
    disappears; the second (operands swapped) is also read by an Add."""
    x = rand(1, 2, 3, 4)
    nodes = [h.make_node("Sigmoid", ["x"], ["s1"], name="sig1"),
             h.make_node("Mul", ["x", "s1"], ["m1"], name="silu1"),
             h.make_node("Sigmoid", ["m1"], ["s2"], name="sig2"),
             h.make_node("Mul", ["s2", "m1"], ["m2"], name="silu2"),
             h.make_node("Add", ["m2", "s2"], ["y"], name="add")]
    m1 = x * sigmoid(x)
    s2 = sigmoid(m1)
    y = m1 * s2 + s2
    return (model(nodes, [("x", [1, 2, 3, 4])], ["y"], []), {"x": x},
            {"y": y})


def upsample():
    """nn.Upsample(scale_factor=2) as torch.onnx.export writes it (opset
    13): Resize(x, roi '', scales) with the float scales from a Constant
    node, between two convs: the second conv needs the Resize's shape, which
    only shape inference seeing the float constant gives."""
    x = rand(1, 2, 3, 4)
    W1, B1, W2 = rand(3, 2, 1, 1), rand(3), rand(2, 3, 3, 3)
    nodes = [h.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1"),
             h.make_node("Constant", [], ["scales"], name="scales",
                         value=h.make_tensor("v", T.FLOAT, [4],
                                             [1, 1, 2, 2])),
             h.make_node("Resize", ["c1", "", "scales"], ["u"], name="up",
                         mode="nearest", nearest_mode="floor",
                         coordinate_transformation_mode="asymmetric"),
             h.make_node("Conv", ["u", "W2"], ["y"], name="conv2",
                         pads=[1, 1, 1, 1])]
    c1 = conv2d(x, W1, B1, (1, 1), (0, 0, 0, 0)).astype(np.float32)
    u = c1.repeat(2, axis=2).repeat(2, axis=3)
    y = conv2d(u, W2, None, (1, 1), (1, 1, 1, 1))
    return (model(nodes, [("x", [1, 2, 3, 4])], ["y"],
                  [init("W1", W1), init("B1", B1), init("W2", W2)]),
            {"x": x}, {"y": y})


def activations():
    """GELU and hard-swish as exporters write them, and Exp, Erf:
    torch's GELU 0.5 * (x * (1 + Erf(x / sqrt 2))) and the other
    association (0.5 * x) * (1 + Erf(x * 1/sqrt 2)); hard-swish
    x * Clip(x + 3, 0, 6) / 6 and (Clip(3 + x, 0, 6) * x) * 1/6; an Erf whose
    result is also read elsewhere stays (its GELU still becomes one op)."""
    x = rand(1, 2, 3, 4) * 3
    c = lambda name, v: h.make_node("Constant", [], [name], name=name,
                                    value=h.make_tensor("v", T.FLOAT, [],
                                                        [v]))
    nodes = [c("sqrt2", 2 ** 0.5), c("one", 1.0), c("half", 0.5),
             c("three", 3.0), c("six", 6.0), c("zero", 0.0),
             c("rsqrt2", 2 ** -0.5), c("sixth", 1 / 6),
             h.make_node("Div", ["x", "sqrt2"], ["g1d"], name="g1/div"),
             h.make_node("Erf", ["g1d"], ["g1e"], name="g1/erf"),
             h.make_node("Add", ["g1e", "one"], ["g1a"], name="g1/add"),
             h.make_node("Mul", ["x", "g1a"], ["g1m"], name="g1/mul"),
             h.make_node("Mul", ["g1m", "half"], ["g1"], name="gelu1"),
             h.make_node("Mul", ["g1", "rsqrt2"], ["g2d"], name="g2/div"),
             h.make_node("Erf", ["g2d"], ["g2e"], name="g2/erf"),
             h.make_node("Add", ["one", "g2e"], ["g2a"], name="g2/add"),
             h.make_node("Mul", ["half", "g1"], ["g2h"], name="g2/half"),
             h.make_node("Mul", ["g2h", "g2a"], ["g2"], name="gelu2"),
             h.make_node("Add", ["g2", "three"], ["h1a"], name="h1/add"),
             h.make_node("Clip", ["h1a", "zero", "six"], ["h1c"],
                         name="h1/clip"),
             h.make_node("Mul", ["g2", "h1c"], ["h1m"], name="h1/mul"),
             h.make_node("Div", ["h1m", "six"], ["h1"], name="hswish1"),
             h.make_node("Add", ["three", "h1"], ["h2a"], name="h2/add"),
             h.make_node("Clip", ["h2a", "zero", "six"], ["h2c"],
                         name="h2/clip"),
             h.make_node("Mul", ["h2c", "h1"], ["h2m"], name="h2/mul"),
             h.make_node("Mul", ["h2m", "sixth"], ["h2"], name="hswish2"),
             h.make_node("Exp", ["h2"], ["e"], name="exp"),
             h.make_node("Add", ["e", "g2e"], ["y"], name="add")]
    import math
    erf = np.vectorize(math.erf)
    x64 = x.astype(np.float64)
    g1 = 0.5 * x64 * (1 + erf(x64 / 2 ** 0.5))
    g2e = erf(g1 / 2 ** 0.5)
    g2 = 0.5 * g1 * (1 + g2e)
    h1 = g2 * np.clip(g2 + 3, 0, 6) / 6
    h2 = h1 * np.clip(h1 + 3, 0, 6) / 6
    y = np.exp(h2) + g2e
    return (model(nodes, [("x", [1, 2, 3, 4])], ["y"], []), {"x": x},
            {"y": y})


def movement():
    """The data-movement ops and reductions qcc maps onto its own: Slice
    (YOLOv5's Focus), Gather with a scalar index and with a strided 1-D
    index list, DepthToSpace (DCR and CRD), SpaceToDepth, Tile, ReduceMean
    over H and W (keepdims 0) and Pow by 2 and by 3."""
    x = rand(1, 4, 4, 6)
    i64 = lambda name, v: init(name, np.array(v, dtype=np.int64))
    inits = [i64("s_st", [0, 1]), i64("s_en", [2 ** 62, 2 ** 62]),
             i64("s_ax", [2, 3]), i64("s_sp", [2, 2]),
             i64("g_i", 2), i64("g_l", [5, 3, 1]), i64("reps", [1, 1, 2, 1]),
             init("two", np.float32(2)), init("three", np.float32(3))]
    nodes = [h.make_node("Slice", ["x", "s_st", "s_en", "s_ax", "s_sp"],
                         ["sl"], name="focus"),
             h.make_node("Gather", ["x", "g_i"], ["g1"], name="pick", axis=1),
             h.make_node("Gather", ["x", "g_l"], ["g2"], name="cols", axis=3),
             h.make_node("DepthToSpace", ["x"], ["d1"], name="d2s", blocksize=2),
             h.make_node("DepthToSpace", ["x"], ["d2"], name="d2s_crd",
                         blocksize=2, mode="CRD"),
             h.make_node("SpaceToDepth", ["x"], ["s2d"], name="s2d",
                         blocksize=2),
             h.make_node("Tile", ["x", "reps"], ["t"], name="tile"),
             h.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=[2, 3],
                         keepdims=0),
             h.make_node("Pow", ["x", "two"], ["p2"], name="square"),
             h.make_node("Pow", ["x", "three"], ["p3"], name="cube")]
    N, C, H, W = x.shape
    b = 2
    d1 = x.reshape(N, b, b, C // 4, H, W).transpose(0, 3, 4, 1, 5, 2)
    d2 = x.reshape(N, C // 4, b, b, H, W).transpose(0, 1, 4, 2, 5, 3)
    s2d = x.reshape(N, C, H // b, b, W // b, b).transpose(0, 3, 5, 1, 2, 4)
    x64 = x.astype(np.float64)
    out = {"sl": x[:, :, 0::2, 1::2], "g1": x[:, 2], "g2": x[:, :, :, 5::-2],
           "d1": d1.reshape(N, C // 4, H * b, W * b),
           "d2": d2.reshape(N, C // 4, H * b, W * b),
           "s2d": s2d.reshape(N, C * 4, H // b, W // b),
           "t": np.tile(x, (1, 1, 2, 1)), "m": x64.mean(axis=(2, 3)),
           "p2": x64 ** 2, "p3": x64 ** 3}
    return (model(nodes, [("x", list(x.shape))], list(out), inits), {"x": x},
            out)


def decomposed():
    """Ops qcc writes as several of its own: PRelu with a per-channel slope,
    InstanceNormalization, Div by a tensor, and Mish as exported
    (x * Tanh(Softplus(x)))."""
    x = rand(1, 3, 4, 5) * 2
    slope, sc, b = rand(3, 1, 1) * 0.3, rand(3) + 1, rand(3)
    nodes = [h.make_node("PRelu", ["x", "slope"], ["p"], name="prelu"),
             h.make_node("InstanceNormalization", ["p", "scale", "B"], ["i"],
                         name="inorm", epsilon=1e-3),
             h.make_node("Sigmoid", ["x"], ["s"], name="sig"),
             h.make_node("Add", ["s", "one"], ["den"], name="den"),
             h.make_node("Div", ["i", "den"], ["q"], name="div"),
             h.make_node("Softplus", ["q"], ["sp"], name="mish/softplus"),
             h.make_node("Tanh", ["sp"], ["th"], name="mish/tanh"),
             h.make_node("Mul", ["q", "th"], ["y"], name="mish")]
    x64 = x.astype(np.float64)
    p = np.where(x64 >= 0, x64, slope * x64)
    m = p.mean(axis=(2, 3), keepdims=True)
    v = ((p - m) ** 2).mean(axis=(2, 3), keepdims=True)
    i = (p - m) / np.sqrt(v + np.float32(1e-3)) * sc[None, :, None, None] + \
        b[None, :, None, None]
    q = i / (sigmoid(x) + 1)
    y = q * np.tanh(np.log1p(np.exp(q)))
    return (model(nodes, [("x", [1, 3, 4, 5])], ["y"],
                  [init("slope", slope), init("scale", sc), init("B", b),
                   init("one", np.float32(1))]), {"x": x}, {"y": y})


def pads():
    """Pad in its three modes (opset 13: pads and constant_value inputs):
    reflect and edge on H and W, constant 0.5 with a negative pad cropping;
    a Pad of zeros that only a Conv reads still becomes its padding."""
    x = rand(1, 2, 4, 5)
    W = rand(3, 2, 3, 3)
    i64 = lambda name, v: init(name, np.array(v, dtype=np.int64))
    inits = [i64("p_reflect", [0, 0, 2, 1, 0, 0, 1, 3]),
             i64("p_edge", [0, 1, 1, 0, 0, 0, 2, 2]),
             i64("p_const", [0, 0, 1, -1, 0, 0, -2, 2]),
             i64("p_conv", [0, 0, 1, 1, 0, 0, 1, 1]),
             init("half", np.float32(0.5)), init("W", W)]
    nodes = [h.make_node("Pad", ["x", "p_reflect"], ["r"], name="reflect",
                         mode="reflect"),
             h.make_node("Pad", ["x", "p_edge"], ["e"], name="edge",
                         mode="edge"),
             h.make_node("Pad", ["x", "p_const", "half"], ["k"],
                         name="constant"),
             h.make_node("Pad", ["x", "p_conv"], ["z"], name="zeros"),
             h.make_node("Conv", ["z", "W"], ["c"], name="conv")]
    x64 = x.astype(np.float64)
    k = np.pad(x64, ((0, 0), (0, 0), (1, 0), (0, 2)), constant_values=0.5)
    out = {"r": np.pad(x64, ((0, 0), (0, 0), (2, 1), (1, 3)), mode="reflect"),
           "e": np.pad(x64, ((0, 0), (1, 0), (1, 2), (0, 2)), mode="edge"),
           "k": k[:, :, :-2, 1:],  # the negative pads crop
           "c": conv2d(x, W, None, (1, 1), (1, 1, 1, 1))}
    return (model(nodes, [("x", [1, 2, 4, 5])], list(out), inits), {"x": x},
            out)


def clip():
    """Clip, input form (opset 13): min and max, min only (0: relu), max
    only; min and max are constants (initializers and a Constant node)."""
    x = rand(2, 3, 4) * 4
    nodes = [h.make_node("Clip", ["x", "lo", "hi"], ["c1"], name="clip_both"),
             h.make_node("Clip", ["c1", "zero"], ["c2"], name="clip_min"),
             h.make_node("Constant", [], ["six"], name="const_six",
                         value=h.make_tensor("v", T.FLOAT, [], [1.25])),
             h.make_node("Clip", ["x", "", "six"], ["c3"], name="clip_max"),
             h.make_node("Add", ["c2", "c3"], ["y"], name="add")]
    x64 = x.astype(np.float64)
    y = np.maximum(np.clip(x64, -1.5, 2.0), 0) + np.minimum(x64, 1.25)
    inits = [init("lo", np.float32(-1.5)), init("hi", np.float32(2.0)),
             init("zero", np.float32(0))]
    return (model(nodes, [("x", [2, 3, 4])], ["y"], inits), {"x": x},
            {"y": y})


def clip6():
    """Clip, attribute form (opset 6)."""
    x = rand(2, 3) * 4
    n = h.make_node("Clip", ["x"], ["y"], name="clip_attr", min=-1.0, max=0.5)
    return (model([n], [("x", [2, 3])], ["y"], [], opset=6), {"x": x},
            {"y": np.clip(x.astype(np.float64), -1.0, 0.5)})


def split():
    """Split, input form (opset 13): sizes [1, 2, 3] on axis 1."""
    x = rand(1, 6, 2, 2)
    n = h.make_node("Split", ["x", "sizes"], ["a", "b", "c"], name="split",
                    axis=1)
    return (model([n], [("x", [1, 6, 2, 2])], ["a", "b", "c"],
                  [init("sizes", np.array([1, 2, 3], np.int64))]),
            {"x": x}, {"a": x[:, :1], "b": x[:, 1:3], "c": x[:, 3:]})


def split11():
    """Split, attribute form (opset 11), negative axis."""
    x = rand(2, 5)
    n = h.make_node("Split", ["x"], ["a", "b"], name="split", axis=-1,
                    split=[2, 3])
    return (model([n], [("x", [2, 5])], ["a", "b"], [], opset=11), {"x": x},
            {"a": x[:, :2], "b": x[:, 2:]})


def unsupported():
    """Two ops the format lacks (Round, TopK), a Conv it has, and a
    QuantizeLinear with no DequantizeLinear."""
    x = rand(1, 1, 4, 4)
    nodes = [h.make_node("Conv", ["x", "W"], ["c"], name="conv"),
             h.make_node("Round", ["c"], ["e"], name="round"),
             h.make_node("TopK", ["e", "k"], ["v", "i"], name="top k"),
             h.make_node("QuantizeLinear", ["v", "s"], ["y"], name="q")]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT,
                                                           [1, 1, 4, 4])],
                     [h.make_tensor_value_info("y", T.UINT8, None)],
                     [init("W", rand(1, 1, 3, 3)),
                      init("k", np.array([2], np.int64)),
                      init("s", np.float32(0.1))])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 7
    return m, {"x": x}, {}


def qdq():
    """A QDQ model: activations through QuantizeLinear -> DequantizeLinear
    pairs (u8, and i8 which becomes u8 with the zero point + 128), conv
    weights i8 per channel and the bias i32 as DequantizeLinear of
    constants, and a Gemm whose float weight goes through Q -> DQ."""
    x = rand(1, 2, 4, 4)
    wq = RNG.integers(-127, 128, (3, 2, 1, 1)).astype(np.int8)
    ws = np.array([0.01, 0.02, 0.03], np.float32)
    bq = np.array([100, -200, 300], np.int32)
    bs = (ws * np.float32(0.02)).astype(np.float32)
    G = rand(5, 48)
    nodes = [
        h.make_node("QuantizeLinear", ["x", "xs", "xz"], ["x_q"], name="x/q"),
        h.make_node("DequantizeLinear", ["x_q", "xs", "xz"], ["x_dq"],
                    name="x/dq"),
        h.make_node("DequantizeLinear", ["w_q", "ws", "wz"], ["w"],
                    name="w/dq", axis=0),
        h.make_node("DequantizeLinear", ["b_q", "bs"], ["b"], name="b/dq",
                    axis=0),
        h.make_node("Conv", ["x_dq", "w", "b"], ["c"], name="conv"),
        h.make_node("QuantizeLinear", ["c", "cs", "cz"], ["c_q"], name="c/q"),
        h.make_node("DequantizeLinear", ["c_q", "cs", "cz"], ["c_dq"],
                    name="c/dq"),
        h.make_node("Relu", ["c_dq"], ["r"], name="relu"),
        h.make_node("Flatten", ["r"], ["f"], name="flatten"),
        h.make_node("QuantizeLinear", ["G", "gs", "gz"], ["G_q"], name="G/q"),
        h.make_node("DequantizeLinear", ["G_q", "gs", "gz"], ["G_dq"],
                    name="G/dq"),
        h.make_node("Gemm", ["f", "G_dq"], ["y"], name="fc", transB=1),
    ]
    inits = [init("xs", np.float32(0.02)), init("xz", np.uint8(128)),
             init("w_q", wq), init("ws", ws),
             init("wz", np.zeros(3, np.int8)), init("b_q", bq),
             init("bs", bs), init("cs", np.float32(0.05)),
             init("cz", np.int8(-10)), init("G", G),
             init("gs", np.float32(np.abs(G).max() / 127)),
             init("gz", np.int8(0))]
    w = wq.astype(np.float32) * ws[:, None, None, None]
    b = bq.astype(np.float32) * bs
    c = conv2d(x, w, b, (1, 1), (0, 0, 0, 0))
    y = np.maximum(c, 0).reshape(1, -1) @ G.T.astype(np.float64)
    return (model(nodes, [("x", [1, 2, 4, 4])], ["y"], inits), {"x": x},
            {"y": y})


def fold():
    """What exporters write: a dynamic batch, Shape -> Gather -> Unsqueeze
    -> Concat -> Reshape (folded to a constant shape), Constant nodes,
    Identity, MatMul + Add (a linear with bias), Softmax of opset 11
    (2-D coercion at axis 1), names the format does not allow."""
    x = rand(1, 3, 4, 4)
    W, Bc, M, Mb = rand(2, 3, 3, 3), rand(2), rand(32, 5), rand(5)
    nodes = [
        h.make_node("Conv", ["input 0", "conv.weight", "conv.bias"],
                    ["/conv/Conv_output_0"], name="/conv/Conv",
                    pads=[1, 1, 1, 1]),
        h.make_node("Relu", ["/conv/Conv_output_0"], ["relu[0]"],
                    name="/act/Relu"),
        h.make_node("Shape", ["relu[0]"], ["shape"], name="/Shape"),
        h.make_node("Constant", [], ["zero"], name="/Constant",
                    value=h.make_tensor("v", T.INT64, [], [0])),
        h.make_node("Gather", ["shape", "zero"], ["n"], name="/Gather",
                    axis=0),
        h.make_node("Unsqueeze", ["n"], ["n1"], name="/Unsqueeze",
                    axes=[0]),
        h.make_node("Constant", [], ["minus1"], name="/Constant_1",
                    value=h.make_tensor("v", T.INT64, [1], [-1])),
        h.make_node("Concat", ["n1", "minus1"], ["target"], name="/Concat",
                    axis=0),
        h.make_node("Reshape", ["relu[0]", "target"], ["flat"],
                    name="/Reshape"),
        h.make_node("Identity", ["flat"], ["flat2"], name="/Identity"),
        h.make_node("MatMul", ["flat2", "fc.weight"], ["mm"],
                    name="/fc/MatMul"),
        h.make_node("Add", ["fc.bias", "mm"], ["logits"], name="/fc/Add"),
        h.make_node("Reshape", ["logits", "shape4"], ["l4"],
                    name="/Reshape_1"),
        h.make_node("Softmax", ["l4"], ["probs"], name="/Softmax", axis=1),
    ]
    inits = [init("conv.weight", W), init("conv.bias", Bc),
             init("fc.weight", M), init("fc.bias", Mb),
             init("shape4", np.array([1, 5, 1, 1], np.int64))]
    r = np.maximum(conv2d(x, W, Bc, (1, 1), (1, 1, 1, 1)), 0)
    logits = r.reshape(1, -1) @ M.astype(np.float64) + Mb
    y = softmax(logits, 1).reshape(1, 5, 1, 1)
    return (model(nodes, [("input 0", ["batch", 3, 4, 4])], ["probs"], inits,
                  opset=11, name="torch-jit export"),
            {"input 0": x}, {"probs": y})


KINDS = {f.__name__: f for f in (gemm, conv_same, silu, clip, clip6, split,
                                 split11, unsupported, qdq, fold,
                                 upsample, activations, movement,
                                 decomposed, pads)}


def npy_name(name):
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)


def compare(d, out):
    bad = 0
    for f in sorted(os.listdir(d)):
        if not f.startswith("expected_"):
            continue
        want = np.load(os.path.join(d, f))
        got = np.load(os.path.join(out, f[len("expected_"):]))
        ok = got.shape == want.shape and np.all(
            np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want))
        err = np.abs(got - want).max() if got.shape == want.shape else None
        print("%s: %s (shape %s, max error %s)" % (
            f[len("expected_"):-4], "ok" if ok else "MISMATCH",
            list(got.shape), err))
        bad += not ok
    return 1 if bad else 0


def main(argv):
    if argv[1] == "compare":
        return compare(argv[2], argv[3])
    m, inputs, outputs = KINDS[argv[1]]()
    d = argv[2]
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, v in inputs.items():
        np.save(os.path.join(d, npy_name(k) + ".npy"), v)
    for k, v in outputs.items():
        np.save(os.path.join(d, "expected_" + npy_name(k) + ".npy"), v)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
