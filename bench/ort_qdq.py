#!/usr/bin/env python3
"""Builds ONNX Runtime's own int8 model: a QDQ model made the way
onnxruntime.quantization.quantize_static makes it by default, with only
python3-onnx and numpy (ONNX Runtime itself runs through node, see below).

  - activations: uint8, asymmetric, per tensor, MinMax ranges over the
    calibration samples (0 always inside the range);
  - weights of Conv/Gemm/MatMul: int8 symmetric ([-127, 127]), per tensor,
    or per output channel with --per-channel (Conv: axis 0; Gemm: 0 if
    transB else 1; MatMul: 1);
  - Conv/Gemm bias: int32, scale s_x * s_w, zero point 0.
Q/DQ pairs go on the float inputs and outputs of Conv, Gemm, MatMul, Add,
Mul, Concat, LeakyRelu, Sigmoid, Relu, Clip and GlobalAveragePool, each with
its own range (constant inputs of Add/Mul/Concat get uint8 like ORT does).
As in ORT, the outputs of MaxPool, AveragePool, Resize and of the data
movers (Transpose, Reshape, Squeeze, Unsqueeze, Split, Slice) reuse their
input's scale/zero point, and are only quantized when that input is; a Relu/Clip
input that only feeds it is left float (ORT folds such a Relu/Clip into
the Q of its output, which gives the same numbers). One pair per tensor,
shared by its consumers; graph outputs keep their names.

Calibration: a copy of the model with every tensor to be ranged made a
graph output runs once per sample through `node bench/ort_run.js`
(onnxruntime-node, installed by bench/ort_setup.sh).

usage: bench/ort_qdq.py MODEL.onnx OUT.onnx --calib NAME=DIR [--calib NAME=DIR...]
                        [--per-channel] [--work DIR]
  DIR holds one float32 .npy file per sample for model input NAME (several
  inputs: samples are paired in sorted file-name order).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OWN = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "LeakyRelu",
       "Sigmoid", "Relu", "Clip", "GlobalAveragePool"}
SHARED = {"MaxPool", "AveragePool", "Resize", "Transpose", "Reshape", "Squeeze",
          "Unsqueeze", "Split", "Slice"}   # outputs take input[0]'s params
FIRST_ONLY = {"Relu", "Clip", "Conv", "Gemm"}   # other inputs: bounds / weights / bias
HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    sys.exit("ort_qdq: " + msg)


def scale_zp(rmin, rmax, qmin, qmax, symmetric):
    """ORT's compute_scale_zp: range widened to hold 0, scale 0 -> 1."""
    rmin, rmax = np.minimum(rmin, 0.0), np.maximum(rmax, 0.0)
    if symmetric:
        rmax = np.maximum(-rmin, rmax)
        rmin = -rmax
    scale = np.asarray((rmax - rmin) / float(qmax - qmin), np.float64)
    tiny = scale < np.finfo(np.float32).tiny
    scale = np.where(tiny, 1.0, scale).astype(np.float32)
    zp = np.zeros_like(scale) if symmetric else np.round(qmin - rmin / scale)
    return scale, np.where(tiny, 0, zp)


