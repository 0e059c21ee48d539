"""The models bench/peers.py times, written into a scratch folder.

The six YOLO-style conv layers become one-conv models in the YAML model
format (weights from a fixed-seed generator, so every run times the same
numbers) and, for ONNX Runtime, one-Conv ONNX models; `qlinear_from_qdq`
turns the QDQ model bench/ort_qdq.py makes of a layer into ONNX's
QLinearConv form (u8 in, u8 out, the same scales); `yaml_to_onnx` writes the
YAML-format yolo_style example as ONNX for ONNX Runtime. Nothing here is
timed; python3-onnx and numpy only.
"""
import os

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper

OPSET = 13

# name, C, O, K, stride, H (= W) of the input
LAYERS = [
    ("a", 3, 16, 3, 2, 320),
    ("b", 32, 64, 3, 1, 80),
    ("c", 64, 64, 1, 1, 80),
    ("d", 128, 128, 3, 1, 40),
    ("e", 256, 256, 3, 1, 20),
    ("f", 256, 255, 1, 1, 20),
]
CALIB_SAMPLES = 4


def layer_geometry(c, o, k, s, h):
    p = k // 2
    oh = (h + 2 * p - k) // s + 1
    return p, oh, o * c * k * k * oh * oh


def write_layer(d, name, c, o, k, s, h):
    """d/model.yaml + weights, d/input.npy (the timed input), d/calib.npy
    ([S, 1, C, H, W]) and d/calib/NNN.npy (the same samples, one per file),
    d/model.onnx (f32 Conv). Returns the multiply-adds."""
    os.makedirs(os.path.join(d, "calib"), exist_ok=True)
    rng = np.random.default_rng(1000 + ord(name))
    p, oh, macs = layer_geometry(c, o, k, s, h)
    w = (rng.standard_normal((o, c, k, k)) * np.sqrt(2.0 / (c * k * k))).astype(np.float32)
    b = (rng.standard_normal(o) * 0.1).astype(np.float32)
    xs = rng.standard_normal((CALIB_SAMPLES + 1, 1, c, h, h)).astype(np.float32)
    np.save(os.path.join(d, "w.npy"), w)
    np.save(os.path.join(d, "b.npy"), b)
    np.save(os.path.join(d, "input.npy"), xs[0])
    np.save(os.path.join(d, "calib.npy"), xs[1:])
    for i in range(CALIB_SAMPLES):
        np.save(os.path.join(d, "calib", "%03d.npy" % i), xs[1 + i])
    with open(os.path.join(d, "model.yaml"), "w") as f:
        f.write("# layer (%s) of bench/peers: %d->%d %dx%d stride %d @%dx%d; written by bench/peers/models.py\n"
                % (name, c, o, k, k, s, h, h))
        yaml.safe_dump({
            "format": 1, "name": "layer_" + name,
            "inputs": [{"name": "x", "shape": [1, c, h, h]}],
            "outputs": ["y"],
            "constants": {"w": {"dtype": "f32", "shape": [o, c, k, k], "file": "w.npy"},
                          "b": {"dtype": "f32", "shape": [o], "file": "b.npy"}},
            "nodes": [{"name": "conv", "op": "conv2d", "inputs": ["x", "w", "b"], "outputs": ["y"],
                       "attrs": {"stride": [s, s], "padding": [p, p, p, p]}}],
        }, f, sort_keys=False)
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", kernel_shape=[k, k],
                          strides=[s, s], pads=[p, p, p, p])],
        "layer_" + name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, o, oh, oh])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)]),
         os.path.join(d, "model.onnx"))
    return macs


def save(model, path):
    model.ir_version = min(model.ir_version, 8)   # what Debian's onnx 1.12 checker knows
    onnx.checker.check_model(model)
    onnx.save(model, path)


