"""What lets vidgear's examples run anywhere, as the Rust examples do: a short test clip made
with ffmpeg when there is no video file (or camera), and a window only where one can be shown.
The examples themselves are vidgear's docs examples with their import lines changed."""

import os
import subprocess
import sys
import tempfile

import cv2


def video(name="foo.mp4"):
    """`name` if it exists, else (once) a 3-second 640x480 test clip, saying so."""
    if os.path.exists(name):
        return name
    path = os.path.join(tempfile.gettempdir(), "netgear-rs-example-clip.mp4")
    if not os.path.exists(path):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                        "-i", "testsrc2=size=640x480:rate=30", "-t", "3", path], check=True)
    print("no {}: streaming a test clip ({})".format(name, path), file=sys.stderr)
    return path


def camera():
    """The first camera if there is one, else the test clip (as a cv2.VideoCapture)."""
    if os.path.exists("/dev/video0"):
        return cv2.VideoCapture(0)
    print("no camera: streaming a test clip instead", file=sys.stderr)
    return cv2.VideoCapture(video())


class _Window:
    """cv2, with imshow/waitKey/destroyAllWindows doing nothing where there is no window."""

    shown = 0

    def __getattr__(self, name):
        return getattr(cv2, name)

    def imshow(self, title, frame):
        try:
            cv2.imshow(title, frame)
        except cv2.error:  # no display, or OpenCV without a GUI (opencv-python-headless)
            self.shown += 1

    def waitKey(self, delay):
        try:
            return cv2.waitKey(delay)
        except cv2.error:
            return -1

    def destroyAllWindows(self):
        try:
            cv2.destroyAllWindows()
        except cv2.error:
            pass


window = _Window()
