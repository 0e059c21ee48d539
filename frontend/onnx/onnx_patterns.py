"""Patterns found before conversion: silu and hard-swish (Mul of a
Sigmoid / HardSigmoid), the exported GELU and hard-swish products,
MatMul + Add as one linear, a zero Pad read only by Convs as their padding,
and QDQ pairs as pinned quantization parameters.
"""


import numpy as np

from onnx_values import attr_dict
from onnx_ops import same_pin, same_qparams


class PatternsMixin:
    """Importer methods: the patterns (see the module's docstring)."""

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
                    sp = prod.get(src.input[0]) if src is not None and \
                        src.op_type == "Tanh" else None
                    if sp is not None and sp.op_type == "Softplus" and \
                            sp.input[0] == other:
                        # Mish: x * Tanh(Softplus(x)) (YOLOv4's export).
                        self.fused[id(n)] = ("mish", other, src)
                        if self.only_consumer(n.input[k], n):
                            self.skip.add(id(src))
                            if self.only_consumer(src.input[0], src):
                                self.skip.add(id(sp))
                        break
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
