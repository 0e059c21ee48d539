#!/usr/bin/python3
"""A deterministic mutation smoke for qcc's ONNX importer (onnx_import.py).

    fuzz_onnx_import.py [--time S] [--seed N] [--work DIR] [--findings DIR]
                        [--qcc QCC] [--known CAT,...] [-v]

libFuzzer cannot fuzz Python, so this does what it would, simply: it takes
the seed models (the importer tests' tests/onnx/make_onnx.py models, the
hostile fixtures in tests/bad/onnx, a few small ones from Debian's
libonnx-testdata and, where present, the small models in
/work/shared/models), mutates them for S seconds (default 30) with
a random.Random(N) (default 1) -- bytes flipped, cut, inserted, or, with
the onnx API, a field of the model changed: a dim, a type, an attribute, a
name, an op, an initializer -- and runs the importer on each, as
`qcc import` runs it (--prog "qcc import", and --check-with QCC when given).

The importer is imported once and each run is a fork of this process (a
second, not a millisecond, is what a fresh python3 with onnx costs); each
child has a 20 s alarm and a 4 GiB address-space limit. A run passes when
the importer writes the model (exit 0) or rejects it with one line
`FILE: error: ...` and exit 1. A finding is any other end, by category:

  traceback  a Python traceback escaped
  signal     the process died of a signal (alarm: a hang)
  exit       another exit status, or not exactly one error line
  internal   one line, but "internal error in the importer": a check missed
  check      one line, but "the imported model does not load": the
             importer wrote a model qcc rejects

Each finding's model goes to the findings folder (the first three of each
distinct message), with the importer's own output (rerun as a real
subprocess, with QCC_IMPORT_DEBUG=1 for the traceback) beside it. Exit
status: 0 no findings (those in --known aside), 1 findings, 77 when
python3-onnx is missing.
"""

import argparse
import hashlib
import importlib.util
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
IMPORTER = os.path.join(SRC, "frontend", "onnx", "onnx_import.py")
MAKE_ONNX = os.path.join(SRC, "tests", "onnx", "make_onnx.py")
BAD_ONNX = os.path.join(SRC, "tests", "bad", "onnx")  # hostile fixtures
TESTDATA = "/usr/share/libonnx-testdata/data"
# Small, and between them most of what the importer maps (docs/onnx.md),
# some with weights as initializers, some (node tests) as graph inputs.
TESTDATA_SEEDS = [
    "node/test_conv_with_strides_padding", "node/test_relu",
    "node/test_maxpool_2d_pads", "node/test_gemm_default_matrix_bias",
    "node/test_resize_upsample_scales_nearest", "node/test_concat_2d_axis_0",
    "node/test_softmax_axis_1", "node/test_reshape_reordered_all_dims",
    "node/test_split_equal_parts_1d", "pytorch-converted/test_BatchNorm2d_eval",
    "pytorch-converted/test_Conv2d_depthwise_padded",
    "pytorch-converted/test_AvgPool2d", "pytorch-converted/test_Linear",
    "pytorch-converted/test_PReLU_2d", "pytorch-operator/test_operator_flatten",
]
SHARED_MODELS = "/work/shared/models"
SHARED_MAX_BYTES = 1 << 20  # a bigger model makes each run slow
ALARM_S = 20
MEMORY_LIMIT = 4 << 30
CATEGORIES = ("traceback", "signal", "exit", "internal", "check")

OPS = ["Conv", "Relu", "Gemm", "MaxPool", "AveragePool", "Add", "Sub", "Mul",
       "Div", "Concat", "Split", "Reshape", "Transpose", "Softmax", "Flatten",
       "BatchNormalization", "Clip", "Resize", "QuantizeLinear",
       "DequantizeLinear", "Identity", "Sigmoid", "Tanh", "LeakyRelu",
       "HardSwish", "HardSigmoid", "Shape", "Gather", "Unsqueeze", "Squeeze",
       "Constant", "Dropout", "GlobalAveragePool", "MatMul", "Sum", "Erf",
       "NoSuchOp"]
ATTRS = ["axis", "axes", "kernel_shape", "pads", "strides", "dilations",
         "group", "auto_pad", "alpha", "beta", "transA", "transB", "epsilon",
         "mode", "coordinate_transformation_mode", "ceil_mode", "perm",
         "split", "min", "max", "value", "to", "bogus"]
INTS = [0, 1, 2, 3, -1, -2, 7, 255, 256, 1 << 31, -(1 << 31), (1 << 62)]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, 1e30, 3.5e38, float("inf"),
          float("-inf"), float("nan")]
