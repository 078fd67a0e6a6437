"""vidgear's reducer() (real vidgear + OpenCV) on raw frames, for tests/reducer.rs and
examples/reducer_speed.rs.

    python cv2_resize.py resize W H C PCT INTERP  < raw_frame  > result
        Reads H*W*C uint8 bytes (C = 1 means a 2-D frame) from stdin, applies
        vidgear.gears.helper.reducer(frame, PCT, cv2.INTER_<INTERP>) and writes one header line
        "HEIGHT WIDTH CHANNELS\\n" followed by the raw result bytes.

    python cv2_resize.py bench W H C PCT INTERP N THREADS  < raw_frame
        Times N calls of reducer() on the frame (after 3 warm-up calls) with time.perf_counter,
        excluding interpreter start-up and I/O; THREADS = 0 keeps OpenCV's default thread count,
        otherwise cv2.setNumThreads(THREADS). Prints one JSON line:
        {"ms_per_frame": ..., "threads": cv2.getNumThreads(), "cv2": version, "shape": [...]}.

    python cv2_resize.py sizes  < lines
        Each stdin line is "W H PCT"; prints the "HEIGHT WIDTH" of vidgear's reducer() output for a
        zero H x W uint8 frame (LANCZOS4), one line each, or "error" where vidgear raises.

INTERP is one of lanczos, area, linear, cubic, nearest. Errors go to stderr with exit status 1.
"""

import json
import sys
import time

import cv2
import numpy as np
from vidgear.gears.helper import reducer

INTERP = {
    "lanczos": cv2.INTER_LANCZOS4,
    "area": cv2.INTER_AREA,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "nearest": cv2.INTER_NEAREST,
}


def read_frame(w, h, c):
    raw = sys.stdin.buffer.read()
    if len(raw) != w * h * c:
        raise SystemExit(f"expected {w * h * c} bytes on stdin, got {len(raw)}")
    shape = (h, w) if c == 1 else (h, w, c)
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def sizes():
    for line in sys.stdin:
        if not line.strip():
            continue
        w, h, pct = line.split()
        try:
            out = reducer(np.zeros((int(h), int(w)), np.uint8), float(pct))
            print(out.shape[0], out.shape[1])
        except Exception:  # vidgear's ValueError, or cv2.error for an empty size
            print("error")


def main(argv):
    if argv[:1] == ["sizes"]:
        sizes()
        return
    if len(argv) < 6 or argv[0] not in ("resize", "bench"):
        raise SystemExit(__doc__)
    mode = argv[0]
    w, h, c = int(argv[1]), int(argv[2]), int(argv[3])
    pct = float(argv[4])
    interp = INTERP[argv[5]]
    frame = read_frame(w, h, c)
    if mode == "resize":
        out = np.ascontiguousarray(reducer(frame, pct, interp))
        oc = 1 if out.ndim == 2 else out.shape[2]
        sys.stdout.buffer.write(f"{out.shape[0]} {out.shape[1]} {oc}\n".encode())
        sys.stdout.buffer.write(out.tobytes())
        return
    n, threads = int(argv[6]), int(argv[7])
    if threads > 0:
        cv2.setNumThreads(threads)
    for _ in range(3):
        out = reducer(frame, pct, interp)
    start = time.perf_counter()
    for _ in range(n):
        out = reducer(frame, pct, interp)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "ms_per_frame": elapsed * 1000.0 / n,
                "threads": cv2.getNumThreads(),
                "cv2": cv2.__version__,
                "shape": list(out.shape),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
