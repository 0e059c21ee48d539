#!/usr/bin/env python3
"""What u8 activations alone cost the YOLO-style example.

Runs the model in NumPy (float64) on the held-out inputs four ways and
prints the output SQNR against the float run:
  - activations rounded to u8 per tensor, with ranges taken from the
    calibration set (min/max, 0 included) -- everything else float;
  - i8 per-channel weights only;
  - both;
  - activations per channel (ranges per channel from the calibration set),
    on the calibration set itself and on the held-out inputs.
The conv results before batch_norm/activation are not rounded (qcc fuses
the activation into the conv as a table), nor is anything inside an op.
This is the ceiling that per-tensor u8 activations leave for any int8
implementation of this network; compare `qcc run --quant=static --report`.

usage: bench/quant_ceiling.py [examples/yolo_style]
"""
import os
import sys

import numpy as np
import yaml

ACTS = {"silu", "sigmoid", "leaky_relu", "add", "concat", "split",
        "maxpool2d", "resize"}


def load(model_dir):
    m = yaml.safe_load(open(os.path.join(model_dir, "model.yaml")))
    consts = {}
    for k, v in m["constants"].items():
        if "file" in v:
            consts[k] = np.load(os.path.join(model_dir, v["file"])).astype(np.float64)
        else:
            consts[k] = np.array(v["data"], np.float64).reshape(v["shape"])
    calib = np.load(os.path.join(model_dir, "calib.npy"))[:, 0].astype(np.float64)
    inputs = sorted(f for f in os.listdir(os.path.join(model_dir, "inputs")))
    held = np.stack([np.load(os.path.join(model_dir, "inputs", f))[0]
                     for f in inputs]).astype(np.float64)
    return m, consts, calib, held


def conv2d(x, w, b, stride, pad, groups):
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3])))
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (wd + pad[1] + pad[3] - kw) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + stride[0] * oh:stride[0],
                           j:j + stride[1] * ow:stride[1]]
                y[:, g * og:(g + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def pads(a, key="padding"):
    p = a.get(key, [0, 0])
    return p if len(p) == 4 else [p[0], p[1], p[0], p[1]]


def fake_quant(v, lo, hi):
    s = (hi - lo) / 255.0
    s = np.where(s > 0, s, 1.0)
    z = np.round(-lo / s)
    return (np.clip(np.round(v / s) + z, 0, 255) - z) * s


def weight_quant(w):
    s = np.abs(w.reshape(w.shape[0], -1)).max(1) / 127.0
    s = np.where(s > 0, s, 1.0).reshape(-1, *([1] * (w.ndim - 1)))
    return np.clip(np.round(w / s), -127, 127) * s


def run(m, consts, x, acts=None, weights=False, per_channel=False, record=None):
    """acts: tensor -> (lo[c], hi[c]) to round activations to; record: dict
    filled with the per-channel ranges seen."""
    env = {m["inputs"][0]["name"]: x}

    def act(name, v):
        if record is not None:
            record[name] = (np.minimum(v.min(axis=(0, 2, 3)), 0),
                            np.maximum(v.max(axis=(0, 2, 3)), 0))
        if acts is None:
            return v
        lo, hi = acts[name]
        if per_channel:
            return fake_quant(v, lo[None, :, None, None], hi[None, :, None, None])
        return fake_quant(v, lo.min(), hi.max())

    env[m["inputs"][0]["name"]] = act("<input>", x)
    for n in m["nodes"]:
        op, a = n["op"], n.get("attrs", {})
        ins = [env[i] if i in env else consts[i] for i in n["inputs"]]
        if op == "conv2d":
            w = weight_quant(ins[1]) if weights else ins[1]
            y = conv2d(ins[0], w, ins[2] if len(ins) > 2 else None,
                       a.get("stride", [1, 1]), pads(a), a.get("groups", 1))
        elif op == "batch_norm":
            g, b, mu, var = (t[None, :, None, None] for t in ins[1:])
            y = (ins[0] - mu) / np.sqrt(var + a.get("eps", 1e-5)) * g + b
        elif op == "silu":
            y = ins[0] / (1 + np.exp(-ins[0]))
        elif op == "sigmoid":
            y = 1 / (1 + np.exp(-ins[0]))
        elif op == "leaky_relu":
            y = np.where(ins[0] >= 0, ins[0], a.get("alpha", 0.01) * ins[0])
        elif op == "add":
            y = ins[0] + ins[1]
        elif op == "concat":
            y = np.concatenate(ins, axis=a.get("axis", 1))
        elif op == "split":
            sizes = a["sizes"]
            parts = np.split(ins[0], np.cumsum(sizes)[:-1], axis=a.get("axis", 1))
            for name, part in zip(n["outputs"], parts):
                env[name] = act(name, part)
            continue
        elif op == "maxpool2d":
            k, s, p = a["kernel"], a.get("stride", a["kernel"]), pads(a)
            xp = np.pad(ins[0], ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])),
                        constant_values=-np.inf)
            oh = (ins[0].shape[2] + p[0] + p[2] - k[0]) // s[0] + 1
            ow = (ins[0].shape[3] + p[1] + p[3] - k[1]) // s[1] + 1
            y = np.full(ins[0].shape[:2] + (oh, ow), -np.inf)
            for i in range(k[0]):
                for j in range(k[1]):
                    y = np.maximum(y, xp[:, :, i:i + s[0] * oh:s[0],
                                         j:j + s[1] * ow:s[1]])
        elif op == "resize" and a.get("mode", "nearest") == "nearest":
            f = [int(v) for v in a["scale"]]
            y = ins[0].repeat(f[0], axis=2).repeat(f[1], axis=3)
        else:
            sys.exit("quant_ceiling.py: op %s is not simulated" % op)
        env[n["outputs"][0]] = act(n["outputs"][0], y) if op in ACTS else y
    return [env[o] for o in m["outputs"]]


def sqnr(out, ref):
    s = sum((r ** 2).sum() for r in ref)
    e = sum(((o - r) ** 2).sum() for o, r in zip(out, ref))
    return 10 * np.log10(s / e)


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "examples", "yolo_style")
    m, consts, calib, held = load(model_dir)
    ranges = {}
    run(m, consts, calib, record=ranges)
    ref_h = run(m, consts, held)
    ref_c = run(m, consts, calib)
    rows = [
        ("u8 activations per tensor", "held-out",
         sqnr(run(m, consts, held, acts=ranges), ref_h)),
        ("i8 weights per channel", "held-out",
         sqnr(run(m, consts, held, weights=True), ref_h)),
        ("both", "held-out",
         sqnr(run(m, consts, held, acts=ranges, weights=True), ref_h)),
        ("u8 activations per channel", "calibration",
         sqnr(run(m, consts, calib, acts=ranges, per_channel=True), ref_c)),
        ("u8 activations per channel", "held-out",
         sqnr(run(m, consts, held, acts=ranges, per_channel=True), ref_h)),
    ]
    print("%s: output SQNR of simulated rounding (NumPy, float64)" % m["name"])
    print("%-30s %-12s %8s" % ("rounded", "inputs", "SQNR dB"))
    for what, on, v in rows:
        print("%-30s %-12s %8.2f" % (what, on, v))


if __name__ == "__main__":
    main()
