"""The importer: names, tensors and emitted YAML nodes; shape inference and
constant folding alternated to a fixed point; then the patterns
(onnx_patterns.py) and the node-by-node conversion (onnx_ops.py).
"""


import numpy as np
import onnx
from onnx import numpy_helper

from onnx_util import BadNode, Fail, MAX_RANK, TooBig, Unsupported
from onnx_values import NAME_RE, attr_dict, elem_name, np_dtype, yvalue
from onnx_fold import FOLDABLE, constant_node_value, fold
from onnx_read import Crash, crash_hint, infer_isolated
from onnx_ops import UNSUPPORTED_WHY, ConvertersMixin, same_qparams
from onnx_patterns import PatternsMixin


# ---- the importer ---------------------------------------------------------------------

class Importer(PatternsMixin, ConvertersMixin):
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
