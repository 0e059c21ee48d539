#!/usr/bin/python3
"""qcc import: an ONNX model -> the YAML model format plus .npy weights.

    onnx_import.py MODEL.onnx -o OUT.yaml [--name NAME] [--shape NAME=D0,D1,...]
                   [--check-with QCC]

Writes OUT.yaml (../shared/spec/model-format.md) and, when some constant is
too large to inline, OUT.weights/ beside it (the YAML's `file:` paths are
relative to its folder). Missing folders above OUT.yaml are created.
Nothing is written unless the whole import succeeds: both are written under
a temporary folder beside OUT.yaml, checked (with `QCC check` when
--check-with is given) and renamed into place; on error the folders it
created are removed again.

Errors are one line `FILE: error: ...` and exit status 1. Every node the
model format cannot express is listed in that one line, with its name and
the reason. docs/onnx.md has the op mapping and what is rejected and why.

Bad input is kept apart from importer bugs: the file is read and checked
(read_model, check_model_input) before anything is converted or the output
folder is looked at, and every size it declares is checked against its data
before anything is allocated. An exception while converting a model that
passes those checks is an importer bug and is reported as one, unless
onnx.checker or ONNX's strict shape inference finds the model invalid (a
node missing inputs, say). ONNX's C++ code runs in a forked child
(isolated), so that its crash on a hostile model is an error line too.

Uses Debian's python3-onnx and python3-numpy only; `qcc import` runs it.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import warnings

PROG = "qcc import"
INLINE_MAX = 16  # constants of at most this many elements go in `data:`


# Limits on what a model may declare (docs/onnx.md, "Bad input"): a file
# of a few bytes must not make the importer allocate gigabytes or loop for
# hours.
MAX_ELEMENTS = 1 << 31  # of any tensor in the file, or input
GROW_MAX = 1 << 24      # a constant the importer computes may be larger
                        # than its inputs together only up to this
MAX_RANK = 8            # QCC_MAX_RANK (ir/ir.h)
WINDOW_MAX = 1 << 20    # kernel, stride, dilation, pad (ir/shape.c)
RESIZE_MAX = 1 << 20    # output rows / columns of a Resize (checked one by one)
PROTO_MAX = (1 << 31) - 1  # protobuf's limit on one message


class Fail(Exception):
    """A fatal error: one line naming `where` (default: the input model),
    nothing written."""

    def __init__(self, msg, where=None):
        super().__init__(msg)
        self.where = where


class Bug(Exception):
    """The importer wrote a model qcc does not load: an importer bug unless
    onnx.checker finds the input invalid (main decides)."""


class Unsupported(Exception):
    """A node (or input) the model format cannot express; collected."""


class BadNode(Exception):
    """A node the ONNX spec forbids (an axis out of range, a shape that
    does not hold its input) that onnx.checker lets through: bad input,
    collected with the node's name like Unsupported, reported after it."""


class TooBig(Exception):
    """A constant fold that would create a tensor over GROW_MAX."""


def oneline(s):
    """s with control characters (newlines included), undecodable bytes
    (surrogate escapes) and line separators escaped: a name in a model
    must not break an error line or a YAML comment."""
    out = []
    for ch in str(s):
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append("\\x%02x" % (o - 0xDC00))
        elif o < 0x20 or 0x7F <= o < 0xA0:
            out.append("\\x%02x" % o)
        elif o in (0x2028, 0x2029) or 0xD800 <= o <= 0xDFFF:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def die(where, msg):
    sys.stderr.write("%s: error: %s\n" % (oneline(where), oneline(msg)))
    sys.exit(1)


def need_modules():
    """Exits when numpy or onnx is missing: with one error line, or, when qcc
    runs the script and asks for it (QCC_IMPORT_MISSING_STATUS), silently
    with that status, so that qcc can try its next Python."""
    for module, package in (("numpy", "python3-numpy"), ("onnx", "python3-onnx")):
        try:
            __import__(module)
        except ImportError:
            status = os.environ.get("QCC_IMPORT_MISSING_STATUS")
            if status and status.isdigit():
                sys.exit(int(status))
            die(PROG, "the Python module '%s' is missing from %s: install "
                "Debian's %s (apt-get install %s)"
                % (module, sys.executable, package, package))


# Filled by main() once the modules are known to be there.
np = None
onnx = None
numpy_helper = None
FLT_MAX = 3.4028234663852886e38

NAME_RE = re.compile(r"[^A-Za-z0-9_.:/-]")
PLAIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
YAML_WORDS = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
              "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
              "ON", "off", "Off", "OFF", "null", "Null", "NULL"}


def yname(s):
    """A name as a YAML scalar: plain where unambiguous, else quoted."""
    if PLAIN_RE.match(s) and s not in YAML_WORDS:
        return s
    return '"%s"' % s  # sanitized names hold no '"' or '\\'


def fnum(x):
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise Unsupported("non-finite attribute value %r" % x)
    return repr(x)


def yvalue(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yvalue(e) for e in v) + "]"
    if isinstance(v, float):
        return fnum(v)
    if isinstance(v, int):
        return str(v)
    return str(v)  # enum names


def attr_dict(node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [e.decode("utf-8", "replace") for e in v]
        out[a.name] = v
    return out


def elem_name(t):
    try:
        return onnx.TensorProto.DataType.Name(t)
    except ValueError:
        return "type %d" % t


def np_dtype(t):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t]


# ---- constant folding (numpy) -----------------------------------------------

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

def _varint(data, i):
    """(value, next index) of the varint at data[i]; None past the end."""
    v, shift = 0, 0
    while i < len(data) and shift < 70:
        b = data[i]
        v |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return v, i
        shift += 7
    return None


def wire_diagnosis(data):
    """Why data does not parse as an onnx.ModelProto, from its top-level
    fields: truncated (a known field runs past the end), or not an ONNX
    model at all (a field ModelProto does not have, bad wire data)."""
    fields = onnx.ModelProto.DESCRIPTOR.fields_by_number
    i = 0
    while i < len(data):
        at = i
        r = _varint(data, i)
        if r is None:
            return "truncated: the file ends inside a field tag at byte %d" % at
        tag, i = r
        num, wt = tag >> 3, tag & 7
        fd = fields.get(num)
        want = None
        if fd is not None:
            want = 0 if fd.type in (fd.TYPE_INT64, fd.TYPE_INT32) else 2
        if fd is None or wt != want:
            return ("not an ONNX model: byte %d is not the start of an ONNX "
                    "ModelProto field (field %d, wire type %d)" % (at, num, wt))
        if wt == 0:
            r = _varint(data, i)
            if r is None:
                return ("truncated: the file ends inside field '%s' at byte %d"
                        % (fd.name, at))
            i = r[1]
            continue
        r = _varint(data, i)
        if r is None:
            return ("truncated: the file ends inside field '%s' at byte %d"
                    % (fd.name, at))
        length, i = r
        if i + length > len(data):
            return ("truncated: field '%s' at byte %d declares %d bytes, the "
                    "file holds %d more" % (fd.name, at, length, len(data) - i))
        if fd.type == fd.TYPE_MESSAGE:
            holder = getattr(onnx.ModelProto(), fd.name)
            sub = (holder.add() if fd.label == fd.LABEL_REPEATED
                   else holder)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    n = sub.ParseFromString(data[i:i + length])
                ok = n is None or n == length
            except Exception:
                ok = False
            if not ok:
                return ("not a valid ONNX model: field '%s' at byte %d is not "
                        "a valid %s" % (fd.name, at, fd.message_type.name))
        i += length
    return "not a valid ONNX protobuf"