def qlinear_from_qdq(qdq_path, out_path, x_path, xq_path):
    """The QDQ one-conv model as one QLinearConv node: u8 input, u8 output,
    the QDQ model's own scales, zero points, int8 weights and int32 bias.
    Writes the timed input quantized with the input's parameters to
    xq_path (u8 .npy)."""
    m = onnx.load(qdq_path)
    g = m.graph
    init = {t.name: t for t in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    conv = next(n for n in g.node if n.op_type == "Conv")

    def dq_inputs(t):   # DequantizeLinear producing t: (data, scale, zp, axis)
        n = prod[t]
        assert n.op_type == "DequantizeLinear", n.op_type
        axis = [a.i for a in n.attribute if a.name == "axis"]
        return list(n.input) + [axis[0] if axis else None]

    xq, xs, xz, _ = dq_inputs(conv.input[0])
    qx = prod[xq]                       # QuantizeLinear(x, xs, xz)
    wq, ws, wz, _ = dq_inputs(conv.input[1])
    bq, _, _, _ = dq_inputs(conv.input[2])
    yq = next(n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == conv.output[0])
    _, ys, yz = yq.input
    keep = [init[t] for t in (xs, xz, wq, ws, wz, ys, yz, bq)]
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    node = helper.make_node("QLinearConv", [qx.output[0], xs, xz, wq, ws, wz, ys, yz, bq],
                            ["y_q"], name="qconv", **attrs)
    xi, yo = g.input[0], g.output[0]
    dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]
    q = helper.make_graph([node], g.name + "_qlinear",
                          [helper.make_tensor_value_info(qx.output[0], TensorProto.UINT8, dims(xi))],
                          [helper.make_tensor_value_info("y_q", TensorProto.UINT8, dims(yo))], keep)
    save(helper.make_model(q, opset_imports=[helper.make_opsetid("", OPSET)]), out_path)
    x = np.load(x_path)
    s = numpy_helper.to_array(init[xs]).astype(np.float32)
    z = numpy_helper.to_array(init[xz]).astype(np.float32)
    np.save(xq_path, np.clip(np.round(x / s) + z, 0, 255).astype(np.uint8))


