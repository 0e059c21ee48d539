"""The op converters: one method op_<OnnxOp> per supported ONNX op, each
emitting YAML nodes or raising Unsupported with the reason; and the Resize
coordinate rules they check against the format's.
"""


import numpy as np
import onnx

from onnx_util import (
    BadNode, GROW_MAX, MAX_ELEMENTS, RESIZE_MAX, Unsupported, WINDOW_MAX)
from onnx_values import FLT_MAX, elem_name
from onnx_read import numel


class ConvertersMixin:
    """Importer methods: op_<OnnxOp> per supported op."""

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

    def op_Log(self, n, a):
        self.simple(n, "log")

    def op_Sqrt(self, n, a):
        self.simple(n, "sqrt")

    def op_Reciprocal(self, n, a):
        self.simple(n, "reciprocal")

    def op_Neg(self, n, a):
        self.simple(n, "neg")

    def op_Abs(self, n, a):
        self.simple(n, "abs")

    def op_Softplus(self, n, a):
        self.simple(n, "softplus")

    def op_PRelu(self, n, a):
        """A scalar slope is leaky_relu; a slope tensor (per channel, as
        exported) is relu(x) + (-slope) * relu(-x), the same value."""
        self.check_float(n.input[0])
        sl = n.input[1]
        if not self.is_const(sl):
            raise Unsupported("the slope must be a constant")
        v = self.cval(sl).astype(np.float32)
        x, out = self.use(n.input[0]), self.define(n.output[0])
        if v.size == 1:
            self.emit(self.nname(n), "leaky_relu", [x], [out],
                      {"alpha": float(v.reshape(-1)[0])})
            return
        pos = self.fresh_tensor(out + ":pos")
        neg = self.fresh_tensor(out + ":neg")
        negr = self.fresh_tensor(out + ":neg_relu")
        negs = self.fresh_tensor(out + ":neg_part")
        ns = self.new_const(self.tname(sl) + ":negated", -v)
        self.emit(self.nname(n, "/pos"), "relu", [x], [pos])
        self.emit(self.nname(n, "/neg"), "neg", [x], [neg])
        self.emit(self.nname(n, "/neg_relu"), "relu", [neg], [negr])
        self.emit(self.nname(n, "/slope"), "mul", [negr, ns], [negs])
        self.emit(self.nname(n), "add", [pos, negs], [out])

    def op_InstanceNormalization(self, n, a):
        """Per sample and channel over H and W (4-D): m = mean(x),
        d = x - m, y = d * reciprocal(sqrt(mean(d * d) + eps)) * scale + B,
        with global_avgpool for the means."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        if len(xs) != 4:
            raise Unsupported("input of rank %d (qcc normalizes 4-D NCHW)"
                              % len(xs))
        if not (self.is_const(n.input[1]) and self.is_const(n.input[2])):
            raise Unsupported("scale and B must be constants")
        eps = float(np.float32(a.get("epsilon", 1e-5)))
        x, out = self.use(n.input[0]), self.define(n.output[0])
        C = xs[1]
        scale = self.cval(n.input[1]).astype(np.float32).reshape(C, 1, 1)
        bias = self.cval(n.input[2]).astype(np.float32).reshape(C, 1, 1)
        t = {r: self.fresh_tensor(out + ":" + r) for r in
             ("mean", "centered", "square", "var", "var_eps", "std", "inv",
              "normed", "scaled")}
        e = self.new_const(self.tname(n.output[0]) + ":eps",
                           np.array([eps], np.float32))
        sc = self.new_const(self.tname(n.input[1]) + ":c11", scale)
        bc = self.new_const(self.tname(n.input[2]) + ":c11", bias)
        steps = [("mean", "global_avgpool", [x]),
                 ("centered", "sub", [x, t["mean"]]),
                 ("square", "mul", [t["centered"], t["centered"]]),
                 ("var", "global_avgpool", [t["square"]]),
                 ("var_eps", "add", [t["var"], e]),
                 ("std", "sqrt", [t["var_eps"]]),
                 ("inv", "reciprocal", [t["std"]]),
                 ("normed", "mul", [t["centered"], t["inv"]]),
                 ("scaled", "mul", [t["normed"], sc])]
        for role, op, ins in steps:
            self.emit(self.nname(n, "/" + role), op, ins, [t[role]])
        self.emit(self.nname(n), "add", [t["scaled"], bc], [out])

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
            # By a tensor: a multiplication by its reciprocal (a table in
            # int8, then a qmul).
            self.check_float(x)
            self.check_float(y)
            out = self.define(n.output[0])
            r = self.fresh_tensor(out + ":reciprocal")
            self.emit(self.nname(n, "/reciprocal"), "reciprocal",
                      [self.use(y)], [r])
            self.emit(self.nname(n), "mul", [self.use(x), r], [out])
            return
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

    def op_Pad(self, n, a):
        """pad (constant, reflect, edge), with constant pads, value and
        axes; a Pad of zeros that only Convs read became their padding
        (onnx_patterns.match_pad) and does not get here."""
        self.check_float(n.input[0])
        xs = list(self.shp(n.input[0]))
        r = len(xs)
        mode = a.get("mode", "constant")
        if mode not in ("constant", "reflect", "edge"):
            raise Unsupported("mode %s (qcc pads constant, reflect or edge)"
                              % mode)
        if self.opset < 11:
            pads = list(a.get("pads", a.get("paddings", [])))
            value = float(a.get("value", 0.0))
        else:
            pads = self.const_ints(n, 1, "pads")
            value = 0.0
            if len(n.input) > 2 and n.input[2]:
                if not self.is_const(n.input[2]):
                    raise Unsupported("constant_value must be a constant")
                value = float(self.cval(n.input[2]).reshape(-1)[0])
            axes = self.const_ints(n, 3, "axes")
            if axes is not None and pads is not None:
                full = [0] * (2 * r)
                k = len(axes)
                for i, ax in enumerate(axes):
                    ax = self.axis(ax, r)
                    full[ax], full[ax + r] = pads[i], pads[i + k]
                pads = full
        if pads is None or len(pads) != 2 * r:
            raise BadNode("pads of %d entries for rank %d"
                          % (len(pads or []), r))
        for i in range(r):
            if xs[i] + pads[i] + pads[i + r] < 1:
                raise BadNode("pads leave axis %d empty" % i)
            if mode == "reflect" and max(pads[i], pads[i + r]) >= xs[i]:
                raise Unsupported("reflect pads of axis %d are not smaller "
                                  "than its size %d" % (i, xs[i]))
        attrs = {"pads": [int(v) for v in pads]}
        if mode != "constant":
            attrs["mode"] = mode
        elif value != 0.0:
            attrs["value"] = float(np.float32(value))
        self.simple(n, "pad", attrs)

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
                         "pytorch_half_pixel") and not (
                             mode == "nearest" and
                             coord == "tf_half_pixel_for_nn"):
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
        if coord == "tf_half_pixel_for_nn":
            coords = []  # qcc's own: below
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
        exact = None
        if chosen is None and mode == "nearest" and not (
                coord == "align_corners" and scales is not None and
                any(xs[2 + i] * hw[i] != out[i] for i in range(2))):
            # No floor form matches: ONNX's own coordinate and nearest
            # rule, which qcc's resize also has (its `nearest` attribute).
            exact = {"scale": hw} if scales is not None else {"size": out}
            exact.update(mode="nearest", coord=coord)
            if nearest != "floor":
                exact["nearest"] = nearest
        if chosen is None and exact is None:
            raise Unsupported((first_why or "coordinate mode %s" % coord) +
                              "; no coordinate mode of the format matches "
                              "at this size")
        if exact is not None:
            self.check_float(n.input[0])
            self.emit(self.nname(n), "resize", [self.use(n.input[0])],
                      [self.define(n.output[0])], exact)
            return
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
    "Shape": "the shape of its input is not static",
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
