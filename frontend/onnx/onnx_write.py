"""Writing: the model name, the YAML text and its .npy weights, written
under a temporary folder beside OUT.yaml, checked with `qcc check` and
renamed into place (nothing half-written; created folders removed on
error).
"""


import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

from onnx_util import Bug, Fail, INLINE_MAX, MAX_ELEMENTS, oneline
from onnx_values import fnum, yname, yvalue
from onnx_read import numel


# ---- writing ------------------------------------------------------------------------------

def model_name(imp, path, given):
    if given:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", given):
            raise Fail("--name %s: not a C identifier" % given)
        return given
    for cand in (imp.g.name, os.path.splitext(os.path.basename(path))[0]):
        s = re.sub(r"[^A-Za-z0-9_]", "_", cand or "")
        s = re.sub(r"_+", "_", s).strip("_")
        if s:
            return "m_" + s if s[0].isdigit() else s
    return "model"


def npy_file_name(name, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "tensor"
    f, k = base + ".npy", 2
    while f.lower() in taken:
        f = "%s_%d.npy" % (base, k)
        k += 1
    taken.add(f.lower())
    return f


def render(imp, name, src, weights_dir):
    """The YAML text and the {file name: array} to write in weights_dir."""
    producer = " ".join(p for p in (imp.model.producer_name,
                                    imp.model.producer_version) if p)
    # Comments hold names from the model: oneline keeps each on its line.
    lines = ["# Imported from %s by qcc import (ONNX opset %d%s)."
             % (oneline(os.path.basename(src)), imp.opset,
                ", producer " + oneline(producer) if producer else "")]
    if imp.renamed:
        lines.append("# Names renamed (the format allows only "
                     "[A-Za-z0-9_.:/-]):")
        for old, new in imp.renamed:
            lines.append("#   %s -> %s" % (oneline(repr(old)), new))
    for note in imp.notes:
        lines.append("# " + oneline(note))
    lines += ["format: 1", "name: %s" % name, "inputs:"]
    for n, dims in imp.y_inputs:
        lines.append("  - {name: %s, shape: %s}" % (yname(n), yvalue(dims)))
    lines.append("outputs: [%s]" % ", ".join(yname(o) for o in imp.y_outputs))
    files = {}
    if imp.y_consts:
        lines.append("constants:")
        taken = set()
        dtn = {np.dtype(np.float32): "f32", np.dtype(np.int8): "i8",
               np.dtype(np.uint8): "u8", np.dtype(np.int32): "i32"}
        for cname, v in imp.y_consts.items():
            dt = dtn[v.dtype]
            head = "  %s: {dtype: %s, shape: %s, " % (yname(cname), dt,
                                                       yvalue(list(v.shape)))
            if v.size <= INLINE_MAX and np.all(np.isfinite(v)):
                vals = [fnum(e) if dt == "f32" else str(int(e))
                        for e in v.reshape(-1)]
                lines.append(head + "data: [%s]}" % ", ".join(vals))
            else:
                f = npy_file_name(cname, taken)
                files[f] = v
                lines.append(head + 'file: "%s/%s"}' % (weights_dir, f))
    lines.append("nodes:")
    for nd in imp.y_nodes:
        parts = ["name: %s" % yname(nd["name"]), "op: %s" % nd["op"],
                 "inputs: [%s]" % ", ".join(yname(i) for i in nd["inputs"]),
                 "outputs: [%s]" % ", ".join(yname(o) for o in nd["outputs"])]
        if nd["attrs"]:
            parts.append("attrs: {%s}" % ", ".join(
                "%s: %s" % (k, yvalue(v)) for k, v in nd["attrs"].items()))
        lines.append("  - {%s}" % ", ".join(parts))
    if imp.y_quant:
        lines.append("quant:")
        for t, e in imp.y_quant.items():
            lines.append("  %s: {%s}" % (yname(t), ", ".join(
                "%s: %s" % (k, yvalue(v)) for k, v in e.items())))
    return "\n".join(lines) + "\n", files


def make_folders(out):
    """Creates the missing folders above out (qcc run's --output-dir does
    too); returns those it created, outermost first, for remove_folders."""
    missing = []
    p = os.path.dirname(out)
    while p and not os.path.isdir(p):
        if os.path.lexists(p):
            raise Fail("cannot write: '%s' is not a folder" % p, out)
        missing.append(p)
        p = os.path.dirname(p)
    created = []
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d)
            except FileExistsError:
                if not os.path.isdir(d):
                    raise
                continue
            created.append(d)
    except OSError:
        remove_folders(created)
        raise
    return created


def remove_folders(created):
    """Removes the folders make_folders created, if still empty."""
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            pass


def write_model(out, text, files, weights_dir, check_with):
    """Writes OUT.yaml and its weights folder under a temporary folder
    beside OUT.yaml, checks them, then renames both into place. The folder
    of OUT.yaml is created when missing; on any error nothing is left
    behind, the folders created included."""
    if os.path.isdir(out):
        raise Fail("is a folder", out)
    final_w = os.path.join(os.path.dirname(os.path.abspath(out)), weights_dir)
    if os.path.lexists(final_w) and not (
            os.path.isdir(final_w) and not os.path.islink(final_w) and
            all(f.endswith(".npy") for f in os.listdir(final_w))):
        raise Fail("'%s' exists and is not a weights folder written by qcc "
                   "import (only .npy files); remove it or choose another -o"
                   % final_w, out)
    created = make_folders(out)
    done = False
    try:
        folder = os.path.dirname(os.path.abspath(out))
        tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp.",
                               dir=folder)
        try:
            write_checked(out, tmp, text, files, weights_dir, final_w,
                          check_with)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        done = True
    finally:
        if not done:
            remove_folders(created)


def write_checked(out, tmp, text, files, weights_dir, final_w, check_with):
    tmp_yaml = os.path.join(tmp, os.path.basename(out))
    tmp_w = os.path.join(tmp, weights_dir)
    if files:
        os.mkdir(tmp_w)
        for f, v in files.items():
            np.save(os.path.join(tmp_w, f), v, allow_pickle=False)
    with open(tmp_yaml, "w", encoding="utf-8") as fh:
        fh.write(text)
    if check_with:
        r = subprocess.run([check_with, "check", tmp_yaml],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True,
                           errors="backslashreplace")
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or [
                "'%s check' exited with status %d" % (check_with,
                                                      r.returncode)])[0]
            raise Bug(first.replace(tmp_yaml, out))
    old = None
    if os.path.lexists(final_w):
        old = os.path.join(tmp, "old-weights")
        os.rename(final_w, old)
    moved = False
    try:
        if files:
            os.rename(tmp_w, final_w)
            moved = True
        os.rename(tmp_yaml, out)
    except OSError:
        if moved:
            os.rename(final_w, tmp_w)
        if old:
            os.rename(old, final_w)
        raise


def parse_shape(s):
    if "=" not in s:
        raise Fail("--shape needs NAME=D0,D1,..., got '%s'" % s)
    name, dims = s.rsplit("=", 1)
    try:
        d = [int(v) for v in dims.split(",")]
    except ValueError:
        raise Fail("--shape %s: dims must be integers" % s)
    if not name or not d or any(v < 1 for v in d):
        raise Fail("--shape %s: dims must be positive integers" % s)
    if numel(d) > MAX_ELEMENTS:
        raise Fail("--shape %s: more than 2^31 elements" % s)
    return name, d