NAMES = ["", " ", "x", "a b", "a'b", 'a"b', "a\\b", "a\nb", "a:b", "a/b",
         "-", ".", "1x", "null", "yes", "\u00e9", "\u2028",
         "x" * 300, "%x", "@g", "#c", "{a}", "[a]", "a,b"]
STRINGS = [b"", b"SAME_UPPER", b"SAME_LOWER", b"VALID", b"NOTSET", b"nearest",
           b"linear", b"cubic", b"half_pixel", b"asymmetric", b"bogus",
           b"\xff\xfe"]


# ---- seeds -------------------------------------------------------------------


def make_seeds(work):
    """The seed models as (name, bytes), in a fixed order. The hostile
    fixtures' external data files go to WORK, beside the model run."""
    seeds = []
    for f in sorted(os.listdir(BAD_ONNX)) if os.path.isdir(BAD_ONNX) else []:
        p = os.path.join(BAD_ONNX, f)
        if f.endswith(".onnx"):
            with open(p, "rb") as fh:
                seeds.append(("tests-bad-onnx-" + f[:-5], fh.read()))
        elif f.endswith(".bin"):
            shutil.copy(p, os.path.join(work, f))
    spec = importlib.util.spec_from_file_location("make_onnx", MAKE_ONNX)
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    for kind in mk.KINDS:  # make_onnx's own order: its RNG is deterministic
        m = mk.KINDS[kind]()[0]
        seeds.append(("make_onnx-" + kind, m.SerializeToString()))
    for t in TESTDATA_SEEDS:
        p = os.path.join(TESTDATA, t, "model.onnx")
        if os.path.isfile(p):
            with open(p, "rb") as f:
                seeds.append((t.replace("/", "-"), f.read()))
    if os.path.isdir(SHARED_MODELS):
        for m in sorted(os.listdir(SHARED_MODELS)):
            p = os.path.join(SHARED_MODELS, m, "model.onnx")
            if os.path.isfile(p) and os.path.getsize(p) <= SHARED_MAX_BYTES:
                with open(p, "rb") as f:
                    seeds.append(("shared-" + m, f.read()))
    return seeds


# ---- mutations -----------------------------------------------------------------


def mutate_bytes(b, rng):
    b = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 16)))
            continue
        op = rng.randrange(7)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif op == 2:
            del b[rng.randrange(1, len(b) + 1):]  # truncate
        elif op == 3:
            b[i:i] = rng.randbytes(rng.randint(1, 8))
        elif op == 4:
            del b[i:i + rng.randint(1, 16)]
        elif op == 5:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 32)]  # duplicate a chunk
        else:  # a varint length or value pushed far
            b[i] = 0xFF
            b[i + 1:i + 1] = bytes([0xFF, 0xFF, 0xFF, 0x0F])
    return bytes(b)


def all_names(g):
    names = [v.name for v in list(g.input) + list(g.output)]
    names += [t.name for t in g.initializer]
    for n in g.node:
        names += list(n.input) + list(n.output)
    return [n for n in names if n]


def rename_everywhere(g, old, new):
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.name == old:
            v.name = new
    for t in g.initializer:
        if t.name == old:
            t.name = new
    for n in g.node:
        for lst in (n.input, n.output):
            for i, x in enumerate(lst):
                if x == old:
                    lst[i] = new


def mutate_attr(a, rng):
    from onnx import AttributeProto as A
    op = rng.randrange(4)
    if op == 0:  # the type says one thing, the fields another
        a.type = rng.choice([A.FLOAT, A.INT, A.STRING, A.TENSOR, A.FLOATS,
                             A.INTS, A.STRINGS, A.GRAPH, 0, 99])
    elif a.type == A.INT or op == 1:
        a.i = rng.choice(INTS)
    elif a.type == A.FLOAT:
        a.f = rng.choice(FLOATS)
    elif a.type == A.INTS:
        if a.ints and rng.random() < 0.5:
            a.ints[rng.randrange(len(a.ints))] = rng.choice(INTS)
        elif a.ints and rng.random() < 0.5:
            a.ints.pop()
        else:
            a.ints.append(rng.choice(INTS))
    elif a.type == A.FLOATS:
        a.floats.append(rng.choice(FLOATS))
    elif a.type == A.STRING:
        a.s = rng.choice(STRINGS)
    elif a.type == A.TENSOR:
        mutate_tensor(a.t, rng)
    else:
        a.ints.extend([rng.choice(INTS)] * rng.randint(0, 3))


