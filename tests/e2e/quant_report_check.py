#!/usr/bin/python3
"""quant_report_check: assertions on a JSON quantization report (qcc run
--report FILE.json), for the end-to-end quantization tests.

    quant_report_check.py REPORT.json [--all-int8] [--count OP=N ...]
        [--int8 NODE ...] [--f32 NODE ...] [--why TEXT]
        [--min-output-sqnr DB] [--min-f32 N]

--all-int8        f32_nodes == 0 and every node row says int8
--count OP=N      exactly N node rows have op OP
--int8 NODE       NODE's row says int8
--f32 NODE        NODE's row says f32 (and, with --why, its reason, the
                  row's "why", contains TEXT)
--min-f32 N       at least N rows say f32, each with a non-empty reason
                  (containing TEXT when --why is given)
--min-output-sqnr output_sqnr_db is a number >= DB

Always checks that the file is JSON, that output_sqnr_db is present and
that int8_nodes/f32_nodes agree with the rows. Prints what it measured;
exits 1 on a failed check, 2 on a usage or file error.
"""

import argparse
import json
import math
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("--all-int8", action="store_true")
    ap.add_argument("--count", action="append", default=[], metavar="OP=N")
    ap.add_argument("--int8", action="append", default=[], metavar="NODE")
    ap.add_argument("--f32", action="append", default=[], metavar="NODE")
    ap.add_argument("--why", default=None, metavar="TEXT")
    ap.add_argument("--min-f32", type=int, default=None, metavar="N")
    ap.add_argument("--min-output-sqnr", type=float, default=None, metavar="DB")
    args = ap.parse_args(argv)
    try:
        with open(args.report) as f:
            r = json.load(f)
    except (OSError, ValueError) as err:
        print("quant_report_check: error: %s" % err, file=sys.stderr)
        return 2

    errors = []
    if "output_sqnr_db" not in r:
        errors.append("no output_sqnr_db")
    sqnr = r.get("output_sqnr_db")
    rows = r.get("nodes", [])
    by_name = {n["node"]: n for n in rows}
    n8 = sum(1 for n in rows if n["precision"] == "int8")
    n32 = sum(1 for n in rows if n["precision"] == "f32")
    if n8 + n32 != len(rows):
        errors.append("rows with a precision other than int8/f32")
    if r.get("int8_nodes") != n8 or r.get("f32_nodes") != n32:
        errors.append("int8_nodes/f32_nodes = %s/%s, the rows say %d/%d"
                      % (r.get("int8_nodes"), r.get("f32_nodes"), n8, n32))

    if args.all_int8:
        bad = [n["node"] for n in rows if n["precision"] != "int8"]
        if bad or r.get("f32_nodes") != 0:
            errors.append("not all int8: %s" % bad)
    for spec in args.count:
        op, _, want = spec.partition("=")
        got = sum(1 for n in rows if n["op"] == op)
        if got != int(want):
            errors.append("%d %s rows, expected %s" % (got, op, want))
    for name in args.int8:
        n = by_name.get(name)
        if not n or n["precision"] != "int8":
            errors.append("node %s is not int8: %s" % (name, n))
    for name in args.f32:
        n = by_name.get(name)
        if not n or n["precision"] != "f32":
            errors.append("node %s is not f32: %s" % (name, n))
        elif args.why is not None and args.why not in n.get("why", ""):
            errors.append("node %s: reason %r lacks %r"
                          % (name, n.get("why"), args.why))
    if args.min_f32 is not None:
        kept = [n for n in rows if n["precision"] == "f32"]
        if len(kept) < args.min_f32:
            errors.append("%d f32 rows, expected at least %d"
                          % (len(kept), args.min_f32))
        for n in kept:
            why = n.get("why") or ""
            if not why or (args.why is not None and args.why not in why):
                errors.append("node %s: reason %r" % (n["node"], why))
    if args.min_output_sqnr is not None:
        if not isinstance(sqnr, (int, float)) or math.isnan(sqnr) \
                or sqnr < args.min_output_sqnr:
            errors.append("output SQNR %s dB, below %g dB"
                          % (sqnr, args.min_output_sqnr))

    print("quant_report_check: %s: %s: %d int8, %d f32 rows, output SQNR %s dB"
          % ("FAIL" if errors else "ok", args.report, n8, n32, sqnr))
    for e in errors:
        print("quant_report_check: FAIL: %s" % e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
