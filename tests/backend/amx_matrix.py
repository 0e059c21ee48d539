#!/usr/bin/env python3
"""Edge-case matrix for the AMX tile schedule (kernels_conv_blocked.c,
amx_tile.h).

On a target with AMX tiles, a blocked int8 conv or linear runs on tiles
when it fills one: a kernel row of at least 64 contiguous input bytes
(KW * C, dilation 1 across the row), at least 16 output channels, groups
of at least 16 pixels, and tiles that stay in one output row (row groups)
or rows that wrap by nothing (1x1, stride 1, unpadded; a linear's rows).
Each tile is 32 pixels (two 16-row activation tiles) x 2 blocks of 16
channels, K in 64-byte chunks plus a shorter last chunk; the rest of a
row or group is a smaller tile (a short activation tile), an odd block
count a one-block tile.

The cases below hit those edges: K exactly 64 and 3 x 64 (no last chunk),
K = 96, 144 and 80 (a last chunk of 32, 16, 16 bytes), O = 17 (a block
with one live channel), 40 and 48 (an odd block count), row remainders
of 3 and 8 pixels, a linear whose last group has 2 rows, few pixel groups
cut into 64-channel pieces with a one-block last piece, batch 2, stride
2, fused relu / leaky_relu tables, a tile result stored as its reader's
padded input (the border filled on the tile path) and a tile conv reading
one, and layers that must stay on VNNI (K 48 or 32, a 13-wide row,
dilation 2). `tiles` is how many layers the compile must report on AMX
tiles, worked out by hand from the rule above.

For each case: the int8 interpreter's output (`qcc run --quant=static`)
is the reference; the library compiled for avx512amx-emulated (the tile
schedule in plain IR, any x86-64) must give its bytes on 1 and 2
threads. avx512amx itself runs where the CPU can: natively where
/proc/cpuinfo has amx_tile and amx_int8 (its tile variant must be the one
that runs, and with QCC_NO_AMX=1 the VNNI fallback must), else where it
has avx512_vnni (the library's VNNI variant must run: the CPU has no
tiles), else it says skipped. Every run byte-identical to the reference.

usage: amx_matrix.py QCC QCC_EXEC
"""
import os
import re
import shutil
import sys
import tempfile

import conv_matrix as cm
from conv_matrix import conv

NAME = cm.NAME

CASES = [
    ("t_1x1_c64_o32_p400", 1, dict(N=1, C=64, H=20, W=20, layers=[conv(32, k=(1, 1))])),
    ("t_chain_k96_tail_w19", 1, dict(N=1, C=16, H=6, W=19, layers=[
        conv(32, p=(1, 1, 1, 1), relu=True), conv(32, p=(1, 1, 1, 1), relu="leaky_relu"),
        conv(17, k=(1, 1))])),
    ("t_s2_o17_w37", 1, dict(N=1, C=64, H=7, W=37, layers=[conv(17, s=(2, 2), p=(1, 1, 1, 1))])),
    ("t_lin_r50_k80_o40", 1, dict(rows=50, K=80, O=40, relu=True)),
    ("t_pieces_n2_o130_6x6", 1, dict(N=2, C=128, H=6, W=6, layers=[conv(130, k=(1, 1), relu=True)])),
    ("t_k192_padded_chain_w33", 2, dict(N=1, C=64, H=5, W=33, layers=[
        conv(64, p=(1, 1, 1, 1), relu=True), conv(48, p=(1, 1, 1, 1))])),
    ("t_n2_k144_w40_relu", 2, dict(N=2, C=48, H=4, W=40, layers=[
        conv(64, p=(1, 1, 1, 1), relu=True), conv(16, k=(1, 1))])),
    ("t_stays_vnni_d2_w13", 0, dict(N=1, C=64, H=9, W=13, layers=[
        conv(32, p=(2, 2, 2, 2), d=(2, 2)), conv(32, p=(1, 1, 1, 1))])),
]


def cpu_flags():
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags |= set(line.split(":", 1)[1].split())
    return flags


def runs_for_native(flags):
    """(env, the variant qcc-exec must report) per run of the avx512amx
    library on this CPU, and why none where it cannot run."""
    if {"amx_tile", "amx_int8", "avx512_vnni", "avx512bw"} <= flags:
        return [({}, "avx512amx"), ({"QCC_NO_AMX": "1"}, "avx512vnni")], None
    if {"avx512_vnni", "avx512bw"} <= flags:
        return [({}, "avx512vnni")], None
    return [], "the CPU has neither AMX nor AVX512-VNNI"