def quantize(x, scale, zp, qmin, qmax, dtype, axis=None):
    if axis is not None:   # broadcast per-channel params along axis
        shape = [1] * x.ndim
        shape[axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return np.clip(np.round(x.astype(np.float32) / scale) + zp, qmin, qmax).astype(dtype)


def calibrate(model, names, calib, work):
    """min/max per tensor name over all samples, from ORT runs."""
    aug = onnx.ModelProto()
    aug.CopyFrom(model)
    outs = {o.name for o in aug.graph.output}
    ins = {i.name for i in aug.graph.input}
    aug.graph.output.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
                            for n in names if n not in outs and n not in ins)
    aug_path = os.path.join(work, "calib_model.onnx")
    onnx.save(aug, aug_path)
    files = {}
    for inp, d in calib:
        if inp not in ins:
            die(f"--calib {inp}: not a model input ({', '.join(sorted(ins))})")
        fs = sorted(f for f in os.listdir(d) if f.endswith(".npy"))
        if not fs:
            die(f"no .npy files in {d}")
        files[inp] = [os.path.join(d, f) for f in fs]
    counts = {len(v) for v in files.values()}
    if len(counts) != 1:
        die("calibration folders hold different numbers of samples")
    fname = {n: n.replace("/", "_").replace(":", "_") + ".npy" for n in names}
    if len(set(fname.values())) != len(fname):
        die("two tensor names map to the same .npy file name")
    lo, hi = {}, {}
    for i in range(counts.pop()):
        out = os.path.join(work, f"sample{i}")
        cmd = ["node", os.path.join(HERE, "ort_run.js"), aug_path, out] + \
              [f"{k}={v[i]}" for k, v in files.items()]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            die("calibration run failed: " + (r.stderr.strip() or r.stdout.strip()))
        for n in names:
            a = np.load(files[n][i] if n in ins else os.path.join(out, fname[n]))
            lo[n] = min(lo.get(n, np.inf), float(a.min()))
            hi[n] = max(hi.get(n, -np.inf), float(a.max()))
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--calib", action="append", required=True, metavar="NAME=DIR")
    ap.add_argument("--per-channel", action="store_true")
    ap.add_argument("--work", help="keep the calibration runs in this folder (default: a temp folder, removed)")
    a = ap.parse_args()
    calib = [c.split("=", 1) for c in a.calib]
    if any(len(c) != 2 or not os.path.isdir(c[1]) for c in calib):
        die("--calib wants NAME=DIR with DIR a folder of .npy files")

    try:
        model = onnx.load(a.model)
    except Exception as e:   # missing file, not a protobuf, ...
        die(f"cannot read {a.model}: {e}")
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < 13:
        die(f"opset {opset}: need >= 13 (convert the model first)")
    inits = {t.name: t for t in g.initializer}
    types = {v.name: v.type.tensor_type.elem_type for v in
             list(onnx.shape_inference.infer_shapes(model).graph.value_info) + list(g.input) + list(g.output)}
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    graph_outs = {o.name for o in g.output}

    # choose: own-range tensors, weights (node, input index), constants, shared tensors
    producer = {x: n for n in g.node for x in n.output}
    is_float = lambda t: bool(t) and types.get(t) == TensorProto.FLOAT
    own, weights, consts, shared, folded = [], [], [], {}, set()
    for n in g.node:
        if n.op_type not in OWN:
            continue
        ins = list(n.input[:1]) if n.op_type in FIRST_ONLY else list(n.input)
        if n.op_type in ("Relu", "Clip"):
            p = producer.get(ins[0])
            if p is None or p.op_type not in OWN:
                continue   # ORT leaves a Relu/Clip on a float input alone
            if ins[0] not in graph_outs and len(consumers[ins[0]]) == 1:
                folded.add(ins[0])   # ORT removes it: only its output is quantized
        if n.op_type in ("Conv", "Gemm", "MatMul"):
            ins = [x for x in n.input[:2] if x not in inits]
            weights += [(n, i) for i, x in enumerate(n.input[:2]) if x in inits]
        for t in ins + list(n.output):
            if t in inits:
                if inits[t].data_type == TensorProto.FLOAT and t not in consts:
                    consts.append(t)
            elif is_float(t) and t not in own:
                own.append(t)
    for n in g.node:   # in graph order, so chains of shared ops follow
        if n.op_type in SHARED and (n.input[0] in own or n.input[0] in shared):
            shared.update((t, shared.get(n.input[0], n.input[0])) for t in n.output if is_float(t))
    own = [t for t in own if t not in folded and t not in shared]
    if not own:
        die("nothing to quantize (no float tensors around Conv/Gemm/MatMul/...)")

    if a.work:
        os.makedirs(a.work, exist_ok=True)
        lo, hi = calibrate(model, own, calib, a.work)
    else:   # the runs' outputs are large: gone once the ranges are read
        with tempfile.TemporaryDirectory(prefix="ort_qdq_") as work:
            lo, hi = calibrate(model, own, calib, work)

    new_inits, params = [], {}   # params: tensor -> (scale name, zp name, scale value)

    def add_params(name, scale, zp, zp_type):
        new_inits.append(numpy_helper.from_array(np.asarray(scale, np.float32), name + "_scale"))
        new_inits.append(numpy_helper.from_array(np.asarray(zp, zp_type), name + "_zero_point"))
        return name + "_scale", name + "_zero_point"

    for t in own:
        s, z = scale_zp(np.float64(lo[t]), np.float64(hi[t]), 0, 255, False)
        params[t] = add_params(t, s, z, np.uint8) + (s,)
    for t, src in shared.items():
        params[t] = params[src]

    # activations: producer (or graph input) -> Q -> DQ -> consumers
    renamed, dq_of, qdq_nodes = {}, {}, []
    for t, (s, z, _) in params.items():
        q_in, dq_out = t, t + "_DequantizeLinear_Output"
        if t in graph_outs:
            q_in, dq_out = t + "_QuantizeLinear_Input", t
            renamed[t] = q_in
        dq_of[dq_out] = t
        qdq_nodes.append(helper.make_node("QuantizeLinear", [q_in, s, z], [t + "_QuantizeLinear_Output"], name=t + "_QuantizeLinear"))
        qdq_nodes.append(helper.make_node("DequantizeLinear", [t + "_QuantizeLinear_Output", s, z], [dq_out], name=t + "_DequantizeLinear"))
        if t not in graph_outs:
            for c in consumers.get(t, []):
                for i, x in enumerate(c.input):
                    if x == t:
                        c.input[i] = dq_out
    for n in g.node:
        for i, x in enumerate(n.output):
            if x in renamed:
                n.output[i] = renamed[x]

    # weights, constants and biases: float initializer -> int initializer + DQ
    done, wq, dropped = {}, {}, set()   # wq: weight DQ output -> (scale, axis)
    names = {t.name for t in g.initializer}

    def const_dq(name, q, s, z, axis, zp_type):
        key, k = name + "_quantized", 1
        while key in names:
            key, k = f"{name}_quantized{k}", k + 1
        names.add(key)
        new_inits.append(numpy_helper.from_array(q, key))
        sn, zn = add_params(key, s, z, zp_type)
        attrs = {"axis": axis} if axis is not None else {}
        qdq_nodes.append(helper.make_node("DequantizeLinear", [key, sn, zn], [key + "_DequantizeLinear_Output"], name=key + "_DequantizeLinear", **attrs))
        dropped.add(name)
        return key + "_DequantizeLinear_Output"

    for n, i in weights:
        w = n.input[i]
        if w not in done:
            arr = numpy_helper.to_array(inits[w]).astype(np.float32)
            axis = None
            if a.per_channel and arr.ndim >= 2:
                trans_b = any(at.name == "transB" and at.i for at in n.attribute)
                axis = {"Conv": 0, "Gemm": 0 if trans_b else 1}.get(n.op_type, 1)
            if axis is None:
                s, z = scale_zp(arr.min(), arr.max(), -127, 127, True)
            else:
                red = tuple(k for k in range(arr.ndim) if k != axis)
                s, z = scale_zp(arr.min(axis=red), arr.max(axis=red), -127, 127, True)
            q = quantize(arr, s, z, -128, 127, np.int8, axis)
            done[w] = const_dq(w, q, s, z, axis, np.int8)
            wq[done[w]] = (s, axis)
        n.input[i] = done[w]
    for t in consts:
        arr = numpy_helper.to_array(inits[t]).astype(np.float32)
        s, z = scale_zp(arr.min(), arr.max(), 0, 255, False)
        dq = const_dq(t, quantize(arr, s, z, 0, 255, np.uint8), s, z, None, np.uint8)
        for c in consumers[t]:
            if c.op_type in OWN - FIRST_ONLY:
                c.input[:] = [dq if x == t else x for x in c.input]
    n_bias = 0
    for n in g.node:   # bias: both other inputs quantized, plain Gemm only (alpha = beta = 1)
        plain = all(at.f == 1.0 for at in n.attribute if at.name in ("alpha", "beta"))
        if n.op_type in ("Conv", "Gemm") and len(n.input) > 2 and n.input[2] in inits \
                and n.input[0] in dq_of and n.input[1] in wq and plain:
            s_w, _ = wq[n.input[1]]
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)
            if b.ndim != 1 or b.size != s_w.size and s_w.size != 1:
                continue
            s_b = (params[dq_of[n.input[0]]][2] * s_w).astype(np.float32)
            s_b = np.where(s_b == 0, np.float32(1), s_b)
            q = np.clip(np.round(b / s_b), -2**31, 2**31 - 1).astype(np.int32)
            n.input[2] = const_dq(n.input[2], q, s_b, np.zeros(s_b.shape, np.int32),
                                  0 if s_b.ndim else None, np.int32)
            n_bias += 1

    # drop float initializers no longer used
    used = {x for n in list(g.node) + qdq_nodes for x in n.input}
    keep = [t for t in g.initializer if not (t.name in dropped and t.name not in used)]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    gone = {t for t in dropped if t not in used}
    kept_inputs = [v for v in g.input if v.name not in gone]
    del g.input[:]
    g.input.extend(kept_inputs)
    g.node.extend(qdq_nodes)
    nodes = toposort(list(g.node), {v.name for v in g.input} | {t.name for t in g.initializer})
    del g.node[:]
    g.node.extend(nodes)

    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        die(f"the QDQ model fails onnx.checker: {e}")
    tmp = a.out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, a.out)
    print(f"ort_qdq: {len(params)} tensors Q/DQ ({len(own)} calibrated, {len(shared)} sharing their input's), "
          f"{len(done)} weights int8 {'per-channel' if a.per_channel else 'per-tensor'}, "
          f"{n_bias} biases int32, {len(consts)} constants uint8 -> {a.out}")


def toposort(nodes, ready):
    """Kahn-style: the graph's order, each node after all of its inputs."""
    ready, out, pending = set(ready) | {""}, [], list(nodes)
    while pending:
        rest = []
        for n in pending:
            if all(x in ready for x in n.input):
                out.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            die("graph has a cycle or an undefined input: " + (rest[0].name or rest[0].op_type))
        pending = rest
    return out


if __name__ == "__main__":
    main()
