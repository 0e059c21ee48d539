"""Names and values as the YAML model format writes them (yname, fnum,
yvalue), and ONNX attribute and type helpers.
"""


import re

import onnx

from onnx_util import Unsupported


FLT_MAX = 3.4028234663852886e38

NAME_RE = re.compile(r"[^A-Za-z0-9_.:/-]")
PLAIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
YAML_WORDS = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
              "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
              "ON", "off", "Off", "OFF", "null", "Null", "NULL"}


def yname(s):
    """A name as a YAML scalar: plain where unambiguous, else quoted."""
    if PLAIN_RE.match(s) and s not in YAML_WORDS:
        return s
    return '"%s"' % s  # sanitized names hold no '"' or '\\'


def fnum(x):
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise Unsupported("non-finite attribute value %r" % x)
    return repr(x)


def yvalue(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yvalue(e) for e in v) + "]"
    if isinstance(v, float):
        return fnum(v)
    if isinstance(v, int):
        return str(v)
    return str(v)  # enum names


def attr_dict(node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [e.decode("utf-8", "replace") for e in v]
        out[a.name] = v
    return out


def elem_name(t):
    try:
        return onnx.TensorProto.DataType.Name(t)
    except ValueError:
        return "type %d" % t


def np_dtype(t):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t]


# ---- constant folding (numpy) -----------------------------------------------
