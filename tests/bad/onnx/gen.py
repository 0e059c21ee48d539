#!/usr/bin/python3
"""Writes the hostile ONNX fixtures of tests/onnx/import_bad_*.test into
this folder (or the folder given): each is a few hundred bytes, committed,
and holds one thing wrong with it, named by the file.

    /usr/bin/python3 tests/bad/onnx/gen.py [DIR]

Needs Debian's python3-onnx and python3-numpy. The files are written
byte for byte the same on every run (protobuf serializes fields in order).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh


def model(nodes, inits, inputs=(("x", [1, 4]),), outputs=("y",), opset=13):
    g = h.make_graph(nodes, "g",
                     [h.make_tensor_value_info(n, T.FLOAT, s)
                      for n, s in inputs],
                     [h.make_tensor_value_info(n, T.FLOAT, None)
                      for n in outputs], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)],
                     producer_name="gen.py")
    m.ir_version = 7
    return m


def add_b(b):
    """y = x + b, x of shape [1, 4]: b is the tensor under test."""
    return model([h.make_node("Add", ["x", "b"], ["y"], name="add")], [b])


def raw(name, dims, data, dtype=T.FLOAT):
    t = onnx.TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.raw_data = data
    return t


def external(name, dims, location, offset=None, length=None):
    t = onnx.TensorProto()
    t.name, t.data_type = name, T.FLOAT
    t.dims.extend(dims)
    t.data_location = T.EXTERNAL
    for k, v in (("location", location), ("offset", offset),
                 ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return t


def b4():
    return nh.from_array(np.arange(4, dtype=np.float32), "b")


def fixtures():
    """{file name: bytes}."""
    ok = add_b(b4()).SerializeToString()
    f = {"empty.onnx": b"",
         "not_onnx.onnx": b"hello, this is not an ONNX model\n",
         "truncated.onnx": ok[:len(ok) // 2]}
    m = onnx.ModelProto()
    m.ir_version = 7
    m.opset_import.add().version = 13
    f["no_graph.onnx"] = m.SerializeToString()
    # Tensors whose declared size does not match their data.
    f["huge_tensor.onnx"] = add_b(raw("b", [10 ** 15], bytes(16)))
    f["short_data.onnx"] = add_b(raw("b", [4], bytes(12)))
    f["negative_dim.onnx"] = add_b(raw("b", [-4], bytes(16)))
    f["bad_dtype.onnx"] = add_b(raw("b", [4], bytes(16), dtype=99))
    # Shapes.
    f["huge_input.onnx"] = model(
        [h.make_node("Add", ["x", "b"], ["y"], name="add")], [b4()],
        inputs=[("x", [10 ** 15, 4])])
    f["negative_input_dim.onnx"] = model(
        [h.make_node("Add", ["x", "b"], ["y"], name="add")], [b4()],
        inputs=[("x", [1, -4])])
    # External data: only files in the model's folder are read.
    data = np.arange(4, dtype=np.float32).tobytes()
    f["external_ok.bin"] = data
    f["external_ok.onnx"] = add_b(external("b", [4], "external_ok.bin"))
    f["external_escape.onnx"] = add_b(
        external("b", [4], "../../../../../../../../etc/passwd"))
    f["external_absolute.onnx"] = add_b(external("b", [4], "/etc/passwd"))
    f["external_missing.onnx"] = add_b(external("b", [4], "missing.bin"))
    f["external_short.onnx"] = add_b(
        external("b", [4], "external_ok.bin", offset=8))
    f["external_overlap.onnx"] = model(
        [h.make_node("Add", ["x", "b"], ["s"], name="add"),
         h.make_node("Add", ["s", "c"], ["y"], name="add2")],
        [external("b", [4], "external_ok.bin"),
         external("c", [2, 2], "external_ok.bin")])
    # Text that is not UTF-8, and names that would break a line.
    m = add_b(b4())
    m.graph.node[0].name = "a\x01d"
    f["non_utf8_name.onnx"] = m.SerializeToString().replace(b"a\x01d",
                                                             b"a\xffd")
    m = model([h.make_node("Relu", ["x"], ["y"], name="relu\nformat: 2")],
              [], inputs=[("x", ["batch\nname: evil", 4])])
    m.producer_name = "gen.py\nformat: 9"
    f["newline_names.onnx"] = m
    # Graphs ONNX forbids that parse fine.
    f["conv_no_inputs.onnx"] = model([h.make_node("Conv", [], ["y"],
                                                  name="c")], [])
    f["output_undefined.onnx"] = model(
        [h.make_node("Relu", ["x"], ["r"], name="relu")], [])
    f["split_axis.onnx"] = model(
        [h.make_node("Split", ["x"], ["y", "z"], name="split",
                     axis=-274877906943)], [], outputs=("y", "z"))
    # ONNX 1.12's shape inference divides by this stride (SIGFPE).
    f["zero_stride.onnx"] = model(
        [h.make_node("Conv", ["x", "w"], ["y"], name="conv",
                     auto_pad="SAME_UPPER", strides=[0, 1])],
        [nh.from_array(np.ones((1, 1, 1, 1), np.float32), "w")],
        inputs=[("x", [1, 1, 4, 4])])
    # A few bytes that would fold to 10^10 elements.
    f["fold_bomb.onnx"] = model(
        [h.make_node("ConstantOfShape", ["s"], ["c"], name="fill"),
         h.make_node("Add", ["x", "c"], ["y"], name="add")],
        [nh.from_array(np.array([100000, 100000], np.int64), "s")])
    # A Resize to 10^9 rows (the importer checks every one).
    f["resize_huge.onnx"] = model(
        [h.make_node("Resize", ["x", "", "sc"], ["y"], name="up",
                     mode="nearest")],
        [nh.from_array(np.array([1, 1, 1e9, 1], np.float32), "sc")],
        inputs=[("x", [1, 1, 2, 2])])
    return {k: v if isinstance(v, bytes) else v.SerializeToString()
            for k, v in f.items()}


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    for name, data in sorted(fixtures().items()):
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
