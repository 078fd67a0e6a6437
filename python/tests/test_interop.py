"""netgear_rs against vidgear 0.3.6 (in another process, tests/peer.py) in both directions,
every pattern: a user can switch one end at a time."""

import asyncio

import numpy as np
import pytest

import frames
from conftest import close_in_loop, end, listening, wait_for

SHAPE = (48, 64, 3)
CASES = [(0, True), (1, True), (0, False), (1, False), (2, False), (3, False)]


@pytest.mark.parametrize("pattern,bi", CASES)
def test_vidgear_sender_to_netgear_rs_receiver(peers, tmp_path, pattern, bi):
    n = 15
    stop = tmp_path / "stop"

    async def main():
        # Port 0: bound at construction, on a port the kernel picks.
        client = end(0, pattern, True if bi else None, receive_mode=True, timeout=5.0)
        got = []
        sender = None
        agen = client.recv_generator()
        try:
            first = asyncio.ensure_future(agen.__anext__())
            extra = ["--pattern", pattern, "--frames", n, "--stop-file", stop]
            sender = peers("serve", "vidgear", client.local_port, *extra,
                           *(["--bi"] if bi else []))
            item = await first
            while True:
                data, frame = item if bi else (None, item)
                got.append((data, frame))
                if bi:
                    await client.transceive_data("reply {}".format(frames.index(frame)))
                if len(got) == n:
                    stop.touch()  # a vidgear PUSH/PUB sender may close now
                try:
                    item = await agen.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    # vidgear's PUB (HWM 1) can lose its one end message, and its PUSH closes
                    # with LINGER 0 right after sending it: the receiver then ends with a
                    # timeout, as a vidgear receiver would. Only after every frame.
                    assert pattern in (2, 3) and len(got) >= n
                    break
        finally:
            await close_in_loop(client)
        return got, sender.result()

    got, summary = asyncio.run(main())
    assert "error" not in summary, summary
    if pattern == 2:
        assert len(got) >= n
    else:
        assert len(got) == n == summary["sent"]
    for data, frame in got:
        i = frames.index(frame)
        np.testing.assert_array_equal(frame, frames.make(i, SHAPE))
        if bi:
            assert data == {"i": i, "text": "frame {}".format(i)}
    if bi:
        # vidgear's server got the client's replies (each one frame late)
        assert summary["replies"] == ["reply {}".format(i) for i in range(n - 2)]


@pytest.mark.parametrize("pattern,bi", CASES)
def test_netgear_rs_sender_to_vidgear_receiver(port, peers, pattern, bi):
    n = 15
    receiver = peers("recv", "vidgear", port, "--pattern", pattern, "--frames", n,
                     *(["--bi"] if bi else []))
    wait_for(lambda: listening(port), "vidgear receiver bound", receiver.proc)

    async def main():
        server = end(port, pattern, True if bi else None)
        replies = []

        async def source():
            for i in range(n):
                if bi:
                    r = await server.transceive_data()
                    if r is not None:
                        replies.append(r)
                    yield ({"i": i}, frames.make(i, SHAPE))
                else:
                    yield frames.make(i, SHAPE)

        server.config["generator"] = source()
        server.launch()
        await server.task
        await close_in_loop(server)
        if bi:
            last = await server.transceive_data()
            replies.append(last)
        return replies

    replies = asyncio.run(asyncio.wait_for(main(), 120))
    summary = receiver.result()
    assert "error" not in summary, summary
    assert summary["bad"] == 0
    if pattern == 2:
        assert 1 <= summary["frames"] <= n  # PUB/SUB drops for a slow subscriber
    else:
        assert summary["frames"] == n
    if bi:
        assert summary["data"] == [{"i": i} for i in range(n)]
        assert replies == ["reply {}".format(i) for i in range(n - 1)]


def test_frame_replies_from_vidgear(port, peers):
    """Video chat: a vidgear client answers with frames; netgear_rs's sender gets arrays."""
    n = 8
    receiver = peers("recv", "vidgear", port, "--bi", "--frames", n, "--reply", "frame")
    wait_for(lambda: listening(port), "vidgear receiver bound", receiver.proc)

    async def main():
        server = end(port, 0, True)
        replies = []

        async def source():
            for i in range(n):
                r = await server.transceive_data()
                if r is not None:
                    replies.append(r)
                yield ("hi", frames.make(i, SHAPE))

        server.config["generator"] = source()
        server.launch()
        await server.task
        await close_in_loop(server)
        replies.append(await server.transceive_data())
        return replies

    replies = asyncio.run(asyncio.wait_for(main(), 120))
    assert "error" not in receiver.result()
    assert len(replies) == n - 1
    for i, r in enumerate(replies):
        np.testing.assert_array_equal(r, frames.make(i, SHAPE))



def test_mismatched_bidirectional_mode_with_vidgear(peers):
    """A vidgear sender without bidirectional mode, a netgear_rs receiver with it: the receiver
    raises RuntimeError naming the end without it."""

    async def main():
        client = end(0, 0, True, receive_mode=True, timeout=5.0)
        agen = client.recv_generator()
        first = asyncio.ensure_future(agen.__anext__())
        peers("serve", "vidgear", client.local_port, "--frames", 3, "--timeout", 2)
        try:
            with pytest.raises(RuntimeError, match="not activated on the server end"):
                await first
        finally:
            await close_in_loop(client)

    asyncio.run(main())


def vidgear_view(v):
    """A value as vidgear hands it over: falsy values as None, arrays as tuples."""
    if not v:
        return None
    return _tuples(v)


def _tuples(v):
    if isinstance(v, (list, tuple)):
        return tuple(_tuples(x) for x in v)
    if isinstance(v, dict):
        return {k: _tuples(x) for k, x in v.items()}
    return v


def netgear_rs_view(v):
    """A value as netgear_rs hands it over: "" as None, arrays as tuples."""
    return None if isinstance(v, str) and v == "" else _tuples(v)


def test_data_of_every_type_with_vidgear(port, peers):
    """netgear_rs sends every type of data to a vidgear client, which answers with every type:
    each side gets what msgpack carries (vidgear turning falsy values into None)."""
    n = len(frames.VALUES)
    receiver = peers("recv", "vidgear", port, "--bi", "--frames", n, "--reply", "values")
    wait_for(lambda: listening(port), "vidgear receiver bound", receiver.proc)

    async def main():
        server = end(port, 0, True)
        replies = []

        async def source():
            for i, v in enumerate(frames.VALUES):
                replies.append(await server.transceive_data())
                yield (v, frames.make(i, SHAPE))

        server.config["generator"] = source()
        server.launch()
        await server.task
        await close_in_loop(server)
        replies.append(await server.transceive_data())
        return replies

    replies = asyncio.run(asyncio.wait_for(main(), 120))
    summary = receiver.result()
    assert "error" not in summary, summary
    assert summary["data"] == [frames.describe(vidgear_view(v)) for v in frames.VALUES]
    # replies[k + 2] is what vidgear queued after frame k
    assert replies == [None, None] + [netgear_rs_view(v) for v in frames.VALUES[:-1]]
