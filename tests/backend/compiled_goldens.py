#!/usr/bin/env python3
"""Every NumPy golden case (tests/golden/*) compiled and run as an app would.

For each case:
  float  `qcc compile` (--target avx2), run through qcc-exec, compared with
         the NumPy expected outputs: |got - expected| <= 1e-5 + 1e-5*|expected|
         (the float interpreter's own golden tolerance);
  int8   `qcc compile --quant=static` with the case's inputs as calibration
         set, for avx2, generic and avx512vnni-emulated, each compared with
         `qcc run --quant=static` (the int8 interpreter) for bit identity;
         avx2 also with 2 threads (run_parallel), which must give the same
         bytes as 1 thread.
Cases whose model cannot be quantized at all still run the float half; a
case where quantization fails is reported as a failure, not skipped.

usage: compiled_goldens.py QCC QCC_EXEC GOLDEN_DIR [CASE ...]
Prints one line per failure and "N passed, N failed" at the end.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import yaml

INT8_TARGETS = ["avx2", "generic", "avx512vnni-emulated"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def out_file(d, name):
    return os.path.join(d, name.replace("/", "_") + ".npy")


def check_case(qcc, qexec, case_dir, tmp):
    m = yaml.safe_load(open(os.path.join(case_dir, "model.yaml")))
    name = "golden"
    inputs = [i["name"] for i in m["inputs"]]
    outputs = m["outputs"]
    in_args = []
    calib_args = []
    for k, n in enumerate(inputs):
        f = os.path.join(case_dir, "input_%d.npy" % k)
        in_args += ["--input", "%s=%s" % (n, f)]
        cd = os.path.join(tmp, "calib_%d" % k)
        os.makedirs(cd, exist_ok=True)
        shutil.copy(f, os.path.join(cd, "s0.npy"))
        calib_args += ["--calib", "%s=%s" % (n, cd)]
    errors = []
    model = os.path.join(case_dir, "model.yaml")

    # float
    fdir = os.path.join(tmp, "f")
    rc, log = run([qcc, "compile", model, "-o", fdir, "--name", name, "--target", "avx2"])
    if rc:
        return ["float compile failed: " + log.strip()]
    rc, log = run([qexec, os.path.join(fdir, "lib%s.so" % name)] + in_args +
                  ["--output-dir", os.path.join(tmp, "fo")])
    if rc:
        return ["float run failed: " + log.strip()]
    for o in outputs:
        got = np.load(out_file(os.path.join(tmp, "fo"), o))
        exp = np.load(os.path.join(case_dir, "expected_%s.npy" % o.replace("/", "_")))
        if got.shape != exp.shape:
            errors.append("float %s: shape %s, expected %s" % (o, got.shape, exp.shape))
            continue
        bad = ~(np.abs(got.astype(np.float64) - exp) <= 1e-5 + 1e-5 * np.abs(exp))
        bad &= ~(np.isnan(got) & np.isnan(exp))
        if bad.any():
            i = np.argwhere(bad)[0]
            errors.append("float %s: %d elements off, first at %s: %r vs %r" %
                          (o, bad.sum(), tuple(i), got[tuple(i)], exp[tuple(i)]))

    # int8: the interpreter's answer first
    idir = os.path.join(tmp, "qi")
    rc, log = run([qcc, "run", model, "--quant=static"] + calib_args + in_args +
                  ["--output-dir", idir])
    if rc:
        errors.append("int8 interpreter run failed: " + log.strip().splitlines()[-1])
        return errors
    for t in INT8_TARGETS:
        qdir = os.path.join(tmp, "q_" + t)
        rc, log = run([qcc, "compile", model, "-o", qdir, "--name", name,
                       "--target", t, "--quant=static"] + calib_args)
        if rc:
            errors.append("int8 %s compile failed: %s" % (t, log.strip()))
            continue
        threads = ["1", "2"] if t == "avx2" else ["1"]
        for th in threads:
            odir = os.path.join(tmp, "qo_%s_%s" % (t, th))
            rc, log = run([qexec, os.path.join(qdir, "lib%s.so" % name)] + in_args +
                          ["--output-dir", odir, "--threads", th])
            if rc:
                errors.append("int8 %s run (%s threads) failed: %s" % (t, th, log.strip()))
                continue
            for o in outputs:
                a = open(out_file(odir, o), "rb").read()
                b = open(out_file(idir, o), "rb").read()
                if a != b:
                    ga, gb = np.load(out_file(odir, o)), np.load(out_file(idir, o))
                    diff = np.argwhere(ga != gb)
                    errors.append("int8 %s (%s threads) %s: %d elements differ from "
                                  "the int8 interpreter, first at %s: %r vs %r" %
                                  (t, th, o, len(diff), tuple(diff[0]),
                                   ga[tuple(diff[0])], gb[tuple(diff[0])]))
    return errors


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    qcc, qexec, golden = sys.argv[1:4]
    cases = sys.argv[4:] or sorted(
        c for c in os.listdir(golden)
        if os.path.isfile(os.path.join(golden, c, "model.yaml")))
    passed = failed = 0
    for c in cases:
        with tempfile.TemporaryDirectory() as tmp:
            errs = check_case(qcc, qexec, os.path.join(golden, c), tmp)
        if errs:
            failed += 1
            for e in errs:
                print("FAIL %s: %s" % (c, e))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
