"""Reading and checking the input before anything is converted: the
protobuf wire format (a truncated or non-ONNX file said as such), every
tensor's size against its data, external data kept inside the model's
folder, node attributes ONNX's checker lets through, and ONNX's own C++
code (shape inference, the checker) run in a forked child.
"""


import os
import resource
import signal
import stat
import sys
import warnings

import onnx

from onnx_util import Fail, MAX_ELEMENTS, PROTO_MAX
from onnx_values import elem_name


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
