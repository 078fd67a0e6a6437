"""Shared helpers: ports, peers in other processes, the netgear command, and both ends of a
netgear_rs stream in one asyncio loop.

Ports. A receiver of ours binds port 0 and says which port it got (``local_port`` of a
``NetGear_Async(receive_mode=True, port=0)``, the ``listening on`` line of ``netgear recv
--port 0``): nothing can take it between the choice and the bind. For a receiver that cannot say
(vidgear), and for a port nothing must listen on, the ``port`` fixture picks one outside the
kernel's ephemeral range: a port bound, closed and handed on from inside that range can
meanwhile become the source port of any outgoing connection on the machine."""

import asyncio
import itertools
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from netgear_rs import NetGear_Async  # noqa: E402

# Hang guard for anything a test waits on (never a bound on how fast it must be).
GUARD = 120.0


# As tests/common/net.rs: where the search starts, and the ports each process walks before it
# reaches the next process's start.
_PORTS_FROM = 20000
_PORTS_PER_PROCESS = 128
_next_port = itertools.count()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def port_below_ephemeral():
    """A tcp port for a peer that cannot bind port 0 and say which port it got (vidgear), or
    for a port nothing may listen on: outside the kernel's ephemeral range (below it, from
    20000; above it if there is no room below), so that no outgoing connection takes it as its
    source port; apart from the ports of other test processes of ours (each starts at an offset
    from its pid and walks on, as tests/common/net.rs does); and free when checked."""
    low, high = _ephemeral_range()
    if low >= _PORTS_FROM + 2 * _PORTS_PER_PROCESS:
        first, end_ = _PORTS_FROM, low
    else:
        first, end_ = high + 1, 65536
    span = end_ - first
    assert span >= 2 * _PORTS_PER_PROCESS, (
        "no room for test ports outside the ephemeral range {}-{} "
        "(/proc/sys/net/ipv4/ip_local_port_range): narrow it".format(low, high))
    start = (os.getpid() % (span // _PORTS_PER_PROCESS)) * _PORTS_PER_PROCESS
    for _ in range(span):
        candidate = first + (start + next(_next_port)) % span
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as libzmq binds
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    raise AssertionError("every port from {} to {} is taken".format(first, end_))


@pytest.fixture
def port():
    """A tcp port nobody listens on, outside the kernel's ephemeral range: for a vidgear
    receiver, or a sender with no receiver. (A netgear_rs receiver binds port 0 instead.)"""
    return port_below_ephemeral()


def bound_port(proc):
    """The port `netgear recv` (started with `--port 0` and stderr piped) bound: waits for the
    `listening on tcp://ADDRESS:PORT` line it prints once bound, failing if it exits first
    (a hang guard bounds the wait)."""
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + GUARD
    while True:
        for line in seen.split(b"\n")[:-1]:
            found = re.search(rb"listening on tcp://.*:(\d+)\s*$", line)
            if found:
                return int(found.group(1))
        remaining = deadline - time.monotonic()
        assert remaining > 0, "hang guard: netgear recv never said where it listens"
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                proc.wait()
                raise AssertionError("netgear recv exited ({}) before binding: {}".format(
                    proc.returncode, seen.decode(errors="replace")[-3000:]))
            seen += chunk


def listening(port):
    """Whether something listens on `port` (from /proc/net/tcp: no connection is made)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def wait_for(condition, what, proc=None):
    """Waits for an event (a bound port, a file), failing if `proc` exits first."""
    deadline = time.monotonic() + GUARD
    while not condition():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError("peer exited before {}: {}\n{}".format(what, out, err[-3000:]))
        assert time.monotonic() < deadline, "hang guard: no {}".format(what)
        time.sleep(0.01)


class Peer:
    """A process whose last stdout line is a JSON summary."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    def result(self):
        try:
            out, err = self.proc.communicate(timeout=GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("hang guard: peer did not end\n" + err[-3000:])
        lines = [l for l in out.splitlines() if l.startswith("{")]
        assert lines, "no summary from peer (exit {}):\n{}".format(self.proc.returncode, err[-3000:])
        summary = json.loads(lines[-1])
        summary["returncode"] = self.proc.returncode
        summary["stderr"] = err[-3000:]
        return summary

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def peers():
    started = []

    def start(role, impl, port, *extra):
        p = Peer([sys.executable, os.path.join(HERE, "peer.py"), role, "--impl", impl,
                  "--port", str(port)] + [str(x) for x in extra])
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


@pytest.fixture(scope="session")
def netgear_bin():
    """The netgear command (NETGEAR_BIN, or a build in target/)."""
    candidates = [os.environ.get("NETGEAR_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    candidates += [os.path.join(target, "debug", "netgear"),
                   os.path.join(target, "release", "netgear"), shutil.which("netgear")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise AssertionError("no netgear command: build it with `cargo build --features cli` "
                         "or set NETGEAR_BIN")


def end(port, pattern=0, bidirectional=None, receive_mode=False, timeout=10.0, **extra):
    options = dict(extra)
    if bidirectional is not None:
        options["bidirectional_mode"] = bidirectional
    return NetGear_Async(address="127.0.0.1", port=port, pattern=pattern,
                         receive_mode=receive_mode, timeout=timeout, **options)


async def close_in_loop(gear):
    """close(skip_loop=True) inside a running loop, and wait for it."""
    gear.close(skip_loop=True)
    await gear._NetGear_Async__close_task


async def serve_numbered(server, n, bidirectional):
    """Streams `n` numbered 30×40 uint16 frames from `server` (with `{"i": i}` in bidirectional
    mode) to the end; returns the answers `transceive_data()` gave before each frame."""
    import frames

    replies = []

    async def source():
        for i in range(n):
            if bidirectional:
                replies.append(await server.transceive_data())
                yield ({"i": i}, frames.make(i, (30, 40), "uint16"))
            else:
                yield frames.make(i, (30, 40), "uint16")

    server.config["generator"] = source()
    server.launch()
    await server.task
    await close_in_loop(server)
    return replies


def run_json(proc):
    """The last line of a `netgear` command's stdout, as JSON, once it has ended cleanly."""
    out, err = proc.communicate(timeout=GUARD)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def serve_numbered_to_recv(cmd, make_server, n, bidirectional):
    """Starts `netgear recv` (`cmd`; answering "ok" in bidirectional mode), streams it `n`
    numbered frames (`serve_numbered`) from `make_server(proc)`, and checks what it received."""
    if bidirectional:
        cmd = cmd + ["--bidirectional", "--reply", "ok"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        async def main():
            return await serve_numbered(make_server(proc), n, bidirectional)

        replies = asyncio.run(asyncio.wait_for(main(), GUARD))
        summary = run_json(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert summary["frames"] == n
    assert summary["shape"] == [30, 40] and summary["dtype"] == "uint16"
    if bidirectional:
        assert summary["data"][:2] == [{"i": 0}, {"i": 1}]
        # Each answer is queued for the next frame.
        assert replies == [None, None] + ["ok"] * (n - 2)


async def run_both(client, server, generator, receiving):
    """Runs a stream to its end in this loop: `receiving` (a coroutine iterating the client's
    recv_generator()) alongside `server` launched on `generator`, then closes the server (its
    end message), awaits the receiving and closes the client; each step under the hang guard."""
    receiver = asyncio.ensure_future(receiving)
    server.config["generator"] = generator
    server.launch()
    await asyncio.wait_for(server.task, GUARD)
    await asyncio.wait_for(close_in_loop(server), GUARD)
    await asyncio.wait_for(receiver, GUARD)
    await close_in_loop(client)


async def stream(items, pattern=0, bidirectional=None, replies=None, timeout=10.0, client=None,
                 **extra):
    """Streams `items` (frames, or (data, frame) pairs) from a netgear_rs sender to a
    netgear_rs receiver in this loop (on a port the kernel picks; `client`: a receiver already
    launched, made here if None). The receiver answers frame k with replies(k, item) in
    bidirectional mode. Returns (what the receiver got, what the sender's transceive_data gave,
    in order, None included)."""
    if client is None:
        client = end(0, pattern, bidirectional, True, timeout, **extra).launch()
    server = end(client.local_port, pattern, bidirectional, False, timeout, **extra)
    got, answers = [], []

    async def receive():
        k = 0
        async for item in client.recv_generator():
            got.append(item)
            if bidirectional and replies is not None:
                await client.transceive_data(replies(k, item))
            k += 1

    async def source():
        for item in items:
            if bidirectional:
                answers.append(await server.transceive_data())
            yield item

    await run_both(client, server, source(), receive())
    if bidirectional:
        # the reply to the last frame, which the generator had no turn to take
        answers.append(await server.transceive_data())
    return got, answers
