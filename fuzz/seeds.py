#!/usr/bin/env python3
"""Writes the fuzz seed corpus (fuzz/corpus/<target>/) from real encodings.

Every seed is what vidgear 0.3.6 (msgpack + msgpack_numpy) actually puts on the wire, plus the
hostile shapes a Python peer can produce with the same calls (object and structured arrays,
numpy scalars, raw-string packing). Run it with the project's venv (scripts/setup-venv.sh):

    .venv/bin/python fuzz/seeds.py

The files are committed; rerun only to change the seeds. wire/tests/corpus.rs runs every
seed through the same checks as the fuzz targets.
"""

import os
import pathlib
import pickle

import msgpack
import msgpack_numpy as m
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def join_parts(parts):
    """The message target's input format: per part, a little-endian u16 length and the bytes."""
    out = b""
    for p in parts:
        out += len(p).to_bytes(2, "little") + p
    return out


def header(data, bi_mode=False):
    return msgpack.packb({"terminate": False, "bi_mode": bi_mode, "data": data})


def frame(a, **kw):
    return msgpack.packb(a, default=m.encode, **kw)


class Payload:
    """Unpickling this would run a shell command; it is only ever packed here, never loaded."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def main():
    pixels = (np.arange(2 * 3 * 3) * 37 % 256).astype(np.uint8).reshape(2, 3, 3)
    frames = {
        "bgr_u1": pixels,
        "le_u2": np.arange(6, dtype="<u2").reshape(2, 3),
        "be_f4": np.linspace(-1, 1, 5).astype(">f4"),
        "le_f8_nan": np.array([[np.nan, np.inf, -0.0]], dtype="<f8"),
        "le_f2": np.arange(4, dtype="<f2"),
        "bool": np.array([True, False, True]),
        "le_i8": np.array([-(2**63), 2**63 - 1], dtype="<i8"),
        "empty": np.zeros((0, 4), dtype=np.uint8),
        "zero_dim": np.array(7, dtype="<i4"),
        "four_dim": np.ones((1, 2, 1, 2), dtype="|i1"),
    }
    for name, a in frames.items():
        write("frame", name, frame(a))
    # Hostile but real: what msgpack_numpy writes for arrays netgear-rs refuses.
    write("frame", "object_pickle", frame(np.array([Payload(), 1], dtype=object)))
    write("frame", "structured", frame(np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8")])))
    write("frame", "void", frame(np.zeros(2, dtype="|V8")))
    write("frame", "numpy_scalar", frame(np.float32(2.5)))
    write("frame", "complex", frame(np.array([1 + 2j], dtype="<c16")))
    # msgpack_numpy cannot pack datetimes (no buffer); the map it would write, by hand.
    write("frame", "datetime", msgpack.packb({b"nd": True, b"type": "<M8[ns]", b"kind": b"",
                                              b"shape": (1,), b"data": bytes(8)}))
    # msgpack-python < 1.0 packed bytes as raw str: str keys, str data.
    write("frame", "raw_strings", frame(pixels, use_bin_type=False))

    datas = ["", "hi", "é" * 40, 0, -1, 2**63 - 1, -(2**63), 1.5, True, None, [],
             {"a": {"b": [1, 2.5, False]}, "c": b"\x00\xff"}, list(range(20)),
             {str(i): i for i in range(20)}, msgpack.ExtType(5, b"ext")]
    for i, d in enumerate(datas):
        write("header", f"data_{i:02}", header(d, bi_mode=bool(i % 2)))
    write("header", "terminate", msgpack.packb({"terminate": True}))
    write("header", "pickle_as_data", header(pickle.dumps(Payload())))

    for i, d in enumerate(datas):
        rtype = type(d).__name__
        write("reply", f"data_{i:02}", msgpack.packb({"return_type": rtype, "return_data": d}))
    write("reply", "frame_head", msgpack.packb({"return_type": "ndarray", "return_data": None}))
    for end in ("server", "client"):
        write("reply", f"mismatch_{end}", msgpack.packb(
            {"return_type": "NoneType", "return_data": "", "bi_mode_missing_on": end}))
    write("reply", "terminated",
          msgpack.packb({"terminated": "Client-`ABCD1234` successfully terminated!"}))
    write("reply", "confirmation", b"Data received on client: ABCD1234 !")

    good = [header("hi", True), frame(pixels)]
    write("message", "frame", join_parts(good))
    write("message", "frame_f4", join_parts([header(""), frame(frames["be_f4"])]))
    write("message", "terminate", join_parts([msgpack.packb({"terminate": True})]))
    write("message", "one_part", join_parts(good[:1]))
    write("message", "three_parts", join_parts(good + [b"extra"]))
    write("message", "object_frame",
          join_parts([header(""), frame(np.array([Payload()], dtype=object))]))
    head = msgpack.packb({"return_type": "ndarray", "return_data": None})
    write("message", "frame_reply", join_parts([head, frame(pixels)]))
    write("message", "frame_reply_one_part", join_parts([head]))
    write("message", "data_reply",
          join_parts([msgpack.packb({"return_type": "str", "return_data": "hello"})]))


if __name__ == "__main__":
    main()