def run_env(R, cmd, env):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return R.run(cmd)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_case(R, name, want_tiles, spec, native_runs, root, seed):
    rng = cm.np.random.default_rng(seed)
    d = os.path.join(root, name)
    os.makedirs(d)
    in_shape = cm.write_model(spec, d, rng)
    calib = os.path.join(d, "calib")
    os.makedirs(calib)
    for s in range(2):
        cm.np.save(os.path.join(calib, "s%d.npy" % s), rng.standard_normal(in_shape).astype(cm.np.float32))
    inp = os.path.join(d, "input.npy")
    cm.np.save(inp, rng.standard_normal(in_shape).astype(cm.np.float32))
    model = os.path.join(d, "model.yaml")
    calib_args = ["--quant=static", "--calib", "x=" + calib]
    ref = os.path.join(d, "interp")
    rc, log = R.run([R.qcc, "run", model] + calib_args + ["--input", "x=" + inp, "--output-dir", ref])
    if rc:
        return ["interp: " + log.strip()], 0
    ref_y = os.path.join(ref, "y.npy")
    if len(cm.np.unique(cm.np.load(ref_y))) < 3:
        return ["interp: degenerate reference output"], 0
    fails, runs = [], 0
    plan = [("avx512amx-emulated", {}, None, th) for th in ("1", "2")]
    plan += [("avx512amx", env, variant, "1") for env, variant in native_runs]
    built = {}
    for t, env, variant, th in plan:
        if t not in built:
            od = os.path.join(d, "lib_" + t)
            rc, log = R.run([R.qcc, "compile", model, "-o", od, "--name", NAME, "--target", t] + calib_args)
            built[t] = od if not rc else None
            if rc:
                fails.append("%s: compile failed: %s" % (t, log.strip()[-400:]))
                continue
            fails += ["%s: %s" % (t, p) for p in cm.int8_problems(log, os.path.join(od, NAME + ".report.md"), spec)]
            m = re.search(r"; (\d+) int8 convs? on AMX tiles, (\d+) on VNNI", log)
            got = int(m.group(1)) if m else 0
            if got != want_tiles:
                fails.append("%s: %d layers on AMX tiles, expected %d: %s" % (
                    t, got, want_tiles, log.strip().splitlines()[-1]))
        if not built[t]:
            continue
        eo = os.path.join(d, "out_%s_%s_%s" % (t, th, "_".join(env) or "plain"))
        rc, log = run_env(R, [R.qexec, os.path.join(built[t], "lib%s.so" % NAME), "--input", "x=" + inp,
                              "--output-dir", eo, "--threads", th, "--repeat", "2"], env)
        runs += 1
        what = "%s (%s thread%s%s)" % (t, th, "s" if th != "1" else "",
                                       "".join(", %s=%s" % kv for kv in env.items()))
        if rc:
            fails.append("%s: qcc-exec failed: %s" % (what, log.strip()))
            continue
        if variant and "%s code" % variant not in log:
            fails.append("%s: expected the %s variant to run: %s" % (what, variant, log.strip()))
        why = cm.compare(os.path.join(eo, "y.npy"), ref_y)
        if why:
            fails.append("%s: %s" % (what, why))
    return fails, runs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    R = cm.Runner(sys.argv[1], sys.argv[2])
    native_runs, why_not = runs_for_native(cpu_flags())
    if why_not:
        print("avx512amx: skipped, " + why_not)
    elif len(native_runs) == 1:
        print("avx512amx: the CPU has no AMX tiles; its library's VNNI variant is checked")
    root = tempfile.mkdtemp(prefix="amx_matrix.")
    failed = runs = 0
    try:
        for seed, (name, want_tiles, spec) in enumerate(CASES):
            fails, n = check_case(R, name, want_tiles, spec, native_runs, root, 2000 + seed)
            runs += n
            for f in fails:
                print("FAIL %s %s" % (name, f))
            failed += bool(fails)
            sys.stdout.flush()
    finally:
        if not os.environ.get("AMX_MATRIX_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
    print("%d cases, %d runs, %d failed" % (len(CASES), runs, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
