"""Constant folding: the ONNX ops the importer evaluates with NumPy when all
their inputs are constants (Shape -> Gather -> Concat -> Reshape chains,
ConstantOfShape, Range, ...), with the size limit on what they may grow.
"""


import numpy as np
from onnx import numpy_helper

from onnx_util import GROW_MAX, TooBig
from onnx_values import np_dtype
from onnx_read import numel


def _axes(a, vals, idx):
    if "axes" in a:
        return list(a["axes"])
    if len(vals) > idx and vals[idx] is not None:
        return [int(e) for e in vals[idx].reshape(-1)]
    return None


def _slice(x, starts, ends, axes, steps):
    if axes is None:
        axes = list(range(len(starts)))
    if steps is None:
        steps = [1] * len(starts)
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax = ax + x.ndim if ax < 0 else ax
        big = 2 ** 62
        s = max(min(s, big), -big)
        e = max(min(e, big), -big)
        sl[ax] = slice(s, e, st)
    return x[tuple(sl)]


def fold_size(op, a, v):
    """An upper bound on the elements of fold(op)'s result, computed
    without allocating; None where it is at most the inputs' total."""
    if op == "ConstantOfShape":
        return numel(max(int(e), 0) for e in v[0].reshape(-1))
    if op == "Expand":
        return numel(np.broadcast_shapes(
            v[0].shape, tuple(int(e) for e in v[1].reshape(-1))))
    if op == "Range":
        d = float(v[2].item())
        return max(int(np.ceil((float(v[1].item()) - float(v[0].item())) / d)),
                   0) if d else 0
    if op == "Gather":
        axis = a.get("axis", 0)
        return v[1].size * (v[0].size // max(v[0].shape[axis], 1))
    if op in ("Add", "Sub", "Mul", "Div", "Min", "Max", "Equal", "Where"):
        return numel(np.broadcast_shapes(*[e.shape for e in v
                                           if e is not None]))
    return None


def fold(op, a, vals, opset):
    """Evaluates op on constant inputs; None where it does not know how.
    TooBig where the result would be larger than GROW_MAX and its inputs."""
    v = vals
    size = fold_size(op, a, v)
    if size is not None and size > max(
            GROW_MAX, sum(e.size for e in v if e is not None)):
        raise TooBig("its constant result would have %d elements (the "
                     "importer computes at most 2^24 beyond its inputs)" % size)
    if op == "Identity":
        return [v[0]]
    if op == "Cast":
        return [v[0].astype(np_dtype(a["to"]))]
    if op == "Gather":
        return [np.take(v[0], v[1].astype(np.int64), axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        axes = _axes(a, v, 1)
        r = v[0].ndim + len(axes)
        axes = sorted(ax + r if ax < 0 else ax for ax in axes)
        out = v[0]
        for ax in axes:
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        axes = _axes(a, v, 1)
        if axes is None:
            return [np.squeeze(v[0])]
        return [np.squeeze(v[0], axis=tuple(ax % v[0].ndim for ax in axes))]
    if op == "Concat":
        return [np.concatenate(v, axis=a["axis"])]
    if op == "Slice":
        if opset < 10:
            return [_slice(v[0], a["starts"], a["ends"], a.get("axes"), None)]
        ints = [None if e is None else [int(k) for k in e.reshape(-1)]
                for e in (v + [None] * 5)[1:5]]
        return [_slice(v[0], ints[0], ints[1], ints[2], ints[3])]
    if op in ("Add", "Sub", "Mul", "Div") and v[0].dtype == v[1].dtype:
        x, y = v[0], v[1]
        if op == "Add":
            r = x + y
        elif op == "Sub":
            r = x - y
        elif op == "Mul":
            r = x * y
        elif np.issubdtype(x.dtype, np.integer):
            q = np.abs(x) // np.abs(y)
            r = np.where((x < 0) != (y < 0), -q, q)
        else:
            r = x / y
        return [np.asarray(r).astype(x.dtype)]
    if op == "Neg":
        return [-v[0]]
    if op == "Reshape":
        shape = [int(e) for e in (v[1].reshape(-1) if len(v) > 1
                                  else a["shape"])]
        if not a.get("allowzero", 0):
            shape = [v[0].shape[i] if s == 0 else s
                     for i, s in enumerate(shape)]
        return [v[0].reshape(shape)]
    if op == "Transpose":
        perm = a.get("perm")
        return [np.transpose(v[0], perm)]
    if op == "Flatten":
        ax = a.get("axis", 1)
        ax = ax + v[0].ndim if ax < 0 else ax
        lead = int(np.prod(v[0].shape[:ax]))
        return [v[0].reshape(lead, -1 if v[0].size else 0)]
    if op == "ConstantOfShape":
        val = a.get("value")
        val = numpy_helper.to_array(val) if val is not None \
            else np.zeros(1, np.float32)
        return [np.full([int(e) for e in v[0].reshape(-1)], val.reshape(-1)[0],
                        dtype=val.dtype)]
    if op == "Range":
        if not np.all(np.isfinite(np.concatenate(
                [e.reshape(-1).astype(np.float64) for e in v]))):
            return None
        return [np.arange(v[0].item(), v[1].item(), v[2].item()).astype(
            v[0].dtype)]
    if op == "Expand":
        shape = np.broadcast_shapes(v[0].shape,
                                    tuple(int(e) for e in v[1].reshape(-1)))
        return [np.broadcast_to(v[0], shape).copy()]
    if op in ("Min", "Max") and len(v) >= 1:
        r = v[0]
        for e in v[1:]:
            r = np.minimum(r, e) if op == "Min" else np.maximum(r, e)
        return [r]
    if op in ("Floor", "Ceil", "Sqrt", "Relu"):
        f = {"Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt,
             "Relu": lambda x: np.maximum(x, 0).astype(x.dtype)}[op]
        return [f(v[0])]
    if op == "Equal":
        return [np.equal(v[0], v[1])]
    if op == "Where":
        return [np.where(v[0], v[1], v[2])]
    return None


FOLDABLE = {"Identity", "Cast", "Gather", "Unsqueeze", "Squeeze", "Concat",
            "Slice", "Add", "Sub", "Mul", "Div", "Neg", "Reshape",
            "Transpose", "Flatten", "ConstantOfShape", "Range", "Expand",
            "Min", "Max", "Floor", "Ceil", "Sqrt", "Relu", "Equal", "Where"}


def constant_node_value(a):
    if "value" in a:
        return numpy_helper.to_array(a["value"])
    if "value_float" in a:
        return np.array(a["value_float"], dtype=np.float32)
    if "value_floats" in a:
        return np.array(a["value_floats"], dtype=np.float32)
    if "value_int" in a:
        return np.array(a["value_int"], dtype=np.int64)
    if "value_ints" in a:
        return np.array(a["value_ints"], dtype=np.int64)
    return None


# ---- reading and checking the input ----------------------------------------------
#
# Everything here is about the input file: a problem is a Fail naming it and
# what is wrong with it. Nothing is converted, allocated from a declared
# size, or written before these checks pass.
