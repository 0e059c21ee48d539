#!/usr/bin/python3
"""npy_compare: checks an output .npy against a reference .npy.

    python3 tools/npy_compare.py ACTUAL.npy EXPECTED.npy [--max-rel 1e-4]
                                 [--max-abs A] [--min-sqnr DB]

Prints the max absolute error and the relative error, defined as
max|actual - expected| / max|expected| (relative to the output's largest
magnitude, so values near zero do not blow it up). Exits 1 when the shapes
differ, either file holds NaN/Inf where the other does not, or an error is
above its tolerance; 2 on usage or file errors. Used by the end-to-end lit
tests.

--min-sqnr DB checks the signal-to-quantization-noise ratio instead, for
quantized outputs compared with a float reference:
    SQNR = 10 * log10(sum(expected^2) / sum((actual - expected)^2))
(over the finite elements, in float64; +inf when the files are equal, -inf
when expected is all zero and actual is not), printed as measured; it fails
below DB. --max-rel defaults to 1e-4 unless --min-sqnr is given; with
--min-sqnr it is checked only when given.
"""

import argparse
import sys

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("actual")
    ap.add_argument("expected")
    ap.add_argument("--max-rel", type=float, default=None,
                    help="tolerance on max|a-e| / max|e| (default 1e-4, "
                    "unchecked with --min-sqnr unless given)")
    ap.add_argument("--max-abs", type=float, default=None,
                    help="tolerance on max|a-e| (default: not checked)")
    ap.add_argument("--min-sqnr", type=float, default=None, metavar="DB",
                    help="smallest accepted SQNR in dB, "
                    "10*log10(sum(e^2)/sum((a-e)^2)) (default: not checked)")
    args = ap.parse_args(argv)
    if args.max_rel is None and args.min_sqnr is None:
        args.max_rel = 1e-4
    try:
        a = np.load(args.actual, allow_pickle=False)
        e = np.load(args.expected, allow_pickle=False)
    except (OSError, ValueError) as err:
        print("npy_compare: error: %s" % err, file=sys.stderr)
        return 2
    if a.shape != e.shape:
        print("npy_compare: FAIL: shape %s, expected %s" % (a.shape, e.shape))
        return 1
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    fin_a, fin_e = np.isfinite(a64), np.isfinite(e64)
    if not np.array_equal(fin_a, fin_e) or not np.array_equal(a64[~fin_a], e64[~fin_e]):
        print("npy_compare: FAIL: non-finite values differ")
        return 1
    if a.size == 0:
        print("npy_compare: ok: empty arrays")
        return 0
    diff = np.abs(a64[fin_a] - e64[fin_e])
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = float(np.abs(e64[fin_e]).max()) if diff.size else 0.0
    rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else np.inf)
    worst = np.unravel_index(int(np.argmax(np.where(fin_e, np.abs(a64 - e64), -1))),
                             a.shape) if diff.size else ()
    signal = float(np.sum(np.square(e64[fin_e])))
    noise = float(np.sum(np.square(diff)))
    if noise == 0:
        sqnr = np.inf
    elif signal == 0:
        sqnr = -np.inf
    else:
        sqnr = 10.0 * np.log10(signal / noise)
    ok = ((args.max_rel is None or rel <= args.max_rel)
          and (args.max_abs is None or max_abs <= args.max_abs)
          and (args.min_sqnr is None or sqnr >= args.min_sqnr))
    limits = []
    if args.max_rel is not None:
        limits.append("max rel %g" % args.max_rel)
    if args.max_abs is not None:
        limits.append("max abs %g" % args.max_abs)
    if args.min_sqnr is not None:
        limits.append("min SQNR %g dB" % args.min_sqnr)
    print("npy_compare: %s: shape %s, max abs err %.6g at %s (actual %.9g, "
          "expected %.9g), max |expected| %.6g, rel err %.6g, SQNR %.2f dB "
          "(%s)"
          % ("ok" if ok else "FAIL", list(a.shape), max_abs, list(map(int, worst)),
             a64[worst] if diff.size else 0.0, e64[worst] if diff.size else 0.0,
             scale, rel, sqnr, ", ".join(limits)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
