"""protocol="shm": netgear_rs to netgear_rs (the peer in another process, tests/peer.py) and to
the netgear command through real shared memory: every pattern, Bidirectional Mode with frame
replies, received frames as read-only views of the shared memory that outlive the generator's
next step, and a peer on another protocol or port failing with a timeout, not hanging."""

import asyncio
import itertools
import os
import subprocess
import time

import numpy as np
import pytest

import frames
from conftest import GUARD, close_in_loop, run_json, serve_numbered_to_recv
from netgear_rs import NetGear_Async

SHAPE = (48, 64, 3)  # 9 KiB: above the size under which shm messages are copied out
_streams = itertools.count(1)


@pytest.fixture
def stream_name():
    """A stream of its own: (address, port), the address naming this test process."""
    return "py{}".format(os.getpid()), next(_streams)


def shm_end(name, pattern=0, bi=False, receive_mode=False, timeout=10.0, protocol="shm"):
    address, port = name
    options = {"bidirectional_mode": True} if bi else {}
    return NetGear_Async(address=address, port=port, protocol=protocol, pattern=pattern,
                         receive_mode=receive_mode, timeout=timeout, **options)


def peer_args(name, *extra):
    return ["--protocol", "shm", "--address", name[0]] + [str(x) for x in extra]


def shm_mappings():
    """The address ranges of this process's /dev/shm mappings (from /proc/self/maps)."""
    ranges = []
    with open("/proc/self/maps") as f:
        for line in f:
            cols = line.split(None, 5)
            if len(cols) == 6 and cols[5].strip().startswith("/dev/shm/"):
                start, end_ = (int(x, 16) for x in cols[0].split("-"))
                ranges.append((start, end_))
    return ranges


def in_shared_memory(array):
    address = array.__array_interface__["data"][0]
    return any(start <= address < end_ for start, end_ in shm_mappings())


def is_view(frame):
    return (not frame.flags.writeable and not frame.flags.owndata
            and type(frame.base).__name__ == "FrameBuffer")


async def receive_all(client, n, bi, stop=None, reply=None):
    """Iterates the client's recv_generator() to its end: the (data, frame) pairs, whether
    each frame was a view of shared memory when it arrived, and the first frame and a view of
    it, held (and checked) while every later frame arrives."""
    got, shared = [], []
    first = first_view = None
    agen = client.recv_generator()
    try:
        async for item in agen:
            data, frame = item if bi else (None, item)
            shared.append(is_view(frame) and in_shared_memory(frame))
            if first is None:
                first, first_view = frame, frame[1:3]
            got.append((data, frames.index(frame), np.array_equal(
                frame, frames.make(frames.index(frame), SHAPE))))
            if bi:
                await client.transceive_data(reply(frame) if reply else "reply")
            if stop is not None and len(got) == n:
                stop.touch()
    finally:
        await close_in_loop(client)
    return got, shared, first, first_view


@pytest.mark.parametrize("pattern,bi", [(0, False), (1, False), (2, False), (3, False),
                                        (0, True), (1, True)])
def test_every_pattern_from_a_peer_process(peers, tmp_path, stream_name, pattern, bi):
    n = 20
    stop = tmp_path / "stop"

    async def main():
        client = shm_end(stream_name, pattern, bi, receive_mode=True)
        sender = peers("serve", "netgear_rs", stream_name[1],
                       *peer_args(stream_name, "--pattern", pattern, "--frames", n,
                                  "--stop-file", stop, *(["--bi"] if bi else [])))
        received = await receive_all(client, n, bi, stop)
        return received, sender.result()

    (got, shared, first, first_view), summary = asyncio.run(asyncio.wait_for(main(), GUARD))
    assert "error" not in summary and summary["returncode"] == 0, summary
    assert all(ok for _, _, ok in got)
    idx = [i for _, i, _ in got]
    if pattern == 2:
        # PUB/SUB: a subscriber keeps the newest frame; what arrives is intact and in order.
        assert len(got) >= n and idx == sorted(set(idx))
    else:
        assert idx == list(range(n)) and summary["sent"] == n
    if bi:
        assert [d for d, _, _ in got] == [{"i": i, "text": "frame {}".format(i)}
                                          for i in range(n)]
        # the reply to frame k is taken before frame k + 2 (the first two are empty)
        assert summary["replies"] == ["reply"] * (n - 2)
    # Zero copy: the first frames are the shared memory itself (past two held, the core
    # copies); the first frame, held all along, and a view of it are intact.
    assert shared[0] and shared[1], shared
    assert in_shared_memory(first) and not first.flags.writeable
    np.testing.assert_array_equal(first, frames.make(idx[0], SHAPE))
    np.testing.assert_array_equal(first_view, frames.make(idx[0], SHAPE)[1:3])
    with pytest.raises(ValueError):
        first[0, 0, 0] = 1


