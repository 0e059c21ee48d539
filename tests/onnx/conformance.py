#!/usr/bin/python3
"""ONNX backend conformance for qcc import + qcc run.

    conformance.py --qcc QCC [--work DIR] [--data DIR] [--filter REGEX] [-v]

Runs ONNX's node tests (Debian's libonnx-testdata) that are in scope for
the model format: for each, the .pb tensors become .npy files, the model
is imported (`qcc import`, or frontend/onnx/onnx_import.py while the driver lacks
the command), run with `qcc run`, and every output is compared within
ONNX's default backend-test tolerances (rtol 1e-3, atol 1e-7).

Node tests pass weights as graph inputs; as a backend that needs constant
weights would, inputs read only at parameter positions (Conv's W and B,
Gemm's B and C, BatchNormalization's statistics, Clip's min/max, Resize's
scales/sizes, Reshape's shape, Split's sizes, Q/DQ parameters) become
initializers holding the test data's values.

Prints one line per failure (FAIL) or skip (SKIP) with the reason, then
`N passed, N failed, N skipped`. A skip is only what the model format
cannot express: a non-f32 model interface (checked here, before import),
or a test listed in EXPECTED_SKIPS below, with the format's limitation,
that the importer rejects as unsupported. Any other import error, a qcc
error or a wrong result is a FAIL. Exit status 1 when anything failed,
77 when libonnx-testdata (or python3-onnx) is missing.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(SRC, "frontend", "onnx", "onnx_import.py")

DATA_DIRS = ["/usr/share/libonnx-testdata/data/node"]

IN_SCOPE = [
    r"test_conv_.*", r"test_basic_conv_.*", r"test_maxpool_2d_.*",
    r"test_averagepool_2d_.*", r"test_resize_.*", r"test_upsample_nearest",
    r"test_concat_.*", r"test_split_.*", r"test_relu", r"test_leakyrelu.*",
    r"test_sigmoid.*", r"test_tanh.*", r"test_hardswish.*",
    r"test_hardsigmoid.*", r"test_clip.*", r"test_softmax_.*",
    r"test_transpose_.*", r"test_reshape_.*", r"test_flatten_.*",
    r"test_gemm_.*", r"test_batchnorm_.*", r"test_globalaveragepool.*",
    r"test_add.*", r"test_sub.*", r"test_mul.*", r"test_sum_.*",
    r"test_matmul_2d", r"test_squeeze.*", r"test_unsqueeze.*",
    r"test_dropout_.*", r"test_identity",
    r"test_qlinearconv", r"test_quantizelinear.*",
    r"test_dequantizelinear.*",
    r"test_exp", r"test_exp_example", r"test_erf", r"test_slice.*",
    r"test_gather_[0-9].*", r"test_gather_negative_indices",
    r"test_gather_2d_indices", r"test_depthtospace.*", r"test_spacetodepth.*",
    r"test_tile.*", r"test_reduce_mean_.*", r"test_pow.*",
    r"test_convtranspose.*", r"test_neg.*", r"test_abs", r"test_sqrt.*",
    r"test_reciprocal.*", r"test_log", r"test_log_example", r"test_softplus.*",
    r"test_div.*", r"test_prelu.*", r"test_instancenorm.*",
    r"test_constant_pad", r"test_edge_pad", r"test_reflect_pad",
]

# What the model format cannot express (the importer must reject these as
# unsupported; one that imports anyway is run and judged like any other).
EXPECTED_SKIPS = {
    r"test_batchnorm_.*_training_mode":
        "training mode (the format's batch_norm is inference only)",
    r"test_resize_.*cubic.*": "cubic resize (the format has nearest and "
                              "bilinear)",
    r"test_resize_tf_crop_and_resize":
        "coordinate mode tf_crop_and_resize (not in the format)",
    r"test_resize_downsample_scales_linear_align_corners":
        "align_corners where in * scale (4 * 0.6 = 2.4) is not the output "
        "size: ONNX's reference divides by the unrounded length, the format "
        "(docs/ops.md) by the output size",
    r"test_maxpool_2d_dilations": "pooling with dilation (not in the format)",
    r"test_split_zero_size_splits": "empty tensors (not in the format)",
    r"test_reshape_allowzero_reordered": "empty tensors (not in the format)",
    r"test_pow(_example|_bcast_array|_types_.*)?$":
        "an exponent tensor of several values (qcc's pow takes one constant "
        "exponent)",
    r"test_reduce_mean_(default|negative|do_not|keepdims).*":
        "a mean over other axes than H and W of a 4-D tensor (qcc's "
        "reduce_mean is global_avgpool)",
    r"test_convtranspose_(1d|3d)": "1-D and 3-D transposed convolution "
                                   "(qcc's conv_transpose is 2-D)",
    r"test_convtranspose_dilations": "transposed convolution with dilation",
    r"test_softmax_.*_expanded": "expanded into ReduceMax/Exp/ReduceSum/Div, "
                                 "ops the format lacks",
}

PARAM_INPUTS = {
    "Conv": {1, 2}, "Gemm": {1, 2}, "MatMul": {1},
    "BatchNormalization": {1, 2, 3, 4}, "Clip": {1, 2},
    "Resize": {1, 2, 3}, "Upsample": {1}, "Reshape": {1}, "Split": {1},
    "QuantizeLinear": {1, 2}, "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 3, 4, 5, 6, 7, 8}, "Squeeze": {1},
    "Unsqueeze": {1}, "Dropout": {1, 2}, "Slice": {1, 2, 3, 4},
    "Gather": {1}, "Tile": {1}, "ReduceMean": {1}, "Pow": {1}, "Pad": {1, 2},
    "ConvTranspose": {1, 2}, "PRelu": {1},
    "InstanceNormalization": {1, 2},
}

RTOL, ATOL = 1e-3, 1e-7


def yaml_tensor_name(name):
    return re.sub(r"[^A-Za-z0-9_.:/-]", "_", name) or "tensor"


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def data_sets(test_dir):
    for d in sorted(os.listdir(test_dir)):
        p = os.path.join(test_dir, d)
        if not d.startswith("test_data_set_") or not os.path.isdir(p):
            continue
        ins, outs = [], []
        k = 0
        while os.path.exists(os.path.join(p, "input_%d.pb" % k)):
            ins.append(load_pb(os.path.join(p, "input_%d.pb" % k)))
            k += 1
        k = 0
        while os.path.exists(os.path.join(p, "output_%d.pb" % k)):
            outs.append(load_pb(os.path.join(p, "output_%d.pb" % k)))
            k += 1
        yield d, ins, outs


def freeze(model, inputs):
    """Graph inputs read only at parameter positions become initializers.
    Returns the names of the inputs that stay graph inputs."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    real = [i.name for i in g.input if i.name not in inits]
    uses = {}
    for n in g.node:
        for k, name in enumerate(n.input):
            if name:
                uses.setdefault(name, []).append(
                    k in PARAM_INPUTS.get(n.op_type, ()))
    outputs = {o.name for o in g.output}
    keep = []
    for name, value in zip(real, inputs):
        u = uses.get(name, [])
        if u and all(u) and name not in outputs:
            g.initializer.append(numpy_helper.from_array(value, name))
        else:
            keep.append(name)
    return keep


