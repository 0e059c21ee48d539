#!/usr/bin/env python3
"""Conv results stored as their reader convs' packed input, zero-point
border included (kernel_stored_padded), so that the readers pack
nothing: compiled and compared byte for byte with the int8 interpreter.

One model, batch 2, input x (2, 3, 9, 11). Stored padded, 9 results:
a (3->16 3x3, relu) read by b (16->20 3x3: 20 channels end in a partial
block) read by c (20->32 3x3 stride 2) read by two 1x1 convs d (32->24)
and e (32->8): a border of nothing, two readers; d read by f (24->9 3x3
with padding top 0, left 1, bottom 2, right 1) and e by h (8->7 3x3);
g (3->16 1x1: 48-pixel groups whose tiles wrap rows, and the store that
packs four pixels together must not) read by k (16->72 3x3: two pieces
of 64 channels per group, 9-row images giving 18 groups) read by l
(72->5 3x3); m (3->16 3x3) read by a depthwise conv dw (16 channels,
3x3: the four-tap form on a 16-lane step, the per-tap one elsewhere),
whose own result, unpadded, is read by o (16->8 1x1). Stored as they
are: n (3->12 3x3), read by p (3x3, padded) and q (1x1, unpadded): two
paddings; r (3->6 3x3), read by s: 6 channels are no multiple of 4.
Compiled for avx2 (which widens the stored rows into its own pack; 1
and 2 threads), generic, avx512vnni-emulated and, where the CPU has it,
avx512vnni; also with --layout=nchw, where nothing is stored padded.

usage: padded_storage.py QCC QCC_EXEC
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chain_case  # noqa: E402

PADDED = 9
SHAPE = (2, 3, 9, 11)
CONVS = (("a", (16, 3, 3, 3)), ("b", (20, 16, 3, 3)), ("c", (32, 20, 3, 3)),
         ("d", (24, 32, 1, 1)), ("e", (8, 32, 1, 1)), ("f", (9, 24, 3, 3)), ("h", (7, 8, 3, 3)),
         ("g", (16, 3, 1, 1)), ("k", (72, 16, 3, 3)), ("l", (5, 72, 3, 3)),
         ("n", (12, 3, 3, 3)), ("p", (4, 12, 3, 3)), ("q", (4, 12, 1, 1)),
         ("r", (6, 3, 3, 3)), ("s", (4, 6, 3, 3)),
         ("m", (16, 3, 3, 3)), ("dw", (16, 1, 3, 3)), ("o", (8, 16, 1, 1)))
OUTPUTS = ("y", "z", "u", "v", "w", "t", "om")

P1 = "attrs: {padding: [1, 1, 1, 1]}"
MODEL = """format: 1
name: padded
inputs:
  - {name: x, shape: [2, 3, 9, 11]}
outputs: [y, z, u, v, w, t, om]
constants:
%s
nodes:
  - {name: a, op: conv2d, inputs: [x, a.w, a.b], outputs: [a_out], P1}
  - {name: a_relu, op: relu, inputs: [a_out], outputs: [a_r]}
  - {name: b, op: conv2d, inputs: [a_r, b.w, b.b], outputs: [b_out], P1}
  - {name: c, op: conv2d, inputs: [b_out, c.w, c.b], outputs: [c_out], attrs: {stride: [2, 2], padding: [1, 1, 1, 1]}}
  - {name: d, op: conv2d, inputs: [c_out, d.w, d.b], outputs: [d_out]}
  - {name: e, op: conv2d, inputs: [c_out, e.w, e.b], outputs: [e_out]}
  - {name: f, op: conv2d, inputs: [d_out, f.w, f.b], outputs: [y], attrs: {padding: [0, 1, 2, 1]}}
  - {name: h, op: conv2d, inputs: [e_out, h.w, h.b], outputs: [z], P1}
  - {name: g, op: conv2d, inputs: [x, g.w, g.b], outputs: [g_out]}
  - {name: k, op: conv2d, inputs: [g_out, k.w, k.b], outputs: [k_out], P1}
  - {name: l, op: conv2d, inputs: [k_out, l.w, l.b], outputs: [u], P1}
  - {name: n, op: conv2d, inputs: [x, n.w, n.b], outputs: [n_out], P1}
  - {name: p, op: conv2d, inputs: [n_out, p.w, p.b], outputs: [v], P1}
  - {name: q, op: conv2d, inputs: [n_out, q.w, q.b], outputs: [w]}
  - {name: r, op: conv2d, inputs: [x, r.w, r.b], outputs: [r_out], P1}
  - {name: s, op: conv2d, inputs: [r_out, s.w, s.b], outputs: [t], P1}
  - {name: m, op: conv2d, inputs: [x, m.w, m.b], outputs: [m_out], P1}
  - {name: dw, op: conv2d, inputs: [m_out, dw.w, dw.b], outputs: [dw_out], attrs: {padding: [1, 1, 1, 1], groups: 16}}
  - {name: o, op: conv2d, inputs: [dw_out, o.w, o.b], outputs: [om]}
""".replace("P1", P1)


def check_log(lay, log):
    padded = "; %d conv results stored as their readers' padded input;" % PADDED
    if lay == "nhwc" and padded not in log:
        return "no '%s' in: %s" % (padded, log.strip()[-400:])
    if lay == "nchw" and "padded input" in log:
        return "results stored padded without the layout pass: " + log.strip()[-400:]
    return None


if __name__ == "__main__":
    chain_case.main(__doc__, 12, MODEL, CONVS, SHAPE, OUTPUTS, "padded", check_log)
