#!/usr/bin/env python3
"""Edge-case matrix generated from the kernel list.

`qcc kernels --format=tsv` prints every kernel form of the backend per
target with its parameters (backend/kernel_list.c, the list dispatch
reads). For each form that has a generator below and each target it has
code for, this test builds models whose shapes sit on that form's edges,
from its own parameters:

  qu8_conv_minmax_fp32_ukernel (nr, k, acc): a chain of convs with O in
      {nr-1, nr, nr+1, 2*nr+1}, input channels with C mod 4 != 0, output
      widths that no register tile height divides, stride 2 with
      asymmetric padding, 1x1, dilation 2; and a linear with acc + 1 rows
      and 2*nr + 1 outputs;
  qu8_dwconv_nhwc_minmax_fp32_ukernel (lanes): NHWC depthwise convs on
      C in {lanes-1, lanes (stride 2), lanes+1, 2*lanes+1}, padded,
      strided, dilated, asymmetric;
  qu8_dwconv_nhwc_4tap_minmax_fp32_ukernel (piece): C in {16, 32} (a
      piece spans pixels; odd output widths leave a row tail), piece and
      2*piece with stride 2 and a 5x5 dilated window;
  u8_maxpool_nhwc_ukernel (vector): NHWC max-pools on C in {vector-1,
      vector, vector+1, 2*vector+1}, padded, strided, ceil_mode.

Each model runs through conv_matrix.py's check (the int8 interpreter as
reference, `qcc compile --quant=static` for the row's target with the
layout pass and with --layout=nchw, qcc-exec, byte-identical outputs, the
report saying every conv is int8). On top, the compiled object's node
symbols must show that the listed form computed every layer it was aimed
at, with the row's parameters (k, NR a multiple of nr, MR x NBT within
acc), that the tiles really leave pixel (OW mod MR != 0) and channel
(O mod NR != 0) remainders, and that every node function is named by a
form the list gives for that target (no kernel outside the list). avx512vnni runs where /proc/cpuinfo has
avx512_vnni and avx512bw and says "skipped" otherwise; the emulated
target proves the same schedules on every machine. Forms without a
generator are listed as such (they are covered by the other tests).

usage: kernel_matrix.py QCC QCC_EXEC
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_matrix as cm  # noqa: E402

conv, pool = cm.conv, cm.pool


def chain(C, H, W, layers):
    return dict(N=1, C=C, H=H, W=W, nhwc=len(layers) - 1, layers=layers)


def gen_conv(p):
    nr = p["nr"]
    return [
        ("chain", "conv", chain(5, 5, 29, [
            conv(nr - 1, p=(1, 1, 1, 1), relu=True),
            conv(nr, s=(2, 2), p=(1, 0, 0, 1)),
            conv(nr + 1, k=(1, 1), relu="leaky_relu"),
            conv(2 * nr + 1, p=(2, 2, 2, 2), d=(2, 2), relu=True)])),
        ("linear", "conv", dict(rows=p["acc"] + 1, K=nr + 3, O=2 * nr + 1, relu=True)),
    ]


def gen_dw(p):
    v = p["lanes"]
    return [("chain", "dw", chain(3, 7, 23, [
        conv(v - 1, k=(1, 1)), conv(v - 1, p=(1, 1, 1, 1), relu=True, g=v - 1),
        conv(v, k=(1, 1)), conv(v, s=(2, 2), p=(1, 1, 1, 1), g=v),
        conv(v + 1, k=(1, 1)), conv(v + 1, p=(2, 2, 2, 2), d=(2, 2), relu="leaky_relu", g=v + 1),
        conv(2 * v + 1, k=(1, 1)), conv(2 * v + 1, p=(0, 1, 2, 1), g=2 * v + 1),
        conv(9, k=(1, 1))]))]


def gen_dw4(p):
    q = p["piece"]
    return [("chain", "dw", chain(3, 9, 13, [
        conv(16, k=(1, 1)), conv(16, p=(1, 1, 1, 1), relu=True, g=16),
        conv(32, k=(1, 1)), conv(32, p=(1, 0, 1, 2), g=32),
        conv(q, k=(1, 1)), conv(q, s=(2, 2), p=(1, 1, 1, 1), relu="leaky_relu", g=q),
        conv(2 * q, k=(1, 1)), conv(2 * q, k=(5, 5), p=(4, 4, 4, 4), d=(2, 2), g=2 * q),
        conv(7, k=(1, 1))]))]


def gen_pool(p):
    v = p["vector"]
    return [("chain", "pool", chain(3, 12, 27, [
        conv(v - 1, k=(1, 1)), pool((2, 2)),
        conv(v, k=(1, 1)), pool((3, 3), s=(2, 2), p=(1, 1, 1, 1)),
        conv(v + 1, k=(1, 1)), pool((2, 2), ceil=True),
        conv(2 * v + 1, k=(1, 1)), pool((3, 3), s=(1, 1), p=(1, 1, 1, 1)),
        conv(5, k=(1, 1))]))]


GENERATORS = {
    "qu8_conv_minmax_fp32_ukernel": gen_conv,
    "qu8_dwconv_nhwc_minmax_fp32_ukernel": gen_dw,
    "qu8_dwconv_nhwc_4tap_minmax_fp32_ukernel": gen_dw4,
    "u8_maxpool_nhwc_ukernel": gen_pool,
}


def form_base(form):
    """The form's name before its tile and ISA: the generator key."""
    return re.sub(r"(_<MR>x<NR>c<k>)?__.*$", "", form)


