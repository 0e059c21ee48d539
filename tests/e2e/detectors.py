#!/usr/bin/env python3
"""End-to-end test of one real detector (issue: real models), as a user runs
it: qcc import -> qcc compile (f32, and int8 calibrated on photos) -> the C
app of examples/detectors -> detections, checked against

  - ONNX Runtime's fp32 reference output (models/*/reference of the
    shared folder):
    compiled fp32 within 1e-4 of the output's range;
  - an independent NumPy decoder (bench/detections.py) run on qcc-exec's
    raw outputs: the app's printed detections must be the same boxes;
  - the int8 interpreter: compiled int8 outputs byte-identical to
    `qcc run` with the same calibration profile;
  - the acceptance bar on photos the calibration never saw: tiny_face keeps
    every fp32 face (recall 1.0, IoU >= 0.9); nanodet keeps >= 95 % of the
    fp32 detections above 0.4 with no new detection above 0.4;
  - the quantization report: nothing stayed f32 (tiny_face's output conv
    is int8 with an f32 result, and the report says so);
  - the f32 and int8 apps drawing into one folder: <photo>_f32.png and
    <photo>_int8.png side by side, none overwritten.

The models and most photos are not in this repository: they come from
$QCC_SHARED, by default ../shared next to the repository root
(bench/accuracy.py's SHARED). Without them the test exits 77, which
tests/lit.sh and ctest report as skipped, with the line saying what to set.

usage: detectors.py tiny_face|nanodet --qcc QCC --work DIR
"""
import argparse
import glob
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import accuracy  # noqa: E402  (photo split, model table)
import detections as D  # noqa: E402


def sh(cmd, **kw):
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    sys.stdout.write(r.stdout[-3000:])
    sys.stdout.write(r.stderr[-3000:])
    if r.returncode != 0:
        sys.exit("FAILED (exit %d): %s" % (r.returncode, " ".join(cmd)))
    return r.stdout + r.stderr


def parse_app(text):
    """Per photo name: its size (w, h) and [(label, score, (x0, y0, x1,
    y1))], as the app prints them."""
    res, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\S+): (\d+)x(\d+), ", line)
        if m:
            cur = []
            res[m.group(1)] = ((int(m.group(2)), int(m.group(3))), cur)
            continue
        m = re.match(r"^\s+(.+?)\s+([0-9.]+)\s+box ([-0-9. ]+)$", line)
        if m and cur is not None:
            cur.append((m.group(1), float(m.group(2)), tuple(float(v) for v in m.group(3).split())))
    return res


