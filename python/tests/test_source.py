"""The built-in source (vidgear's `source=`, through ffmpeg), and Ctrl-C ending a stream."""

import asyncio
import os
import signal
import subprocess

import numpy as np

from conftest import GUARD, close_in_loop, end
from netgear_rs import Backend



def test_built_in_source_streams_a_video_file(tmp_path):
    clip = str(tmp_path / "clip.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=64x48:rate=25", "-frames:v", "12", clip], check=True)

    async def main():
        client = end(0, receive_mode=True)
        server = end(client.local_port, source=clip, frame_format="gray", api=Backend.FFGEAR)
        got = []

        async def receive():
            async for frame in client.recv_generator():
                got.append(frame)

        receiver = asyncio.ensure_future(receive())
        server.launch()
        await server.task
        await close_in_loop(server)
        await receiver
        await close_in_loop(client)
        return got

    got = asyncio.run(asyncio.wait_for(main(), GUARD))
    assert len(got) == 12
    assert all(f.dtype == np.uint8 and f.shape[:2] == (48, 64) for f in got)
    assert got[0].size == 48 * 64  # gray: one channel


def test_ctrl_c_ends_the_stream_cleanly(peers, tmp_path):
    """A sender run as vidgear's examples run it, interrupted with Ctrl-C (SIGINT): its
    close() ends the stream, so the receiver's generator simply ends."""
    ready = tmp_path / "ready"

    async def main():
        client = end(0, 0, True, receive_mode=True)
        agen = client.recv_generator()
        first = asyncio.ensure_future(agen.__anext__())
        sender = peers("serve", "netgear_rs", client.local_port, "--bi", "--endless",
                       "--ready-file", ready)
        n = 1
        await first
        interrupted = False
        try:
            async for _ in agen:
                n += 1
                if not interrupted and ready.exists():
                    os.kill(sender.proc.pid, signal.SIGINT)
                    interrupted = True
        except TimeoutError as e:
            # What the sender did meanwhile says whose fault it was.
            # (peer.py dumps its threads' stacks on SIGUSR1.)
            if sender.proc.poll() is None:
                os.kill(sender.proc.pid, signal.SIGUSR1)
            try:
                out, err = sender.proc.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                sender.proc.kill()
                out, err = sender.proc.communicate()
            raise AssertionError("{} after {} frames (interrupted: {}); the sender printed:\n{}\n{}"
                                 .format(e, n, interrupted, out[-2000:], err[-3000:])) from e
        await close_in_loop(client)
        return n, sender.result()

    n, summary = asyncio.run(asyncio.wait_for(main(), GUARD))
    assert summary.get("interrupted") is True, summary
    assert "error" not in summary and summary["returncode"] == 0, summary
    # every frame sent arrived; the one on its way at the interrupt was still answered
    assert summary["sent"] <= n <= summary["sent"] + 1
