"""vidgear programs run unchanged on netgear_rs: each program in programs/ is run as vidgear's
users wrote it, then with its import line changed to netgear_rs's, and what the two printed
(frames, shapes, exceptions) is compared, in the same test."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import GUARD, port_below_ephemeral, wait_for

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
VIDGEAR_IMPORT = "from vidgear.gears.asyncio import NetGear_Async"
NETGEAR_RS_IMPORT = "from netgear_rs import NetGear_Async"


def program(name, impl, tmp_path):
    """The program's path: as written (vidgear), or with its import line changed."""
    with open(os.path.join(PROGRAMS, name)) as f:
        text = f.read()
    assert text.count(VIDGEAR_IMPORT) == 1, name
    if impl == "vidgear":
        return os.path.join(PROGRAMS, name)
    path = tmp_path / ("netgear_rs_" + name)
    path.write_text(text.replace(VIDGEAR_IMPORT, NETGEAR_RS_IMPORT))
    return str(path)


def start(name, impl, tmp_path, *args):
    return subprocess.Popen([sys.executable, program(name, impl, tmp_path)] +
                            [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    """A program's JSON summary ({} if it printed none), exit status and stderr."""
    try:
        out, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("hang guard: a program did not end\n" + err[-3000:])
    lines = [line for line in out.splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1]) if lines else {}
    summary["returncode"] = proc.returncode
    summary["stderr"] = err[-3000:]
    return summary


def run(name, impl, tmp_path, *args):
    """Runs a program to its end: its summary."""
    return finish(start(name, impl, tmp_path, *args))


def pair(sender, receiver, impl, tmp_path, sender_args=(), receiver_args=()):
    """A receiver program and a sender program, both `impl`, on a port of their own: their
    summaries."""
    port = port_below_ephemeral()
    rx = start(receiver, impl, tmp_path, port, *receiver_args)
    tx = start(sender, impl, tmp_path, port, *sender_args)
    return finish(tx), finish(rx)


def both_pairs(sender, receiver, tmp_path, sender_args=()):
    """The pair with vidgear at both ends, then netgear_rs at both: {impl: (sent, received)},
    each having exited 0."""
    got = {impl: pair(sender, receiver, impl, tmp_path, sender_args)
           for impl in ("vidgear", "netgear_rs")}
    for impl, (sent, received) in got.items():
        assert sent["returncode"] == 0 and received["returncode"] == 0, (impl, sent, received)
    return got


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 40-frame 640×360 clip with moving content, H.264 in MP4 (as a camera recording)."""
    path = str(tmp_path_factory.mktemp("clip") / "clip.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x360:rate=25", "-frames:v", "40", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", path], check=True)
    return path


def close_frames(a, b):
    """Whether two decodings of one clip agree frame by frame (OpenCV's decoder and
    conversion against ffmpeg's differ by rounding only)."""
    return len(a) == len(b) and all(abs(x - y) < 2.0 for x, y in zip(a, b))


@pytest.mark.parametrize("colorspace", ["-", "COLOR_BGR2GRAY", "COLOR_BGR2HSV"])
def test_capture_options_and_colorspace_as_in_vidgear(tmp_path, clip, colorspace):
    """THREAD_TIMEOUT, THREADED_QUEUE_MODE, CAP_PROP_* on a file, frame_format with CamGear,
    capture options on a receiver: vidgear streams the clip's 40 frames at full size, BGR
    (gray or HSV with the colorspace); so does netgear_rs (HSV through OpenCV itself)."""
    got = both_pairs("send_clip.py", "receive_frames.py", tmp_path, (clip, colorspace))
    vidgear, ours = got["vidgear"][1], got["netgear_rs"][1]
    assert vidgear["frames"] == 40, vidgear
    shape = "(360, 640)" if colorspace == "COLOR_BGR2GRAY" else "(360, 640, 3)"
    assert vidgear["shapes"] == [shape], vidgear
    for key in ("frames", "shapes", "dtypes"):
        assert ours[key] == vidgear[key], (key, ours[key], vidgear[key])
    assert close_frames(ours["means"], vidgear["means"]), (ours["means"], vidgear["means"])
    # What does not apply is said, by name.
    said = got["netgear_rs"][0]["stderr"]
    assert "CAP_PROP_FRAME_WIDTH" in said and "frame_format" in said, said


def test_a_seek_starts_where_opencvs_does(tmp_path, clip):
    """CAP_PROP_POS_FRAMES=10 on a file: vidgear's capture (OpenCV's seek) streams from the
    eleventh frame on; netgear_rs (ffmpeg, frame-accurate) streams the same frames."""
    got = both_pairs("send_clip.py", "receive_frames.py", tmp_path, (clip, "-", "seek"))
    vidgear, ours = got["vidgear"][1], got["netgear_rs"][1]
    assert vidgear["frames"] == 30, vidgear
    for key in ("frames", "shapes", "dtypes"):
        assert ours[key] == vidgear[key], (key, ours[key], vidgear[key])
    assert close_frames(ours["means"], vidgear["means"]), (ours["means"], vidgear["means"])


def test_what_would_stream_something_else_is_refused(clip):
    """Parameters whose effect the ffmpeg source cannot give are refused, saying why, before
    anything streams: a stabilizer border (larger frames), a seek by fraction of the file."""
    from netgear_rs import NetGear_Async

    with pytest.raises(ValueError, match="BORDER_SIZE"):
        NetGear_Async(source=clip, stabilize=True, BORDER_SIZE=20)
    with pytest.raises(ValueError, match="CAP_PROP_POS_AVI_RATIO"):
        NetGear_Async(source=clip, CAP_PROP_POS_AVI_RATIO=0.5)


def test_native_colorspaces_are_opencvs_byte_for_byte(tmp_path, clip):
    """The conversions done in Rust give exactly what cv2.cvtColor gives on the same frame."""
    import cv2  # vidgear's own dependency, in the test venv

    from netgear_rs import capture

    bgr = capture.Source(backend="CAMGEAR", source=clip, stabilize=False, camera_num=0,
                         resolution=None, framerate=None, stream_mode=False, opencv_backend=0,
                         source_demuxer=None, frame_format="bgr24", custom_ffmpeg="",
                         colorspace=None, time_delay=0, options={}, unset=None)
    frame = np.array(bgr.first)
    bgr.close()
    for name in ("COLOR_BGR2GRAY", "COLOR_RGB2GRAY", "COLOR_BGR2RGB", "COLOR_RGB2BGR",
                 "COLOR_BGR2BGRA", "COLOR_RGB2RGBA", "COLOR_BGR2RGBA", "COLOR_RGB2BGRA"):
        converted = capture.Source(backend="CAMGEAR", source=clip, stabilize=False,
                                   camera_num=0, resolution=None, framerate=None,
                                   stream_mode=False, opencv_backend=0, source_demuxer=None,
                                   frame_format="bgr24", custom_ffmpeg="", colorspace=name,
                                   time_delay=0, options={}, unset=None)
        ours = np.array(converted.first)
        converted.close()
        expected = cv2.cvtColor(frame, getattr(cv2, name))
        assert ours.shape == expected.shape and np.array_equal(ours, expected), name


def test_stabilize_streams_stabilised_frames(tmp_path, clip):
    """stabilize=True: vidgear's stabilizer holds back its first frames (it smooths over 25);
    ffmpeg's deshake keeps every one. Frames of the clip's shape either way, and not the
    clip's own."""
    got = both_pairs("send_clip.py", "receive_frames.py", tmp_path, (clip, "-", "stabilize"))
    vidgear, ours = got["vidgear"][1], got["netgear_rs"][1]
    assert 0 < vidgear["frames"] <= ours["frames"] == 40, (vidgear, ours)
    assert ours["shapes"] == vidgear["shapes"] == ["(360, 640, 3)"], (vidgear, ours)
    unstabilised = pair("send_clip.py", "receive_frames.py", "netgear_rs", tmp_path,
                        (clip, "-"))[1]
    assert ours["means"] != unstabilised["means"]


@pytest.mark.parametrize("source", ["missing.mp4", "0"])
def test_a_bad_source_raises_runtime_error_from_the_constructor(tmp_path, source):
    """A missing file, or camera 0 where there is none: RuntimeError from the constructor."""
    assert not os.path.exists("/dev/video0") or source != "0"
    got = {impl: run("bad_source.py", impl, tmp_path, port_below_ephemeral(), source)
           for impl in ("vidgear", "netgear_rs")}
    for impl, outcome in got.items():
        assert outcome["constructed"] is False, (impl, outcome)
        assert outcome["raised"] == "RuntimeError", (impl, outcome)
    assert "Source is invalid" in got["netgear_rs"]["says"], got
    assert source in got["netgear_rs"]["says"] or "video0" in got["netgear_rs"]["says"], got


def test_localhost_and_a_reply_queue_that_grows(tmp_path):
    """address="localhost" at both ends, and a client answering every frame twice: vidgear
    streams all 1,500 frames (its queue grows); netgear_rs too (its queue drops the oldest past
    1,024, with a warning)."""
    got = both_pairs("send_and_take_answers.py", "answer_twice.py", tmp_path, (1500,))
    for impl, (sent, received) in got.items():
        assert received["received"] == 1500, (impl, received)
        assert sent["answered"] == 1499, (impl, sent)  # frame 0 is answered with nothing
    assert got["netgear_rs"][0]["first"] == got["vidgear"][0]["first"], got
    assert "dropping the oldest" in got["netgear_rs"][1]["stderr"], got["netgear_rs"][1]


def test_lists_and_numpy_scalars_are_frames(tmp_path):
    """A list or a numpy scalar yielded as a frame arrives as the array numpy makes of it."""
    got = both_pairs("send_odd_frames.py", "receive_frames.py", tmp_path)
    vidgear, ours = got["vidgear"][1], got["netgear_rs"][1]
    assert vidgear["frames"] == 4, vidgear
    for key in ("frames", "shapes", "dtypes", "small"):
        assert ours[key] == vidgear[key], (key, ours[key], vidgear[key])


def test_a_client_that_leaves_times_the_sender_out(tmp_path):
    """A client stopped after 103 frames: vidgear's sender raises asyncio.TimeoutError once its
    timeout runs out; netgear_rs's raises a TimeoutError too, saying the peer went away (not
    that none ever connected)."""
    got = {}
    for impl in ("vidgear", "netgear_rs"):
        port = port_below_ephemeral()
        client = start("client_stops.py", "vidgear", tmp_path, port, 103)
        server = run("client_leaves.py", impl, tmp_path, port, 5)
        assert finish(client)["received"] == 103
        got[impl] = server
    for impl, outcome in got.items():
        assert outcome.get("timeout_error") is True, (impl, outcome)
        # The client's answer to its last frame may or may not leave before its process ends.
        assert 102 <= outcome["sent"] <= 103, (impl, outcome)
    says = got["netgear_rs"]["says"]
    assert "never connected" not in says and ("went away" in says or "disconnected" in says), says


def test_a_sender_alone_ends_at_once_on_ctrl_c(tmp_path):
    """vidgear's server example with no client, interrupted while it waits (timeout 600 s):
    close() returns without waiting for a peer that never came. (vidgear's own close() waits
    for one forever here, so it is not run.)"""
    ready = tmp_path / "ready"
    proc = start("sender_alone.py", "netgear_rs", tmp_path, port_below_ephemeral(), ready)
    wait_for(ready.exists, "the sender waiting for its peer", proc)
    proc.send_signal(signal.SIGINT)
    outcome = finish(proc)  # the hang guard (GUARD, far below the 600 s timeout) bounds it
    assert outcome == {"interrupted": True, "closed": True, "returncode": 0,
                       "stderr": outcome["stderr"]}, outcome
    assert GUARD < 600


def test_the_guides_table_is_the_packages():
    """The Python guide's table of capture parameters is netgear_rs.capture.PARAMETERS, word
    for word (scripts/capture-table.py --write docs/python.md makes it)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, os.path.join(root, "scripts", "capture-table.py"), "--check",
                    os.path.join(root, "docs", "python.md")], check=True)