def mutate_tensor(t, rng):
    op = rng.randrange(7)
    if op == 0 and t.dims:
        t.dims[rng.randrange(len(t.dims))] = rng.choice(INTS)
    elif op == 1:
        if t.dims and rng.random() < 0.5:
            t.dims.pop()
        else:
            t.dims.append(rng.choice([1, 2, 0]))
    elif op == 2:
        t.data_type = rng.randrange(0, 22)
    elif op == 3:
        t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data) + 1)]
    elif op == 4:
        t.float_data.extend([rng.choice(FLOATS)] * rng.randint(1, 3))
    elif op == 5:
        t.raw_data = bytes(rng.randbytes(len(t.raw_data)))  # nan/inf likely
    else:  # weights from elsewhere: onnx.load follows external data
        t.data_location = 1
        del t.external_data[:]
        e = t.external_data.add()
        e.key = "location"
        e.value = rng.choice(["missing.bin", "../../x.bin", "/etc/hostname",
                              "."])


def mutate_value_info(v, rng):
    tt = v.type.tensor_type
    op = rng.randrange(5)
    if op == 0:
        tt.elem_type = rng.randrange(0, 22)
    elif op == 1 and tt.shape.dim:
        d = tt.shape.dim[rng.randrange(len(tt.shape.dim))]
        if rng.random() < 0.3:
            d.dim_param = rng.choice(["N", "", "batch size"])
        else:
            d.dim_value = rng.choice(INTS)
    elif op == 2:
        if tt.shape.dim and rng.random() < 0.5:
            del tt.shape.dim[-1]
        else:
            tt.shape.dim.add().dim_value = rng.choice([1, 3, 0])
    elif op == 3:
        v.type.ClearField("tensor_type")
    else:
        tt.ClearField("shape")


def mutate_model(data, rng):
    """One structural change through the onnx API; None if data does not
    parse as a model or the change does not serialize."""
    import onnx
    m = onnx.ModelProto()
    try:
        with warnings.catch_warnings():  # "Unexpected end-group tag": noise
            warnings.simplefilter("ignore")
            m.ParseFromString(data)
    except Exception:
        return None
    try:
        for _ in range(rng.randint(1, 3)):
            change_model(m, rng)
        return m.SerializeToString()
    except Exception:  # a value protobuf refuses (out of range, ...)
        return None


def change_model(m, rng):
    g = m.graph
    op = rng.randrange(14)
    nodes = list(g.node)
    n = rng.choice(nodes) if nodes else None
    if op == 0 and n is not None and n.attribute:
        mutate_attr(rng.choice(n.attribute), rng)
    elif op == 1 and n is not None:
        if n.attribute and rng.random() < 0.5:
            del n.attribute[rng.randrange(len(n.attribute))]
        else:
            a = n.attribute.add()
            a.name = rng.choice(ATTRS)
            a.type = rng.choice([1, 2, 3, 6, 7])
            a.i = rng.choice(INTS)
            a.f = rng.choice(FLOATS)
            a.ints.extend([rng.choice(INTS)] * rng.randint(0, 4))
    elif op == 2 and n is not None:
        n.op_type = rng.choice(OPS)
    elif op == 3 and n is not None:
        names = all_names(g) + ["undefined", ""]
        if n.input and rng.random() < 0.4:
            del n.input[rng.randrange(len(n.input))]
        elif n.input and rng.random() < 0.5:
            n.input[rng.randrange(len(n.input))] = rng.choice(names)
        else:
            n.input.append(rng.choice(names))
    elif op == 4 and n is not None and n.output:
        names = all_names(g) + [""]
        n.output[rng.randrange(len(n.output))] = rng.choice(names)
    elif op == 5 and nodes:
        i = rng.randrange(len(nodes))
        if rng.random() < 0.5:
            del g.node[i]
        else:
            g.node.add().CopyFrom(nodes[i])  # redefines its outputs
    elif op == 6 and len(nodes) > 1:
        order = nodes[:]
        rng.shuffle(order)
        del g.node[:]
        g.node.extend(order)
    elif op == 7:
        vs = list(g.input) + list(g.output)
        if vs:
            mutate_value_info(rng.choice(vs), rng)
    elif op == 8 and g.initializer:
        mutate_tensor(rng.choice(g.initializer), rng)
    elif op == 9 and g.initializer:
        i = rng.randrange(len(g.initializer))
        if rng.random() < 0.5:
            del g.initializer[i]
        else:
            g.initializer.add().CopyFrom(g.initializer[i])
    elif op == 10:
        if g.output and rng.random() < 0.5:
            g.output[rng.randrange(len(g.output))].name = rng.choice(
                all_names(g) + ["undefined"])
        elif g.output:
            del g.output[rng.randrange(len(g.output))]
    elif op == 11:
        if m.opset_import and rng.random() < 0.7:
            o = m.opset_import[rng.randrange(len(m.opset_import))]
            o.version = rng.choice([0, 1, 6, 7, 9, 11, 12, 13, 17, 99])
            if rng.random() < 0.2:
                o.domain = rng.choice(["ai.onnx.ml", "com.microsoft", "x"])
        else:
            del m.opset_import[:]
    elif op == 12:
        names = all_names(g)
        if names:
            rename_everywhere(g, rng.choice(names), rng.choice(NAMES))
    else:
        consts = [x for x in nodes if x.op_type == "Constant"]
        if consts and consts[0].attribute:
            mutate_attr(rng.choice(consts[0].attribute), rng)
        else:
            m.ir_version = rng.choice([0, 1, 3, 7, 8, 99])


