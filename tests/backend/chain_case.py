"""One hand-written int8 model (a YAML template whose convs get fixed-seed
weights), its int8 interpreter reference, and every target's library
compared with it byte for byte, with and without the layout pass: the
shared body of layout_ops.py and concat_slices.py. Each caller says what
the compile must report (check_log)."""
import os
import sys
import tempfile

import numpy as np

import conv_matrix as cm


def run(R, d, rng, template, convs, shape, outputs, name, check_log):
    """template: the model's YAML with %s where the constants go; convs:
    (name, weight shape) per conv; check_log(layout, log): why the
    compile's summary is wrong, or None. Returns (runs, failures)."""
    consts = []
    for cname, wshape in convs:
        w = (rng.standard_normal(wshape) / np.sqrt(np.prod(wshape[1:]))).astype(np.float32)
        b = (0.2 * rng.standard_normal(wshape[0])).astype(np.float32)
        np.save(os.path.join(d, cname + ".w.npy"), w)
        np.save(os.path.join(d, cname + ".b.npy"), b)
        consts.append("  %s.w: {dtype: f32, shape: %s, file: %s.w.npy}" % (cname, cm.fmt(wshape), cname))
        consts.append("  %s.b: {dtype: f32, shape: [%d], file: %s.b.npy}" % (cname, wshape[0], cname))
    model = os.path.join(d, "model.yaml")
    with open(model, "w") as f:
        f.write(template % "\n".join(consts))
    calib = os.path.join(d, "calib")
    os.makedirs(calib)
    for s in range(2):
        np.save(os.path.join(calib, "s%d.npy" % s), rng.standard_normal(shape).astype(np.float32))
    inp = os.path.join(d, "input.npy")
    np.save(inp, rng.standard_normal(shape).astype(np.float32))
    calib_args = ["--quant=static", "--calib", "x=" + calib]
    rc, log = R.run([R.qcc, "run", model] + calib_args + ["--input", "x=" + inp, "--output-dir", os.path.join(d, "ref")])
    if rc or "nothing stayed in f32" not in log:
        return 0, ["interpreter: " + log.strip()]
    refs = {o: os.path.join(d, "ref", o + ".npy") for o in outputs}
    for o, r in refs.items():
        if len(np.unique(np.load(r))) < 3:
            return 0, ["interpreter: degenerate reference output " + o]
    fails, runs = [], 0
    for t in cm.test_targets():
        for lay in ("nhwc", "nchw"):
            od = os.path.join(d, "%s_%s" % (t, lay))
            rc, log = R.run([R.qcc, "compile", model, "-o", od, "--name", name, "--target", t,
                             "--layout=" + lay] + calib_args)
            why = log.strip()[-400:] if rc or "nothing stayed in f32" not in log else check_log(lay, log)
            if why:
                fails.append("%s %s: compile: %s" % (t, lay, why))
                continue
            for th in (["1", "2"] if t == "avx2" else ["1"]):
                eo = os.path.join(d, "out_%s_%s_%s" % (t, lay, th))
                rc, log = R.run([R.qexec, os.path.join(od, "lib%s.so" % name), "--input", "x=" + inp,
                                 "--output-dir", eo, "--threads", th])
                runs += 1
                for o, r in refs.items():
                    why = log.strip() if rc else cm.compare(os.path.join(eo, o + ".npy"), r)
                    if why:
                        fails.append("%s %s (%s threads) %s: %s" % (t, lay, th, o, why))
    return runs, fails


def main(doc, seed, template, convs, shape, outputs, name, check_log):
    """The command line of a caller (usage: QCC QCC_EXEC): runs, prints
    each failure and the count, exits non-zero on any."""
    if len(sys.argv) != 3:
        sys.exit(doc)
    R = cm.Runner(sys.argv[1], sys.argv[2])
    d = tempfile.mkdtemp(prefix=name + ".")
    runs, fails = run(R, d, np.random.default_rng(seed), template, convs, shape, outputs, name,
                      check_log)
    for f in fails:
        print("FAIL " + f)
    print("%d runs, %d failed" % (runs, len(fails)))
    sys.exit(1 if fails else 0)
