#!/usr/bin/env python3
"""Writes the .npy fixtures of the bad-input tests (tests/bad/npy_*.npy).

Run once with NumPy (python3 tests/bad/gen_bad_npy.py); the outputs are
committed, so the test suite itself never needs NumPy. Good files come from
np.save so the reader is checked against the reference writer; bad ones are
np.save output damaged in one specific way each.
"""
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def saved(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


good = (np.arange(6, dtype="<f4") * 0.5).reshape(2, 3)

# Well-formed files, used where the declaration is what is wrong.
write("npy_f32_2x3.npy", saved(good))
write("npy_i8_2x3.npy", saved(np.arange(6, dtype="i1").reshape(2, 3)))

# One defect each.
write("npy_f64.npy", saved(good.astype("<f8")))
write("npy_big_endian.npy", saved(good.astype(">f4")))
write("npy_fortran.npy", saved(np.asfortranarray(good)))
write("npy_truncated.npy", saved(good)[:-14])  # 10 of 24 data bytes left
write("npy_trailing.npy", saved(good) + b"junk")
write("npy_bad_magic.npy", b"PK\x03\x04 this is a zip file, not an array\n")
v4 = bytearray(saved(good))
v4[6] = 4  # major version byte
write("npy_version4.npy", bytes(v4))
