"""netgear_rs to netgear_rs on real sockets: every pattern, bidirectional mode on and off,
data of every type both ways, frame replies, dtypes and shapes."""

import asyncio

import numpy as np
import pytest

import frames
from conftest import close_in_loop, end, listening, run_both, stream
from netgear_rs import NetGear_Async


def items_for(n, shape=(48, 64, 3), dtype="uint8", data=None):
    out = []
    for i in range(n):
        f = frames.make(i, shape, dtype)
        out.append(f if data is None else (data(i), f))
    return out


@pytest.mark.parametrize("pattern", [0, 1, 2, 3])
def test_every_pattern_without_bidirectional_mode(pattern):
    items = items_for(20)
    got, _ = asyncio.run(stream(items, pattern=pattern))
    if pattern == 2:
        # PUB/SUB drops what a slow subscriber has no room for (HWM 1): what arrives is
        # intact and in order, and the stream ends cleanly.
        assert 1 <= len(got) <= 20
        idx = [frames.index(f) for f in got]
        assert idx == sorted(set(idx))
        for f in got:
            np.testing.assert_array_equal(f, frames.make(frames.index(f), (48, 64, 3)))
    else:
        assert len(got) == 20
        for f, want in zip(got, items):
            np.testing.assert_array_equal(f, want)


@pytest.mark.parametrize("pattern", [0, 1])
def test_bidirectional_data_and_replies(pattern):
    items = items_for(12, data=lambda i: "frame {}".format(i))
    got, answers = asyncio.run(
        stream(items, pattern=pattern, bidirectional=True,
               replies=lambda k, item: {"k": k})
    )
    assert [d for d, _ in got] == ["frame {}".format(i) for i in range(12)]
    for (_, f), (_, want) in zip(got, items):
        np.testing.assert_array_equal(f, want)
    # vidgear's queue: what the client queues after frame k answers frame k+1, so the sender
    # sees nothing for frame 0 and {"k": k} after frame k+1.
    assert answers == [None, None] + [{"k": k} for k in range(11)]


# Every type of frames.VALUES, and what only netgear_rs ends carry as sent: a big negative
# integer and a non-string dict key (not JSON-safe, so not in the interop list).
VALUES = frames.VALUES + [-(2**62), {1: "int key"}]


def as_received(v):
    """What arrives for a value: lists as tuples (vidgear's use_list=False); "" means no data."""
    if v == "" and isinstance(v, str):
        return None
    if isinstance(v, (list, tuple)):
        return tuple(as_received(x) for x in v)
    if isinstance(v, dict):
        return {k: as_received(x) for k, x in v.items()}
    return v


def test_data_of_every_type_both_ways():
    items = items_for(len(VALUES), data=lambda i: VALUES[i])
    got, answers = asyncio.run(
        stream(items, bidirectional=True, replies=lambda k, item: VALUES[k])
    )
    assert [d for d, _ in got] == [as_received(v) for v in VALUES]
    # answers[k + 2] is the client's value queued after frame k (it answers frame k + 1)
    want = [None, None] + [as_received(v) for v in VALUES[:-1]]
    assert answers == want
    assert type(answers[2 + VALUES.index(False)]) is bool


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("shape", [(30, 40), (30, 40, 3)])
def test_frames_and_frame_replies_keep_dtype_and_shape(dtype, shape):
    items = items_for(6, shape=shape, dtype=dtype, data=lambda i: i)
    reply_shape = shape[:1] + (7,) + shape[2:]
    got, answers = asyncio.run(
        stream(items, bidirectional=True,
               replies=lambda k, item: frames.make(k, reply_shape, dtype))
    )
    for (_, f), (_, want) in zip(got, items):
        assert f.dtype == np.dtype(dtype) and f.shape == shape
        np.testing.assert_array_equal(f, want)
    assert answers[:2] == [None, None]
    for k, a in enumerate(answers[2:]):
        assert isinstance(a, np.ndarray) and a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, frames.make(k, reply_shape, dtype))