def mutant(seeds, rng):
    name, data = rng.choice(seeds)
    r = rng.random()
    if r < 0.55:
        out = mutate_model(data, rng)
        if out is not None:
            if rng.random() < 0.15:
                out = mutate_bytes(out, rng)
            return name, "model", out
    return name, "bytes", mutate_bytes(data, rng)


# ---- running the importer -------------------------------------------------------


def load_importer():
    spec = importlib.util.spec_from_file_location("onnx_import", IMPORTER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def importer_argv(model, out, qcc):
    argv = [IMPORTER, "--prog", "qcc import"]
    if qcc:
        argv += ["--check-with", qcc]
    return argv + [model, "-o", out]


def run_forked(mod, argv, log):
    """Runs mod.main(argv) as `python3 onnx_import.py` would, in a child;
    returns its wait status."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 120
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
            # The soft limit only: the qcc wrapper (qcc_unlimited) lifts it
            # for qcc, whose ASan build reserves terabytes of address space.
            hard = resource.getrlimit(resource.RLIMIT_AS)[1]
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(ALARM_S)
            try:
                code = mod.main(argv)
            except SystemExit as e:  # sys.exit's own rules for its argument
                if e.code is None:
                    code = 0
                elif isinstance(e.code, int):
                    code = e.code
                else:
                    sys.stderr.write("%s\n" % e.code)
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            code = code or 0
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 1)
    _, status = os.waitpid(pid, 0)
    return status


def judge(status, text):
    """(category or None, signature) for one run."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if "Traceback (most recent call last)" in text:
        return "traceback", lines[-1] if lines else "?"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return "signal", "hang" if sig == signal.SIGALRM else "signal %d" % sig
    code = os.WEXITSTATUS(status)
    errors = [ln for ln in lines if ": error: " in ln]
    if code == 0:
        if errors or any(": warning: " not in ln for ln in lines):
            return "exit", "exit 0 with: " + (lines[0] if lines else "")
        return None, "imported"
    if code != 1 or len(lines) != 1 or len(errors) != 1:
        return "exit", "exit %d, %d lines: %s" % (code, len(lines),
                                                  lines[0] if lines else "")
    msg = errors[0]
    if "internal error in the importer" in msg:
        m = re.search(r"internal error in the importer[^(]*\((\w+): "
                      r"([^;)]{0,60})", msg)
        return "internal", m.group(1) + ": " + shape_of(m.group(2)) if m \
            else msg
    if "does not load" in msg:
        return "check", shape_of(msg.split(": error: ", 1)[1])
    return None, "rejected"


def reason(text):
    """A rejection's message, its numbers and names blanked (for -v)."""
    m = re.search(r": error: (.*)", text)
    return shape_of(m.group(1))[:90] if m else "?"


def shape_of(msg):
    """A message with its numbers and quoted names blanked: one signature
    per kind of failure, not per input."""
    msg = re.sub(r"'[^']*'", "'_'", msg)
    return re.sub(r"-?\d+(\.\d+)?", "N", msg)


def rerun(model, out, qcc):
    """The finding as a real subprocess (what qcc import runs), with the
    traceback QCC_IMPORT_DEBUG=1 asks for."""
    env = dict(os.environ, QCC_IMPORT_DEBUG="1")
    try:
        r = subprocess.run(["/usr/bin/python3"] + importer_argv(model, out,
                                                                qcc),
                           capture_output=True, text=True, env=env,
                           timeout=2 * ALARM_S)
        return "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr)
    except subprocess.TimeoutExpired:
        return "timed out after %d s" % (2 * ALARM_S)


def qcc_unlimited(work, qcc):
    """A wrapper that runs qcc with the address-space limit the importer's
    forks get lifted again: an ASan qcc reserves its shadow memory up front
    and would fail to start under it (a false "importer bug")."""
    path = os.path.join(work, "qcc-unlimited.sh")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nulimit -S -v unlimited 2>/dev/null\nexec "%s" "$@"\n'
                % os.path.abspath(qcc))
    os.chmod(path, 0o755)
    return path


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=float, default=30, help="seconds (30)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--work", help="scratch folder (default: a new temporary "
                    "one, removed)")
    ap.add_argument("--findings", help="where findings go (default: "
                    "WORK/findings)")
    ap.add_argument("--qcc", help="run the importer with --check-with QCC")
    ap.add_argument("--known", default="", help="categories that do not "
                    "fail the run (reported all the same), e.g. internal")
    ap.add_argument("-v", action="store_true", help="print every finding")
    args = ap.parse_args(argv[1:])
    # One BLAS thread: the children are forks, and the machine is shared.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        import numpy  # noqa: F401  (the children find them loaded)
        import onnx  # noqa: F401
    except ImportError as e:
        print("skipped: python3-onnx or python3-numpy missing (%s)" % e)
        return 77
    known = set(k for k in args.known.split(",") if k)
    if known - set(CATEGORIES):
        ap.error("--known takes %s" % ", ".join(CATEGORIES))

    tmp = None
    work = args.work
    if not work:
        work = tmp = tempfile.mkdtemp(prefix="qcc-fuzz-onnx.")
    os.makedirs(work, exist_ok=True)
    findings_dir = args.findings or os.path.join(work, "findings")
    try:
        seeds = make_seeds(work)
        mod = load_importer()
        if args.qcc:
            args.qcc = qcc_unlimited(work, args.qcc)
        rng = random.Random(args.seed)
        model = os.path.join(work, "model.onnx")
        outdir = os.path.join(work, "out")
        log = os.path.join(work, "log.txt")
        counts, reasons = {}, {}
        found = {}  # (category, signature) -> count
        runs = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.time:
            seed_name, how, data = mutant(seeds, rng)
            runs += 1
            with open(model, "wb") as f:
                f.write(data)
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
            out = os.path.join(outdir, "model.yaml")
            status = run_forked(mod, importer_argv(model, out, args.qcc), log)
            with open(log, errors="replace") as f:
                text = f.read()
            cat, sig = judge(status, text)
            counts[cat or sig] = counts.get(cat or sig, 0) + 1
            if sig == "rejected":
                r = reason(text)
                reasons[r] = reasons.get(r, 0) + 1
            if cat is None:
                continue
            key = (cat, sig)
            found[key] = found.get(key, 0) + 1
            if found[key] > 3:
                continue
            os.makedirs(findings_dir, exist_ok=True)
            h = hashlib.sha1(data).hexdigest()[:12]
            base = os.path.join(findings_dir, "%s-%s" % (cat, h))
            with open(base + ".onnx", "wb") as f:
                f.write(data)
            with open(base + ".txt", "w") as f:
                f.write("run %d (seed %d), from %s by %s mutation\n"
                        "signature: %s\n--- in the fork:\n%s\n"
                        "--- as a subprocess:\n%s\n"
                        % (runs, args.seed, seed_name, how, sig, text,
                           rerun(base + ".onnx", out, args.qcc)))
            if args.v or found[key] == 1:
                print("finding: %s: %s (%s.onnx)" % (cat, sig, base))
        failing = sum(n for (c, _), n in found.items() if c not in known)
        print("onnx_import: %d runs in %.0f s from %d seeds: %s" % (
            runs, time.monotonic() - t0, len(seeds),
            ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        if args.v:
            for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:15]:
                print("  rejected x%d: %s" % (n, r))
        for (c, s), n in sorted(found.items()):
            print("  %s%s x%d: %s" % (c, " (known)" if c in known else "", n,
                                       s))
        if failing:
            print("onnx_import: %d findings; models and output in %s"
                  % (failing, findings_dir))
            return 1
        return 0
    finally:
        if tmp and not os.path.isdir(os.path.join(tmp, "findings")):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