def photo_scale(size, recipe):
    """Photo pixels per model-input pixel, as qcc_preprocess_scale."""
    w, h = size
    if "pad" in recipe.split(","):
        w = h = max(w, h)
    return w / 416.0, h / 416.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(accuracy.MODELS))
    ap.add_argument("--qcc", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    model, work = args.model, args.work
    missing = accuracy.shared_missing([model])
    if missing:
        print("detectors: skipped: " + missing)
        sys.exit(77)
    qcc = args.qcc
    qexec = os.path.join(os.path.dirname(qcc), "qcc-exec")
    spec = dict(accuracy.MODELS[model])
    recipe = open(os.path.join(ROOT, "examples", "detectors", model + ".recipe")).read().strip()
    spec["recipe"] = recipe
    src = os.path.join(accuracy.SHARED, "models", spec["onnx"])
    darknet = subprocess.run([os.path.join(ROOT, "tools", "fetch_photos.sh")], check=True,
                             capture_output=True, text=True).stdout.strip()
    calib, evals = accuracy.photo_sets(darknet)[model]
    assert not set(calib) & set(evals)
    os.makedirs(work, exist_ok=True)
    cdir = os.path.join(work, "calib")
    os.makedirs(cdir)
    for p in calib:
        os.symlink(p, os.path.join(cdir, os.path.basename(p)))

    yaml_path = os.path.join(work, "model.yaml")
    sh([qcc, "import", os.path.join(src, "model.onnx"), "-o", yaml_path])
    f32, i8 = os.path.join(work, "f32"), os.path.join(work, "int8")
    sh([qcc, "compile", yaml_path, "-o", f32, "--name", model])
    profile = os.path.join(work, "profile.yaml")
    log = sh([qcc, "compile", yaml_path, "-o", i8, "--name", model, "--quant=static",
              "--calib-images", cdir, "--preprocess", recipe, "--save-profile", profile])

    # fp32 against ONNX Runtime's reference.
    ref_in = glob.glob(os.path.join(src, "reference", "*_input.npy"))[0]
    stem = ref_in[:-len("input.npy")]
    sh([qexec, os.path.join(f32, "lib%s.so" % model), "--prefix", model,
        "--input", "%s=%s" % (spec["input"], ref_in), "--output-dir", os.path.join(work, "ref")])
    for name in spec["outputs"]:
        r = np.load(stem + "output%s.npy" % ("" if len(spec["outputs"]) == 1 else "_" + name))
        c = np.load(os.path.join(work, "ref", name + ".npy"))
        err = float(np.abs(r - c).max() / (r.max() - r.min()))
        print("fp32 %s vs ONNX Runtime: max abs error / range %.2e" % (name, err))
        assert err <= 1e-4, "fp32 output %s off by %.2e of its range" % (name, err)

    # The apps, f32 and int8, on the evaluation photos.
    apps = {}
    for v, d in (("f32", f32), ("int8", i8)):
        key = "TINY_FACE_DIR" if model == "tiny_face" else "NANODET_DIR"
        sh(["make", "-s", "-C", os.path.join(ROOT, "examples", "detectors"),
            "%s=%s" % (key, d), "OUT=" + os.path.join(work, "apps_" + v),
            "CFLAGS=-O2 -g -Wall -Wextra -Werror"])
        out = sh([os.path.join(work, "apps_" + v, model + "_app")] + evals +
                 ["-o", os.path.join(work, "png")])
        apps[v] = parse_app(out)
        assert len(apps[v]) == len(evals), "the app reported %d photos" % len(apps[v])
    # Both builds drew into one folder, each photo once per build.
    want = sorted("%s_%s.png" % (os.path.splitext(os.path.basename(p))[0], v)
                  for p in evals for v in ("f32", "int8"))
    got = sorted(os.listdir(os.path.join(work, "png")))
    assert got == want, "PNGs %s, expected %s" % (got, want)

    # Raw outputs through qcc-exec, decoded in NumPy at the app's default
    # threshold.
    app_threshold = 0.5 if model == "tiny_face" else 0.35
    raw = {"f32": [], "int8": []}
    for i, p in enumerate(evals):
        for v, d in (("f32", f32), ("int8", i8)):
            o = os.path.join(work, "raw_%s_%d" % (v, i))
            sh([qexec, os.path.join(d, "lib%s.so" % model), "--prefix", model,
                "--input", "%s=%s" % (spec["input"], p), "--preprocess", recipe, "--output-dir", o])
            raw[v].append([np.load(os.path.join(o, n + ".npy")) for n in spec["outputs"]])
            # The C decoder and NMS against NumPy's, box for box.
            ref = accuracy.decode(model, raw[v][-1], app_threshold)
            size, got = apps[v][os.path.basename(p)]
            sx, sy = photo_scale(size, recipe)
            assert len(ref) == len(got), "%s %s: app %d detections, NumPy %d" % (v, p, len(got), len(ref))
            for (c, s, b), (label, s2, b2) in zip(ref, got):
                want = np.array([b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy])
                assert abs(s - s2) < 2e-3 and np.abs(want - np.array(b2)).max() < 1.0, \
                    "%s %s: app %s %.3f %s, NumPy %.3f %s" % (v, p, label, s2, b2, s, want)

    # Compiled int8 == the int8 interpreter, with the same ranges (the
    # profile) and the same bias correction (the photos again).
    p = evals[0]
    o = os.path.join(work, "interp")
    sh([qcc, "run", yaml_path, "--quant=static", "--load-profile", profile,
        "--calib-images", cdir, "--input", "%s=%s" % (spec["input"], p), "--preprocess", recipe, "--output-dir", o])
    for k, n in enumerate(spec["outputs"]):
        a = open(os.path.join(o, n + ".npy"), "rb").read()
        b = open(os.path.join(work, "raw_int8_0", n + ".npy"), "rb").read()
        assert a == b, "compiled int8 output %s differs from the int8 interpreter" % n

    # Acceptance on the held-out photos.
    m = accuracy.compare(model, spec, raw["f32"], raw["int8"])
    print("int8 vs fp32 on %d held-out photos: SQNR %.2f dB, kept %d/%d, new FP %d, "
          "mean |dscore| %.4f, lowest IoU %.3f" % (len(evals), m["sqnr"], m["kept"], m["refs"],
                                                   m["new_fp"], m["dscore"], m["min_iou"]))
    assert m["refs"] > 0
    if model == "tiny_face":
        assert m["recall"] == 1.0 and m["min_iou"] >= 0.9, m
    else:
        assert m["recall"] >= 0.95 and m["new_fp"] == 0, m

    report = open(os.path.join(i8, model + ".report.md")).read()
    assert "nothing stayed in f32" in log, "some layer stayed f32"
    if model == "tiny_face":
        assert re.search(r"\| conv_24 \| conv2d \| int8 .*f32 result", report), "report lacks conv_24's f32 result"
    print("PASS")


if __name__ == "__main__":
    main()