def test_received_frames_are_read_only_views_and_echo_without_copy():
    """A received frame is a numpy view of the received message (no copy, read-only as
    vidgear's); sent back as a reply (video chat) it is the same frame."""
    items = items_for(5, data=lambda i: i)
    seen = []

    def echo(k, item):
        _, frame = item
        seen.append((frame.flags.writeable, frame.flags.owndata, type(frame.base).__name__))
        return frame

    got, answers = asyncio.run(stream(items, bidirectional=True, replies=echo))
    assert seen and all(s == (False, False, "FrameBuffer") for s in seen)
    assert len(answers) == 6
    for k, a in enumerate(answers[2:]):
        np.testing.assert_array_equal(a, items[k][1])


def test_non_contiguous_and_big_endian_frames():
    base = frames.make(1, (40, 60, 3), "uint16")
    sliced = base[::2, ::3]  # not contiguous: made contiguous, as vidgear does
    big = frames.make(2, (10, 10), ">f4")
    got, _ = asyncio.run(stream([sliced, big]))
    np.testing.assert_array_equal(got[0], sliced)
    assert got[1].dtype == np.dtype(">f4")
    np.testing.assert_array_equal(got[1], big)


def test_a_frame_is_sent_as_it_was_yielded():
    """As in vidgear (msgpack copies the frame when it is sent), the frame sent is the array as
    the source yielded it: another task of the loop may refill it, resize it (even with
    refcheck=False, which frees its memory at once) or drop it while the send is under way.
    Before, the bytes were copied later on the worker thread: such a task made torn frames, and
    the resize crashed the interpreter (SIGSEGV)."""
    n, shape = 4, (2048, 4096)  # 8 MiB: a copy long enough for the task to run during it
    loop_tasks = []

    def spoil(a):
        a.fill(0)
        a.resize((1,), refcheck=False)

    async def main():
        client = end(0, 0, None, True, 30.0).launch()
        server = end(client.local_port, 0, None, False, 30.0)

        async def source():
            for k in range(n):
                a = np.full(shape, k + 1, dtype=np.uint8)
                # runs at the loop's next turn: while the sender waits for the send to be done
                loop_tasks.append(asyncio.get_running_loop().call_soon(spoil, a))
                yield a
                del a

        got = []

        async def receive():
            async for f in client.recv_generator():
                got.append((f.shape, int(f.min()), int(f.max())))

        await run_both(client, server, source(), receive())
        return got

    got = asyncio.run(main())
    assert got == [(shape, k + 1, k + 1) for k in range(n)]


@pytest.mark.parametrize("compression", ["jpeg", "lz4", "zstd:5", "h264:8000"])
def test_compression_option(compression):
    items = items_for(5, shape=(48, 64, 3), data=lambda i: i)
    got, _ = asyncio.run(stream(items, bidirectional=True, compression=compression))
    assert len(got) == 5
    for (_, f), (_, want) in zip(got, items):
        assert f.shape == want.shape and f.dtype == want.dtype
        if compression in ("lz4", "zstd:5"):
            np.testing.assert_array_equal(f, want)
        else:
            err = np.abs(f.astype(int) - want.astype(int)).mean()
            assert err < 20


def test_numpy_scalars_as_data():
    values = [np.int32(-3), np.uint64(2**63), np.float32(0.5), np.bool_(True), np.float64(2.5)]
    items = [(v, frames.make(i, (8, 8))) for i, v in enumerate(values)]
    got, _ = asyncio.run(stream(items, bidirectional=True))
    assert [d for d, _ in got] == [-3, 2**63, 0.5, True, 2.5]
    assert type(got[3][0]) is bool


def test_data_with_an_array_is_dropped_as_in_vidgear():
    """The send side cannot send an array as data: vidgear drops it with a warning."""
    items = [(np.zeros(3), frames.make(0, (8, 8)))]
    got, _ = asyncio.run(stream(items, bidirectional=True))
    assert got[0][0] is None


