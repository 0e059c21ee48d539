#!/usr/bin/env python3
"""Quantize near rounding ties, compiled against NumPy and the interpreter.

backend/kernels_elementwise.c quantizes 16 lanes at a time with
m = x * fl(1/s) and falls back to the division x / s (the contract) for a
vector with any lane within 2^-10 of a half-integer. This test aims at that
argument: inputs within a few ulps of (n + 0.5) * s for every n that the
clamp does not swallow, of n * s, around 0 and the clamp bounds, very large,
tiny and subnormal values, and random ones, for several scales and zero
points, u8 and i8. The tensor's size is not a multiple of 16 (the scalar
tail) and it also runs on 2 threads (chunk bounds inside a vector).

The expected codes come from NumPy, independently: clip(rint(float32(x) /
float32(s)) + z) in float32 arithmetic, which is what docs/quantization.md
says. The int8 interpreter (`qcc run`) and every target's library
(`qcc-exec`: generic, avx2, avx512vnni-emulated, and avx512vnni where the CPU
has it) must give exactly those codes; each graph dequantizes them, and the
dequantized f32 values identify the code, so the output files must be
byte-identical too.

usage: quantize_ties.py QCC QCC_EXEC
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SHAPE = (1, 3, 37, 29)  # 3219 elements: 201 vectors of 16 and a tail of 3
# (scale, zero point, dtype)
PARAMS = [(0.0137, 37, "u8"), (0.1, 0, "u8"), (1.0 / 3.0, 128, "u8"),
          (0.00390625, 255, "u8"), (2.7e-5, 10, "u8"), (123.456, 3, "u8"),
          (0.05, 0, "i8"), (0.0071, -20, "i8")]


def inputs(s, z, lo, hi, rng):
    s32 = np.float32(s)
    vals = []
    for n in range(lo - z - 3, hi - z + 4):
        for centre in (np.float32(n + 0.5) * s32, np.float32(n) * s32):
            v = centre
            for _ in range(6):
                vals.append(v)
                v = np.nextafter(v, np.float32(np.inf), dtype=np.float32)
            v = centre
            for _ in range(6):
                v = np.nextafter(v, np.float32(-np.inf), dtype=np.float32)
                vals.append(v)
    vals += [0.0, -0.0, 1e-45, -1e-45, 1e-38, 3e38, -3e38, 1e30, -1e30]
    a = np.array(vals, np.float32)
    n = int(np.prod(SHAPE))
    rest = n - a.size % n if a.size % n else 0
    a = np.concatenate([a, (rng.standard_normal(rest) * s * (hi - lo)).astype(np.float32)])
    return a.reshape(-1, *SHAPE[1:])  # one or more batches of the shape


def expected(x, s, z, lo, hi):
    with np.errstate(over="ignore"):  # 3e38 / s is inf, which clamps
        q = np.rint(x.astype(np.float32) / np.float32(s)).astype(np.float64) + z
    return np.clip(q, lo, hi).astype(np.int32)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (r.stdout + r.stderr).strip()[-400:]))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    qcc, qexec = sys.argv[1:]
    targets = ["generic", "avx2", "avx512vnni-emulated"]
    flags = open("/proc/cpuinfo").read()
    if " avx512_vnni" in flags and " avx512bw" in flags:
        targets.append("avx512vnni")
    else:
        print("avx512vnni: skipped, the CPU lacks avx512_vnni")
    rng = np.random.default_rng(7)
    root = tempfile.mkdtemp(prefix="quantize_ties.")
    passed = failed = 0
    for pi, (s, z, dt) in enumerate(PARAMS):
        lo, hi = (0, 255) if dt == "u8" else (-128, 127)
        x = inputs(s, z, lo, hi, rng)
        d = os.path.join(root, "p%d" % pi)
        os.makedirs(d)
        for b in range(x.shape[0]):
            xb = x[b:b + 1]
            np.save(os.path.join(d, "x%d.npy" % b), xb)
        shape = ", ".join(str(v) for v in SHAPE)
        with open(os.path.join(d, "m.qir"), "w") as f:
            f.write("graph @qt {\n  input %%x : f32[%s]\n"
                    "  %%xq = quantize \"q\" (%%x) : %s[%s] !q.uniform<%s:f32, %r:%d>\n"
                    "  %%y = dequantize \"dq\" (%%xq) : f32[%s]\n  output %%y\n}\n"
                    % (shape, dt, shape, dt, float(np.float32(s)), z, shape))
        for t in targets:
            run([qcc, "compile", os.path.join(d, "m.qir"), "-o", os.path.join(d, t), "--target", t])
        problems = []
        for b in range(x.shape[0]):
            xin = os.path.join(d, "x%d.npy" % b)
            want = expected(x[b:b + 1], s, z, lo, hi)
            ref = os.path.join(d, "ref%d" % b)
            run([qcc, "run", os.path.join(d, "m.qir"), "--input", "x=" + xin, "--output-dir", ref])
            ref_y = np.load(os.path.join(ref, "y.npy"))
            got_q = np.rint(ref_y.astype(np.float64) / np.float32(s)).astype(np.int64) + z
            if not np.array_equal(got_q, want):
                i = np.flatnonzero(got_q.reshape(-1) != want.reshape(-1))[0]
                problems.append("interpreter: x=%r gives %d, NumPy %d"
                                % (float(x[b].reshape(-1)[i]), got_q.reshape(-1)[i], want.reshape(-1)[i]))
            for t in targets:
                for th in (["1", "2"] if t == "avx2" else ["1"]):
                    out = os.path.join(d, "%s_%s_%d" % (t, th, b))
                    run([qexec, os.path.join(d, t, "libqt.so"), "--threads", th,
                         "--input", "x=" + xin, "--output-dir", out])
                    y = np.load(os.path.join(out, "y.npy"))
                    if open(os.path.join(out, "y.npy"), "rb").read() != open(os.path.join(ref, "y.npy"), "rb").read():
                        i = np.flatnonzero(y.reshape(-1) != ref_y.reshape(-1))
                        k = i[0] if i.size else 0
                        problems.append("%s %s threads: x=%r gives %r, interpreter %r"
                                        % (t, th, float(x[b].reshape(-1)[k]), float(y.reshape(-1)[k]),
                                           float(ref_y.reshape(-1)[k])))
        name = "s=%g z=%d %s (%d inputs)" % (s, z, dt, x.size)
        if problems:
            failed += 1
            for p in problems[:5]:
                print("FAIL %s: %s" % (name, p))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))


if __name__ == "__main__":
    main()
