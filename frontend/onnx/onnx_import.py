#!/usr/bin/python3
"""qcc import: an ONNX model -> the YAML model format plus .npy weights.

    onnx_import.py MODEL.onnx -o OUT.yaml [--name NAME] [--shape NAME=D0,D1,...]
                   [--check-with QCC]

Writes OUT.yaml (../shared/spec/model-format.md) and, when some constant is
too large to inline, OUT.weights/ beside it (the YAML's `file:` paths are
relative to its folder). Missing folders above OUT.yaml are created.
Nothing is written unless the whole import succeeds: both are written under
a temporary folder beside OUT.yaml, checked (with `QCC check` when
--check-with is given) and renamed into place; on error the folders it
created are removed again.

Errors are one line `FILE: error: ...` and exit status 1. Every node the
model format cannot express is listed in that one line, with its name and
the reason. docs/onnx.md has the op mapping and what is rejected and why.

Bad input is kept apart from importer bugs: the file is read and checked
(read_model, check_model_input) before anything is converted or the output
folder is looked at, and every size it declares is checked against its data
before anything is allocated. An exception while converting a model that
passes those checks is an importer bug and is reported as one, unless
onnx.checker or ONNX's strict shape inference finds the model invalid (a
node missing inputs, say). ONNX's C++ code runs in a forked child
(isolated), so that its crash on a hostile model is an error line too.

Uses Debian's python3-onnx and python3-numpy only; `qcc import` (and every
qcc command given an .onnx model) runs it. The work is split by job over
the modules beside it: onnx_read.py (reading and checking the input),
onnx_fold.py (constant folding), onnx_importer.py (shape inference and the
conversion loop), onnx_patterns.py (fused patterns), onnx_ops.py (the op
converters), onnx_write.py (the YAML and weights, written atomically), with
onnx_util.py and onnx_values.py shared.
"""

import argparse
import os
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx_util  # noqa: E402
from onnx_util import Bug, Fail, die, need_modules, oneline  # noqa: E402


def __getattr__(name):
    """The importer's pieces by their old names (onnx_import.Importer,
    .isolated, ...), for tools and tests that load this file as a module."""
    import onnx_importer
    import onnx_read
    for mod in (onnx_importer, onnx_read):
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(name)


class ArgParser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 1, as qcc's do
        self.print_usage(sys.stderr)
        die(self.prog, message)


def main(argv):
    ap = ArgParser(
        prog=onnx_util.PROG, description="Converts an ONNX model to the YAML model "
        "format (OUT.yaml) plus .npy weights in OUT.weights/ beside it. "
        "Nothing is written on error; every node the model format cannot "
        "express is listed in one error. See docs/onnx.md.")
    ap.add_argument("model", metavar="MODEL.onnx")
    ap.add_argument("-o", dest="out", metavar="OUT.yaml", required=True,
                    help="the YAML model to write")
    ap.add_argument("--name", help="the model name (a C identifier; default: "
                    "the ONNX graph name or the file name)")
    ap.add_argument("--shape", action="append", default=[],
                    metavar="NAME=D0,D1,...",
                    help="static shape for an input with dynamic dims")
    ap.add_argument("--check-with", metavar="QCC",
                    help="run 'QCC check' on the result before writing it")
    ap.add_argument("--prog", help=argparse.SUPPRESS)
    if "--prog" in argv[1:2] and len(argv) > 2:
        onnx_util.PROG = argv[2]
        ap.prog = argv[2]
    args = ap.parse_args(argv[1:])
    need_modules()
    import numpy as np
    from onnx_importer import Importer
    from onnx_read import check_model_input, invalid_reason, read_model
    from onnx_write import model_name, parse_shape, render, write_model
    np.seterr(all="ignore")
    warnings.simplefilter("ignore", RuntimeWarning)
    src = args.model
    out = args.out
    if not out.endswith(".yaml") and not out.endswith(".yml"):
        die(onnx_util.PROG, "-o %s: the output must end in .yaml" % out)
    debug = bool(os.environ.get("QCC_IMPORT_DEBUG"))
    model = imp = None
    try:
        shapes = dict(parse_shape(s) for s in args.shape)
        # The input first, all of it, before the output is looked at.
        try:
            model = read_model(src)
            check_model_input(model, src)
        except (Fail, KeyboardInterrupt):
            raise
        except MemoryError:
            raise Fail("out of memory reading the model")
        except Exception as e:
            if debug:
                raise
            raise Fail("cannot read the model (%s: %s)"
                       % (type(e).__name__, e))
        imp = Importer(model, src, shapes)
        imp.collect_inputs()
        imp.run()
        # Problems first: an input the format cannot take (a 0 dim, a
        # dynamic one) gets a stand-in shape that later checks may trip on.
        if imp.problems:
            items = ["%s: %s" % p for p in imp.problems]
            raise Fail("unsupported: %d problem%s: %s"
                       % (len(items), "" if len(items) == 1 else "s",
                          "; ".join(items)))
        if imp.invalid:
            raise Fail("invalid ONNX node%s %s" % (
                "s" if len(imp.invalid) > 1 else "",
                "; ".join("%s: %s" % p for p in imp.invalid)))
        name = model_name(imp, src, args.name)
        stem = os.path.basename(out).rsplit(".", 1)[0]
        weights_dir = (re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".") or
                       "model") + ".weights"
        text, files = render(imp, name, src, weights_dir)
        try:
            write_model(out, text, files, weights_dir, args.check_with)
        except OSError as e:
            die(out, "cannot write: %s" % e)
    except Fail as e:
        die(e.where or src, str(e))
    except Bug as e:
        why = invalid_reason(model)
        if why:
            die(src, "not a valid ONNX model: %s" % why)
        die(src, "the imported model does not load (an importer bug): %s" % e)
    except Exception as e:  # a bug, unless the model is invalid
        if debug:
            raise
        why = invalid_reason(model)
        if why:
            die(src, "not a valid ONNX model: %s" % why)
        at = getattr(e, "qcc_where", None)
        die(src, "internal error in the importer%s (%s: %s); set "
            "QCC_IMPORT_DEBUG=1 for a traceback"
            % (" at " + at if at else "", type(e).__name__, e))
    for w in imp.warnings:
        sys.stderr.write("%s: warning: %s\n" % (oneline(src), oneline(w)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