def test_ipc(port, tmp_path):
    """protocol="ipc": a socket file (vidgear's endpoint rule: ADDRESS:PORT)."""

    async def main():
        path = str(tmp_path / "feed")
        client = NetGear_Async(address=path, port=port, protocol="ipc", receive_mode=True,
                               timeout=10.0, bidirectional_mode=True)
        server = NetGear_Async(address=path, port=port, protocol="ipc", timeout=10.0,
                               bidirectional_mode=True)
        got = []

        async def receive():
            async for data, frame in client.recv_generator():
                got.append((data, frame))
                await client.transceive_data(len(got))

        async def source():
            for i in range(5):
                yield (i, frames.make(i, (16, 16, 3)))

        receiver = asyncio.ensure_future(receive())
        server.config["generator"] = source()
        server.launch()
        await server.task
        await close_in_loop(server)
        await receiver
        await close_in_loop(client)
        return got, [await server.transceive_data() for _ in range(5)]

    got, replies = asyncio.run(asyncio.wait_for(main(), 60))
    assert [d for d, _ in got] == [0, 1, 2, 3, 4]
    # nothing taken while streaming: every answer is still queued, oldest first
    assert replies == [None, 1, 2, 3, 4]


def test_port_zero_binds_a_port_the_kernel_picks_and_tells_it():
    """netgear_rs extension: port=0 binds at construction, and local_port says where."""
    for port in (0, "0"):
        client = NetGear_Async(address="127.0.0.1", port=port, receive_mode=True, timeout=2.0)
        try:
            bound = client.local_port
            assert isinstance(bound, int) and bound > 0
            assert listening(bound)
            assert client.local_endpoint == "tcp://127.0.0.1:{}".format(bound)
        finally:
            client.close()
    # Every address (vidgear's "*"), as ZeroMQ resolved it.
    client = NetGear_Async(port=0, receive_mode=True)
    try:
        assert client.local_endpoint == "tcp://0.0.0.0:{}".format(client.local_port)
    finally:
        client.close()


def test_another_port_is_told_once_bound(port):
    """With a port given, the end binds in recv_generator(), as vidgear's does: local_port is
    None until then, and that port after."""

    async def main():
        client = NetGear_Async(address="127.0.0.1", port=port, receive_mode=True, timeout=0.5)
        assert client.local_port is None and client.local_endpoint is None
        agen = client.recv_generator()
        try:
            await agen.__anext__()
        except TimeoutError:  # nobody sends: bound, and then timed out
            pass
        assert client.local_port == port
        await close_in_loop(client)

    asyncio.run(main())


@pytest.mark.parametrize("compression", ["h264", "jpeg:80"])
def test_rate_auto_follows_the_link_and_tells_its_choice(compression):
    """rate="auto": the sender chooses its bitrate (h264) or quality (jpeg) from the answers'
    round trips, within the ceiling (plain "h264": 20000 kbit/s), and says what it chose."""
    seen = []

    async def main():
        client = end(0, 0, True, True, rate="auto", compression=compression).launch()
        server = end(client.local_port, 0, True, False, rate="auto", compression=compression)
        got = []

        async def receive():
            async for item in client.recv_generator():
                got.append(item)

        async def source():
            for i in range(40):
                seen.append(dict(server.rate))
                yield (i, frames.make(i, (96, 128, 3)))

        await run_both(client, server, source(), receive())
        return got

    got = asyncio.run(main())
    assert len(got) == 40
    last = seen[-1]
    assert set(last) == {"kbps", "quality", "reduce"}
    assert last["reduce"] == 0
    if compression == "h264":
        # It starts at 1500 kbit/s; on loopback the round trips allow far more: it probes up
        # (at most doubling a second), never past the ceiling.
        assert seen[0]["kbps"] == 1500, seen
        assert 1500 < last["kbps"] <= 20000, seen
        assert last["quality"] == 0
    else:
        assert 1 <= last["quality"] <= 80, seen


def test_rate_auto_needs_a_lossy_compression():
    with pytest.raises(ValueError, match="rate auto"):
        asyncio.run(stream([frames.make(0, (8, 8, 3))], rate="auto"))
    with pytest.raises(ValueError, match="fixed"):
        end(0, 0, None, True, rate="fast")
