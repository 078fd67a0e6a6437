"""The errors vidgear raises, in the same situations, with messages that say what to do;
and where netgear_rs refuses what vidgear would do silently (or dangerously)."""

import asyncio
import sys

import numpy as np
import pytest

import frames
from conftest import GUARD, close_in_loop, end, listening, wait_for
from netgear_rs import NetGear_Async


@pytest.mark.parametrize("pattern", [2, 3])
@pytest.mark.parametrize("receive_mode", [False, True])
def test_bidirectional_mode_with_pattern_2_or_3(pattern, receive_mode):
    with pytest.raises(ValueError, match="pattern is not valid when Bidirectional Mode"):
        NetGear_Async(pattern=pattern, receive_mode=receive_mode, bidirectional_mode=True)


def test_bidirectional_mode_with_a_built_in_source():
    with pytest.raises(ValueError, match="Custom source must be used"):
        NetGear_Async(source="clip.mp4", bidirectional_mode=True)


def run_server(server):
    """As vidgear's examples run a server."""
    asyncio.set_event_loop(server.loop)
    server.launch()
    try:
        server.loop.run_until_complete(asyncio.wait_for(server.task, 60))
    finally:
        server.close()


def test_no_generator(port):
    with pytest.raises(ValueError, match="must be a asynchronous generator"):
        run_server(end(port))


def test_a_generator_that_is_not_async(port):
    server = end(port)
    server.config["generator"] = (f for f in [frames.make(0, (8, 8))])
    with pytest.raises(ValueError, match="asynchronous generator"):
        run_server(server)


def test_recv_generator_in_send_mode(port):
    server = end(port)

    async def main():
        async for _ in server.recv_generator():
            pass

    with pytest.raises(ValueError, match="receive_mode"):
        asyncio.run(main())


def test_bidirectional_source_yielding_bare_frames():
    async def main():
        client = end(0, 0, True, receive_mode=True, timeout=5.0)
        server = end(client.local_port, 0, True, timeout=5.0)

        async def source():
            yield frames.make(0, (8, 8))

        agen = client.recv_generator()
        first = asyncio.ensure_future(agen.__anext__())
        server.config["generator"] = source()
        server.launch()
        try:
            with pytest.raises(ValueError, match=r"tuple\(data, frame\)"):
                await server.task
        finally:
            await close_in_loop(server)  # the end message: the receiver's stream ends
            with pytest.raises(StopAsyncIteration):
                await first
            await close_in_loop(client)

    asyncio.run(main())


@pytest.mark.parametrize("server_bi,client_bi,missing", [(True, False, "client"),
                                                         (False, True, "server")])
def test_mismatched_bidirectional_mode(server_bi, client_bi, missing):
    async def main():
        client = end(0, 0, client_bi, receive_mode=True, timeout=5.0)
        server = end(client.local_port, 0, server_bi, timeout=5.0)

        async def source():
            for i in range(3):
                yield ("hi", frames.make(i, (8, 8))) if server_bi else frames.make(i, (8, 8))

        async def receive():
            async for _ in client.recv_generator():
                pass

        receiver = asyncio.ensure_future(receive())
        server.config["generator"] = source()
        server.launch()
        try:
            with pytest.raises(RuntimeError, match="not activated on the {} end".format(missing)):
                await receiver
            # the sender learns it too, from the receiver's answer (a vidgear sender would
            # wait out its timeout)
            with pytest.raises(RuntimeError, match="not activated on the {} end".format(missing)):
                await server.task
        finally:
            await close_in_loop(server)
            await close_in_loop(client)

    asyncio.run(asyncio.wait_for(main(), 60))


def test_receiver_timeout():
    async def main():
        client = end(0, receive_mode=True, timeout=0.5)
        try:
            async for _ in client.recv_generator():
                pass
        finally:
            await close_in_loop(client)

    with pytest.raises(asyncio.TimeoutError, match="is the other end running"):
        asyncio.run(main())


def test_sender_timeout_without_a_receiver(port):
    server = end(port, timeout=0.5)

    async def source():
        for i in range(3):
            yield frames.make(i, (8, 8))

    server.config["generator"] = source()
    with pytest.raises(TimeoutError):
        run_server(server)


def test_close_is_bounded_when_the_client_is_gone(port, peers, caplog):
    """vidgear's close() waits forever for the client's termination answer; this one does not
    wait for a client that is gone (the timeout here is longer than the test's own hang
    guard): it ends at once, or, if it has not yet seen the client go, says that it went."""
    receiver = peers("recv", "vidgear", port, "--frames", 3)
    wait_for(lambda: listening(port), "vidgear receiver bound", receiver.proc)
    server = end(port, timeout=1000.0)

    async def source():
        for i in range(3):
            yield frames.make(i, (8, 8))

    server.config["generator"] = source()
    asyncio.set_event_loop(server.loop)
    server.launch()
    server.loop.run_until_complete(asyncio.wait_for(server.task, 60))
    receiver.kill()  # SIGKILL: no termination answer will ever come
    with caplog.at_level("WARNING", logger="netgear_rs"):
        server.close()
    assert "did not end cleanly" not in caplog.text or "went away" in caplog.text, caplog.text
    assert server.loop.is_closed()


