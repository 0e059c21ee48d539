"""Shared by the importer's modules: its limits, its exceptions, one-line errors
(oneline, die) and the check that python3-onnx and python3-numpy are there.
Imports nothing but the standard library, so that it can say what is
missing.
"""


import os
import sys


PROG = "qcc import"
INLINE_MAX = 16  # constants of at most this many elements go in `data:`


# Limits on what a model may declare (docs/onnx.md, "Bad input"): a file
# of a few bytes must not make the importer allocate gigabytes or loop for
# hours.
MAX_ELEMENTS = 1 << 31  # of any tensor in the file, or input
GROW_MAX = 1 << 24      # a constant the importer computes may be larger
                        # than its inputs together only up to this
MAX_RANK = 8            # QCC_MAX_RANK (ir/ir.h)
WINDOW_MAX = 1 << 20    # kernel, stride, dilation, pad (ir/shape.c)
RESIZE_MAX = 1 << 20    # output rows / columns of a Resize (checked one by one)
PROTO_MAX = (1 << 31) - 1  # protobuf's limit on one message


class Fail(Exception):
    """A fatal error: one line naming `where` (default: the input model),
    nothing written."""

    def __init__(self, msg, where=None):
        super().__init__(msg)
        self.where = where


class Bug(Exception):
    """The importer wrote a model qcc does not load: an importer bug unless
    onnx.checker finds the input invalid (main decides)."""


class Unsupported(Exception):
    """A node (or input) the model format cannot express; collected."""


class BadNode(Exception):
    """A node the ONNX spec forbids (an axis out of range, a shape that
    does not hold its input) that onnx.checker lets through: bad input,
    collected with the node's name like Unsupported, reported after it."""


class TooBig(Exception):
    """A constant fold that would create a tensor over GROW_MAX."""


def oneline(s):
    """s with control characters (newlines included), undecodable bytes
    (surrogate escapes) and line separators escaped: a name in a model
    must not break an error line or a YAML comment."""
    out = []
    for ch in str(s):
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append("\\x%02x" % (o - 0xDC00))
        elif o < 0x20 or 0x7F <= o < 0xA0:
            out.append("\\x%02x" % o)
        elif o in (0x2028, 0x2029) or 0xD800 <= o <= 0xDFFF:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def die(where, msg):
    sys.stderr.write("%s: error: %s\n" % (oneline(where), oneline(msg)))
    sys.exit(1)


def need_modules():
    """Exits when numpy or onnx is missing: with one error line, or, when qcc
    runs the script and asks for it (QCC_IMPORT_MISSING_STATUS), silently
    with that status, so that qcc can try its next Python."""
    for module, package in (("numpy", "python3-numpy"), ("onnx", "python3-onnx")):
        try:
            __import__(module)
        except ImportError:
            status = os.environ.get("QCC_IMPORT_MISSING_STATUS")
            if status and status.isdigit():
                sys.exit(int(status))
            die(PROG, "the Python module '%s' is missing from %s: install "
                "Debian's %s (apt-get install %s)"
                % (module, sys.executable, package, package))