@pytest.mark.parametrize("pattern", [0, 1])
def test_frame_replies_both_ways(peers, stream_name, pattern):
    """A netgear_rs sender here, a receiver in another process echoing each frame (a view of
    its shared memory) as its reply: the replies arrive here as views of ours."""
    n = 15
    receiver = peers("recv", "netgear_rs", stream_name[1],
                     *peer_args(stream_name, "--pattern", pattern, "--frames", n, "--bi",
                                "--reply", "frame"))

    async def main():
        server = shm_end(stream_name, pattern, bi=True)
        replies = []

        async def source():
            for i in range(n):
                replies.append(await server.transceive_data())
                yield ({"i": i}, frames.make(i, SHAPE))

        server.config["generator"] = source()
        server.launch()
        await server.task
        replies.append(await server.transceive_data())
        await close_in_loop(server)
        return replies

    replies = asyncio.run(asyncio.wait_for(main(), GUARD))
    summary = receiver.result()
    assert "error" not in summary and summary["frames"] == n and summary["bad"] == 0, summary
    assert summary["data"][:2] == [{"i": 0}, {"i": 1}]
    assert replies[:2] == [None, None]
    echoed = [r for r in replies[2:] if r is not None]
    assert len(echoed) >= n - 2
    for k, reply in enumerate(echoed):
        assert is_view(reply)
        np.testing.assert_array_equal(reply, frames.make(k, SHAPE))


@pytest.mark.parametrize("peer_protocol", ["tcp", "shm"])
def test_a_peer_elsewhere_is_a_timeout_not_a_hang(peers, port, stream_name, peer_protocol):
    """An shm receiver and a sender on tcp (a port nobody listens on), or on shm under another
    port: each end fails with a TimeoutError within its timeout that says what it waited
    for."""
    timeout = 2.0
    address, shm_port = stream_name
    if peer_protocol == "tcp":
        where = ["--protocol", "tcp", "--address", "127.0.0.1"]
    else:
        port = next(_streams)  # another stream's name
        where = ["--protocol", "shm", "--address", address]
    sender = peers("serve", "netgear_rs", port, *where, "--pattern", 0, "--bi", "--frames", 3,
                   "--timeout", timeout)

    async def main():
        client = shm_end(stream_name, 0, bi=True, receive_mode=True, timeout=timeout)
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            async for _ in client.recv_generator():
                raise AssertionError("a frame from nowhere")
        took = time.monotonic() - started
        await close_in_loop(client)
        return str(raised.value), took

    message, took = asyncio.run(asyncio.wait_for(main(), GUARD))
    assert "timed out" in message, message
    assert took < timeout + 5, took  # within the timeout, with room for a loaded machine
    summary = sender.result()
    assert "TimeoutError" in summary.get("error", ""), summary


@pytest.mark.parametrize("pattern,bi", [(0, True), (1, False), (3, False)])
def test_netgear_serve_over_shm_to_netgear_rs(netgear_bin, stream_name, pattern, bi):
    n = 20
    address, port = stream_name
    cmd = [netgear_bin, "serve", "--protocol", "shm", "--address", address, "--port", str(port),
           "--pattern", str(pattern), "--width", "64", "--height", "48", "--frames", str(n),
           "--json", "--no-hash"]
    if bi:
        cmd += ["--bidirectional", "--data", "hello"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        async def main():
            client = shm_end(stream_name, pattern, bi, receive_mode=True)
            got = []
            try:
                async for item in client.recv_generator():
                    data, frame = item if bi else (None, item)
                    got.append((data, frame.shape, frame.dtype, is_view(frame)))
                    if bi:
                        await client.transceive_data({"k": len(got) - 1})
            finally:
                await close_in_loop(client)
            return got

        got = asyncio.run(asyncio.wait_for(main(), GUARD))
        summary = run_json(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert len(got) == n == summary["frames"]
    assert all(s == (48, 64, 3) and d == np.uint8 and view for _, s, d, view in got)
    if bi:
        assert all(data == "hello" for data, _, _, _ in got)
        assert summary["reply_data"][:3] == [{"k": 0}, {"k": 1}, {"k": 2}]


@pytest.mark.parametrize("pattern,bi", [(0, True), (1, False), (3, False)])
def test_netgear_rs_over_shm_to_netgear_recv(netgear_bin, stream_name, pattern, bi):
    address, port = stream_name
    cmd = [netgear_bin, "recv", "--protocol", "shm", "--address", address, "--port", str(port),
           "--pattern", str(pattern), "--json", "--no-hash"]
    serve_numbered_to_recv(cmd, lambda _proc: shm_end(stream_name, pattern, bi), 20, bi)
