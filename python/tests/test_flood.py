"""A port scan must not wedge a netgear_rs receiver: 10,000 TCP connections, each reset as soon
as it is made (SO_LINGER 0), from a process of their own, against a receiver whose application
reads nothing meanwhile; then a sender streams, and every frame arrives. Before, some 770 such
connections wedged the receiver for good (libzmq blocked its I/O thread on a full socket
monitor queue)."""

import asyncio
import sys

import numpy as np
import pytest

import frames
from conftest import GUARD, end, stream

CONNECTIONS = 10_000

# The scanner: connects and resets, one connection after the other; says how many it made.
SCAN = """
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for made in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as e:
        sys.exit(f"the receiver stopped accepting after {made} connections: {e}")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
print(n)
"""


@pytest.mark.parametrize("pattern", [0, 1, 2, 3])
def test_a_port_scan_does_not_wedge_a_receiver(pattern):
    items = [frames.make(i, (48, 64, 3), "uint8") for i in range(20)]

    async def main():
        client = end(0, pattern, None, True, 30.0).launch()
        scan = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SCAN, str(client.local_port), str(CONNECTIONS),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(scan.communicate(), GUARD)
        assert scan.returncode == 0, err.decode()
        assert out.strip() == str(CONNECTIONS).encode()

        got, _ = await stream(items, pattern, timeout=30.0, client=client)
        return got

    got = asyncio.run(main())
    if pattern == 2:
        assert len(got) >= 1
    else:
        assert len(got) == len(items)
        for f, want in zip(got, items):
            np.testing.assert_array_equal(f, want)