def read_model(path):
    """The onnx.ModelProto in the file at path, its external data not read
    (check_model_input does that, within the model's folder); Fail unless
    it is a regular file holding an ONNX model with a graph."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise Fail("no such file")
    except OSError as e:
        raise Fail("cannot read: %s" % e.strerror)
    if stat.S_ISDIR(st.st_mode):
        raise Fail("is a folder, not an ONNX file")
    if not stat.S_ISREG(st.st_mode):
        raise Fail("not a regular file")
    if st.st_size == 0:
        raise Fail("empty file (0 bytes): not an ONNX model")
    if st.st_size > PROTO_MAX:
        raise Fail("%d bytes: more than protobuf's 2 GiB limit (an ONNX model "
                   "this large keeps its weights in external data files)"
                   % st.st_size)
    try:
        with open(path, "rb") as f:
            data = f.read(st.st_size + 1)
    except OSError as e:
        raise Fail("cannot read: %s" % e.strerror)
    model = onnx.ModelProto()
    try:
        # The C++ protobuf warns (a Python warning, on stderr) where it
        # stops early; the error below says it in one line instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = model.ParseFromString(data)
        ok = n is None or n == len(data)
    except Exception:
        ok = False
    if not ok:
        raise Fail(wire_diagnosis(data))
    if not model.HasField("graph"):
        raise Fail("not an ONNX model: it has no graph")
    return model


# The repeated field holding a tensor's values when it has no raw_data, and
# how many entries one element takes; bytes per element in raw_data.
TYPED_FIELD = {1: ("float_data", 1), 14: ("float_data", 2),
               11: ("double_data", 1), 15: ("double_data", 2),
               7: ("int64_data", 1), 12: ("uint64_data", 1),
               13: ("uint64_data", 1), 8: ("string_data", 1)}
for _t in (2, 3, 4, 5, 6, 9, 10, 16):  # (u)int8/16, int32, bool, (b)float16
    TYPED_FIELD[_t] = ("int32_data", 1)
RAW_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8,
             12: 4, 13: 8, 14: 8, 15: 16, 16: 2}


def shape_text(dims):
    return "[%s]" % ", ".join(str(d) for d in dims)


def numel(dims):
    n = 1
    for d in dims:
        n *= d
    return n


class InputChecker:
    """Walks every message of a model: text fields must be UTF-8, shapes
    non-negative, every tensor's declared size must match its data (and
    stay under MAX_ELEMENTS), external data must lie in the model's folder.
    External data that passes is read into raw_data, so nothing after this
    reads another file."""

    def __init__(self, path):
        self.base = os.path.dirname(os.path.abspath(path))
        self.base_real = os.path.realpath(self.base)
        self.external = []  # (tensor, what, real path, offset, length)

    def walk(self, msg, path):
        for fd, value in msg.ListFields():
            p = "%s.%s" % (path, fd.name) if path else fd.name
            if fd.type not in (fd.TYPE_STRING, fd.TYPE_MESSAGE):
                continue
            items = (enumerate(value) if fd.label == fd.LABEL_REPEATED
                     else [(None, value)])
            for k, v in items:
                q = p if k is None else "%s[%d]" % (p, k)
                if fd.type == fd.TYPE_MESSAGE:
                    self.walk(v, q)
                elif not isinstance(v, str):  # the C++ protobuf's bytes
                    raise Fail("%s is not UTF-8 text (%s)"
                               % (q, repr(bytes(v[:60]))))
        kind = msg.DESCRIPTOR.full_name
        if kind == "onnx.TensorProto":
            self.tensor(msg, path)
        elif kind == "onnx.TensorShapeProto.Dimension":
            if msg.HasField("dim_value") and msg.dim_value < 0:
                raise Fail("%s: negative dim %d" % (path, msg.dim_value))
        elif kind == "onnx.AttributeProto":
            if msg.type == onnx.AttributeProto.UNDEFINED:
                raise Fail("%s: attribute '%s' has no type" % (path, msg.name))

    def tensor(self, t, path):
        what = ("tensor '%s' (%s)" % (t.name, path) if t.name
                else "tensor %s" % path)
        dt = t.data_type
        if dt not in RAW_BYTES and dt != onnx.TensorProto.STRING:
            raise Fail("%s: unknown data type %d" % (what, dt))
        dims = list(t.dims)
        if any(d < 0 for d in dims):
            raise Fail("%s: negative dim in its shape %s"
                       % (what, shape_text(dims)))
        n = numel(dims)
        if n > MAX_ELEMENTS:
            raise Fail("%s: shape %s declares %d elements, more than the "
                       "limit of 2^31" % (what, shape_text(dims), n))
        if t.HasField("segment"):
            raise Fail("%s: segmented tensors are not supported" % what)
        ext = t.data_location == onnx.TensorProto.EXTERNAL
        if ext or t.HasField("raw_data"):
            if dt == onnx.TensorProto.STRING:
                raise Fail("%s: a string tensor with raw or external data"
                           % what)
            need = n * RAW_BYTES[dt]
            if ext:
                self.external_ref(t, what, need)
            elif len(t.raw_data) != need:
                raise Fail("%s: shape %s of %s needs %d bytes of data, it has "
                           "%d" % (what, shape_text(dims), elem_name(dt),
                                   need, len(t.raw_data)))
            return
        field, per = TYPED_FIELD[dt]
        have = len(getattr(t, field))
        if have != n * per:
            raise Fail("%s: shape %s has %d elements, its %s holds %d values"
                       % (what, shape_text(dims), n, field, have))

    def external_ref(self, t, what, need):
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        if not loc:
            raise Fail("%s: external data without a location" % what)
        if os.path.isabs(loc) or "\0" in loc:
            raise Fail("%s: external data path '%s' is not relative to the "
                       "model's folder (refused)" % (what, loc))
        real = os.path.realpath(os.path.join(self.base, loc))
        if os.path.commonpath([real, self.base_real]) != self.base_real:
            raise Fail("%s: external data path '%s' leads out of the model's "
                       "folder (refused)" % (what, loc))
        try:
            st = os.stat(real)
        except OSError as e:
            raise Fail("%s: external data file '%s': %s"
                       % (what, loc, e.strerror))
        if not stat.S_ISREG(st.st_mode):
            raise Fail("%s: external data file '%s' is not a regular file"
                       % (what, loc))
        try:
            offset = int(info.get("offset", "0"))
            length = (int(info["length"]) if "length" in info
                      else st.st_size - offset)
        except ValueError:
            raise Fail("%s: external data offset or length is not an integer"
                       % what)
        if offset < 0 or length < 0 or offset + length > st.st_size:
            raise Fail("%s: external data '%s' bytes %d..%d: the file holds "
                       "%d bytes" % (what, loc, offset, offset + length,
                                     st.st_size))
        if length != need:
            raise Fail("%s: shape %s of %s needs %d bytes of data, its "
                       "external data has %d" % (what, shape_text(t.dims),
                                                 elem_name(t.data_type),
                                                 need, length))
        self.external.append((t, what, real, offset, length))

    def read_external(self):
        """Reads the external data checked by external_ref into raw_data.
        Regions may not overlap, so that what is read is at most the size
        of the files."""
        by_file = {}
        for e in self.external:
            by_file.setdefault(e[2], []).append(e)
        for refs in by_file.values():
            refs.sort(key=lambda e: (e[3], e[4]))
            for a, b in zip(refs, refs[1:]):
                if a[3] + a[4] > b[3] and a[4] and b[4]:
                    raise Fail("%s and %s share external data bytes (refused)"
                               % (a[1], b[1]))
        for t, what, real, offset, length in self.external:
            try:
                with open(real, "rb") as f:
                    f.seek(offset)
                    data = f.read(length)
            except OSError as e:
                raise Fail("%s: cannot read its external data: %s"
                           % (what, e.strerror))
            if len(data) != length:
                raise Fail("%s: its external data file is shorter than "
                           "declared" % what)
            t.raw_data = data
            del t.external_data[:]
            t.data_location = onnx.TensorProto.DEFAULT


# Ops with windows: ONNX 1.12's shape inference divides by their strides.
WINDOW_OPS = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool",
              "AveragePool", "LpPool", "MaxUnpool", "MaxRoiPool", "Col2Im",
              "DeformConv"}


def check_model_input(model, path):
    """Fails unless model (read_model's) is something the importer can
    read safely; reads its external data."""
    if not model.opset_import:
        raise Fail("declares no opset (opset_import is empty: a truncated "
                   "file?)")
    c = InputChecker(path)
    c.walk(model, "")
    c.read_external()
    g = model.graph
    if not g.output:
        raise Fail("the graph has no outputs")
    for i, n in enumerate(g.node):
        if n.op_type not in WINDOW_OPS or n.domain not in ("", "ai.onnx"):
            continue
        for at in n.attribute:
            vals = list(at.ints) if at.type == onnx.AttributeProto.INTS \
                else [at.i] if at.type == onnx.AttributeProto.INT else []
            if at.name in ("strides", "dilations", "kernel_shape", "group") \
                    and any(v < 1 for v in vals):
                raise Fail("%s '%s': %s %s must be positive"
                           % (n.op_type, n.name or "graph.node[%d]" % i,
                              at.name, vals if len(vals) > 1 else vals[0]))
    inits = {i.name for i in g.initializer}
    defined = inits | {i.name for i in g.input} | {
        o for n in g.node for o in n.output if o}
    seen = set()
    for o in g.output:
        if o.name in seen:
            raise Fail("graph output '%s' is listed twice" % o.name)
        seen.add(o.name)
        if o.name not in defined:
            raise Fail("graph output '%s' is not produced by any node"
                       % o.name)
    for vi in g.input:
        tt = vi.type.tensor_type
        if vi.name in inits or not tt.HasField("shape"):
            continue
        dims = [d.dim_value for d in tt.shape.dim if d.HasField("dim_value")]
        if numel(dims) > MAX_ELEMENTS:
            raise Fail("input '%s': shape %s has more than 2^31 elements"
                       % (vi.name, shape_text(dims)))


class Crash(Exception):
    """ONNX's C++ code died of a signal on the model (in a child)."""


class ChildError(Exception):
    """The function isolated() ran raised: kind is its class name."""

    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind


def isolated(fn, *args):
    """fn(*args), a bytes result, computed in a forked child: ONNX 1.12's
    shape inference divides by a zero Conv stride, for one, and a model
    must not kill the importer. Raises Crash (the signal) when the child
    dies, ChildError (its class name and text) when fn raises."""
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no core file, no Python cleanup
        code = 0
        try:
            os.close(r)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            try:
                data = b"+" + fn(*args)
            except BaseException as e:
                data = b"-" + ("%s\0%s" % (type(e).__name__, e)).encode(
                    "utf-8", "backslashreplace")
            with os.fdopen(w, "wb") as f:
                f.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "signal %d" % sig
        raise Crash(name)
    if not data:
        raise ChildError("?", "the child process failed")
    if data[:1] == b"-":
        kind, _, text = data[1:].decode("utf-8", "replace").partition("\0")
        raise ChildError(kind, text)
    return data[1:]


def infer_isolated(m, strict):
    """onnx.shape_inference.infer_shapes(m) in a child (isolated)."""
    def infer():
        return onnx.shape_inference.infer_shapes(
            m, check_type=strict, strict_mode=strict,
            data_prop=True).SerializeToString()
    out = onnx.ModelProto()
    out.ParseFromString(isolated(infer))
    return out


def crash_hint(model):
    """What onnx.checker says about a model ONNX's own code crashed on."""
    why = None
    try:
        why = invalid_reason(model, infer=False)
    except Exception:
        pass
    return ": %s" % why if why else ": an attribute out of range?"


def invalid_reason(model, infer=True):
    """onnx.checker's first complaint about model, else (with infer) that
    of ONNX's strict shape inference; None when both pass (or cannot tell:
    a model over 2 GiB)."""
    if model is None:
        return None
    try:
        # ONNX 1.12's checker wants a shape on every graph input and
        # output, which exporters often leave out: give those an empty one
        # so that it reports what is really wrong.
        m = onnx.ModelProto()
        m.CopyFrom(model)
        for vi in list(m.graph.input) + list(m.graph.output):
            if vi.type.HasField("tensor_type"):
                vi.type.tensor_type.shape.SetInParent()

        def check():
            onnx.checker.check_model(m)
            return b""
        isolated(check)
    except Crash as e:
        return "onnx.checker crashes on it (%s)" % e
    except ChildError as e:
        if e.kind != "ValidationError":  # a model over 2 GiB, say
            return None
        return (str(e).strip().splitlines() or ["?"])[0]
    except Exception:
        return None
    if not infer:
        return None
    # The checker does not look at shapes: a Split whose sizes do not add
    # up, an axis out of range, a Conv weight of rank 1 pass it.
    try:
        infer_isolated(model, strict=True)
    except Crash as e:
        return "ONNX's shape inference crashes on it (%s)" % e
    except ChildError as e:
        if e.kind != "InferenceError":
            return None
        return "shape inference: %s" % (str(e).strip().splitlines()
                                         or ["?"])[0]
    except Exception:
        return None
    return None


# ---- the importer ---------------------------------------------------------------------

class Importer:
    def __init__(self, model, path, shapes):
        self.path = path
        self.model = model
        self.g = model.graph
        self.opset = 1
        for o in model.opset_import:
            if o.domain in ("", "ai.onnx"):
                self.opset = o.version
        self.shape_overrides = shapes
        self.notes = []      # YAML comments
        self.warnings = []   # also on stderr
        self.problems = []   # (what, reason)
        self.invalid = []    # (what, reason): BadNode
        self.const = {}      # onnx name -> numpy array
        self.pins = {}       # onnx name -> (dtype, scales, zps, axis)
        self.derived_pins = {}  # yaml name -> the same, rearranged
        self.vi = {}         # onnx name -> (elem_type, shape tuple or None)
        self.alias = {}      # onnx name -> onnx name (elided ops)
        self.fold_refused = {}  # id(node) -> why fold() refused it (TooBig)
        # The YAML model being built.
        self.y_inputs = []
        self.y_consts = {}   # yaml name -> f32 np array
        self.y_const_of = {}  # onnx const name -> yaml name
        self.y_nodes = []
        self.y_outputs = []
        self.produced = set()  # yaml tensor names defined (inputs, outputs)
        self.tnames = {}     # onnx tensor name -> yaml name
        self.taken_t = set()
        self.taken_n = set()
        self.renamed = []

    # -- names --

    def _sanitize(self, s, taken, fallback):
        base = NAME_RE.sub("_", s) or fallback
        name, k = base, 2
        while name in taken:
            name = "%s_%d" % (base, k)
            k += 1
        taken.add(name)
        if name != s:
            self.renamed.append((s, name))
        return name

    def tname(self, onnx_name):
        if onnx_name not in self.tnames:
            self.tnames[onnx_name] = self._sanitize(onnx_name, self.taken_t,
                                                    "tensor")
        return self.tnames[onnx_name]

    def fresh_tensor(self, base):
        base = NAME_RE.sub("_", base)
        name, k = base, 2
        while name in self.taken_t or name in self.all_onnx_names:
            name = "%s_%d" % (base, k)
            k += 1
        self.taken_t.add(name)
        return name

    def nname(self, node, suffix=""):
        if suffix:
            return self.fresh_node(self.node_names[id(node)] + suffix)
        return self.node_names[id(node)]

    # -- tensors --

    def resolve(self, name):
        seen = 0
        while name in self.alias and seen < 10000:
            name = self.alias[name]
            seen += 1
        return name

    def is_const(self, name):
        return self.resolve(name) in self.const

    def cval(self, name):
        return self.const[self.resolve(name)]

    def info(self, name):
        name = self.resolve(name)
        if name in self.const:
            c = self.const[name]
            return c.dtype, tuple(c.shape)
        et, shape = self.vi.get(name, (0, None))
        dt = np_dtype(et) if et else None
        return dt, shape

    def shp(self, name):
        dt, shape = self.info(name)
        if shape is None:
            raise Unsupported("the shape of '%s' is not static (dynamic "
                              "shapes are not supported)" % name)
        return shape

    @staticmethod
    def axis(axis, rank, what="axis"):
        """axis in [-rank, rank) made non-negative; BadNode otherwise."""
        axis = int(axis)
        if not -rank <= axis < rank:
            raise BadNode("%s %d is out of range for rank %d"
                          % (what, axis, rank))
        return axis + rank if axis < 0 else axis

    def check_float(self, name):
        dt, _ = self.info(name)
        if dt is not None and dt != np.float32:
            raise Unsupported("tensor '%s' is %s; the model format computes "
                              "in f32 only" % (name, np.dtype(dt).name))

    def use(self, name):
        """The YAML tensor for a float data input (a constant is emitted)."""
        name = self.resolve(name)
        if name in self.const:
            return self.emit_const(name, self.const[name])
        self.check_float(name)
        return self.tname(name)

    def emit_const(self, onnx_name, value, yaml_name=None):
        """Emits a constant (once per ONNX name unless yaml_name is given)."""
        if yaml_name is None and onnx_name in self.y_const_of:
            return self.y_const_of[onnx_name]
        v = np.asarray(value)
        if v.dtype in (np.float16, np.float64):
            v = v.astype(np.float32)
        if v.dtype != np.float32:
            raise Unsupported("constant '%s' is %s where a float tensor is "
                              "expected" % (onnx_name, v.dtype.name))
        if v.size == 0:
            raise Unsupported("constant '%s' is empty (the model format has "
                              "no empty tensors)" % onnx_name)
        if v.ndim > MAX_RANK:
            raise Unsupported("constant '%s' has rank %d (the model format "
                              "has at most %d dims)" % (onnx_name, v.ndim,
                                                        MAX_RANK))
        name = yaml_name or self.tname(onnx_name)
        self.y_consts[name] = np.ascontiguousarray(v)
        self.produced.add(name)
        if yaml_name is None:
            self.y_const_of[onnx_name] = name
        return name

    def new_const(self, base, value):
        return self.emit_const(None, value, self.fresh_tensor(base))

    def define(self, onnx_name):
        name = self.tname(onnx_name)
        self.produced.add(name)
        return name

    def emit(self, name, op, inputs, outputs, attrs=None):
        for k, v in (attrs or {}).items():
            try:
                yvalue(v)
            except Unsupported as e:  # raised where the node is named
                raise Unsupported("attribute %s: %s" % (k, e))
        self.y_nodes.append({"name": name, "op": op, "inputs": inputs,
                             "outputs": outputs, "attrs": attrs or {}})

    def problem(self, what, reason):
        self.problems.append((what, reason))

    # -- loading, input shapes, constants, shape inference --

    def collect_inputs(self):
        inits = {i.name for i in self.g.initializer}
        for init in self.g.initializer:
            self.const[init.name] = numpy_helper.to_array(init)
        for sp in getattr(self.g, "sparse_initializer", []):
            self.problem("initializer '%s'" % sp.values.name,
                         "sparse initializers are not supported")
        self.real_inputs = []
        for vi in self.g.input:
            if vi.name in inits:
                continue
            tt = vi.type.tensor_type
            if not vi.type.HasField("tensor_type"):
                self.problem("input '%s'" % vi.name,
                             "not a tensor (sequences, maps and optionals are "
                             "not supported)")
                continue
            if tt.elem_type != onnx.TensorProto.FLOAT:
                self.problem("input '%s'" % vi.name,
                             "is %s; the model format's inputs are f32"
                             % elem_name(tt.elem_type))
            dims = []
            if vi.name in self.shape_overrides:
                dims = list(self.shape_overrides.pop(vi.name))
            elif not tt.HasField("shape"):
                self.problem("input '%s'" % vi.name,
                             "has no shape; give --shape %s=D0,D1,..."
                             % vi.name)
            else:
                for i, d in enumerate(tt.shape.dim):
                    if d.HasField("dim_value") and d.dim_value > 0:
                        dims.append(d.dim_value)
                    elif d.HasField("dim_value"):
                        self.problem("input '%s'" % vi.name,
                                     "dim %d is %d (the model format has no "
                                     "empty tensors)" % (i, d.dim_value))
                        dims.append(1)
                    elif i == 0:
                        label = d.dim_param or "?"
                        msg = ("input '%s': dynamic batch dim '%s' set to 1"
                               % (vi.name, label))
                        self.warnings.append(msg)
                        self.notes.append(msg)
                        dims.append(1)
                    else:
                        self.problem("input '%s'" % vi.name,
                                     "dim %d is dynamic ('%s'); give --shape "
                                     "%s=D0,D1,..." % (i, d.dim_param or "?",
                                                       vi.name))
                        dims.append(1)
            if len(dims) > MAX_RANK:
                self.problem("input '%s'" % vi.name,
                             "rank %d (the model format has at most %d dims)"
                             % (len(dims), MAX_RANK))
            self.real_inputs.append((vi.name, dims))
        if not self.real_inputs:
            self.problem("the graph", "has no inputs (the model format needs "
                         "at least one)")
        self.input_names = {n for n, _ in self.real_inputs}
        for name in self.shape_overrides:
            raise Fail("--shape %s: the model has no input '%s'" % (name, name))

    def fixed_graph(self, nodes):
        """A copy of the graph for shape inference: static input shapes,
        folded constants of up to 4096 elements as initializers, whatever
        their type (a Resize's float `scales` decides its output shape),
        larger ones (weights) as typed inputs."""
        g = onnx.helper.make_graph(nodes, self.g.name or "g", [], [])
        for name, dims in self.real_inputs:
            g.input.append(onnx.helper.make_tensor_value_info(
                name, onnx.TensorProto.FLOAT, dims))
        used = set()
        for n in nodes:
            used.update(n.input)
        for name in used:
            if name in self.const:
                c = self.const[name]
                if c.dtype.kind in "iubf" and c.size <= 4096:
                    g.initializer.append(numpy_helper.from_array(c, name))
                else:
                    et = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE.get(c.dtype)
                    if et is not None:
                        g.input.append(onnx.helper.make_tensor_value_info(
                            name, et, list(c.shape)))
        for o in self.g.output:  # types only: inference gives the shapes
            g.output.append(onnx.helper.make_tensor_value_info(
                o.name, o.type.tensor_type.elem_type or onnx.TensorProto.FLOAT,
                None))
        m = onnx.helper.make_model(g, opset_imports=self.model.opset_import,
                                   ir_version=max(self.model.ir_version, 4))
        return m

    def infer(self, nodes):
        m = self.fixed_graph(nodes)
        try:
            m = infer_isolated(m, strict=False)
        except Crash as e:
            raise Fail("ONNX's shape inference crashes on this model (%s)%s"
                       % (e, crash_hint(self.model)))
        except Exception as e:  # inference is best effort
            self.warnings.append("shape inference failed: %s"
                                 % (str(e).splitlines() or ["?"])[0])
        self.vi = {}
        for vi in list(m.graph.input) + list(m.graph.value_info) + \
                list(m.graph.output):
            if not vi.type.HasField("tensor_type"):
                continue
            tt = vi.type.tensor_type
            shape = None
            if tt.HasField("shape"):
                dims = [d.dim_value if d.HasField("dim_value") else None
                        for d in tt.shape.dim]
                if all(d is not None for d in dims):
                    shape = tuple(dims)
            self.vi[vi.name] = (tt.elem_type, shape)

    def fold_pass(self, nodes):
        """Folds every node whose inputs are constants; returns the rest."""
        rest = []
        changed = False
        for n in nodes:
            a = attr_dict(n)
            out = None
            if n.domain not in ("", "ai.onnx"):
                rest.append(n)
                continue
            try:
                if n.op_type == "Constant":
                    out = [constant_node_value(a)]
                    if out[0] is None:
                        out = None
                elif n.op_type == "Shape" and n.input[0] not in self.const:
                    _, s = self.vi.get(n.input[0], (0, None))
                    if s is not None:
                        s = np.array(s, dtype=np.int64)
                        out = [s[a.get("start", 0):a["end"]] if "end" in a
                               else s[a.get("start", 0):]]
                elif n.op_type == "Shape":
                    out = [np.array(self.const[n.input[0]].shape, np.int64)]
                elif n.op_type == "DequantizeLinear":
                    out = self.fold_dequantize(n, a)
                elif (n.op_type in FOLDABLE and n.input and
                      all(i == "" or i in self.const for i in n.input)):
                    vals = [self.const[i] if i else None for i in n.input]
                    out = fold(n.op_type, a, vals, self.opset)
            except TooBig as e:
                self.fold_refused[id(n)] = str(e)
                out = None
            except Exception:  # an odd constant: leave the node as is
                out = None
            if out is None:
                rest.append(n)
                continue
            for name, v in zip(n.output, out):
                if name:
                    self.const[name] = np.asarray(v)
            changed = True
        return rest, changed

    def qparams(self, node, a, n_in):
        """(scale array, zero point array, axis) of a Q/DQ node's constant
        parameters; None when they are not constants."""
        if not self.is_const(node.input[1]):
            return None
        s = self.cval(node.input[1]).astype(np.float32)
        zp_name = node.input[2] if len(node.input) > 2 else ""
        if zp_name and not self.is_const(zp_name):
            return None
        zp = self.cval(zp_name) if zp_name else np.zeros(s.shape, np.uint8)
        axis = a.get("axis", 1) if s.size > 1 else None
        return s, zp, axis

    def fold_dequantize(self, n, a):
        """DequantizeLinear of a constant (QDQ weights and biases): the
        float constant, with its parameters pinned; Q(const) -> DQ keeps
        the float constant as it was."""
        p = self.qparams(n, a, 3)
        if p is None:
            return None
        s, zp, axis = p
        x = n.input[0]
        if x in self.const:
            q = self.const[x]
            if q.dtype not in (np.int8, np.uint8, np.int32):
                return None
            shape = [1] * q.ndim
            if axis is not None:
                axis = axis + q.ndim if axis < 0 else axis
                shape[axis] = -1
            real = ((q.astype(np.float32) - zp.astype(np.float32).reshape(
                shape)) * s.reshape(shape)).astype(np.float32)
            self.pins[n.output[0]] = (q.dtype, s, zp, axis)
            return [real]
        qn = self.producer.get(x)
        if qn is None or qn.op_type != "QuantizeLinear" or \
                qn.input[0] not in self.const:
            return None
        qp = self.qparams(qn, attr_dict(qn), 3)
        if qp is None or not same_qparams(qp, p):
            return None
        w = self.const[qn.input[0]]
        if w.dtype != np.float32:
            return None
        if axis is not None:
            axis = axis + w.ndim if axis < 0 else axis
        self.pins[n.output[0]] = (zp.dtype, s, zp, axis)
        return [w]

    # -- graph-level passes --

    def live_nodes(self, nodes):
        needed = {o.name for o in self.g.output}
        live = []
        for n in reversed(nodes):
            if any(o and o in needed for o in n.output):
                live.append(n)
                needed.update(i for i in n.input if i)
        live.reverse()
        dead = len(nodes) - len(live)
        return live, dead

    def prepare(self):
        self.producer = {}
        for n in self.g.node:
            for o in n.output:
                if o:
                    self.producer[o] = n
        self.all_onnx_names = set(self.producer) | {
            i.name for i in self.g.input} | set(self.const)
        # Stable node names: the ONNX name, sanitized; else OpType_index.
        self.node_names = {}
        for i, n in enumerate(self.g.node):
            self.node_names[id(n)] = self._sanitize(
                n.name or "%s_%d" % (n.op_type, i), self.taken_n, "node")
        # Input names first, so they keep theirs on a clash.
        for name, _ in self.real_inputs:
            self.tname(name)
        nodes = list(self.g.node)
        for _ in range(16):
            self.infer(nodes)
            nodes, changed = self.fold_pass(nodes)
            if not changed:
                break
        self.infer(nodes)
        folded = len(self.g.node) - len(nodes)
        nodes, dead = self.live_nodes(nodes)
        if folded:
            self.notes.append("%d node%s computing constants folded"
                              % (folded, " was" if folded == 1 else "s were"))
        if dead:
            self.notes.append("%d node%s that no output needs dropped"
                              % (dead, " was" if dead == 1 else "s were"))
        self.nodes = nodes
        self.consumers = {}
        for n in nodes:
            for i, name in enumerate(n.input):
                if name:
                    self.consumers.setdefault(name, []).append((n, i))
        self.graph_outputs = {o.name for o in self.g.output}

    def only_consumer(self, name, node):
        c = self.consumers.get(name, [])
        return (name not in self.graph_outputs and len(c) == 1 and
                c[0][0] is node)

    def scalar_const(self, name):
        """The value of a one-element float constant, else None."""
        if not name or not self.is_const(name):
            return None
        v = self.cval(name)
        if v.size != 1 or v.dtype.kind != "f":
            return None
        return float(v.reshape(-1)[0])

    def product_factors(self, node, prod):
        """The Mul / Div-by-a-constant tree whose root is `node`: (the
        product of its scalar constants, its other factors, its nodes). A
        factor computed by an inner Mul or Div whose result is read
        elsewhere stays a factor (that node must stay)."""
        scale, factors, nodes = 1.0, [], [node]
        todo = [(node, False)]
        while todo:
            n, _ = todo.pop()
            ins = list(n.input)
            if n.op_type == "Div":
                c = self.scalar_const(ins[1])
                if c is None or c == 0:
                    return None
                scale /= c
                ins = ins[:1]
            for i in ins:
                c = self.scalar_const(i)
                src = prod.get(i)
                if c is not None:
                    scale *= c
                elif (src is not None and src.op_type in ("Mul", "Div") and
                      len(src.input) == 2 and self.only_consumer(i, n)):
                    nodes.append(src)
                    todo.append((src, True))
                else:
                    factors.append(i)
        return scale, factors, nodes

    def inner_chain(self, name, prod, ops):
        """The nodes producing `name` as the chain ops[0](ops[1](...)),
        each read only by the next (else None); returns (nodes, the chain's
        input), with the constant operands checked by the caller."""
        nodes = []
        for op in ops:
            n = prod.get(name)
            if n is None or n.op_type != op or not n.input:
                return None
            nodes.append(n)
            name = n.input[0]
            if op in ("Add", "Mul", "Div") and len(n.input) == 2 and \
                    self.scalar_const(n.input[0]) is not None:
                name = n.input[1]
        return nodes, name

    def match_unary_product(self, n, prod):
        """GELU and hard-swish as exporters write them, ending in Mul or
        Div: 0.5 * x * (1 + Erf(x / sqrt(2))) (any association, Div or Mul
        by 1/sqrt(2)) -> gelu; x * Clip(x + 3, 0, 6) / 6 (or * 1/6) ->
        hardswish. Returns (kind, x, nodes to drop) or None."""
        pf = self.product_factors(n, prod)
        if pf is None or len(pf[1]) != 2:
            return None
        scale, factors, tree = pf
        near = lambda v, w: v is not None and abs(v - w) <= 1e-6 * abs(w)
        for k in (0, 1):
            x, other = factors[k], factors[1 - k]
            if near(scale, 0.5):
                got = self.inner_chain(other, prod, ("Add", "Erf"))
                if got is None:
                    continue
                (add, erf), mid = got
                add_c = [self.scalar_const(i) for i in add.input]
                div = prod.get(mid)
                if not near(max((c for c in add_c if c is not None),
                                default=None), 1.0) or div is None or \
                        len(div.input) != 2 or div.input[0] != x:
                    continue
                c = self.scalar_const(div.input[1])
                if not ((div.op_type == "Div" and near(c, 2 ** 0.5)) or
                        (div.op_type == "Mul" and near(c, 2 ** -0.5))):
                    continue
                return "gelu", x, tree[1:] + [add, erf, div]
            if near(scale, 1 / 6):
                clip = prod.get(other)
                if clip is None or clip.op_type != "Clip":
                    continue
                bounds = self.clip_bounds(clip)
                add = prod.get(clip.input[0])
                if bounds != (0.0, 6.0) or add is None or \
                        add.op_type != "Add" or x not in add.input or \
                        not near(self.scalar_const(
                            add.input[1 - list(add.input).index(x)]), 3.0):
                    continue
                return "hardswish", x, tree[1:] + [clip, add]
        return None

    def clip_bounds(self, n):
        """(min, max) of a Clip with constant bounds (None for absent);
        None when a bound is not a constant."""
        if self.opset < 11:
            a = attr_dict(n)
            return (a.get("min"), a.get("max"))
        out = []
        for k in (1, 2):
            if len(n.input) > k and n.input[k]:
                c = self.scalar_const(n.input[k])
                if c is None:
                    return None
                out.append(c)
            else:
                out.append(None)
        return tuple(out)

    def find_patterns(self):
        """Mul(x, Sigmoid(x)) -> silu, Mul(x, HardSigmoid(x)) -> hardswish,
        exported GELU and hard-swish products (match_unary_product),
        MatMul + Add(constant) -> linear with bias, Q -> DQ pairs."""
        self.skip = set()      # ids of nodes folded into another
        self.pad_alias = {}
        self.fused = {}        # id(node) -> extra info
        prod = {o: n for n in self.nodes for o in n.output if o}
        for n in self.nodes:
            if n.op_type in ("Mul", "Div") and len(n.input) == 2 and \
                    id(n) not in self.skip:
                got = self.match_unary_product(n, prod)
                if got:
                    kind, x, drop = got
                    self.fused[id(n)] = (kind, x, None)
                    # Inner nodes go when only the root or other dropped
                    # nodes read them (an Erf also read elsewhere stays,
                    # and so does what computes its input).
                    gone = {id(d) for d in drop
                            if d.output[0] not in self.graph_outputs}
                    changed = True
                    while changed:
                        changed = False
                        for d in drop:
                            if id(d) in gone and any(
                                    r is not n and id(r) not in gone
                                    for r, _ in self.consumers.get(
                                        d.output[0], [])):
                                gone.discard(id(d))
                                changed = True
                    self.skip.update(gone)
                    continue
            if n.op_type == "Mul" and len(n.input) == 2:
                for k in (0, 1):
                    src = prod.get(n.input[k])
                    other = n.input[1 - k]
                    if src is None or not src.input or src.input[0] != other:
                        continue
                    a = attr_dict(src)
                    if src.op_type == "Sigmoid":
                        kind = "silu"
                    elif (src.op_type == "HardSigmoid" and
                          np.float32(a.get("alpha", 0.2)) == np.float32(1 / 6)
                          and np.float32(a.get("beta", 0.5)) == 0.5):
                        kind = "hardswish"
                    else:
                        continue
                    self.fused[id(n)] = (kind, other, src)
                    if self.only_consumer(n.input[k], n):
                        self.skip.add(id(src))
                    break
            if n.op_type == "MatMul" and len(n.output) == 1:
                c = self.consumers.get(n.output[0], [])
                if not self.only_consumer(n.output[0], c[0][0] if c else None):
                    continue
                add = c[0][0]
                if add.op_type != "Add" or id(add) in self.skip:
                    continue
                b = add.input[1 - c[0][1]]
                if b not in self.const or not self.is_const(n.input[1]):
                    continue
                bv, w = self.const[b], self.cval(n.input[1])
                if (w.ndim != 2 or bv.dtype != np.float32 or
                        bv.size != w.shape[1] or
                        any(d != 1 for d in bv.shape[:-1]) or
                        (bv.ndim and bv.shape[-1] != w.shape[1])):
                    continue
                self.fused[id(n)] = ("bias", b, add)
                self.skip.add(id(add))
        # Pad (zeros, on H and W only) read only by Convs: their padding.
        self.extra_pads = {}
        for n in self.nodes:
            if n.op_type == "Pad":
                self.match_pad(n)
        # Q -> DQ pairs on tensors (weights were folded in fold_pass).
        self.qdq_alias = {}
        for n in self.nodes:
            if n.op_type != "DequantizeLinear":
                continue
            qn = prod.get(n.input[0])
            if qn is None or qn.op_type != "QuantizeLinear":
                continue
            p, qp = (self.qparams(n, attr_dict(n), 3),
                     self.qparams(qn, attr_dict(qn), 3))
            if p is None or qp is None or not same_qparams(p, qp):
                continue
            users = self.consumers.get(n.input[0], [])
            if n.input[0] in self.graph_outputs or any(
                    u.op_type != "DequantizeLinear" for u, _ in users):
                continue
            x = qn.input[0]
            s, zp, axis = p
            if axis is not None and axis < 0:
                shape = self.info(x)[1]
                if shape is None:
                    continue
                axis += len(shape)
            pin = (zp.dtype, s, zp, axis)
            if x in self.pins and not same_pin(self.pins[x], pin):
                continue  # conflicting parameters: left unsupported
            self.pins[x] = pin
            self.qdq_alias[n.output[0]] = x
            self.skip.add(id(n))
            self.skip.add(id(qn))

    def match_pad(self, n):
        a = attr_dict(n)
        if a.get("mode", "constant") != "constant":
            return
        if self.opset < 11:
            pads, value = a.get("pads", a.get("paddings")), a.get("value", 0.0)
        else:
            if not self.is_const(n.input[1]):
                return
            pads = [int(v) for v in self.cval(n.input[1]).reshape(-1)]
            value = 0.0
            if len(n.input) > 2 and n.input[2]:
                if not self.is_const(n.input[2]):
                    return
                value = float(self.cval(n.input[2]).reshape(-1)[0])
            if len(n.input) > 3 and n.input[3]:
                return  # axes (opset 18)
        if pads is None or len(pads) != 8 or value != 0.0:
            return
        if any(pads[i] for i in (0, 1, 4, 5)) or any(v < 0 for v in pads):
            return
        users = self.consumers.get(n.output[0], [])
        if (not users or n.output[0] in self.graph_outputs or
                any(u.op_type != "Conv" or k != 0 for u, k in users)):
            return
        shape = self.vi.get(n.output[0], (0, None))[1]
        if shape is None:
            return
        for u, _ in users:
            self.extra_pads[id(u)] = ([pads[2], pads[3], pads[6], pads[7]],
                                      shape, n)
        self.skip.add(id(n))
        self.pad_alias[n.output[0]] = n.input[0]

    # -- conversion --

    def run(self):
        self.prepare()
        self.find_patterns()
        for name, dims in self.real_inputs:
            y = self.define(name)
            self.y_inputs.append((y, dims))
        for name, src in list(self.qdq_alias.items()) + list(
                self.pad_alias.items()):
            self.alias[name] = src
        for n in self.nodes:
            if id(n) in self.skip:
                continue
            what = "%s '%s'" % (n.op_type, n.name or self.nname(n))
            try:
                if n.domain not in ("", "ai.onnx"):
                    raise Unsupported("op of domain '%s' (only the default "
                                      "ONNX domain is supported)" % n.domain)
                f = getattr(self, "op_" + n.op_type, None)
                if id(n) in self.fold_refused:
                    raise Unsupported(self.fold_refused[id(n)])
                if f is None:
                    raise Unsupported(UNSUPPORTED_WHY.get(
                        n.op_type, "not in the model format"))
                f(n, attr_dict(n))
            except Unsupported as e:
                self.problem(what, str(e))
            except BadNode as e:
                self.invalid.append((what, str(e)))
            except Exception as e:  # main tells a bug from a bad node
                e.qcc_where = what
                raise
        for o in self.g.output:
            self.finish_output(o)
        self.finish_pins()

    def finish_output(self, o):
        if not o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
            self.problem("output '%s'" % o.name, "is %s; the model format's "
                         "outputs are f32" % elem_name(
                             o.type.tensor_type.elem_type))
            return
        src = self.resolve(o.name)
        if src == o.name and o.name in self.input_names:
            self.problem("output '%s'" % o.name, "is also a graph input")
            return
        if src in self.const:
            self.problem("output '%s'" % o.name, "is a constant (the model "
                         "format's outputs are produced by nodes)")
            return
        y = self.tname(o.name)
        if src != o.name:
            # An elided op (Identity, QDQ...) produced it: copy explicitly.
            try:
                shape = list(self.shp(src))
            except Unsupported as e:
                self.problem("output '%s'" % o.name, str(e))
                return
            self.define(o.name)
            self.emit(self.fresh_node("copy:" + y), "reshape",
                      [self.use(src)], [y], {"shape": shape or [1]})
            self.notes.append("output '%s' is a copy of '%s' (the ops "
                              "between them were elided)" % (y, self.tname(src)))
        self.y_outputs.append(y)

    def fresh_node(self, base):
        base = NAME_RE.sub("_", base)
        name, k = base, 2
        while name in self.taken_n:
            name = "%s_%d" % (base, k)
            k += 1
        self.taken_n.add(name)
        return name

    def finish_pins(self):
        """Pins from QDQ pairs, in the conventions of docs/quantization.md:
        activations u8 per tensor (i8 shifted by 128, same real values),
        weights i8 with zero point 0, biases i32; anything else is dropped
        with a note (the float graph does not need it)."""
        self.y_quant = {}
        role = {}
        for nd in self.y_nodes:
            if nd["op"] in ("conv2d", "linear"):
                for k, t in enumerate(nd["inputs"][1:3]):
                    role.setdefault(t, "weight" if k == 0 else "bias")
        todo = {}
        for onnx_name, pin in self.pins.items():
            src = self.resolve(onnx_name)
            if src in self.const:
                y = self.y_const_of.get(src)
            else:
                y = self.tnames.get(src)
            if y is not None and y in self.produced:
                todo[y] = pin
        todo.update(self.derived_pins)
        for y, (dt, s, zp, axis) in todo.items():
            r = role.get(y, "activation")
            dt = np.dtype(dt)
            zp = zp.astype(np.int64).reshape(-1)
            s = s.astype(np.float32).reshape(-1)
            why = None
            if not np.all(s > 0) or not np.all(np.isfinite(s)):
                why = "a scale is not positive"
            elif r == "weight":
                if dt != np.int8 or np.any(zp != 0):
                    why = ("weights are pinned i8 with zero point 0 only "
                           "(found %s, zero point %s)" % (dt.name,
                                                          zp.tolist()[:4]))
                qdt = "i8"
            elif r == "bias":
                if dt != np.int32:
                    why = "biases are pinned i32 only"
                qdt = "i32"
            else:
                if axis is not None:
                    why = "activations are pinned per tensor only"
                elif dt == np.int8:
                    zp = zp + 128
                    self.notes.append("quant '%s': ONNX int8 zero point %d "
                                      "becomes u8 zero point %d (same real "
                                      "values)" % (y, zp[0] - 128, zp[0]))
                elif dt != np.uint8:
                    why = "activations are pinned u8 or i8 only"
                qdt = "u8"
            if why:
                self.notes.append("quant '%s' not pinned: %s" % (y, why))
                self.warnings.append("quant '%s' not pinned: %s" % (y, why))
                continue
            entry = {"dtype": qdt}
            if axis is not None:
                entry["axis"] = int(axis)
                entry["scale"] = [float(v) for v in s]
                entry["zero_point"] = (int(zp[0]) if np.all(zp == zp[0])
                                       else [int(v) for v in zp])
            else:
                entry["scale"] = float(s[0])
                entry["zero_point"] = int(zp[0])
            self.y_quant[y] = entry

    # ---- op converters: each emits YAML nodes or raises Unsupported ------------

    def simple(self, n, op, attrs=None):
        self.check_float(n.input[0])
        self.emit(self.nname(n), op, [self.use(n.input[0])],
                  [self.define(n.output[0])], attrs)

    def elide(self, n):
        """Identity-like: the output is another name for the input."""
        self.alias[n.output[0]] = self.resolve(n.input[0])

    def op_Relu(self, n, a):
        self.simple(n, "relu")

    def op_Sigmoid(self, n, a):
        self.simple(n, "sigmoid")

    def op_Tanh(self, n, a):
        self.simple(n, "tanh")

    def op_HardSwish(self, n, a):
        self.simple(n, "hardswish")

    def op_Exp(self, n, a):
        self.simple(n, "exp")

    def op_Erf(self, n, a):
        self.simple(n, "erf")

    def op_LeakyRelu(self, n, a):
        self.simple(n, "leaky_relu",
                    {"alpha": float(np.float32(a.get("alpha", 0.01)))})

    def op_HardSigmoid(self, n, a):
        # ONNX's defaults (0.2, 0.5) differ from the format's: always given.
        self.simple(n, "hardsigmoid",
                    {"alpha": float(np.float32(a.get("alpha", 0.2))),
                     "beta": float(np.float32(a.get("beta", 0.5)))})

    def op_Identity(self, n, a):
        self.elide(n)

    def op_Dropout(self, n, a):
        if len(n.output) > 1 and n.output[1] and (
                n.output[1] in self.consumers or
                n.output[1] in self.graph_outputs):
            raise Unsupported("its mask output is used (training only)")
        if len(n.input) > 2 and n.input[2]:
            if not self.is_const(n.input[2]) or bool(self.cval(n.input[2])):
                raise Unsupported("training mode")
        if a.get("is_test", 1) == 0 and self.opset < 7:
            raise Unsupported("training mode (is_test = 0)")
        self.elide(n)

    def op_Cast(self, n, a):
        dt, _ = self.info(n.input[0])
        if a["to"] == onnx.TensorProto.FLOAT and dt == np.float32:
            self.elide(n)
            return
        raise Unsupported("Cast from %s to %s: the model format computes in "
                          "f32 only" % (np.dtype(dt).name if dt else "?",
                                        elem_name(a["to"])))

    def op_Constant(self, n, a):
        raise Unsupported("a Constant of a kind that cannot be read "
                          "(sparse or string)")

    def op_Clip(self, n, a):
        lo = hi = None
        if self.opset < 11:
            lo, hi = a.get("min"), a.get("max")
        else:
            for k in (1, 2):
                if len(n.input) > k and n.input[k]:
                    if not self.is_const(n.input[k]):
                        raise Unsupported("min/max must be constants")
                    v = self.cval(n.input[k])
                    if v.size != 1:
                        raise Unsupported("min/max must be scalars")
                    if k == 1:
                        lo = v.reshape(-1)[0]
                    else:
                        hi = v.reshape(-1)[0]
        self.check_float(n.input[0])
        lo = None if lo is None else float(np.float32(lo))
        hi = None if hi is None else float(np.float32(hi))
        if lo is not None and lo <= -FLT_MAX:
            lo = None
        if hi is not None and hi >= FLT_MAX:
            hi = None
        if lo is None and hi is None:
            self.elide(n)
        elif lo == 0 and hi is None:
            self.simple(n, "relu")
        elif lo == 0 and hi == 6:
            self.simple(n, "relu6")
        else:
            lo = -FLT_MAX if lo is None else lo
            hi = FLT_MAX if hi is None else hi
            if lo > hi:
                raise Unsupported("min %g > max %g (the format's clip needs "
                                  "min <= max)" % (lo, hi))
            self.simple(n, "clip", {"min": lo, "max": hi})

    def binary(self, n, a, op):
        x, y = n.input[0], n.input[1]
        self.check_float(x)
        self.check_float(y)
        if self.opset < 7 and a.get("broadcast", 0) and "axis" in a:
            # Legacy broadcasting: B's dims line up with A's from `axis`.
            ra, rb = len(self.shp(x)), len(self.shp(y))
            axis = a["axis"] + ra if a["axis"] < 0 else a["axis"]
            trail = ra - axis - rb
            if trail > 0:
                if not self.is_const(y):
                    raise Unsupported("legacy broadcast with axis on a "
                                      "non-constant input")
                v = self.cval(y)
                yv = v.reshape(v.shape + (1,) * trail)
                yname_ = self.new_const(self.tname(y) + ":bcast", yv)
                self.emit(self.nname(n), op, [self.use(x), yname_],
                          [self.define(n.output[0])])
                return
        self.emit(self.nname(n), op, [self.use(x), self.use(y)],
                  [self.define(n.output[0])])

    def op_Add(self, n, a):
        self.binary(n, a, "add")

    def op_Sub(self, n, a):
        self.binary(n, a, "sub")

    def op_Mul(self, n, a):
        f = self.fused.get(id(n))
        if f:
            kind, x, _ = f
            self.check_float(x)
            self.emit(self.nname(n), kind, [self.use(x)],
                      [self.define(n.output[0])])
            return
        self.binary(n, a, "mul")

    def op_Div(self, n, a):
        if self.fused.get(id(n)):
            self.op_Mul(n, a)
            return
        x, y = n.input[0], n.input[1]
        if not self.is_const(y):
            raise Unsupported("Div by a non-constant tensor (the format has "
                              "no division; a constant divisor becomes a "
                              "multiplication by its reciprocal)")
        v = self.cval(y)
        if v.dtype != np.float32:
            raise Unsupported("Div on %s" % v.dtype.name)
        self.check_float(x)
        r = (1.0 / v.astype(np.float64)).astype(np.float32)
        rn = self.new_const(self.tname(y) + ":reciprocal", r)
        self.emit(self.nname(n), "mul", [self.use(x), rn],
                  [self.define(n.output[0])])

    def op_Sum(self, n, a):
        if len(n.input) == 1:
            self.elide(n)
            return
        if len(n.input) == 2:
            self.binary(n, {}, "add")
            return
        # A chain of adds, left to right.
        for i in n.input:
            self.check_float(i)
        out = self.define(n.output[0])
        acc = self.use(n.input[0])
        for k, i in enumerate(n.input[1:], 1):
            last = k == len(n.input) - 1
            t = out if last else self.fresh_tensor("%s:sum%d" % (out, k))
            self.emit(self.nname(n) if last else self.nname(n, "/add%d" % k),
                      "add", [acc, self.use(i)], [t])
            acc = t

    # -- conv, pools --

    @staticmethod
    def check_window(k, s, d, pads):
        """qcc's limit on window attributes (ir/shape.c)."""
        if max(list(k) + list(s) + list(d) + list(pads)) > WINDOW_MAX:
            raise Unsupported("kernel %s, strides %s, dilations %s, pads %s: "
                              "qcc takes window attributes up to 2^20"
                              % (list(k), list(s), list(d), list(pads)))

    def pads(self, a, in_hw, k, s, d):
        auto = a.get("auto_pad", "NOTSET")
        if auto in ("NOTSET", ""):
            p = list(a.get("pads", [0, 0, 0, 0]))
            if len(p) != 4:
                raise Unsupported("pads has %d values, expected 4" % len(p))
            if any(v < 0 for v in p):
                raise Unsupported("negative pads")
            return p
        if auto == "VALID":
            return [0, 0, 0, 0]
        if auto not in ("SAME_UPPER", "SAME_LOWER"):
            raise Unsupported("auto_pad %s" % auto)
        lo, hi = [], []
        for i in range(2):
            out = -(-in_hw[i] // s[i])
            total = max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in_hw[i])
            small = total // 2
            big = total - small
            lo.append(small if auto == "SAME_UPPER" else big)
            hi.append(big if auto == "SAME_UPPER" else small)
        return [lo[0], lo[1], hi[0], hi[1]]

    def op_Conv(self, n, a):
        x, w = n.input[0], n.input[1]
        extra = self.extra_pads.get(id(n))
        xs = extra[1] if extra else self.shp(x)
        if len(xs) != 4:
            raise Unsupported("%d-D convolution (the model format has conv2d "
                              "only)" % (len(xs) - 2))
        ws = self.shp(w)
        g = int(a.get("group", 1))
        if len(ws) != 4 or g < 1 or xs[1] != ws[1] * g or ws[0] % g:
            raise BadNode("weight of shape %s for an input of shape %s and "
                          "group %d" % (list(ws), list(xs), g))
        if len(n.input) > 2 and n.input[2] and \
                list(self.shp(n.input[2])) != [ws[0]]:
            raise BadNode("bias of shape %s for %d output channels"
                          % (list(self.shp(n.input[2])), ws[0]))
        k = list(a.get("kernel_shape", ws[2:]))
        if list(ws[2:]) != k:
            raise Unsupported("kernel_shape %s differs from the weight's %s"
                              % (k, list(ws[2:])))
        s = list(a.get("strides", [1, 1]))
        d = list(a.get("dilations", [1, 1]))
        pads = self.pads(a, xs[2:], k, s, d)
        if extra:
            pads = [p + q for p, q in zip(pads, extra[0])]
            self.notes.append("Pad '%s' became padding of Conv '%s'"
                              % (self.nname(extra[2]), self.nname(n)))
        self.check_window(k, s, d, pads)
        ins = [self.use(x), self.use(w)]
        if len(n.input) > 2 and n.input[2]:
            ins.append(self.use(n.input[2]))
        self.emit(self.nname(n), "conv2d", ins, [self.define(n.output[0])],
                  {"stride": s, "padding": pads, "dilation": d,
                   "groups": int(a.get("group", 1))})

    def op_ConvTranspose(self, n, a):
        """conv_transpose (2-D, no dilation). output_shape or auto_pad give
        the padding as ONNX's equations do: total = s * (in - 1) +
        output_padding + K - out, split SAME_UPPER: total / 2 at the start,
        else the rest at the start."""
        x, w = n.input[0], n.input[1]
        xs, ws = self.shp(x), self.shp(w)
        if len(xs) != 4:
            raise Unsupported("%d-D transposed convolution (qcc has the 2-D "
                              "conv_transpose only)" % (len(xs) - 2))
        g = int(a.get("group", 1))
        if len(ws) != 4 or g < 1 or xs[1] != ws[0] or xs[1] % g:
            raise BadNode("weight of shape %s for an input of shape %s and "
                          "group %d" % (list(ws), list(xs), g))
        O = ws[1] * g
        if len(n.input) > 2 and n.input[2] and \
                list(self.shp(n.input[2])) != [O]:
            raise BadNode("bias of shape %s for %d output channels"
                          % (list(self.shp(n.input[2])), O))
        if not self.is_const(w) or (len(n.input) > 2 and n.input[2] and
                                    not self.is_const(n.input[2])):
            raise Unsupported("the weight and bias must be constants")
        k = list(a.get("kernel_shape", ws[2:]))
        if list(ws[2:]) != k:
            raise Unsupported("kernel_shape %s differs from the weight's %s"
                              % (k, list(ws[2:])))
        if any(v != 1 for v in a.get("dilations", [1, 1])):
            raise Unsupported("dilations %s (qcc's conv_transpose has no "
                              "dilation)" % list(a["dilations"]))
        st = [int(v) for v in a.get("strides", [1, 1])]
        op = [int(v) for v in a.get("output_padding", [0, 0])]
        if any(v < 1 for v in st) or any(not 0 <= p < q
                                         for p, q in zip(op, st)):
            raise BadNode("strides %s and output_padding %s (each must be "
                          "in [0, stride))" % (st, op))
        auto = a.get("auto_pad", "NOTSET")
        if "output_shape" in a or auto in ("SAME_UPPER", "SAME_LOWER"):
            out = (list(a["output_shape"])[-2:] if "output_shape" in a
                   else [xs[2 + i] * st[i] for i in range(2)])
            tot = [st[i] * (xs[2 + i] - 1) + op[i] + k[i] - out[i]
                   for i in range(2)]
            if auto == "SAME_UPPER":
                lo = [t // 2 for t in tot]
            else:
                lo = [t - t // 2 for t in tot]
            pads = lo + [t - l for t, l in zip(tot, lo)]
            # A negative end (output_shape beyond the full result) is more
            # output padding: rows of bias alone, as ONNX's reference.
            for i in range(2):
                if pads[2 + i] < 0:
                    op[i] -= pads[2 + i]
                    pads[2 + i] = 0
            if any(v < 0 for v in pads) or any(p >= q for p, q in zip(op, st)):
                raise Unsupported("output_shape %s is not reachable with "
                                  "padding and an output_padding below the "
                                  "stride" % out)
        elif auto == "VALID":
            pads = [0, 0, 0, 0]
        else:
            pads = [int(v) for v in a.get("pads", [0, 0, 0, 0])]
        oh = [(xs[2 + i] - 1) * st[i] - pads[i] - pads[i + 2] + k[i] + op[i]
              for i in range(2)]
        inferred = self.info(n.output[0])[1]
        if inferred is not None and list(inferred[2:]) != oh:
            raise Unsupported("output size %s differs from ONNX's shape "
                              "inference %s" % (oh, list(inferred[2:])))
        if any(v < 1 for v in oh) or any(v < 0 for v in pads):
            raise BadNode("pads %s leave no output" % pads)
        ins = [self.use(x), self.use(w)]
        if len(n.input) > 2 and n.input[2]:
            ins.append(self.use(n.input[2]))
        self.emit(self.nname(n), "conv_transpose", ins,
                  [self.define(n.output[0])],
                  {"stride": st, "padding": pads, "output_padding": op,
                   "groups": g})

    def pool(self, n, a, op):
        x = n.input[0]
        xs = self.shp(x)
        if len(xs) != 4:
            raise Unsupported("%d-D pooling (the model format pools 2-D "
                              "only)" % (len(xs) - 2))
        if len(n.output) > 1 and n.output[1] and (
                n.output[1] in self.consumers or
                n.output[1] in self.graph_outputs):
            raise Unsupported("the Indices output is used")
        k = list(a["kernel_shape"])
        s = list(a.get("strides", [1, 1]))
        if any(v != 1 for v in a.get("dilations", [1, 1])):
            raise Unsupported("dilations %s (the format's pools have no "
                              "dilation)" % list(a["dilations"]))
        pads = self.pads(a, xs[2:], k, s, [1, 1])
        self.check_window(k, s, [1], pads)
        if any(pads[i] >= k[i % 2] for i in range(4)):
            raise Unsupported("padding %s is not smaller than the kernel %s"
                              % (pads, k))
        ceil = bool(a.get("ceil_mode", 0))
        self.check_pool_shape(n, xs, k, s, pads, ceil)
        attrs = {"kernel": k, "stride": s, "padding": pads,
                 "ceil_mode": ceil}
        if op == "avgpool2d":
            attrs["count_include_pad"] = bool(a.get("count_include_pad", 0))
        self.check_float(x)
        self.emit(self.nname(n), op, [self.use(x)],
                  [self.define(n.output[0])], attrs)

    def check_pool_shape(self, n, xs, k, s, pads, ceil):
        """The format's ceil_mode drops a last window that would start in
        the bottom/right padding (PyTorch); ONNX's shape may keep it."""
        want = self.vi.get(n.output[0], (0, None))[1]
        got = []
        for i in range(2):
            span = xs[2 + i] + pads[i] + pads[i + 2] - k[i]
            o = (-(-span // s[i]) if ceil else span // s[i]) + 1
            if ceil and (o - 1) * s[i] >= xs[2 + i] + pads[i]:
                o -= 1
            got.append(o)
        if want is not None and list(want[2:]) != got:
            raise Unsupported("output size %s, the format's pooling rule "
                              "gives %s" % (list(want[2:]), got))

    def op_MaxPool(self, n, a):
        self.pool(n, a, "maxpool2d")

    def op_AveragePool(self, n, a):
        self.pool(n, a, "avgpool2d")

    def op_GlobalAveragePool(self, n, a):
        if len(self.shp(n.input[0])) != 4:
            raise Unsupported("input of rank %d (the format's global_avgpool "
                              "is 2-D)" % len(self.shp(n.input[0])))
        self.simple(n, "global_avgpool")

    def op_BatchNormalization(self, n, a):
        if a.get("training_mode", 0):
            raise Unsupported("training mode")
        if len(n.output) > 1 and any(
                o and (o in self.consumers or o in self.graph_outputs)
                for o in n.output[1:]):
            raise Unsupported("training-mode outputs (running mean/var) are "
                              "used")
        if self.opset < 9 and a.get("spatial", 1) == 0:
            raise Unsupported("spatial = 0")
        if self.opset < 7 and a.get("is_test", 1) == 0:
            raise Unsupported("training mode (is_test = 0)")
        xs = self.shp(n.input[0])
        if len(xs) < 2:  # a fuzz finding: xs[1] below raised IndexError
            raise Unsupported("input '%s' has rank %d; the format's batch_norm "
                              "takes [N, C, ...]" % (n.input[0], len(xs)))
        for i in range(1, 5):
            if tuple(self.shp(n.input[i])) != (xs[1],):
                raise Unsupported("parameter '%s' has shape %s, expected [%d]"
                                  % (n.input[i], list(self.shp(n.input[i])),
                                     xs[1]))
        self.emit(self.nname(n), "batch_norm",
                  [self.use(i) for i in n.input[:5]],
                  [self.define(n.output[0])],
                  {"eps": float(np.float32(a.get("epsilon", 1e-5)))})

    # -- linear --

    def op_Gemm(self, n, a):
        A, B = n.input[0], n.input[1]
        C = n.input[2] if len(n.input) > 2 and n.input[2] else None
        alpha = float(np.float32(a.get("alpha", 1.0)))
        beta = float(np.float32(a.get("beta", 1.0)))
        if not self.is_const(B):
            raise Unsupported("B is not a constant (the format's linear "
                              "takes constant weights)")
        bv = self.cval(B)
        if bv.dtype != np.float32 or bv.ndim != 2:
            raise Unsupported("B must be a 2-D float constant")
        w = bv if a.get("transB", 0) else bv.T
        if alpha != 1.0:
            w = (w.astype(np.float64) * alpha).astype(np.float32)
        M, K = w.shape
        As = self.shp(A)
        if len(As) != 2:
            raise Unsupported("A has rank %d, expected 2" % len(As))
        N = As[1] if a.get("transA", 0) else As[0]
        if (As[0] if a.get("transA", 0) else As[1]) != K:
            raise BadNode("A of shape %s and B of shape %s (transA %d, "
                          "transB %d) do not multiply"
                          % (list(As), list(bv.shape), a.get("transA", 0),
                             a.get("transB", 0)))
        wname = self.weight_const(B, w, n, bv, "weight",
                                  transposed=not a.get("transB", 0),
                                  factor=alpha)
        node_name = self.nname(n)
        xa = self.use(A)
        if a.get("transA", 0):
            t = self.fresh_tensor(self.tname(n.output[0]) + ":a_t")
            self.emit(self.nname(n, "/transpose_a"), "transpose", [xa], [t],
                      {"perm": [1, 0]})
            xa = t
        out = self.define(n.output[0])
        if C is None or beta == 0.0:
            self.emit(node_name, "linear", [xa, wname], [out])
            return
        if self.is_const(C):
            cv = self.cval(C)
            if cv.dtype != np.float32:
                raise Unsupported("C must be float")
            if beta != 1.0:
                cv = (cv * np.float32(beta)).astype(np.float32)
            if N * M > max(GROW_MAX, cv.size):
                raise Unsupported("C of shape %s broadcast to [%d, %d] would "
                                  "have %d elements (the importer computes at "
                                  "most 2^24 beyond its inputs)"
                                  % (list(cv.shape), N, M, N * M))
            try:
                full = np.broadcast_to(cv, (N, M))
            except ValueError:
                raise Unsupported("C of shape %s does not broadcast to [%d, %d]"
                                  % (list(cv.shape), N, M))
            if cv.ndim < 2 or cv.shape[0] == 1:
                bias = np.ascontiguousarray(full[0])
                bname = self.weight_const(C, bias, n, self.cval(C), "bias",
                                          factor=beta)
                self.emit(node_name, "linear", [xa, wname, bname], [out])
                return
            tmp = self.fresh_tensor(out + ":matmul")
            self.emit(node_name, "linear", [xa, wname], [tmp])
            cname = self.weight_const(C, np.ascontiguousarray(full), n,
                                      self.cval(C), "bias", factor=beta)
            self.emit(self.nname(n, "/add_c"), "add", [tmp, cname], [out])
            return
        try:
            np.broadcast_shapes(tuple(self.shp(C)), (N, M))
        except ValueError:
            raise BadNode("C of shape %s does not broadcast to [%d, %d]"
                          % (list(self.shp(C)), N, M))
        tmp = self.fresh_tensor(out + ":matmul")
        self.emit(node_name, "linear", [xa, wname], [tmp])
        c = self.use(C)
        if beta != 1.0:
            bc = self.new_const(node_name + ":beta", np.float32(beta))
            cb = self.fresh_tensor(out + ":beta_c")
            self.emit(self.nname(n, "/beta_c"), "mul", [c, bc], [cb])
            c = cb
        self.emit(self.nname(n, "/add_c"), "add", [tmp, c], [out])

    def weight_const(self, onnx_name, value, node, original, what,
                     transposed=False, factor=1.0):
        """A constant derived from an ONNX one: keeps its name when the
        value is unchanged or the ONNX constant has no other reader.
        A pin (QDQ) follows the rearrangement."""
        src = self.resolve(onnx_name)
        if value.shape == original.shape and np.array_equal(value, original):
            return self.emit_const(src, value)
        users = self.consumers.get(onnx_name, [])
        if (all(u is node for u, _ in users) and
                onnx_name not in self.graph_outputs and
                src not in self.y_const_of and src == onnx_name):
            self.notes.append("constant '%s': %s of %s '%s', rearranged "
                              "(transposed, scaled or broadcast)"
                              % (self.tname(src), what, node.op_type,
                                 self.nname(node)))
            y = self.emit_const(src, value)
        else:
            y = self.new_const(self.tname(src) + ":" + what, value)
        pin = self.pins.get(src)
        if pin is not None:
            dt, s, zp, axis = pin
            if axis is not None:
                if transposed and original.ndim == 2:
                    axis = 1 - axis
                elif (value.ndim == 1 and
                      original.shape[axis] == value.shape[0]):
                    axis = 0
                elif value.shape != original.shape:
                    self.notes.append("quant '%s' not pinned: the constant "
                                      "was broadcast" % y)
                    return y
            s = (s.astype(np.float64) * factor).astype(np.float32)
            self.derived_pins[y] = (dt, s, zp, axis)
        return y

    def op_MatMul(self, n, a):
        A, B = n.input[0], n.input[1]
        if not self.is_const(B):
            raise Unsupported("the second input is not a constant (the "
                              "format's linear takes constant weights)")
        bv = self.cval(B)
        if bv.dtype != np.float32 or bv.ndim != 2:
            raise Unsupported("the second input must be a 2-D float "
                              "constant (batched MatMul is not supported)")
        K, M = bv.shape
        w = np.ascontiguousarray(bv.T)
        wname = self.weight_const(B, w, n, bv, "weight", transposed=True)
        As = list(self.shp(A))
        if As and As[-1] != K:
            raise BadNode("A of shape %s and B of shape %s do not multiply"
                          % (As, list(bv.shape)))
        f = self.fused.get(id(n))
        out_onnx = n.output[0]
        ins_bias = []
        if f:
            _, b, add = f
            bias = np.ascontiguousarray(self.const[b].reshape(-1))
            ins_bias = [self.weight_const(b, bias, add, self.const[b],
                                          "bias")]
            out_onnx = add.output[0]
            self.notes.append("Add '%s' became the bias of linear '%s'"
                              % (self.nname(add), self.nname(n)))
        x = self.use(A)
        out = self.define(out_onnx)
        if len(As) == 2:
            self.emit(self.nname(n), "linear", [x, wname] + ins_bias, [out])
            return
        if len(As) == 0:
            raise Unsupported("a scalar first input")
        lead = int(np.prod(As[:-1])) if len(As) > 1 else 1
        t1 = self.fresh_tensor(out + ":2d")
        self.emit(self.nname(n, "/to_2d"), "reshape", [x], [t1],
                  {"shape": [lead, K]})
        t2 = self.fresh_tensor(out + ":linear")
        self.emit(self.nname(n), "linear", [t1, wname] + ins_bias, [t2])
        self.emit(self.nname(n, "/from_2d"), "reshape", [t2], [out],
                  {"shape": As[:-1] + [M]})

    # -- data movement --

    def op_Concat(self, n, a):
        ins = [i for i in n.input if i]
        axis = a.get("axis", 1)
        if ins:
            axis = self.axis(axis, len(self.shp(ins[0])))
        for i in ins:
            if 0 in self.shp(i):
                raise Unsupported("an empty input (the model format has no "
                                  "empty tensors)")
        self.emit(self.nname(n), "concat", [self.use(i) for i in ins],
                  [self.define(n.output[0])], {"axis": int(axis)})

    def op_Split(self, n, a):
        xs = self.shp(n.input[0])
        axis = self.axis(a.get("axis", 0), len(xs))
        if "split" in a:
            sizes = list(a["split"])
        elif len(n.input) > 1 and n.input[1]:
            if not self.is_const(n.input[1]):
                raise Unsupported("split sizes are not a constant")
            sizes = [int(v) for v in self.cval(n.input[1]).reshape(-1)]
        else:
            parts = len(n.output)
            if xs[axis] % parts:
                raise Unsupported("axis size %d does not split into %d equal "
                                  "parts" % (xs[axis], parts))
            sizes = [xs[axis] // parts] * parts
        if any(v < 0 for v in sizes) or sum(sizes) != xs[axis] or \
                len(sizes) != len(n.output):
            raise BadNode("%d split sizes %s for %d outputs and an axis of "
                          "size %d" % (len(sizes), sizes, len(n.output),
                                       xs[axis]))
        if any(v <= 0 for v in sizes):
            raise Unsupported("a split size is 0 (the model format has no "
                              "empty tensors)")
        self.check_float(n.input[0])
        self.emit(self.nname(n), "split", [self.use(n.input[0])],
                  [self.define(o) for o in n.output],
                  {"axis": int(axis), "sizes": sizes})

    def reshape_to(self, n, shape, attr_shape=None):
        self.check_float(n.input[0])
        self.emit(self.nname(n), "reshape", [self.use(n.input[0])],
                  [self.define(n.output[0])],
                  {"shape": list(attr_shape if attr_shape is not None
                                 else shape)})

    def op_Reshape(self, n, a):
        if self.opset < 5:
            shape = list(a["shape"])
        else:
            if not self.is_const(n.input[1]):
                raise Unsupported("the shape is not a constant")
            shape = [int(v) for v in self.cval(n.input[1]).reshape(-1)]
        if a.get("allowzero", 0) and 0 in shape:
            raise Unsupported("allowzero with a 0 in the shape (the model "
                              "format has no empty tensors)")
        if not shape:
            raise Unsupported("reshape to a scalar")
        xs = self.shp(n.input[0])
        if 0 in xs:
            raise Unsupported("an empty input")
        known = [xs[i] if v == 0 and i < len(xs) else v
                 for i, v in enumerate(shape)]
        if any(v < -1 for v in known) or known.count(-1) > 1 or (
                -1 not in known and numel(known) != numel(xs)) or (
                -1 in known and numel(xs) % max(-numel(known), 1)):
            raise BadNode("shape %s does not hold the input's %s"
                          % (shape, list(xs)))
        self.reshape_to(n, None, shape)

    def op_Flatten(self, n, a):
        xs = list(self.shp(n.input[0]))
        axis = int(a.get("axis", 1))
        if not -len(xs) <= axis <= len(xs):
            raise BadNode("axis %d is out of range for rank %d"
                          % (axis, len(xs)))
        axis = axis + len(xs) if axis < 0 else axis
        if axis == 1 and len(xs) >= 2:
            self.simple(n, "flatten", {"axis": 1})
            return
        lead = int(np.prod(xs[:axis])) if axis else 1
        self.reshape_to(n, [lead, int(np.prod(xs)) // lead])

    def op_Squeeze(self, n, a):
        self.reshape_to(n, self.out_shape(n))

    def op_Unsqueeze(self, n, a):
        self.reshape_to(n, self.out_shape(n))

    def out_shape(self, n):
        shape = self.vi.get(n.output[0], (0, None))[1]
        if shape is None:
            raise Unsupported("the output shape is not static")
        if not shape:
            raise Unsupported("a scalar output")
        return list(shape)

    def op_Transpose(self, n, a):
        r = len(self.shp(n.input[0]))
        perm = list(a.get("perm", range(r - 1, -1, -1)))
        if sorted(perm) != list(range(r)):
            raise BadNode("perm %s is not a permutation of %d dims"
                          % (perm, r))
        self.simple(n, "transpose", {"perm": perm})

    def op_Softmax(self, n, a):
        xs = list(self.shp(n.input[0]))
        r = len(xs)
        if self.opset >= 13:
            self.axis(a.get("axis", -1), r)
            self.simple(n, "softmax", {"axis": int(a.get("axis", -1))})
            return
        # Before opset 13: the input is coerced to 2-D at `axis` (default 1)
        # and the softmax runs over the whole second dim.
        axis = self.axis(a.get("axis", 1), r)
        if axis == r - 1:
            self.simple(n, "softmax", {"axis": -1})
            return
        lead = int(np.prod(xs[:axis])) if axis else 1
        x = self.use(n.input[0])
        out = self.define(n.output[0])
        t1 = self.fresh_tensor(out + ":2d")
        t2 = self.fresh_tensor(out + ":softmax")
        self.emit(self.nname(n, "/to_2d"), "reshape", [x], [t1],
                  {"shape": [lead, int(np.prod(xs)) // lead]})
        self.emit(self.nname(n), "softmax", [t1], [t2], {"axis": 1})
        self.emit(self.nname(n, "/from_2d"), "reshape", [t2], [out],
                  {"shape": xs})

    # -- data movement: slice, gather, depth/space, tile --

    def const_ints(self, n, k, what):
        """Input k of n as a list of ints (a constant), None when absent."""
        if len(n.input) <= k or not n.input[k]:
            return None
        if not self.is_const(n.input[k]):
            raise Unsupported("%s must be a constant" % what)
        return [int(v) for v in self.cval(n.input[k]).reshape(-1)]

    def emit_slice(self, name, x, out, dims, starts, ends, axes, steps):
        """A slice with ONNX's rules; starts and ends clamped into
        [-dim - 1, dim] first (the same slice, in the format's int range)."""
        cl = lambda v, d: max(min(int(v), d), -d - 1)
        starts = [cl(v, dims[a]) for v, a in zip(starts, axes)]
        ends = [cl(v, dims[a]) for v, a in zip(ends, axes)]
        attrs = {"starts": starts, "ends": ends, "axes": axes}
        if any(st != 1 for st in steps):
            attrs["steps"] = steps
        self.emit(name, "slice", [x], [out], attrs)

    def op_Slice(self, n, a):
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        if self.opset < 10:
            starts, ends = a["starts"], a["ends"]
            axes, steps = a.get("axes"), None
        else:
            starts = self.const_ints(n, 1, "starts")
            ends = self.const_ints(n, 2, "ends")
            axes = self.const_ints(n, 3, "axes")
            steps = self.const_ints(n, 4, "steps")
        axes = [self.axis(v, len(xs)) for v in
                (axes if axes is not None else range(len(starts)))]
        steps = steps if steps is not None else [1] * len(starts)
        if len(set(axes)) != len(axes) or len(starts) != len(ends) or \
                len(axes) != len(starts) or len(steps) != len(starts):
            raise BadNode("starts, ends, axes and steps do not match")
        if any(st == 0 for st in steps):
            raise BadNode("a step of 0")
        self.emit_slice(self.nname(n), self.use(n.input[0]),
                        self.define(n.output[0]), xs, starts, ends, axes,
                        steps)

    def op_Gather(self, n, a):
        """Constant indices: runs of equally spaced indices are slices
        (strided where the step is not 1), concatenated along the axis when
        there are several; a reshape gives the indices' shape (a scalar
        index drops the axis)."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        axis = self.axis(a.get("axis", 0), len(xs))
        if not self.is_const(n.input[1]):
            raise Unsupported("indices must be a constant")
        idx = self.cval(n.input[1])
        if idx.size == 0 or idx.size > 256:
            raise Unsupported("%d indices (qcc slices 1 to 256 constant "
                              "indices)" % idx.size)
        dim = xs[axis]
        flat = [int(v) + dim if int(v) < 0 else int(v) for v in idx.reshape(-1)]
        if any(not 0 <= v < dim for v in flat):
            raise BadNode("index out of range for a dim of %d" % dim)
        runs = []  # (first, step, count)
        for v in flat:
            if runs:
                f, st, cnt = runs[-1]
                if cnt == 1 and v != f:
                    runs[-1] = (f, v - f, 2)
                    continue
                if cnt > 1 and v == f + st * cnt:
                    runs[-1] = (f, st, cnt + 1)
                    continue
            runs.append((v, 1, 1))
        x, out = self.use(n.input[0]), self.define(n.output[0])
        shape = xs[:axis] + list(idx.shape) + xs[axis + 1:]
        flat_shape = xs[:axis] + [len(flat)] + xs[axis + 1:]
        last = out if shape == flat_shape else self.fresh_tensor(out + ":flat")
        parts = []
        for i, (f, st, cnt) in enumerate(runs):
            end = f + st * (cnt - 1) + (1 if st > 0 else -1)
            if end < 0:
                end = -dim - 1  # through index 0, stepping back
            if len(runs) == 1:
                t = last
                name = self.nname(n) if t == out else self.nname(n, "/slice")
            else:
                t = self.fresh_tensor(out + ":part%d" % i)
                name = self.nname(n, "/slice%d" % i)
            self.emit_slice(name, x, t, xs, [f], [end], [axis], [st])
            parts.append(t)
        if len(runs) > 1:
            self.emit(self.nname(n, "/concat") if last != out
                      else self.nname(n), "concat", parts, [last],
                      {"axis": axis})
        if last != out:
            self.emit(self.nname(n), "reshape", [last], [out],
                      {"shape": shape})

    def reshape_transpose_reshape(self, n, mid, perm, final):
        x, out = self.use(n.input[0]), self.define(n.output[0])
        t1 = self.fresh_tensor(out + ":split")
        t2 = self.fresh_tensor(out + ":moved")
        self.emit(self.nname(n, "/split"), "reshape", [x], [t1],
                  {"shape": mid})
        self.emit(self.nname(n, "/move"), "transpose", [t1], [t2],
                  {"perm": perm})
        self.emit(self.nname(n), "reshape", [t2], [out], {"shape": final})

    def op_DepthToSpace(self, n, a):
        """As ONNX defines it: reshape, transpose, reshape (DCR or CRD)."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        b = int(a["blocksize"])
        if len(xs) != 4 or b < 1 or xs[1] % (b * b):
            raise BadNode("needs a 4-D input whose channels divide by "
                          "blocksize^2")
        N, C, H, W = xs
        c = C // (b * b)
        if a.get("mode", "DCR") == "DCR":
            mid, perm = [N, b, b, c, H, W], [0, 3, 4, 1, 5, 2]
        else:
            mid, perm = [N, c, b, b, H, W], [0, 1, 4, 2, 5, 3]
        self.reshape_transpose_reshape(n, mid, perm, [N, c, H * b, W * b])

    def op_SpaceToDepth(self, n, a):
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        b = int(a["blocksize"])
        if len(xs) != 4 or b < 1 or xs[2] % b or xs[3] % b:
            raise BadNode("needs a 4-D input whose height and width divide "
                          "by blocksize")
        N, C, H, W = xs
        self.reshape_transpose_reshape(
            n, [N, C, H // b, b, W // b, b], [0, 3, 5, 1, 2, 4],
            [N, C * b * b, H // b, W // b])

    def op_Tile(self, n, a):
        """Constant repeats: a concat of copies along each repeated axis."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        reps = self.const_ints(n, 1, "repeats")
        if reps is None or len(reps) != len(xs) or any(r < 1 for r in reps):
            raise BadNode("repeats must be positive, one per dim")
        cur, out = self.use(n.input[0]), self.define(n.output[0])
        todo = [(ax, r) for ax, r in enumerate(reps) if r > 1]
        if not todo:
            self.emit(self.nname(n), "reshape", [cur], [out], {"shape": xs})
            return
        for i, (ax, r) in enumerate(todo):
            last = i == len(todo) - 1
            t = out if last else self.fresh_tensor(out + ":tile%d" % ax)
            self.emit(self.nname(n) if last else self.nname(n, "/axis%d" % ax),
                      "concat", [cur] * r, [t], {"axis": ax})
            cur = t

    def op_ReduceMean(self, n, a):
        """Over H and W of a 4-D tensor: global_avgpool (and a reshape when
        keepdims is 0)."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        axes = a.get("axes")
        if self.opset >= 18 and len(n.input) > 1:
            axes = self.const_ints(n, 1, "axes")
        if len(xs) != 4 or axes is None or \
                sorted(self.axis(v, 4) for v in axes) != [2, 3]:
            raise Unsupported("only over the spatial axes [2, 3] of a 4-D "
                              "tensor (a global average pool)")
        x, out = self.use(n.input[0]), self.define(n.output[0])
        if a.get("keepdims", 1):
            self.emit(self.nname(n), "global_avgpool", [x], [out])
            return
        t = self.fresh_tensor(out + ":pooled")
        self.emit(self.nname(n, "/pool"), "global_avgpool", [x], [t])
        self.emit(self.nname(n), "reshape", [t], [out], {"shape": xs[:2]})

    def op_Pow(self, n, a):
        """A constant scalar exponent: 1 elided, 2 a multiplication, any
        other the pow op (a table in int8)."""
        self.check_float(n.input[0])
        e = n.input[1]
        if not self.is_const(e) or self.cval(e).size != 1 or \
                self.cval(e).dtype.kind not in "fiu":
            raise Unsupported("the exponent must be one constant number "
                              "(qcc's pow has a constant exponent)")
        c = float(self.cval(e).reshape(-1)[0])
        x, out = self.use(n.input[0]), self.define(n.output[0])
        if c == 1.0:
            self.emit(self.nname(n), "reshape", [x], [out],
                      {"shape": list(self.shp(n.input[0]))})
        elif c == 2.0:
            self.emit(self.nname(n), "mul", [x, x], [out])
        else:
            self.emit(self.nname(n), "pow", [x], [out],
                      {"exponent": float(np.float32(c))})

    # -- resize --

    def op_Resize(self, n, a):
        x = n.input[0]
        xs = self.shp(x)
        if len(xs) != 4:
            raise Unsupported("input of rank %d (the format resizes 4-D "
                              "NCHW)" % len(xs))
        mode = a.get("mode", "nearest")
        if self.opset < 11:
            coord = "asymmetric"
            nearest = "floor"
            scales_in, sizes_in = n.input[1], ""
        else:
            coord = a.get("coordinate_transformation_mode", "half_pixel")
            nearest = a.get("nearest_mode", "round_prefer_floor")
            scales_in = n.input[2] if len(n.input) > 2 else ""
            sizes_in = n.input[3] if len(n.input) > 3 else ""
        scales = sizes = None
        if sizes_in:
            if not self.is_const(sizes_in):
                raise Unsupported("sizes is not a constant")
            sizes = [int(v) for v in self.cval(sizes_in).reshape(-1)]
        if scales_in and sizes is None:
            if not self.is_const(scales_in):
                raise Unsupported("scales is not a constant")
            sv = self.cval(scales_in).astype(np.float32).reshape(-1)
            if sv.size:
                scales = [float(v) for v in sv]
        self.resize(n, mode, coord, nearest, scales, sizes, a)

    def op_Upsample(self, n, a):
        if self.opset < 9:
            scales = [float(np.float32(v)) for v in a["scales"]]
        else:
            if not self.is_const(n.input[1]):
                raise Unsupported("scales is not a constant")
            scales = [float(v) for v in
                      self.cval(n.input[1]).astype(np.float32).reshape(-1)]
        xs = self.shp(n.input[0])
        if len(xs) != 4:
            raise Unsupported("input of rank %d (the format resizes 4-D "
                              "NCHW)" % len(xs))
        self.resize(n, a.get("mode", "nearest"), "asymmetric", "floor",
                    scales, None, a)

    def resize(self, n, mode, coord, nearest, scales, sizes, a):
        xs = self.shp(n.input[0])
        if mode not in ("nearest", "linear", "bilinear"):
            raise Unsupported("mode %s (the format has nearest and bilinear)"
                              % mode)
        if coord not in ("asymmetric", "half_pixel", "align_corners",
                         "pytorch_half_pixel"):
            raise Unsupported("coordinate_transformation_mode %s (the format "
                              "has asymmetric, half_pixel, align_corners and "
                              "pytorch_half_pixel)" % coord)
        if scales is None and sizes is None:
            raise Unsupported("neither scales nor sizes")
        if scales is not None:
            if len(scales) != 4 or scales[0] != 1 or scales[1] != 1:
                raise Unsupported("scales %s: only H and W may be scaled"
                                  % scales)
            hw = [scales[2], scales[3]]
            if not all(np.isfinite(hw)) or min(hw) <= 0:
                raise Unsupported("scales %s: H and W scales must be finite "
                                  "and positive" % scales)
            out = [int(np.floor(xs[2 + i] * hw[i])) for i in range(2)]
            attrs = {"scale": hw}
        else:
            if len(sizes) != 4 or sizes[0] != xs[0] or sizes[1] != xs[1]:
                raise Unsupported("sizes %s: only H and W may change" % sizes)
            out = sizes[2:]
            hw = [out[i] / xs[2 + i] for i in range(2)]
            attrs = {"size": out}
        if min(out) < 1:
            raise Unsupported("an empty output")
        if max(out) > RESIZE_MAX or numel(xs[:2] + tuple(out)) > MAX_ELEMENTS:
            raise Unsupported("output size %s (at most 2^20 rows and columns "
                              "and 2^31 elements)" % out)
        want = self.vi.get(n.output[0], (0, None))[1]
        if want is not None and list(want[2:]) != out:
            raise Unsupported("ONNX's output size %s differs from the "
                              "format's %s" % (list(want[2:]), out))
        fmt_mode = "nearest" if mode == "nearest" else "bilinear"
        # The format has one rule per coord mode and nearest is always
        # floor; ONNX has more. Shapes are static, so any form of the
        # format that maps every output index to the same source pixels
        # (nearest) or coordinates (bilinear) on both axes computes the
        # same result: ONNX's own form first, then the others.
        forms = []
        if scales is not None:
            forms.append(("scale", hw))
        forms.append(("size", [out[i] / xs[2 + i] for i in range(2)]))
        coords = [coord] + [c for c in FORMAT_COORDS if c != coord]
        first_why, chosen = None, None
        for c in coords:
            for form, fhw in forms:
                why = None
                for i in range(2):
                    why = why or resize_mismatch(
                        fmt_mode, coord, nearest, xs[2 + i], out[i], hw[i],
                        scales is not None, c, fhw[i])
                if first_why is None:
                    first_why = why
                if why is None:
                    chosen = (c, form)
                    break
            if chosen:
                break
        if chosen is None:
            raise Unsupported(first_why + "; no coordinate mode of the "
                              "format matches at this size")
        c, form = chosen
        attrs = {"scale": hw} if form == "scale" else {"size": out}
        attrs["mode"] = fmt_mode
        attrs["coord"] = c
        if (c, form) != (coord, "scale" if scales is not None else "size") \
                or (mode == "nearest" and nearest != "floor"):
            self.notes.append(
                "%s '%s': ONNX's %s%s with %s is computed as %s with %s "
                "(the same source %s at this size)"
                % (n.op_type, self.nname(n), coord,
                   "/" + nearest if mode == "nearest" else "",
                   "scales" if scales is not None else "sizes", c, form,
                   "pixels" if mode == "nearest" else "coordinates"))
        self.check_float(n.input[0])
        self.emit(self.nname(n), "resize", [self.use(n.input[0])],
                  [self.define(n.output[0])], attrs)

    # -- QDQ left over --

    def op_QuantizeLinear(self, n, a):
        raise Unsupported("not followed by a DequantizeLinear with the same "
                          "parameters (the format's tensors are float; QDQ "
                          "pairs become pinned quant parameters)")

    def op_DequantizeLinear(self, n, a):
        raise Unsupported("its input is neither a constant nor a "
                          "QuantizeLinear with the same parameters (the "
                          "format's tensors are float)")


UNSUPPORTED_WHY = {
    "QLinearConv": "integer-domain op (the model format is float with pinned "
                   "quant parameters: use a QDQ model)",
    "QLinearMatMul": "integer-domain op (use a QDQ model)",
    "ConvInteger": "integer-domain op (use a QDQ model)",
    "MatMulInteger": "integer-domain op (use a QDQ model)",
    "ConvTranspose": "not in the model format (no transposed convolution)",
    "Shape": "the shape of its input is not static",
    "Pad": "not in the model format (a Pad of zeros on H and W that only "
           "Convs read becomes their padding)",
}


def same_qparams(p, q):
    (s1, z1, a1), (s2, z2, a2) = p, q
    return (s1.shape == s2.shape and np.array_equal(s1, s2) and
            z1.dtype == z2.dtype and np.array_equal(z1, z2) and
            (a1 == a2 or s1.size == 1))


def same_pin(p, q):
    return (np.dtype(p[0]) == np.dtype(q[0]) and p[3] == q[3] and
            np.array_equal(p[1], q[1]) and np.array_equal(p[2], q[2]))


FORMAT_COORDS = ("asymmetric", "half_pixel", "pytorch_half_pixel",
                 "align_corners")


def onnx_source(coord, o, inn, scale, by_scale):
    """ONNX's reference source coordinate of output index o: its output
    length is scale * in, unrounded (f32 when scales are given)."""
    length = float(np.float32(scale) * inn) if by_scale else scale * inn
    if coord == "asymmetric":
        return o / scale
    if coord == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return -0.5 if length == 1 else (o + 0.5) / scale - 0.5
    return 0.0 if length == 1 else o * (inn - 1) / (length - 1)


def format_source(coord, o, inn, out, scale):
    """The format's source coordinate (docs/ops.md, resize)."""
    if coord == "asymmetric":
        return o / scale
    if coord == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return (o + 0.5) / scale - 0.5 if out > 1 else 0.0
    return o * (inn - 1) / (out - 1) if out > 1 else 0.0


def resize_mismatch(mode, coord, nearest, inn, out, scale, by_scale,
                    fcoord, fscale):
    """Why the format's resize (coord fcoord, scale fscale) differs from
    ONNX's (coord, nearest_mode, scale) along one axis; None when it picks
    the same pixels (nearest) or the same clamped coordinates (bilinear)."""
    import math
    for o in range(out):
        xo = onnx_source(coord, o, inn, scale, by_scale)
        xf = format_source(fcoord, o, inn, out, fscale)
        if mode == "nearest":
            i_f = min(max(math.floor(xf), 0), inn - 1)
            fl = math.floor(xo)
            r = xo - fl
            if r == 0:
                i_o = fl
            elif nearest == "round_prefer_floor":
                i_o = fl + (r > 0.5)
            elif nearest == "round_prefer_ceil":
                i_o = fl + (r >= 0.5)
            elif nearest == "floor":
                i_o = fl
            elif nearest == "ceil":
                i_o = fl + 1
            else:
                return "nearest_mode %s" % nearest
            i_o = min(max(i_o, 0), inn - 1)
            if i_o != i_f:
                return ("nearest_mode %s with %s picks pixel %d for output %d "
                        "where the format's floor picks %d (size %d -> %d)"
                        % (nearest, coord, i_o, o, i_f, inn, out))
        else:
            cf = min(max(xf, 0.0), inn - 1.0)
            co = min(max(xo, 0.0), inn - 1.0)
            if abs(cf - co) > 1e-6 * max(1.0, abs(co)):
                return ("%s: ONNX's source coordinate %.6g for output %d "
                        "differs from the format's %.6g (size %d -> %d%s)"
                        % (coord, co, o, cf, inn, out,
                           "; ONNX uses the unrounded length in * scale"
                           if coord in ("align_corners", "pytorch_half_pixel")
                           else ""))
    return None


# ---- writing ------------------------------------------------------------------------------

def model_name(imp, path, given):
    if given:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", given):
            raise Fail("--name %s: not a C identifier" % given)
        return given
    for cand in (imp.g.name, os.path.splitext(os.path.basename(path))[0]):
        s = re.sub(r"[^A-Za-z0-9_]", "_", cand or "")
        s = re.sub(r"_+", "_", s).strip("_")
        if s:
            return "m_" + s if s[0].isdigit() else s
    return "model"


def npy_file_name(name, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "tensor"
    f, k = base + ".npy", 2
    while f.lower() in taken:
        f = "%s_%d.npy" % (base, k)
        k += 1
    taken.add(f.lower())
    return f


def render(imp, name, src, weights_dir):
    """The YAML text and the {file name: array} to write in weights_dir."""
    producer = " ".join(p for p in (imp.model.producer_name,
                                    imp.model.producer_version) if p)
    # Comments hold names from the model: oneline keeps each on its line.
    lines = ["# Imported from %s by qcc import (ONNX opset %d%s)."
             % (oneline(os.path.basename(src)), imp.opset,
                ", producer " + oneline(producer) if producer else "")]
    if imp.renamed:
        lines.append("# Names renamed (the format allows only "
                     "[A-Za-z0-9_.:/-]):")
        for old, new in imp.renamed:
            lines.append("#   %s -> %s" % (oneline(repr(old)), new))
    for note in imp.notes:
        lines.append("# " + oneline(note))
    lines += ["format: 1", "name: %s" % name, "inputs:"]
    for n, dims in imp.y_inputs:
        lines.append("  - {name: %s, shape: %s}" % (yname(n), yvalue(dims)))
    lines.append("outputs: [%s]" % ", ".join(yname(o) for o in imp.y_outputs))
    files = {}
    if imp.y_consts:
        lines.append("constants:")
        taken = set()
        dtn = {np.dtype(np.float32): "f32", np.dtype(np.int8): "i8",
               np.dtype(np.uint8): "u8", np.dtype(np.int32): "i32"}
        for cname, v in imp.y_consts.items():
            dt = dtn[v.dtype]
            head = "  %s: {dtype: %s, shape: %s, " % (yname(cname), dt,
                                                       yvalue(list(v.shape)))
            if v.size <= INLINE_MAX and np.all(np.isfinite(v)):
                vals = [fnum(e) if dt == "f32" else str(int(e))
                        for e in v.reshape(-1)]
                lines.append(head + "data: [%s]}" % ", ".join(vals))
            else:
                f = npy_file_name(cname, taken)
                files[f] = v
                lines.append(head + 'file: "%s/%s"}' % (weights_dir, f))
    lines.append("nodes:")
    for nd in imp.y_nodes:
        parts = ["name: %s" % yname(nd["name"]), "op: %s" % nd["op"],
                 "inputs: [%s]" % ", ".join(yname(i) for i in nd["inputs"]),
                 "outputs: [%s]" % ", ".join(yname(o) for o in nd["outputs"])]
        if nd["attrs"]:
            parts.append("attrs: {%s}" % ", ".join(
                "%s: %s" % (k, yvalue(v)) for k, v in nd["attrs"].items()))
        lines.append("  - {%s}" % ", ".join(parts))
    if imp.y_quant:
        lines.append("quant:")
        for t, e in imp.y_quant.items():
            lines.append("  %s: {%s}" % (yname(t), ", ".join(
                "%s: %s" % (k, yvalue(v)) for k, v in e.items())))
    return "\n".join(lines) + "\n", files


def make_folders(out):
    """Creates the missing folders above out (qcc run's --output-dir does
    too); returns those it created, outermost first, for remove_folders."""
    missing = []
    p = os.path.dirname(out)
    while p and not os.path.isdir(p):
        if os.path.lexists(p):
            raise Fail("cannot write: '%s' is not a folder" % p, out)
        missing.append(p)
        p = os.path.dirname(p)
    created = []
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d)
            except FileExistsError:
                if not os.path.isdir(d):
                    raise
                continue
            created.append(d)
    except OSError:
        remove_folders(created)
        raise
    return created


def remove_folders(created):
    """Removes the folders make_folders created, if still empty."""
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            pass


def write_model(out, text, files, weights_dir, check_with):
    """Writes OUT.yaml and its weights folder under a temporary folder
    beside OUT.yaml, checks them, then renames both into place. The folder
    of OUT.yaml is created when missing; on any error nothing is left
    behind, the folders created included."""
    if os.path.isdir(out):
        raise Fail("is a folder", out)
    final_w = os.path.join(os.path.dirname(os.path.abspath(out)), weights_dir)
    if os.path.lexists(final_w) and not (
            os.path.isdir(final_w) and not os.path.islink(final_w) and
            all(f.endswith(".npy") for f in os.listdir(final_w))):
        raise Fail("'%s' exists and is not a weights folder written by qcc "
                   "import (only .npy files); remove it or choose another -o"
                   % final_w, out)
    created = make_folders(out)
    done = False
    try:
        folder = os.path.dirname(os.path.abspath(out))
        tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp.",
                               dir=folder)
        try:
            write_checked(out, tmp, text, files, weights_dir, final_w,
                          check_with)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        done = True
    finally:
        if not done:
            remove_folders(created)


def write_checked(out, tmp, text, files, weights_dir, final_w, check_with):
    tmp_yaml = os.path.join(tmp, os.path.basename(out))
    tmp_w = os.path.join(tmp, weights_dir)
    if files:
        os.mkdir(tmp_w)
        for f, v in files.items():
            np.save(os.path.join(tmp_w, f), v, allow_pickle=False)
    with open(tmp_yaml, "w", encoding="utf-8") as fh:
        fh.write(text)
    if check_with:
        r = subprocess.run([check_with, "check", tmp_yaml],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True,
                           errors="backslashreplace")
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or [
                "'%s check' exited with status %d" % (check_with,
                                                      r.returncode)])[0]
            raise Bug(first.replace(tmp_yaml, out))
    old = None
    if os.path.lexists(final_w):
        old = os.path.join(tmp, "old-weights")
        os.rename(final_w, old)
    moved = False
    try:
        if files:
            os.rename(tmp_w, final_w)
            moved = True
        os.rename(tmp_yaml, out)
    except OSError:
        if moved:
            os.rename(final_w, tmp_w)
        if old:
            os.rename(old, final_w)
        raise


def parse_shape(s):
    if "=" not in s:
        raise Fail("--shape needs NAME=D0,D1,..., got '%s'" % s)
    name, dims = s.rsplit("=", 1)
    try:
        d = [int(v) for v in dims.split(",")]
    except ValueError:
        raise Fail("--shape %s: dims must be integers" % s)
    if not name or not d or any(v < 1 for v in d):
        raise Fail("--shape %s: dims must be positive integers" % s)
    if numel(d) > MAX_ELEMENTS:
        raise Fail("--shape %s: more than 2^31 elements" % s)
    return name, d


class ArgParser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 1, as qcc's do
        self.print_usage(sys.stderr)
        die(self.prog, message)


def main(argv):
    global PROG, np, onnx, numpy_helper
    ap = ArgParser(
        prog=PROG, description="Converts an ONNX model to the YAML model "
        "format (OUT.yaml) plus .npy weights in OUT.weights/ beside it. "
        "Nothing is written on error; every node the model format cannot "
        "express is listed in one error. See docs/onnx.md.")
    ap.add_argument("model", metavar="MODEL.onnx")
    ap.add_argument("-o", dest="out", metavar="OUT.yaml", required=True,
                    help="the YAML model to write")
    ap.add_argument("--name", help="the model name (a C identifier; default: "
                    "the ONNX graph name or the file name)")
    ap.add_argument("--shape", action="append", default=[],
                    metavar="NAME=D0,D1,...",
                    help="static shape for an input with dynamic dims")
    ap.add_argument("--check-with", metavar="QCC",
                    help="run 'QCC check' on the result before writing it")
    ap.add_argument("--prog", help=argparse.SUPPRESS)
    if "--prog" in argv[1:2] and len(argv) > 2:
        PROG = argv[2]
        ap.prog = PROG
    args = ap.parse_args(argv[1:])
    need_modules()
    import numpy
    import onnx as onnx_mod
    from onnx import numpy_helper as nh
    np, onnx, numpy_helper = numpy, onnx_mod, nh
    # A model's values may overflow or divide by zero when folded: NumPy's
    # result (inf, nan) is what ONNX computes, and its warnings on stderr
    # would break the one-line errors.
    np.seterr(all="ignore")
    warnings.simplefilter("ignore", RuntimeWarning)
    src = args.model
    out = args.out
    if not out.endswith(".yaml") and not out.endswith(".yml"):
        die(PROG, "-o %s: the output must end in .yaml" % out)
    debug = bool(os.environ.get("QCC_IMPORT_DEBUG"))
    model = imp = None
    try:
        shapes = dict(parse_shape(s) for s in args.shape)
        # The input first, all of it, before the output is looked at.
        try:
            model = read_model(src)
            check_model_input(model, src)
        except (Fail, KeyboardInterrupt):
            raise
        except MemoryError:
            raise Fail("out of memory reading the model")
        except Exception as e:
            if debug:
                raise
            raise Fail("cannot read the model (%s: %s)"
                       % (type(e).__name__, e))
        imp = Importer(model, src, shapes)
        imp.collect_inputs()
        imp.run()
        # Problems first: an input the format cannot take (a 0 dim, a
        # dynamic one) gets a stand-in shape that later checks may trip on.
        if imp.problems:
            items = ["%s: %s" % p for p in imp.problems]
            raise Fail("unsupported: %d problem%s: %s"
                       % (len(items), "" if len(items) == 1 else "s",
                          "; ".join(items)))
        if imp.invalid:
            raise Fail("invalid ONNX node%s %s" % (
                "s" if len(imp.invalid) > 1 else "",
                "; ".join("%s: %s" % p for p in imp.invalid)))
        name = model_name(imp, src, args.name)
        stem = os.path.basename(out).rsplit(".", 1)[0]
        weights_dir = (re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".") or
                       "model") + ".weights"
        text, files = render(imp, name, src, weights_dir)
        try:
            write_model(out, text, files, weights_dir, args.check_with)
        except OSError as e:
            die(out, "cannot write: %s" % e)
    except Fail as e:
        die(e.where or src, str(e))
    except Bug as e:
        why = invalid_reason(model)
        if why:
            die(src, "not a valid ONNX model: %s" % why)
        die(src, "the imported model does not load (an importer bug): %s" % e)
    except Exception as e:  # a bug, unless the model is invalid
        if debug:
            raise
        why = invalid_reason(model)
        if why:
            die(src, "not a valid ONNX model: %s" % why)
        at = getattr(e, "qcc_where", None)
        die(src, "internal error in the importer%s (%s: %s); set "
            "QCC_IMPORT_DEBUG=1 for a traceback"
            % (" at " + at if at else "", type(e).__name__, e))
    for w in imp.warnings:
        sys.stderr.write("%s: warning: %s\n" % (oneline(src), oneline(w)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
