#!/usr/bin/env python3
"""Decodes a video with OpenCV (cv2.VideoCapture, as vidgear's CamGear does) and writes the raw
BGR bytes of every frame, concatenated, to the output file; prints `frames width height`."""

import sys

import cv2


def main():
    src, out = sys.argv[1], sys.argv[2]
    cap = cv2.VideoCapture(src)
    if not cap.isOpened():
        raise SystemExit("cannot open {}".format(src))
    n, w, h = 0, 0, 0
    with open(out, "wb") as f:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            f.write(frame.tobytes())
            n += 1
    print(n, w, h)


if __name__ == "__main__":
    main()
