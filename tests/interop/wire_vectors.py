#!/usr/bin/env python3
"""Prints, as JSON, the exact bytes vidgear 0.3.6 puts on the wire for a set of values.

vidgear packs with ``msgpack.packb`` (and ``msgpack_numpy.encode`` for arrays); this script
calls the same functions on the same dicts, so the Rust tests can compare their encoders with
Python's byte for byte. Input values come as JSON so that both sides start from the same value.
"""

import json

import msgpack
import msgpack_numpy as m
import numpy as np

DATA = [
    "", "hi", "x" * 40, "é" * 200, 0, 1, -1, 127, 128, -33, 255, 256, 65536, -70000,
    2**32, 2**63 - 1, -(2**63), 1.5, -0.25, True, False, None, [], {}, [1, "a", None],
    {"a": {"b": [1, 2.5, False]}, "c": "d"}, list(range(20)), {str(i): i for i in range(20)},
]

ARRAYS = [
    ("|u1", [2, 3, 3]), ("<u2", [4, 5]), (">u2", [3]), ("<i4", [2, 2, 2]), (">f4", [5]),
    ("<f8", [1, 7]), ("|b1", [9]), ("<i8", [3, 1]), ("<f2", [4]), ("|u1", [300, 1]),
    ("|u1", [0, 4]),
]


def array(dtype, shape):
    n = int(np.prod(shape))
    raw = ((np.arange(n * np.dtype(dtype).itemsize) * 37 + 11) % 256).astype(np.uint8)
    a = np.frombuffer(raw.tobytes(), dtype=np.dtype(dtype)).reshape(shape)
    if np.dtype(dtype).kind == "b":
        a = (raw % 2).astype(bool).reshape(shape)
    return a


def main():
    out = {"header": [], "reply": [], "frame": []}
    for d in DATA:
        for bi in (False, True):
            enc = msgpack.packb({"terminate": False, "bi_mode": bi, "data": d if d is not None else ""})
            out["header"].append({"bi_mode": bi, "data": d, "hex": enc.hex()})
        enc = msgpack.packb({"return_type": type(d).__name__, "return_data": d if d is not None else ""})
        out["reply"].append({"data": d, "hex": enc.hex()})
    for dtype, shape in ARRAYS:
        a = array(dtype, shape)
        enc = msgpack.packb(a, default=m.encode)
        out["frame"].append({"type": a.dtype.str, "shape": list(a.shape),
                             "data_hex": a.tobytes().hex(), "hex": enc.hex()})
    out["terminate"] = msgpack.packb({"terminate": True}).hex()
    out["reply_frame_head"] = msgpack.packb({"return_type": "ndarray", "return_data": None}).hex()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