def form_regex(form):
    r = re.escape(form).replace(re.escape("<MR>"), r"(\d+)").replace(
        re.escape("<NR>"), r"(\d+)").replace(re.escape("<k>"), r"(\d+)")
    return re.compile(r"^cmx\.node(\d+)\." + r + "$")


def aimed(spec, what):
    """The layers a case aims at the form, in graph order, with their
    output width and channels."""
    if "rows" in spec:
        return [dict(OW=spec["rows"], P=spec["rows"], O=spec["O"])]
    H, W, C, out = spec["H"], spec["W"], spec["C"], []
    for L in spec["layers"]:
        H, W = cm.out_hw(H, W, L)
        kind = "pool" if L.get("pool") else "dw" if L["g"] > 1 else "conv"
        if kind == what:
            out.append(dict(OW=W, P=H * W, O=C if kind == "pool" else L["O"]))
        if not L.get("pool"):
            C = L["O"]
    return out


def node_symbols(obj):
    """The node functions' symbols of an object (their packing phases left out)."""
    syms = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
    names = [l.split()[-1] for l in syms.splitlines() if ".node" in l]
    return [n for n in names if not n.endswith(".pre")]


def unlisted(names, forms):
    """The symbols that no listed form of the target names."""
    rxs = [form_regex(f) for f in forms]
    return [n for n in names if not any(r.match(n) for r in rxs)]


def symbol_problems(names, form, params, spec, what):
    rx = form_regex(form)
    hits = sorted((int(m.group(1)), m.groups()[1:]) for m in (rx.match(n) for n in names) if m)
    layers = aimed(spec, what)
    if len(hits) != len(layers):
        return ["%d node functions are %s, expected %d (the layers aimed at it)" %
                (len(hits), form, len(layers))]
    probs, pix_rest, ch_rest = [], False, False
    for (_, g), L in zip(hits, layers):
        if not g:
            continue
        mr, nrt, k = (int(x) for x in g)
        if k != params["k"] or nrt % params["nr"] or mr * nrt // params["nr"] > params["acc"]:
            probs.append("tile %dx%dc%d does not fit nr=%d k=%d acc=%d" %
                         (mr, nrt, k, params["nr"], params["k"], params["acc"]))
        pix_rest |= L["OW"] % mr != 0
        ch_rest |= L["O"] % nrt != 0
    if hits and hits[0][1]:
        if not pix_rest:
            probs.append("no layer leaves a pixel remainder (OW mod MR)")
        if not ch_rest:
            probs.append("no layer leaves a channel remainder (O mod NR)")
    return probs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    R = cm.Runner(sys.argv[1], sys.argv[2])
    targets = cm.test_targets()
    rows = cm.kernel_rows(R.qcc, targets)
    root = tempfile.mkdtemp(prefix="kernel_matrix.")
    passed = failed = 0
    t0 = time.time()
    try:
        for seed, (t, kernel, form, params) in enumerate(rows):
            gen = GENERATORS.get(form_base(form))
            if not gen:
                continue
            for case, what, spec in gen(params):
                name = "%s_%s_%s" % (form_base(form), t.replace("-", "_"), case)
                fails = cm.check_case(R, name, spec, [t], root, 2000 + seed)
                obj = os.path.join(root, name, "lib_%s_nhwc" % t, cm.NAME + ".o")
                if os.path.exists(obj):
                    names = node_symbols(obj)
                    fails += [("%s symbols" % t, p) for p in
                              symbol_problems(names, form, params, spec, what)]
                    fails += [("%s symbols" % t, "%s is named by no form of the kernel list" % n)
                              for n in unlisted(names, [f for tt, _, f, _ in rows if tt == t])]
                else:
                    fails.append((t, "no object to inspect"))
                if fails:
                    failed += 1
                    for tt, why in fails:
                        print("FAIL %s %s: %s" % (name, tt, why))
                else:
                    passed += 1
                    print("ok %s (%s)" % (name, " ".join("%s=%d" % kv for kv in params.items())))
                sys.stdout.flush()
        listed = {form_base(f) for _, _, f, _ in rows}
        for key in GENERATORS:
            if key not in listed:  # renamed or gone: the matrix would test nothing
                print("FAIL: generator %s matches no form of the kernel list" % key)
                failed += 1
        for key in sorted(listed - set(GENERATORS)):
            print("no matrix (other tests cover it): %s" % key)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("targets: %s; %.0f s" % (", ".join(targets), time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
