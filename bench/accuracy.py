#!/usr/bin/env python3
"""Accuracy of the two real detectors, int8 against fp32, next to ONNX
Runtime's own int8, on photos the calibration never saw.

For each model (models/{tiny_face_detector,nanodet_g} of $QCC_SHARED, by
default ../shared next to the repository):
  - fp32: qcc's compiled code vs ONNX Runtime's reference output, max abs
    error relative to the output's range; and vs ONNX Runtime run here
    (npm's onnxruntime-node) on every evaluation photo;
  - int8, for each calibration method and with bias correction off /
    equalization on: output SQNR against qcc's fp32 (mean over photos),
    and the detections matched to the fp32 detections (same class,
    IoU >= 0.5): recall, precision, new false positives, mean |delta score|,
    lowest IoU of a match;
  - ONNX Runtime's int8: a quantize_static-style QDQ model (bench/ort_qdq.py,
    per tensor and per channel) calibrated on the same photos.
fp32 detections above THRESH (tiny_face 0.5, nanodet 0.4) are the
reference; int8 detections are decoded down to a lower threshold so a
detection whose score dropped a little still counts as kept, and "new FP"
counts int8 detections above THRESH that match no fp32 detection.

Photo split (as examples/detectors/run.sh): tiny_face calibrates on the
darknet photos + the face-less ../shared/images and is judged on
astronaut, grace_hopper and camera; nanodet calibrates on ../shared/images
and is judged on the darknet photos (tools/fetch_photos.sh).

usage: bench/accuracy.py [--quick] [--no-ort] [--model tiny_face|nanodet]
  --quick   only the default calibration (minmax) and the ORT per-tensor peer
needs: build/qcc, build/qcc-exec, python3-onnx/numpy; for the ORT columns
npm (bench/ort_setup.sh installs onnxruntime-node).
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import detections as D  # noqa: E402

# The data the detectors need (models/ and images/ of the project's shared
# folder, not in this repository): $QCC_SHARED if set, else ../shared next
# to the repository root. examples/detectors/run.sh follows the same rule.
SHARED = os.path.abspath(os.environ.get("QCC_SHARED") or os.path.join(os.path.dirname(ROOT), "shared"))
QCC = os.path.join(ROOT, "build", "qcc")
EXEC = os.path.join(ROOT, "build", "qcc-exec")

MODELS = {
    "tiny_face": dict(onnx="tiny_face_detector", input="input", thresh=0.5, low=0.3,
                      outputs=["output"]),
    "nanodet": dict(onnx="nanodet_g", input="input_1", thresh=0.4, low=0.3,
                    outputs=["Identity"] + ["Identity_%d" % i for i in range(1, 6)]),
}
METHODS = ["minmax", "percentile:99.99", "percentile:99.999", "entropy", "mse"]
VARIANTS = [("no bias corr.", ["--no-bias-correction"]), ("equalize", ["--equalize"])]


FACES = ["astronaut.png", "grace_hopper.jpg", "camera.png"]
FACELESS = ["chelsea.png", "coffee.png", "rocket.jpg", "text.png", "hubble_deep_field.jpg"]


def shared_missing(models):
    """None when SHARED holds what MODELS' models need (each model.onnx and
    its ONNX Runtime reference, the photos of images/), else one line:
    what is missing, where it was looked for, and what to set."""
    need = [os.path.join("models", MODELS[m]["onnx"], f) for m in models
            for f in ("model.onnx", "reference")]
    need += [os.path.join("images", p) for p in FACES + FACELESS]
    for f in need:
        if not os.path.exists(os.path.join(SHARED, f)):
            where = ("QCC_SHARED=%s" % SHARED if os.environ.get("QCC_SHARED")
                     else "%s (../shared next to the repository; QCC_SHARED is not set)" % SHARED)
            return ("no %s in %s: set QCC_SHARED to the folder that holds the detectors' "
                    "models/ and images/ (examples/detectors/README.md)" % (f, where))
    return None


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("accuracy: %s failed:\n%s%s" % (" ".join(cmd[:3]), r.stdout, r.stderr))
    return r.stdout + r.stderr


def photo_sets(darknet):
    img = os.path.join(SHARED, "images")
    faces, faceless = FACES, FACELESS
    dark = sorted(glob.glob(os.path.join(darknet, "*.jpg")))
    shared = sorted(p for p in glob.glob(os.path.join(img, "*")) if not p.endswith(".md"))
    return {
        "tiny_face": (dark + [os.path.join(img, p) for p in faceless],
                      [os.path.join(img, p) for p in faces]),
        "nanodet": (shared, dark),
    }


def decode(model, outs, threshold):
    if model == "tiny_face":
        return D.decode_tiny_face(outs[0], threshold=threshold)
    return D.decode_nanodet(outs, threshold=threshold)


def run_lib(lib, prefix, spec, photo, out_dir, save_inputs=False):
    cmd = [EXEC, lib, "--prefix", prefix, "--input", "%s=%s" % (spec["input"], photo),
           "--preprocess", spec["recipe"], "--output-dir", out_dir]
    sh(cmd + (["--save-inputs"] if save_inputs else []))
    return [np.load(os.path.join(out_dir, o + ".npy")) for o in spec["outputs"]]


def compare(model, spec, ref_outs, outs):
    """Metrics of one int8 run set against the fp32 runs (lists per photo)."""
    sqnr, kept, refs, new, pos, tp, dscore, ious = [], 0, 0, 0, 0, 0, [], []
    for r, c in zip(ref_outs, outs):
        sqnr.append(D.sqnr_db(r, c))
        ref_all = decode(model, r, spec["low"])
        cand_all = decode(model, c, spec["low"])
        ref = [d for d in ref_all if d[1] > spec["thresh"]]
        pairs, _, _ = D.match(ref, cand_all)
        refs += len(ref)
        kept += len(pairs)
        dscore += [abs(p[1][1] - p[0][1]) for p in pairs]
        ious += [p[2] for p in pairs]
        strong = [d for d in cand_all if d[1] > spec["thresh"]]
        sp, _, extra = D.match(ref_all, strong)
        pos += len(strong)
        tp += len(sp)
        new += len(extra)
    return dict(sqnr=float(np.mean(sqnr)), recall=kept / max(refs, 1), refs=refs, kept=kept,
                precision=tp / max(pos, 1), new_fp=new,
                dscore=float(np.mean(dscore)) if dscore else 0.0,
                min_iou=float(min(ious)) if ious else 0.0)


def row(name, m):
    return ("%-28s %7.2f  %4d/%-4d %6.3f  %6.3f  %5d  %7.4f  %6.3f" %
            (name, m["sqnr"], m["kept"], m["refs"], m["recall"], m["precision"],
             m["new_fp"], m["dscore"], m["min_iou"]))


def ort_available():
    try:
        subprocess.run([os.path.join(HERE, "ort_setup.sh")], check=True, capture_output=True)
        return True
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print("(no ONNX Runtime columns: bench/ort_setup.sh failed: %s)" % e)
        return False


def ort_run(onnx_path, spec, inputs, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    sh(["node", os.path.join(HERE, "ort_run.js"), onnx_path, out_dir,
        "%s=%s" % (spec["input"], inputs)])
    return [np.load(os.path.join(out_dir, o + ".npy")) for o in spec["outputs"]]


def bench_model(model, calib, evals, args, work):
    spec = dict(MODELS[model])
    spec["recipe"] = open(os.path.join(ROOT, "examples", "detectors", model + ".recipe")).read().strip()
    src = os.path.join(SHARED, "models", spec["onnx"])
    mdir = os.path.join(work, model)
    os.makedirs(mdir)
    yaml_path = os.path.join(mdir, "model.yaml")
    sh([QCC, "import", os.path.join(src, "model.onnx"), "-o", yaml_path])
    cdir = os.path.join(mdir, "calib")
    os.makedirs(cdir)
    for p in calib:
        os.symlink(p, os.path.join(cdir, os.path.basename(p)))
    print("\n== %s: calibrated on %d photos, judged on %d (%s)" %
          (model, len(calib), len(evals), ", ".join(os.path.basename(p) for p in evals)))

    # fp32 against ONNX Runtime's reference output.
    f32 = os.path.join(mdir, "f32")
    sh([QCC, "compile", yaml_path, "-o", f32, "--name", "m"])
    lib32 = os.path.join(f32, "libm.so")
    ref_in = glob.glob(os.path.join(src, "reference", "*_input.npy"))[0]
    stem = ref_in[:-len("input.npy")]
    o = os.path.join(mdir, "ref_run")
    sh([EXEC, lib32, "--prefix", "m", "--input", "%s=%s" % (spec["input"], ref_in), "--output-dir", o])
    worst = 0.0
    for name in spec["outputs"]:
        ref_file = stem + "output%s.npy" % ("" if len(spec["outputs"]) == 1 else "_" + name)
        r = np.load(ref_file)
        c = np.load(os.path.join(o, name + ".npy"))
        worst = max(worst, float(np.abs(r - c).max() / max(float(r.max() - r.min()), 1e-12)))
    print("fp32 vs ONNX Runtime's reference output (%s): max abs error / output range = %.2e"
          % (os.path.basename(ref_in), worst))

    # fp32 runs on the evaluation photos (their prepared inputs kept for ORT).
    ref_outs, inputs = [], []
    for i, p in enumerate(evals):
        d = os.path.join(mdir, "eval_f32_%d" % i)
        ref_outs.append(run_lib(lib32, "m", spec, p, d, save_inputs=True))
        inputs.append(os.path.join(d, spec["input"] + ".input.npy"))
    nref = sum(len(decode(model, r, spec["thresh"])) for r in ref_outs)
    print("fp32 detections above %.2f on the evaluation photos: %d" % (spec["thresh"], nref))

    header = ("%-28s %7s  %9s %6s  %6s  %5s  %7s  %6s" %
              ("int8 variant", "SQNR dB", "kept", "recall", "prec.", "newFP", "|dscore|", "minIoU"))
    print(header)
    print("-" * len(header))
    variants = [(m, m, []) for m in (METHODS[:1] if args.quick else METHODS)]
    if not args.quick:
        variants += [("minmax, " + v, "minmax", flags) for v, flags in VARIANTS]
    for label, method, flags in variants:
        t0 = time.time()
        d = os.path.join(mdir, "int8")
        shutil.rmtree(d, ignore_errors=True)
        log = sh([QCC, "compile", yaml_path, "-o", d, "--name", "m", "--quant=static",
                  "--calib-images", cdir, "--preprocess", spec["recipe"],
                  "--calib-method=" + method] + flags)
        floats = [l for l in log.splitlines() if "f32" in l and "nodes int8" in l]
        outs = [run_lib(os.path.join(d, "libm.so"), "m", spec, p, os.path.join(mdir, "e8_%d" % i))
                for i, p in enumerate(evals)]
        print(row("qcc " + label, compare(model, spec, ref_outs, outs)) +
              "   (%.0f s)" % (time.time() - t0))
        if label == "minmax":
            summary = floats[0].split(": ", 1)[1] if floats else "?"
            heads = [l.split("|")[1].strip() for l in open(os.path.join(d, "m.report.md"))
                     if "f32 result" in l]
            if heads:
                summary += "; int8 with an f32 result (graph outputs): " + ", ".join(heads)
    if not args.no_ort and ort_available():
        # ORT fp32 on the same prepared inputs, and its int8.
        worst = 0.0
        for i, (inp, r) in enumerate(zip(inputs, ref_outs)):
            c = ort_run(os.path.join(src, "model.onnx"), spec, inp, os.path.join(mdir, "ort32_%d" % i))
            for a, b in zip(r, c):
                worst = max(worst, float(np.abs(a - b).max() / max(float(a.max() - a.min()), 1e-12)))
        cal_np = os.path.join(mdir, "calib_npy")
        os.makedirs(cal_np)
        for i, p in enumerate(calib):
            dd = os.path.join(mdir, "cal_%d" % i)
            run_lib(lib32, "m", spec, p, dd, save_inputs=True)
            shutil.copy(os.path.join(dd, spec["input"] + ".input.npy"), os.path.join(cal_np, "%03d.npy" % i))
        for label, flags in [("per-tensor", [])] + ([] if args.quick else [("per-channel", ["--per-channel"])]):
            t0 = time.time()
            q = os.path.join(mdir, "ort_qdq.onnx")
            sh([sys.executable, os.path.join(HERE, "ort_qdq.py"), os.path.join(src, "model.onnx"), q,
                "--calib", "%s=%s" % (spec["input"], cal_np)] + flags)
            outs = [ort_run(q, spec, inp, os.path.join(mdir, "ort8_%d" % i)) for i, inp in enumerate(inputs)]
            print(row("ONNX Runtime QDQ " + label, compare(model, spec, ref_outs, outs)) +
                  "   (%.0f s)" % (time.time() - t0))
        print("qcc fp32 vs ONNX Runtime fp32 on the evaluation photos: max abs error / range = %.2e" % worst)
    print("what stayed float (qcc, minmax): %s" % summary)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--model", choices=sorted(MODELS), action="append")
    args = ap.parse_args()
    missing = shared_missing(args.model or sorted(MODELS))
    if missing:
        sys.exit("accuracy: error: " + missing)
    darknet = sh([os.path.join(ROOT, "tools", "fetch_photos.sh")]).strip().splitlines()[-1]
    sets = photo_sets(darknet)
    work = tempfile.mkdtemp(prefix="qcc-accuracy-")
    try:
        for model in args.model or ["tiny_face", "nanodet"]:
            calib, evals = sets[model]
            assert not set(calib) & set(evals), "a calibration photo is also an evaluation photo"
            bench_model(model, calib, evals, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
