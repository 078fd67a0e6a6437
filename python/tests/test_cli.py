"""netgear_rs against the netgear command (`netgear serve`, `netgear recv`), both ways."""

import asyncio
import subprocess

import numpy as np
import pytest

import frames
from conftest import GUARD, bound_port, close_in_loop, end, run_json, serve_numbered_to_recv


@pytest.mark.parametrize("pattern,bi", [(0, True), (1, True), (3, False)])
def test_netgear_serve_to_netgear_rs(netgear_bin, pattern, bi):
    n = 20

    async def main():
        # Port 0: bound at construction, on a port the kernel picks.
        client = end(0, pattern, True if bi else None, receive_mode=True)
        agen = client.recv_generator()
        first = asyncio.ensure_future(agen.__anext__())
        cmd = [netgear_bin, "serve", "--address", "127.0.0.1", "--port", str(client.local_port),
               "--pattern", str(pattern), "--width", "64", "--height", "48",
               "--frames", str(n), "--json", "--no-hash"]
        if bi:
            cmd += ["--bidirectional", "--data", "hello"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        got = [await first]
        k = 0
        while True:
            if bi:
                await client.transceive_data({"k": k})
            k += 1
            try:
                got.append(await agen.__anext__())
            except StopAsyncIteration:
                break
        await close_in_loop(client)
        return got, await asyncio.get_running_loop().run_in_executor(None, run_json, proc)

    got, summary = asyncio.run(main())
    assert len(got) == n == summary["frames"]
    for item in got:
        data, frame = item if bi else (None, item)
        assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
        if bi:
            assert data == "hello"
    if bi:
        assert summary["replies"] == n - 1  # the answer to frame 0 carries nothing
        assert summary["reply_data"][:3] == [{"k": 0}, {"k": 1}, {"k": 2}]


@pytest.mark.parametrize("pattern,bi", [(0, True), (1, False), (3, False)])
def test_netgear_rs_to_netgear_recv(netgear_bin, pattern, bi):
    cmd = [netgear_bin, "recv", "--address", "127.0.0.1", "--port", "0",
           "--pattern", str(pattern), "--json", "--no-hash"]
    serve_numbered_to_recv(
        cmd, lambda proc: end(bound_port(proc), pattern, True if bi else None), 20, bi)


@pytest.mark.parametrize("pattern", [0, 3])
def test_reconnect_sender_outlives_a_receiver_restart(netgear_bin, port, pattern):
    """reconnect=True: a netgear_rs sender streams on while its receiver (`netgear recv`) is
    killed and a new one started on the same port, and ends its stream cleanly with the
    second; without it, pattern 0 would end with an error one timeout after the kill."""
    bi = pattern == 0
    cmd = [netgear_bin, "recv", "--address", "127.0.0.1", "--port", str(port),
           "--pattern", str(pattern), "--json", "--no-hash", "--timeout", "10"]
    if bi:
        cmd += ["--bidirectional", "--reply", "ok"]

    def start():
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert bound_port(proc) == port
        return proc

    procs = [start()]
    try:
        async def main():
            server = end(port, pattern, True if bi else None, timeout=0.5, reconnect=True)

            async def source():
                for i in range(80):
                    if i == 10:
                        # The frame after this waits for the new receiver: start it now.
                        procs[0].kill()
                        procs[0].communicate()
                        procs.append(start())
                    if bi:
                        await server.transceive_data()
                        yield ({"i": i}, frames.make(i, (24, 32), "uint8"))
                    else:
                        yield frames.make(i, (24, 32), "uint8")
                    await asyncio.sleep(0.01)

            server.config["generator"] = source()
            server.launch()
            await server.task
            seen.update(server.outages)
            await close_in_loop(server)

        seen = {}
        asyncio.run(asyncio.wait_for(main(), GUARD))
        summary = run_json(procs[1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    # The second receiver got the rest of the stream and its end.
    assert summary["frames"] >= 60, summary
    # One outage, over: the sender saw the receiver go and come back.
    assert seen["count"] == 1 and not seen["ongoing"] and seen["seconds"] > 0, seen
    assert seen["answers_lost"] <= 1, seen