def test_capture_options_are_refused_only_where_they_would_change_the_stream(caplog):
    """vidgear hands unknown options to its capture, which logs them; so does this (on a
    receiver, and without a source, they are not used at all). Refused: what would stream
    something else than asked for, and bad netgear-rs options."""
    with caplog.at_level("WARNING", logger="netgear_rs"):
        NetGear_Async(receive_mode=True, THREADED_QUEUE_MODE=True, CAP_PROP_FPS=5, foo=1,
                      stabilize=True, colorspace="COLOR_BGR2GRAY").close()
        NetGear_Async(THREAD_TIMEOUT=2, bar=3).close()
    assert caplog.text == "", caplog.text
    with pytest.raises(ValueError, match="stream_mode"):
        NetGear_Async(source="https://example.invalid/watch", stream_mode=True)
    with pytest.raises(ValueError, match="GStreamer"):
        NetGear_Async(source="videotestsrc ! appsink", backend=1800)
    with pytest.raises(ImportError, match="PiGear"):
        NetGear_Async(source=0, enablePiCamera=True)
    with pytest.raises(TypeError, match="Backend"):
        NetGear_Async(source="x.mp4", api="camgear")
    with pytest.raises(RuntimeError, match="Source is invalid"):
        NetGear_Async(source="x.mp4", stabilize=True)
    with pytest.raises(ValueError, match="compression"):
        NetGear_Async(compression="gif")


def test_object_arrays_are_never_pickled():
    async def main():
        client = end(0, receive_mode=True, timeout=5.0)
        server = end(client.local_port, timeout=5.0)

        async def source():
            yield np.array([{"a": 1}, None], dtype=object)

        agen = client.recv_generator()
        first = asyncio.ensure_future(agen.__anext__())
        server.config["generator"] = source()
        server.launch()
        try:
            with pytest.raises(TypeError, match="never"):
                await server.task
        finally:
            await close_in_loop(server)  # the end message: the receiver's stream ends
            with pytest.raises(StopAsyncIteration):
                await first
            await close_in_loop(client)

    asyncio.run(main())


def test_two_receiving_loops_at_once_are_refused():
    async def main():
        client = end(0, receive_mode=True, timeout=2.0)
        first = client.recv_generator()
        second = client.recv_generator()
        pending = asyncio.ensure_future(first.__anext__())
        await asyncio.sleep(0)  # let the first one start its receive
        try:
            with pytest.raises(RuntimeError, match="in flight"):
                await second.__anext__()
        finally:
            pending.cancel()
            await close_in_loop(client)

    asyncio.run(main())


def test_a_sender_refuses_port_zero(tmp_path):
    """netgear_rs extension: a send-mode end cannot connect to port 0 (a receiver binds it and
    says which port it got); vidgear would try, and time out."""
    for port in (0, "0"):
        with pytest.raises(ValueError, match="port 0 cannot be connected to"):
            NetGear_Async(address="127.0.0.1", port=port)
    # Over ipc the port is a name like any other.
    NetGear_Async(address=str(tmp_path / "feed"), port=0, protocol="ipc").close()


# A raw peer (pyzmq, a process of its own): a valid frame numpy cannot hold (shape [0, 2**62],
# <f8: 0 bytes, and 2**65 by numpy's count), then a good 2x2 frame, then the end message.
TINY_BAD_FRAME = """
import sys, msgpack, zmq
sock = zmq.Context().socket(zmq.PUSH)
sock.connect("tcp://127.0.0.1:" + sys.argv[1])
header = msgpack.packb({"terminate": False, "bi_mode": False, "data": ""})
def part(dtype, shape, data):
    return msgpack.packb({b"nd": True, b"type": dtype, b"kind": b"", b"shape": shape,
                          b"data": data})
sock.send_multipart([header, part("<f8", [0, 2**62], b"")])
sock.send_multipart([header, part("|u1", [2, 2], bytes([7, 7, 7, 7]))])
sock.send(msgpack.packb({"terminate": True}))
sock.close(linger=5000)
"""


def test_a_frame_numpy_cannot_hold_is_skipped_with_skip_bad_messages():
    async def main():
        client = end(0, 3, None, True, 30.0, skip_bad_messages=True).launch()
        peer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", TINY_BAD_FRAME, str(client.local_port),
            stderr=asyncio.subprocess.PIPE)
        got = [f async for f in client.recv_generator()]
        _, err = await asyncio.wait_for(peer.communicate(), GUARD)
        assert peer.returncode == 0, err.decode()
        await close_in_loop(client)
        return got

    got = asyncio.run(main())
    assert len(got) == 1
    np.testing.assert_array_equal(got[0], np.full((2, 2), 7, dtype=np.uint8))
