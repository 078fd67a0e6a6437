"""Secure mode (ZeroMQ CURVE) from Python, with vidgear NetGear's option names: netgear_rs to
netgear_rs in stonehouse and ironhouse, netgear_rs to the netgear command with the same keys,
and the options refused as vidgear refuses them."""

import asyncio
import json
import os
import subprocess

import numpy as np
import pytest

import frames
from conftest import GUARD, bound_port, close_in_loop, end, stream
from netgear_rs import NetGear_Async


def keys_in(tmp_path):
    return os.path.join(str(tmp_path), ".vidgear", "keys")


@pytest.mark.parametrize("mode,pattern", [(1, 0), (2, 1), (2, 3)])
def test_netgear_rs_both_ends(tmp_path, mode, pattern):
    bi = pattern <= 1
    items = [("frame {}".format(i), frames.make(i, (48, 64, 3))) if bi
             else frames.make(i, (48, 64, 3)) for i in range(10)]
    got, _ = asyncio.run(stream(items, pattern=pattern, bidirectional=bi or None,
                                replies=(lambda k, item: k) if bi else None,
                                secure_mode=mode, custom_cert_location=str(tmp_path)))
    # The first end made the keys, in vidgear NetGear's place and layout.
    assert sorted(os.listdir(os.path.join(keys_in(tmp_path), "private_keys"))) == [
        "client.key_secret", "server.key_secret"]
    assert len(got) == 10
    for item, want in zip(got, items):
        if bi:
            assert item[0] == want[0]
            np.testing.assert_array_equal(item[1], want[1])
        else:
            np.testing.assert_array_equal(item, want)


def test_netgear_rs_to_the_netgear_command(port, tmp_path, netgear_bin):
    """A netgear_rs sender in ironhouse streams to `netgear recv --secure ironhouse` with the
    keys the sender made (`netgear keygen`'s layout)."""
    n = 15
    # The sender makes the keys (at construction) that the command then reads.
    end(port, 0, True, secure_mode=2, custom_cert_location=str(tmp_path)).close()
    recv = subprocess.Popen(
        [netgear_bin, "recv", "--address", "127.0.0.1", "--port", "0", "--pattern", "0",
         "--bidirectional", "--reply", "ok", "--secure", "ironhouse", "--keys",
         keys_in(tmp_path), "--json", "--no-hash"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listens = bound_port(recv)
    answers = []

    async def main():
        server = end(listens, 0, True, secure_mode=2, custom_cert_location=str(tmp_path))

        async def source():
            for i in range(n):
                answers.append(await server.transceive_data())
                yield ("hello", frames.make(i, (48, 64, 3)))

        server.config["generator"] = source()
        server.launch()
        await asyncio.wait_for(server.task, GUARD)
        await asyncio.wait_for(close_in_loop(server), GUARD)

    asyncio.run(main())
    out, err = recv.communicate(timeout=GUARD)
    assert recv.returncode == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["frames"] == n
    assert summary["data"][0] == "hello"
    assert "ok" in answers


def test_a_plain_sender_gets_nothing_through(tmp_path):
    """A receiver in secure mode and a sender without it: nothing arrives, and the sender's
    timeout says why it may have failed."""
    async def main():
        client = end(0, 3, receive_mode=True, timeout=2.0, secure_mode=1,
                     custom_cert_location=str(tmp_path)).launch()
        server = end(client.local_port, 3, timeout=2.0)
        got = []

        async def receive():
            async for item in client.recv_generator():
                got.append(item)

        receiver = asyncio.ensure_future(receive())

        async def source():
            for i in range(3):
                yield frames.make(i, (48, 64, 3))

        server.config["generator"] = source()
        server.launch()
        await asyncio.wait_for(server.task, GUARD)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receiver, GUARD)
        server.close(skip_loop=True)
        await close_in_loop(client)
        return got

    assert asyncio.run(main()) == []


@pytest.mark.parametrize("options,message", [
    ({"secure_mode": 3}, "secure_mode=3"),
    ({"secure_mode": True}, "secure_mode=True"),
    ({"secure_mode": 1, "custom_cert_location": "/nonexistent/dir"}, "custom_cert_location"),
])
def test_bad_secure_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        NetGear_Async(**options)


def test_a_corrupt_key_file_is_named(port, tmp_path):
    """Keys are read at construction: a corrupt one fails there, naming the file."""
    end(port, 0, receive_mode=True, secure_mode=1, custom_cert_location=str(tmp_path)).close()
    secret = os.path.join(keys_in(tmp_path), "private_keys", "server.key_secret")
    with open(secret, "w") as f:
        f.write("not a certificate\n")
    with pytest.raises(ValueError, match="server.key_secret"):
        end(port, 0, receive_mode=True, secure_mode=1, custom_cert_location=str(tmp_path))