def yaml_to_onnx(yaml_path, out_path):
    """The YAML-format model as ONNX, for the ops yolo_style uses (conv2d,
    batch_norm, silu, leaky_relu, sigmoid, add, concat, split, maxpool2d,
    nearest resize by a scale), batch norms folded into the convs before
    them. Returns (input name, output names)."""
    d = os.path.dirname(os.path.abspath(yaml_path))
    m = yaml.safe_load(open(yaml_path))
    inits = []
    for name, c in m["constants"].items():
        a = np.load(os.path.join(d, c["file"])) if "file" in c else \
            np.asarray(c["data"], {"f32": np.float32, "i8": np.int8, "u8": np.uint8, "i32": np.int32}[c["dtype"]]).reshape(c["shape"])
        inits.append(numpy_helper.from_array(a, name))
    shapes = {t.name: list(numpy_helper.to_array(t).shape) for t in inits}
    nodes, k = [], 0
    # Conv -> BatchNormalization pairs become one Conv, as PyTorch's ONNX
    # export of an eval-mode model writes them (and as qcc's fold-bn does).
    consts = {t.name: t for t in inits}
    uses = {}
    for n in m["nodes"]:
        for x in n["inputs"]:
            uses[x] = uses.get(x, 0) + 1
    bn_of = {n["inputs"][0]: n for n in m["nodes"] if n["op"] == "batch_norm"}
    folded = set()
    for n in m["nodes"]:
        y = n["outputs"][0]
        if n["op"] != "conv2d" or y not in bn_of or uses[y] != 1 or y in m["outputs"]:
            continue
        bn = bn_of[y]
        g, beta, mean, var = (numpy_helper.to_array(consts[x]).astype(np.float64) for x in bn["inputs"][1:5])
        f = g / np.sqrt(var + bn.get("attrs", {}).get("eps", 1e-5))
        w = numpy_helper.to_array(consts[n["inputs"][1]]).astype(np.float64)
        b = numpy_helper.to_array(consts[n["inputs"][2]]).astype(np.float64) if len(n["inputs"]) > 2 else 0.0
        wn, bname = n["inputs"][1] + ".bnfold", (n.get("name") or y) + ".bnfold.b"
        inits.append(numpy_helper.from_array((w * f[:, None, None, None]).astype(np.float32), wn))
        inits.append(numpy_helper.from_array(((b - mean) * f + beta).astype(np.float32), bname))
        shapes[wn] = list(w.shape)
        n["inputs"] = [n["inputs"][0], wn, bname]
        n["outputs"] = list(bn["outputs"])
        folded.add(id(bn))
    m["nodes"] = [n for n in m["nodes"] if id(n) not in folded]
    used = {x for n in m["nodes"] for x in n["inputs"]}
    inits = [t for t in inits if t.name in used]

    def pads4(p):
        return list(p) * 2 if len(p) == 2 else [p[0], p[1], p[2], p[3]]

    for n in m["nodes"]:
        op, ins, outs, at = n["op"], n["inputs"], n["outputs"], n.get("attrs", {})
        nm = n.get("name", "%s_%d" % (op, k))
        k += 1
        if op == "conv2d":
            kh, kw = shapes[ins[1]][2:]
            nodes.append(helper.make_node("Conv", ins, outs, name=nm, kernel_shape=[kh, kw],
                                          strides=at.get("stride", [1, 1]),
                                          pads=pads4(at.get("padding", [0, 0, 0, 0])),
                                          dilations=at.get("dilation", [1, 1]), group=at.get("groups", 1)))
        elif op == "batch_norm":
            nodes.append(helper.make_node("BatchNormalization", ins, outs, name=nm, epsilon=at.get("eps", 1e-5)))
        elif op == "silu":
            nodes.append(helper.make_node("Sigmoid", ins, [nm + ".sig"], name=nm + ".sigmoid"))
            nodes.append(helper.make_node("Mul", [ins[0], nm + ".sig"], outs, name=nm))
        elif op == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", ins, outs, name=nm, alpha=at.get("alpha", 0.01)))
        elif op in ("sigmoid", "add"):
            nodes.append(helper.make_node(op.capitalize(), ins, outs, name=nm))
        elif op == "concat":
            nodes.append(helper.make_node("Concat", ins, outs, name=nm, axis=at.get("axis", 1)))
        elif op == "split":
            inits.append(numpy_helper.from_array(np.asarray(at["sizes"], np.int64), nm + ".sizes"))
            nodes.append(helper.make_node("Split", [ins[0], nm + ".sizes"], outs, name=nm, axis=at.get("axis", 1)))
        elif op == "maxpool2d":
            nodes.append(helper.make_node("MaxPool", ins, outs, name=nm, kernel_shape=at["kernel"],
                                          strides=at.get("stride", at["kernel"]),
                                          pads=pads4(at.get("padding", [0, 0, 0, 0])),
                                          ceil_mode=int(at.get("ceil_mode", False))))
        elif op == "resize" and at.get("mode", "nearest") == "nearest" and "scale" in at:
            inits.append(numpy_helper.from_array(np.asarray([1, 1] + at["scale"], np.float32), nm + ".scales"))
            nodes.append(helper.make_node("Resize", [ins[0], "", nm + ".scales"], outs, name=nm, mode="nearest",
                                          coordinate_transformation_mode=at.get("coord", "asymmetric"),
                                          nearest_mode="floor"))
        else:
            raise SystemExit("yaml_to_onnx: op %s (node %s) not handled" % (op, nm))
    inp = m["inputs"][0]
    g = helper.make_graph(nodes, m["name"],
                          [helper.make_tensor_value_info(inp["name"], TensorProto.FLOAT, inp["shape"])],
                          [helper.make_empty_tensor_value_info(o) for o in m["outputs"]], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph
    types = {v.name: v for v in list(inferred.value_info) + list(inferred.output)}
    for o in model.graph.output:
        o.CopyFrom(types[o.name])
    save(model, out_path)
    return inp["name"], m["outputs"]
