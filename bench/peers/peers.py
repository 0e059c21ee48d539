#!/usr/bin/python3
"""qcc against its peers on this machine: the driver behind bench/peers.sh.

Prepares (into a scratch folder, build-peers/work by default) the six
YOLO-style conv layers as one-conv models, yolo_style and the two real
detectors; compiles them with qcc (int8, calibrated, and f32; target avx2,
and native where the CPU has AVX512-VNNI); builds ONNX Runtime's f32,
QLinearConv and QDQ models; builds the C harness (peers.c). Then runs
ROUNDS rounds, each one process per contender group, the groups' order
rotating per round:

  qcc + oneDNN, oneDNN's default ISA, and the peak microbenchmark  (peers.c)
  oneDNN capped with ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI            (peers.c; CPUs with it)
  oneDNN capped with ONEDNN_MAX_CPU_ISA=AVX2                        (peers.c)
  ONNX Runtime                                                      (ort_bench.js)

and prints one table per section and thread count: CPU-time median (1
thread: over every timed run of the 3 rounds) or the minimum over rounds
of the per-round wall-time median (2 threads), the spread of the round
medians, G MAC/s, % of the measured peak and qcc's time over each peer's.
A 2-thread repetition pauses 2 ms (so the previous contender's spinning
threads fall asleep), calls the contender once, timed apart as its first
call after idling, then times the call that follows: the steady state
that the 1-thread contenders, called back to back, are measured in.

usage: bench/peers.sh [--rounds 3] [--runs 20] [--warmup 5] [--quick] [--fresh]
                      [--work DIR] [--raw FILE] [--report-only]
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import models  # noqa: E402

QCC = os.path.join(ROOT, "build", "qcc")
QEXEC = os.path.join(ROOT, "build", "qcc-exec")
SHARED = os.environ.get("QCC_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
PY = "/usr/bin/python3"   # Debian's, with python3-onnx and numpy

DETECTORS = {   # name: (ONNX folder, preprocessing recipe file, calibration photos)
    "tiny_face_detector": ("tiny_face_detector", "tiny_face.recipe",
                           ["chelsea.png", "coffee.png", "rocket.jpg", "text.png"]),
    "nanodet_g": ("nanodet_g", "nanodet.recipe",
                  ["chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg"]),
}
NA_VNNI = "n/a: CPU lacks avx512_vnni"


def log(msg):
    print("peers: " + msg, file=sys.stderr, flush=True)


def sh(cmd, env=None, quiet=True):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit("peers: failed: %s\n%s%s" % (" ".join(cmd), r.stdout[-3000:], r.stderr[-3000:]))
    return r.stdout


def cpu_flags():
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def file_hash(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(p.encode())
        if os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def write_bin(npy, out):
    np.ascontiguousarray(np.load(npy), np.float32).tofile(out)


# ---- preparation --------------------------------------------------------

def compile_qcc(yaml_path, out, name, target, calib=None):
    cmd = [QCC, "compile", yaml_path, "-o", out, "--name", name, "--target", target]
    if calib:
        cmd += ["--quant=static", "--calib", calib]
    sh(cmd)
    return os.path.join(out, "lib%s.so" % name)


def ort_qdq(onnx_path, out, inp, calib_dir, work):
    sh([PY, os.path.join(ROOT, "bench", "ort_qdq.py"), onnx_path, out, "--calib",
        "%s=%s" % (inp, calib_dir), "--per-channel"])


def prepare(work, targets, quick):
    """Everything the rounds need; returns the plan (cases, MACs, files)."""
    plan = {"layers": [], "models": [], "targets": [t for t, _ in targets]}
    layers = models.LAYERS[:2] if quick else models.LAYERS
    for name, c, o, k, s, h in layers:
        d = os.path.join(work, "layers", name)
        log("layer (%s): model, qcc compiles, ONNX models" % name)
        macs = models.write_layer(d, name, c, o, k, s, h)
        p, oh, _ = models.layer_geometry(c, o, k, s, h)
        write_bin(os.path.join(d, "input.npy"), os.path.join(d, "input.bin"))
        qlibs = {}
        for label, t in targets:
            qlibs[("int8", label)] = (compile_qcc(os.path.join(d, "model.yaml"), os.path.join(d, "i8_" + label),
                                                  "l%s_i8_%s" % (name, label), t,
                                                  "x=" + os.path.join(d, "calib.npy")), "l%s_i8_%s" % (name, label))
            qlibs[("f32", label)] = (compile_qcc(os.path.join(d, "model.yaml"), os.path.join(d, "f32_" + label),
                                                 "l%s_f32_%s" % (name, label), t), "l%s_f32_%s" % (name, label))
        ort_qdq(os.path.join(d, "model.onnx"), os.path.join(d, "qdq.onnx"), "x", os.path.join(d, "calib"), d)
        models.qlinear_from_qdq(os.path.join(d, "qdq.onnx"), os.path.join(d, "qlinear.onnx"),
                                os.path.join(d, "input.npy"), os.path.join(d, "input_u8.npy"))
        plan["layers"].append({
            "case": name, "macs": macs, "input_bin": os.path.join(d, "input.bin"),
            "desc": "(%s) %d->%d %dx%d%s @%d^2" % (name, c, o, k, k, "/%d" % s if s > 1 else "", h),
            "dnnl": [1, c, h, h, o, k, k, s, s, p, p],
            "qcc": {"%s %s" % k_: v for k_, v in qlibs.items()},
            "ort": [("ort-f32", os.path.join(d, "model.onnx"), "x", os.path.join(d, "input.npy")),
                    ("ort-qlinearconv", os.path.join(d, "qlinear.onnx"), None, os.path.join(d, "input_u8.npy")),
                    ("ort-qdq", os.path.join(d, "qdq.onnx"), "x", os.path.join(d, "input.npy"))],
        })

    # whole models: yolo_style, then the two detectors
    wholes = []
    ex = os.path.join(ROOT, "examples", "yolo_style")
    d = os.path.join(work, "models", "yolo_style")
    os.makedirs(os.path.join(d, "calib"), exist_ok=True)
    log("yolo_style: ONNX export, calibration set, qcc compiles")
    inp, _ = models.yaml_to_onnx(os.path.join(ex, "model.yaml"), os.path.join(d, "model.onnx"))
    cal = np.load(os.path.join(ex, "calib.npy"))[:8]
    np.save(os.path.join(d, "calib.npy"), cal)
    for i, x in enumerate(cal):
        np.save(os.path.join(d, "calib", "%03d.npy" % i), x)
    shutil.copy(os.path.join(ex, "inputs", "images_0.npy"), os.path.join(d, "input.npy"))
    wholes.append(("yolo_style", os.path.join(ex, "model.yaml"), d, inp))
    for m, (folder, recipe_file, photos) in ([] if quick else DETECTORS.items()):
        src = os.path.join(SHARED, "models", folder)
        d = os.path.join(work, "models", m)
        os.makedirs(os.path.join(d, "calib"), exist_ok=True)
        log("%s: qcc import, calibration set (%d photos), qcc compiles" % (m, len(photos)))
        sh([QCC, "import", os.path.join(src, "model.onnx"), "-o", os.path.join(d, "model.yaml")])
        shutil.copy(os.path.join(src, "model.onnx"), os.path.join(d, "model.onnx"))
        recipe = open(os.path.join(ROOT, "examples", "detectors", recipe_file)).read().strip()
        import onnx
        inp = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False).graph.input[0].name
        lib = compile_qcc(os.path.join(d, "model.yaml"), os.path.join(d, "prep"), "prep", "avx2")
        cal = []
        for i, ph in enumerate(photos):
            o = os.path.join(d, "prep_out")
            sh([QEXEC, lib, "--input", "%s=%s" % (inp, os.path.join(SHARED, "images", ph)), "--preprocess",
                recipe, "--output-dir", o, "--save-inputs"])
            shutil.copy(os.path.join(o, inp + ".input.npy"), os.path.join(d, "calib", "%03d.npy" % i))
            cal.append(np.load(os.path.join(d, "calib", "%03d.npy" % i)))
        np.save(os.path.join(d, "calib.npy"), np.stack(cal))
        ref = [f for f in sorted(os.listdir(os.path.join(src, "reference"))) if f.endswith("_input.npy")][0]
        shutil.copy(os.path.join(src, "reference", ref), os.path.join(d, "input.npy"))
        wholes.append((m, os.path.join(d, "model.yaml"), d, inp))
    for m, yaml_path, d, inp in wholes:
        qlibs = {}
        for label, t in targets:
            log("%s: qcc int8 and f32 for %s" % (m, label))
            nm = re.sub(r"\W", "_", m)
            qlibs["int8 " + label] = (compile_qcc(yaml_path, os.path.join(d, "i8_" + label), "%s_i8_%s" % (nm, label),
                                                  t, "%s=%s" % (inp, os.path.join(d, "calib.npy"))),
                                      "%s_i8_%s" % (nm, label))
            qlibs["f32 " + label] = (compile_qcc(yaml_path, os.path.join(d, "f32_" + label), "%s_f32_%s" % (nm, label), t),
                                     "%s_f32_%s" % (nm, label))
        log("%s: ONNX Runtime QDQ model (calibrated on the same samples)" % m)
        ort_qdq(os.path.join(d, "model.onnx"), os.path.join(d, "qdq.onnx"), inp, os.path.join(d, "calib"), d)
        write_bin(os.path.join(d, "input.npy"), os.path.join(d, "input.bin"))
        macs = int(re.search(r"MACs: (\d+)", sh([QCC, "check", yaml_path])).group(1))
        shape = "x".join(str(v) for v in np.load(os.path.join(d, "input.npy")).shape[2:])
        plan["models"].append({
            "case": m, "macs": macs, "input_bin": os.path.join(d, "input.bin"), "desc": "%s @%s" % (m, shape),
            "qcc": qlibs,
            "ort": [("ort-f32", os.path.join(d, "model.onnx"), inp, os.path.join(d, "input.npy")),
                    ("ort-qdq", os.path.join(d, "qdq.onnx"), inp, os.path.join(d, "input.npy"))],
        })
    return plan


def write_specs(plan, work):
    """The harnesses' inputs: cases.tsv (peers.c) and ort.json (ort_bench.js)."""
    lines, ort = [], []
    for c in plan["layers"] + plan["models"]:
        for label, (lib, prefix) in c["qcc"].items():
            lines.append("\t".join(["qcc", c["case"], "qcc-" + label.replace(" ", "-"), lib, prefix, c["input_bin"]]))
        if "dnnl" in c:
            lines.append("\t".join(["dnnl", c["case"]] + [str(v) for v in c["dnnl"]]))
        cons = []
        for name, model, inp, data in c["ort"]:
            if inp is None:   # QLinearConv: its input is the quantized tensor
                import onnx
                inp = onnx.load(model).graph.input[0].name
            cons.append({"name": name, "model": model, "input": inp, "data": data})
        ort.append({"case": c["case"], "contenders": cons})
    with open(os.path.join(work, "cases.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(work, "ort.json"), "w") as f:
        json.dump(ort, f, indent=1)


def build_harness(work):
    exe = os.path.join(work, "peers")
    sh(["cc", "-O2", "-Wall", "-fopenmp", os.path.join(HERE, "peers.c"), "-I", os.path.join(ROOT, "runtime"),
        os.path.join(ROOT, "build", "libqcc_runtime.a"), "-ldnnl", "-ldl", "-lpthread", "-o", exe])
    return exe


# ---- rounds -------------------------------------------------------------

def groups(work, exe, flags, args):
    """(name, command, extra environment) per process of one round."""
    cases = os.path.join(work, "cases.tsv")
    base = ["--warmup", str(args.warmup), "--threads", "1,2"]
    g = [("qcc+oneDNN default", [exe, cases, "--label", "default", "--peak"] + base, {})]
    if "avx512_vnni" in flags:
        g.append(("oneDNN AVX512_CORE_VNNI", [exe, cases, "--label", "AVX512_CORE_VNNI", "--no-qcc"] + base,
                  {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"}))
    g.append(("oneDNN AVX2", [exe, cases, "--label", "AVX2", "--no-qcc"] + base, {"ONEDNN_MAX_CPU_ISA": "AVX2"}))
    g.append(("ONNX Runtime", ["node", os.path.join(HERE, "ort_bench.js"), os.path.join(work, "ort.json")] + base, {}))
    return g


def run_rounds(work, exe, flags, args, raw):
    gs = groups(work, exe, flags, args)
    # oneDNN's choice, from ONEDNN_VERBOSE=1 on one call of each primitive
    impls = {}
    for name, cmd, env in gs:
        if "oneDNN" not in name and "qcc" not in name:
            continue
        e = dict(os.environ, ONEDNN_VERBOSE="1", **env)
        out = sh([c for c in cmd if c != "--peak"] + ["--probe", "--no-qcc"], env=e)
        cur, isa = None, "?"
        for line in out.splitlines():
            if line.startswith("I\tprobe\t"):
                cur = tuple(line.split("\t")[2:5])
            elif line.startswith("onednn_verbose,info,cpu,isa:"):
                isa = line.split("isa:", 1)[1].strip()
            elif line.startswith("onednn_verbose,exec,cpu,convolution,") and cur:
                f = line.split(",")
                alg = next((x for x in f if x.startswith("alg:")), "alg:?")[4:]
                impls[cur] = "%s (%s)" % (f[4], alg.replace("convolution_", ""))
                cur = None
        raw.write("I\tisa\t%s\t%s\n" % (cmd[cmd.index("--label") + 1], isa))
    for k, v in impls.items():
        raw.write("I\tverbose_impl\t%s\t%s\t%s\t%s\n" % (k + (v,)))
    raw.write("I\tparams\t%d\t%d\t%d\n" % (args.rounds, args.runs, args.warmup))
    raw.write("I\tdate\t%s\n" % datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
    for r in range(1, args.rounds + 1):
        for i in range(len(gs)):
            name, cmd, env = gs[(i + r - 1) % len(gs)]
            runs = args.runs
            log("round %d/%d: %s" % (r, args.rounds, name))
            cmd = cmd + ["--round", str(r), "--runs", str(runs)]
            e = dict(os.environ, **env)
            e.setdefault("OMP_NUM_THREADS", "2")
            out = sh(cmd, env=e)
            raw.write(out)
            raw.flush()


# ---- report -------------------------------------------------------------

def load(raw_path):
    """Timed calls (T), 2-thread first calls after the pause (C, kept under
    the key's 4th element "cold"), peaks and information records."""
    t, peaks, info = {}, {}, []
    for line in open(raw_path):
        f = line.rstrip("\n").split("\t")
        if f[0] in ("T", "C"):
            key = (f[2], f[3], int(f[4])) + (("cold",) if f[0] == "C" else ())
            t.setdefault(key, {}).setdefault(int(f[1]), []).append((int(f[5]), int(f[6])))
        elif f[0] == "P":
            if f[4] != "n/a":
                k = (f[2], int(f[3]))
                peaks[k] = max(peaks.get(k, 0.0), float(f[4]))
            else:
                peaks.setdefault((f[2], int(f[3])), f[5])
        elif f[0] == "I":
            info.append(f[1:])
    return t, peaks, info


def stat(rounds, threads):
    """(ms, spread, round medians in ms): 1 thread: median CPU time over all
    runs; 2 threads: the lowest per-round median wall time. spread:
    (max - min) / median of the per-round medians."""
    col = 0 if threads == 1 else 1
    med = {r: statistics.median(v[col] for v in runs) / 1e6 for r, runs in rounds.items()}
    if threads == 1:
        val = statistics.median(v[col] for runs in rounds.values() for v in runs) / 1e6
    else:
        val = min(med.values())
    return val, spread_of(list(med.values())), med


def spread_of(meds):
    return (max(meds) - min(meds)) / statistics.median(meds) if len(meds) > 1 else 0.0


INT8_PEAKS = ["avx512vnni_vpdpbusd_zmm_int8", "avxvnni_vpdpbusd_ymm_int8"]
AVX2_INT8_PEAKS = ["vpmaddubsw_vpmaddwd_vpaddd_ymm_int8", "vpmaddwd_vpaddd_ymm_int8"]
PEAK_ORDER = ["fma_ymm_f32", "fma_zmm_f32"] + AVX2_INT8_PEAKS[::-1] + INT8_PEAKS[::-1]


def peak_of(peaks, kind, threads):
    """The machine's measured peak for int8 or f32 (MAC/s) and its kernel:
    the widest ISA measured; on AVX2 alone the better of its two steps."""
    got = lambda n: peaks.get((n, threads)) if isinstance(peaks.get((n, threads)), float) else None
    groups = [[n] for n in INT8_PEAKS] + [AVX2_INT8_PEAKS] if kind == "int8" else [["fma_zmm_f32"], ["fma_ymm_f32"]]
    for g in groups:
        have = [n for n in g if got(n)]
        if have:
            best = max(have, key=got)
            return got(best), best
    return None, "n/a"


def contenders(section, targets, flags):
    """Row order and labels: (key, label, kind) with key None for n/a rows."""
    rows = []
    all_t = ["avx2", "avx512vnni"]
    for prec in ("int8", "f32"):
        for t in all_t:
            key = "qcc-%s-%s" % (prec, t)
            rows.append((key if t in targets else None, "qcc %s %s" % (prec, t), prec,
                         None if t in targets else NA_VNNI))
        if section == "layers":
            caps = ["default", "AVX512_CORE_VNNI", "AVX2"]
            for cap in caps:
                have = cap != "AVX512_CORE_VNNI" or "avx512_vnni" in flags
                rows.append(("dnnl-%s@%s" % (prec, cap) if have else None, "oneDNN %s %s" % (prec, cap), prec,
                             None if have else NA_VNNI))
        else:
            rows.append((None, "oneDNN %s" % prec, prec, "n/a: oneDNN is a primitive library, no model runtime"))
        if prec == "int8":
            if section == "layers":
                rows.append(("ort-qlinearconv", "ORT int8 QLinearConv", "int8", None))
            else:
                rows.append((None, "ORT int8 QLinearConv", "int8",
                             "n/a: no QOperator model; ORT fuses the QDQ model below into QLinearConv itself"))
            rows.append(("ort-qdq", "ORT int8 QDQ", "int8", None))
        else:
            rows.append(("ort-f32", "ORT f32", "f32", None))
    return rows


def kernel_list():
    """(target, form regex, params) of every tiled form of `qcc kernels`."""
    out = subprocess.run([QCC, "kernels", "--format=tsv"], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[1:]:
        t, _, form, params, _ = line.split("\t")
        if "<MR>" in form:
            rx = re.escape(form)
            for ph in ("<MR>", "<NR>", "<k>"):
                rx = rx.replace(re.escape(ph), r"\d+")
            rows.append((t, re.compile(r"^[^.]+\.node\d+\.(" + rx + ")$"), params))
    return rows


def layer_kernels(lib, name, klist):
    """The listed tiled kernels a qcc library's conv runs, from its
    object's node symbols: "form (params)", ... ."""
    obj = os.path.join(os.path.dirname(lib), name + ".o")
    if not os.path.exists(obj):
        return "?"
    syms = subprocess.run(["nm", obj], capture_output=True, text=True).stdout.split()
    got = []
    for sym in syms:
        for _, rx, params in klist:
            m = rx.match(sym)
            if m and m.group(1) not in [g for g, _ in got]:
                got.append((m.group(1), params))
    return ", ".join("%s (%s)" % g for g in got) or "none of the list's tiled forms"


def report(raw_path, plan, flags, args, out=sys.stdout):
    t, peaks, info = load(raw_path)
    targets = plan["targets"]
    klist = kernel_list()  # the backend's kernel list, to name each layer's tile
    w = out.write
    par = next((f for f in info if f[0] == "params"), None)
    if par:
        args.rounds, args.runs, args.warmup = int(par[1]), int(par[2]), int(par[3])
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    rel = [x for x in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8") if x in flags]
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    w("bench/peers.sh, %s: %s, %d CPUs, flags %s; qcc %s (git HEAD), oneDNN %s, ONNX Runtime %s\n" % (
        next((f[1] for f in info if f[0] == "date"), "?"), model, os.cpu_count(), " ".join(rel), commit,
        next((f[1] for f in info if f[0] == "dnnl_version"), "?"),
        next((f[1] for f in info if f[0] == "ort_version"), "?")))
    w("qcc targets compiled: %s%s\n\n" % (", ".join(targets),
      "" if "avx512vnni" in targets else " (avx512vnni: n/a, the CPU lacks avx512_vnni)"))
    impl = {}
    for f in info:
        if f[0] == "verbose_impl":
            impl[(f[1], f[2], int(f[3]))] = f[4]
        elif f[0] == "impl":
            impl.setdefault((f[1], f[2], int(f[3])), f[4])
    isa = {f[1]: f[2] for f in info if f[0] == "isa"}
    ortv = next((f[1] for f in info if f[0] == "ort_version"), "?")

    w("contenders, and what one timed call includes:\n"
      "  qcc int8/f32     <name>_run (1 thread) / <name>_run_parallel on qcc_threadpool (2): f32 NCHW in and out,\n"
      "                   so int8 includes quantizing the input and the f32 output stage\n"
      "  oneDNN           the convolution primitive alone (C API), its preferred layouts (format_tag any), no\n"
      "                   reorders; int8: u8 src, s8 weights, f32 bias, per-channel output scales, f32 dst;\n"
      "                   OpenMP threads; default ISA and capped with ONEDNN_MAX_CPU_ISA, one process per cap\n"
      "  ORT f32          ONNX Runtime (onnxruntime-node, CPU EP, graph optimization 'all'), the Conv model\n"
      "  ORT QLinearConv  u8 in, u8 out, one QLinearConv node (kernel only, like oneDNN)\n"
      "  ORT QDQ          f32 in and out (like qcc int8): Q, then DQ-Conv-Q fused by ORT into QLinearConv, then DQ;\n"
      "                   u8 activations, per-channel i8 weights (bench/ort_qdq.py --per-channel), same samples\n"
      "  ORT times include onnxruntime-node's per-call binding; intra_op_num_threads 1 or 2\n\n")
    w("== peak microbenchmark (peers.c; 16 independent chains, 15 for the AVX2 integer steps whose\n"
      "   product needs one of the 16 ymm registers; best of 3 tries (2 threads: 7 shorter ones) x %d rounds), G MAC/s\n" % args.rounds)
    names = sorted({k[0] for k in peaks}, key=PEAK_ORDER.index)
    w("%-38s %12s %12s\n" % ("kernel", "1 thread", "2 threads"))
    for n in names:
        v = [peaks.get((n, th)) for th in (1, 2)]
        if not any(isinstance(x, float) for x in v):
            w("%-38s  n/a: %s\n" % (n, v[0]))
        else:
            w("%-38s %s\n" % (n, " ".join("%12.1f" % (x / 1e9) if isinstance(x, float) else "%12s" % "n/a" for x in v)))
    for th in (1, 2):
        p8, n8 = peak_of(peaks, "int8", th)
        p32, n32 = peak_of(peaks, "f32", th)
        w("peak used for %%: %d thread%s: int8 %s (%s), f32 %s (%s)\n" % (
            th, "s" if th > 1 else "", "%.1f" % (p8 / 1e9) if p8 else "n/a", n8,
            "%.1f" % (p32 / 1e9) if p32 else "n/a", n32))
    w("oneDNN ISA by cap (ONEDNN_VERBOSE): %s; ONNX Runtime %s (onnxruntime-node, CPU EP)\n"
      % (", ".join("%s: %s" % kv for kv in isa.items()), ortv))

    for section, cases in (("layers", plan["layers"]), ("models", plan["models"])):
        if not cases:
            continue
        rows = contenders(section, targets, flags)
        for th in (1, 2):
            runs = args.runs
            w("\n== %s, %d thread%s: %s, %d rounds x %d runs after %d warm-up\n" % (
                "the six YOLO-style conv layers (batch 1)" if section == "layers" else "whole models (batch 1)",
                th, "s" if th > 1 else "",
                "CPU-time median over all runs (CLOCK_THREAD_CPUTIME_ID; ORT: process CPU time)" if th == 1
                else "lowest per-round median of wall time (CLOCK_MONOTONIC); each timed call follows a 2 ms\n"
                "   pause and one call of the same contender (steady state; the first calls are in the last table)",
                args.rounds, runs, args.warmup))
            w("   spread: (max - min) / median of the %d round medians; qcc/x: qcc's time over x's (> 1: qcc slower)\n"
              % args.rounds)
            p8, _ = peak_of(peaks, "int8", th)
            p32, _ = peak_of(peaks, "f32", th)
            head = "  %-29s %9s %7s %8s %7s" % ("contender", "ms", "spread", "GMAC/s", "%peak")
            for tt in targets:
                head += " %14s" % ("qcc %s/x" % tt)
            sum_rows = section == "layers" and len(cases) > 1
            for c in cases + ([{"case": "all", "macs": sum(x["macs"] for x in cases),
                                "desc": "all %d layers (sum of the times above)" % len(cases)}] if sum_rows else []):
                w("%s  [%.1f M MAC]\n" % (c["desc"], c["macs"] / 1e6))
                w(head + "\n")
                vals = {}
                for key, label, prec, na in rows:
                    if key is None:
                        continue
                    if c["case"] == "all":
                        if all((x["case"], key, th) in t for x in cases):
                            st = [stat(t[(x["case"], key, th)], th) for x in cases]
                            per_round = [sum(m[2][r] for m in st) for r in st[0][2]]
                            vals[key] = (sum(m[0] for m in st), spread_of(per_round))
                    elif (c["case"], key, th) in t:
                        vals[key] = stat(t[(c["case"], key, th)], th)[:2]
                for key, label, prec, na in rows:
                    if key is None or key not in vals:
                        w("  %-29s %s\n" % (label, na or "n/a: not measured"))
                        continue
                    ms, sp = vals[key]
                    gm = c["macs"] / (ms * 1e-3) / 1e9
                    pk = p8 if prec == "int8" else p32
                    line = "  %-29s %9.3f %6.1f%% %8.1f %6.1f%%" % (label, ms, 100 * sp, gm,
                                                                   100 * gm * 1e9 / pk if pk else float("nan"))
                    for tt in targets:
                        q = "qcc-%s-%s" % (prec, tt)
                        line += " %14s" % ("%.2f" % (vals[q][0] / ms) if q in vals and q != key else "")
                    if c["case"] != "all" and key.startswith("dnnl"):
                        im = impl.get((c["case"], key, th), "?")
                        line += "   " + im
                    w(line + "\n")
                if section == "layers" and c["case"] != "all" and th == 1:
                    for key_, (lib, nm) in sorted(c["qcc"].items()):
                        w("  kernel of qcc %-15s %s\n" % (key_ + ":", layer_kernels(lib, nm, klist)))
    summary(t, plan, args, out)


def is_int8(contender):
    """Whether a contender label (qcc-int8-..., dnnl-int8@..., ort-qdq,
    ort-qlinearconv) runs int8."""
    return "int8" in contender or "qdq" in contender or "qlinear" in contender


def summary(t, plan, args, out):
    """One line per case: qcc against the fastest peer of each precision
    (layers: also their sum)."""
    w = out.write
    q = plan["targets"][-1]
    for th in (1, 2):
        w("\n== summary, %d thread%s (%s, ms): qcc %s against the fastest peer; ratio = qcc / fastest\n" % (
            th, "s" if th > 1 else "", "CPU-time medians" if th == 1 else "lowest round median of wall time", q))
        w("   (oneDNN and ORT QLinearConv are timed as kernels alone; qcc and ORT QDQ with f32 in and out)\n")
        w("%-20s %9s %9s %-22s %6s   %9s %9s %-22s %6s\n" % ("case", "qcc int8", "fastest", "(int8 peer)", "ratio",
                                                            "qcc f32", "fastest", "(f32 peer)", "ratio"))
        rows = []
        for c in plan["layers"] + plan["models"]:
            rows.append((c["case"], {k[1]: stat(v, th)[0] for k, v in t.items()
                                     if k[0] == c["case"] and k[2] == th and len(k) == 3}))
        if len(plan["layers"]) > 1:
            names = [c["case"] for c in plan["layers"]]
            sums = {}
            for k in set(k for n, d in rows if n in names for k in d):
                if all(k in d for n, d in rows if n in names):
                    sums[k] = sum(d[k] for n, d in rows if n in names)
            rows.insert(len(names), ("all %d layers" % len(names), sums))
        for name, d in rows:
            cells = []
            for prec in ("int8", "f32"):
                qk = "qcc-%s-%s" % (prec, q)
                peers = [(v, k) for k, v in d.items() if not k.startswith("qcc") and is_int8(k) == (prec == "int8")]
                if qk not in d or not peers:
                    cells.append("%9s %9s %-22s %6s" % ("-", "-", "", ""))
                    continue
                best = min(peers)
                cells.append("%9.3f %9.3f %-22s %6.2f" % (d[qk], best[0], "(%s)" % best[1], d[qk] / best[0]))
            w("%-20s %s   %s\n" % (name, cells[0], cells[1]))
    cold_table(t, plan, out)


def cold_table(t, plan, out):
    """2 threads: the steady-state figure (the timed call, made right after
    a call of the same contender) next to the first call after the 2 ms
    pause, when the pool's sleeping threads wake and an idle vCPU restarts."""
    w = out.write
    q = plan["targets"][-1]
    keys = ["qcc-int8-%s" % q, "qcc-f32-%s" % q]
    w("\n== 2 threads, steady state (the timed call) and the first call after the 2 ms idle pause\n"
      "   (lowest round median of wall time, ms); 1-thread CPU-time median for reference\n")
    w("   1T/2T: the 1-thread time over the 2-thread one (steady state, cold)\n")
    w("%-20s" % "case" + "".join(" %9s %8s %8s %11s" % (k.split("-")[1] + " 1T", "2T", "2T cold", "1T/2T")
                                 for k in keys) + "   fastest int8 peer 2T / 2T cold\n")
    for c in plan["layers"] + plan["models"]:
        line = "%-20s" % c["case"]
        for k in keys:
            v = [t.get((c["case"], k, th) + x) for th, x in ((1, ()), (2, ()), (2, ("cold",)))]
            ms = [stat(r, th)[0] if r else None for r, th in zip(v, (1, 2, 2))]
            line += " %9s %8s %8s" % tuple("%.3f" % x if x else "-" for x in ms)
            line += " %11s" % ("%.2f, %.2f" % (ms[0] / ms[1], ms[0] / ms[2]) if all(ms) else "-")
        peers = [(stat(v, 2)[0], k[1]) for k, v in t.items() if k[0] == c["case"] and k[2] == 2 and len(k) == 3
                 and not k[1].startswith("qcc") and is_int8(k[1])]
        if peers:
            best = min(peers)
            cold = t.get((c["case"], best[1], 2, "cold"))
            line += "   %s %.3f / %s" % (best[1], best[0], "%.3f" % stat(cold, 2)[0] if cold else "-")
        w(line + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20, help="timed runs per round after warm-up (>= 20 for the record)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="layers a and b and yolo_style only (development)")
    ap.add_argument("--fresh", action="store_true", help="prepare everything again even if the stamp matches")
    ap.add_argument("--work", default=os.path.join(ROOT, "build-peers", "work"))
    ap.add_argument("--raw", help="write every timing record here (default WORK/raw.tsv)")
    ap.add_argument("--report-only", action="store_true", help="print the tables of an earlier run's raw file")
    args = ap.parse_args()
    flags = cpu_flags()
    targets = [("avx2", "avx2")] + ([("avx512vnni", "native")] if "avx512_vnni" in flags else [])
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    raw_path = args.raw or os.path.join(work, "raw.tsv")
    stamp = file_hash([QCC] + sorted(glob.glob(os.path.join(ROOT, "frontend", "onnx", "*.py"))) + [os.path.join(HERE, "models.py"),
                       os.path.join(ROOT, "bench", "ort_qdq.py")]) + (" quick" if args.quick else "")
    plan_path = os.path.join(work, "plan.json")
    if args.report_only:
        report(raw_path, json.load(open(plan_path)), flags, args)
        return
    if (not args.fresh and os.path.exists(plan_path) and os.path.exists(os.path.join(work, "stamp"))
            and open(os.path.join(work, "stamp")).read() == stamp):
        log("reusing the prepared models in %s (same qcc, same scripts; --fresh to redo)" % work)
        plan = json.load(open(plan_path))
    else:
        for sub in ("layers", "models"):
            shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
        plan = prepare(work, targets, args.quick)
        json.dump(plan, open(plan_path, "w"), indent=1)
        open(os.path.join(work, "stamp"), "w").write(stamp)
    write_specs(plan, work)
    exe = build_harness(work)
    log("date %s; %d rounds x %d runs" % (datetime.datetime.now().isoformat(timespec="seconds"), args.rounds, args.runs))
    with open(raw_path, "w") as raw:
        run_rounds(work, exe, flags, args, raw)
    report(raw_path, plan, flags, args)


if __name__ == "__main__":
    main()