def skip_reason(name):
    for pat, why in EXPECTED_SKIPS.items():
        if re.fullmatch(pat, name):
            return why
    return None


def one_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    errs = [l for l in lines if ": error: " in l]
    return (errs or lines or ["(no message)"])[0].strip()


def run_test(name, test_dir, work, qcc, import_cmd):
    """Returns ('pass' | 'fail' | 'skip', reason)."""
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    sets = list(data_sets(test_dir))
    if not sets:
        return "fail", "no test data"
    for ds, ins, outs in sets:
        m = onnx.ModelProto()
        m.CopyFrom(model)
        inits = {i.name for i in m.graph.initializer}
        real = [i.name for i in m.graph.input if i.name not in inits]
        if len(real) != len(ins) or len(m.graph.output) != len(outs):
            return "fail", "%s: %d inputs / %d outputs for %d / %d tensors" % (
                ds, len(real), len(m.graph.output), len(ins), len(outs))
        keep = freeze(m, ins)
        by_name = dict(zip(real, ins))
        for nm in keep:
            if by_name[nm].dtype != np.float32:
                return "skip", ("input '%s' is %s: the model format's inputs "
                                "are f32" % (nm, by_name[nm].dtype.name))
        for o, v in zip(m.graph.output, outs):
            if not isinstance(v, np.ndarray) or v.dtype != np.float32:
                return "skip", ("output '%s' is %s: the model format's "
                                "outputs are f32" % (o.name, getattr(
                                    v, "dtype", type(v)).__str__()))
        d = os.path.join(work, name, ds)
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "model.onnx"))
        r = subprocess.run(import_cmd + [os.path.join(d, "model.onnx"), "-o",
                                         os.path.join(d, "model.yaml")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            msg = one_line(r.stderr)
            why = skip_reason(name)
            if why and "error: unsupported" in msg:
                return "skip", "%s [%s]" % (why, msg.split("error: ", 1)[1])
            return "fail", "import: " + msg
        cmd = [qcc, "run", os.path.join(d, "model.yaml"), "--output-dir",
               os.path.join(d, "out")]
        for nm in keep:
            p = os.path.join(d, "in_%s.npy" % re.sub(r"[^A-Za-z0-9_.-]", "_",
                                                     nm))
            np.save(p, by_name[nm])
            cmd += ["--input", "%s=%s" % (yaml_tensor_name(nm), p)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            return "fail", "qcc run: " + one_line(r.stderr)
        for o, want in zip(m.graph.output, outs):
            f = os.path.join(d, "out",
                             yaml_tensor_name(o.name).replace("/", "_") +
                             ".npy")
            got = np.load(f)
            if got.shape != want.shape:
                return "fail", "%s: output '%s' has shape %s, expected %s" % (
                    ds, o.name, list(got.shape), list(want.shape))
            err = np.abs(got.astype(np.float64) - want.astype(np.float64))
            bad = err > ATOL + RTOL * np.abs(want.astype(np.float64))
            bad |= np.isnan(got) != np.isnan(want)
            bad &= ~(np.isnan(got) & np.isnan(want))
            if bad.any():
                i = np.unravel_index(np.argmax(np.where(bad, err, -1)),
                                     want.shape)
                return "fail", ("%s: output '%s': %d of %d values off; at %s "
                                "got %r, expected %r" % (
                                    ds, o.name, int(bad.sum()), want.size,
                                    list(map(int, i)), float(got[i]),
                                    float(want[i])))
    return "pass", ""


def main():
    global np, onnx, numpy_helper
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qcc", help="the qcc to test (required but with "
                    "--probe)")
    ap.add_argument("--work", help="scratch folder (default: a temporary one)")
    ap.add_argument("--data", help="the node tests' folder")
    ap.add_argument("--filter", help="only tests matching this regex")
    ap.add_argument("-v", action="store_true", help="print passes too")
    ap.add_argument("-j", dest="jobs", type=int,
                    default=min(4, os.cpu_count() or 1),
                    help="tests run at once (default: up to 4, one per CPU)")
    ap.add_argument("--all", action="store_true",
                    help="every test of the folder, not only those in scope "
                    "(exploration: skips are then not all explained)")
    ap.add_argument("--probe", action="store_true",
                    help="only check that the test data and python3-onnx "
                    "are there (exit 0, or 77 with the package to install)")
    args = ap.parse_args()
    data = args.data or next((d for d in DATA_DIRS if os.path.isdir(d)), None)
    if not data or not os.path.isdir(data):
        print("conformance: SKIPPED: ONNX's node tests are missing: install "
              "Debian's libonnx-testdata (apt-get install libonnx-testdata)")
        return 77
    try:
        import numpy
        import onnx as onnx_mod
        from onnx import numpy_helper as nh
    except ImportError as e:
        print("conformance: SKIPPED: %s: install Debian's python3-onnx and "
              "python3-numpy" % e)
        return 77
    np, onnx, numpy_helper = numpy, onnx_mod, nh
    if args.probe:
        return 0
    if not args.qcc:
        ap.error("--qcc is required")
    qcc = os.path.abspath(args.qcc)
    has_import = subprocess.run([qcc, "import", "--help"],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode == 0
    import_cmd = ([qcc, "import"] if has_import else
                  [sys.executable, SCRIPT, "--check-with", qcc])
    work = args.work or tempfile.mkdtemp(prefix="qcc-onnx-")
    if args.work:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    names = sorted(n for n in os.listdir(data)
                   if os.path.exists(os.path.join(data, n, "model.onnx")) and
                   (args.all or any(re.fullmatch(p, n) for p in IN_SCOPE)) and
                   (not args.filter or re.search(args.filter, n)))
    counts = {"pass": 0, "fail": 0, "skip": 0}

    def one(name):
        try:
            return run_test(name, os.path.join(data, name), work, qcc,
                            import_cmd)
        except Exception as e:  # a broken test folder is a failure too
            return "fail", "%s: %s" % (type(e).__name__, e)

    # The tests spend their time in subprocesses: run a few at once.
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, names))
    for name, (status, why) in zip(names, results):
        counts[status] += 1
        if status != "pass" or args.v:
            print("%s %s%s" % (status.upper(), name, ": " + why if why else ""))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print("onnx-conformance: %d passed, %d failed, %d skipped"
          % (counts["pass"], counts["fail"], counts["skip"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
