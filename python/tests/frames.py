"""Frames the tests can check: frame i of a shape and dtype is known from i alone, and i can
be read back from the frame (its first element)."""

import numpy as np


def make(i, shape, dtype="uint8"):
    dtype = np.dtype(dtype)
    i = i % (200 if dtype.itemsize == 1 else 50_000)  # so that index() reads it back
    n = int(np.prod(shape))
    if dtype.kind == "f":
        values = np.arange(n, dtype=np.float64) * 0.5 + i * 1000.0
        out = values.astype(dtype)
    else:
        modulus = 251 if dtype.itemsize == 1 else 60_000
        values = (np.arange(n, dtype=np.int64) * 7 + i * 13) % modulus
        out = values.astype(dtype)
    flat = out.reshape(-1)
    flat[0] = i
    return out.reshape(shape)


def index(frame):
    """The i a frame was made with (modulo 200 for 1-byte dtypes, 50,000 for others)."""
    return int(frame.reshape(-1)[0])


def describe(value):
    """A reply as JSON can carry it."""
    if isinstance(value, np.ndarray):
        return {"array": list(value.shape), "dtype": value.dtype.str, "index": index(value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, (tuple, list)):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    return value


#: Data of every msgpack type, for the tests that send it across (JSON-safe once described).
VALUES = [
    None,
    True,
    False,
    0,
    -7,
    2**63 + 5,
    3.25,
    "",
    "text ü",
    b"\x00\x01bytes",
    [1, "a", None],
    (2, 3.5),
    {"k": [1, {"n": None}], "b": b"x"},
]
