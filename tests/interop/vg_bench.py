#!/usr/bin/env python3
"""vidgear peer for the netgear-rs benchmark.

Drives vidgear 0.3.6's real ``NetGear_Async`` (nothing of the protocol is
reimplemented here) as a sender (``serve``, connects) or a receiver (``recv``,
binds), on tcp://127.0.0.1:PORT (``--protocol shm``: the shared-memory stream
shm://127.0.0.1:PORT, netgear_rs only), and prints ONE JSON line on stdout at the
end (nothing else goes to stdout; vidgear's logs and ours go to stderr):

  vg_bench.py serve|recv --port P --pattern 0..3 --width W --height H --frames N
              --reply none|text|frame --timeout SECONDS [--protocol tcp|ipc|shm]

  {"impl": "vidgear", "role": "serve"|"recv", "frames": n, "bytes": frame bytes,
   "elapsed": s, "fps": f, "rtt_p50_us": x|null, "rtt_p99_us": x|null,
   "peak_rss_kb": VmHWM, "error": "Type: message" (only on failure)}

Exit status 0 on success, 1 on failure.

Bidirectional mode is on exactly when pattern is 0/1 and --reply is text|frame;
``--reply none`` with pattern 0/1 is plain lock-step (vidgear's own confirmation).

serve: the source is an async generator cycling through 3 frames rendered once
  before timing; it yields ``("hi", frame)`` (bidirectional) or the frame, and calls
  ``await server.transceive_data()`` once per frame so vidgear's reply queue stays
  at <= 1 item. vidgear sends the item and, for patterns 0/1, waits for the reply
  before asking the generator for the next one, so the time between consecutive
  resumptions of the generator is the per-frame RTT (p50/p99 reported for patterns
  0/1, null for 2/3). ``elapsed`` runs from just before the first yield to the
  resumption after the last one (N intervals); fps = frames/elapsed. For patterns
  2/3 that is the rate at which vidgear accepted the frames (zmq queues them); the
  recv side's numbers are the delivered rate.
  Pattern 2 sleeps 0.3 s before the first frame (PUB/SUB slow joiner) and is not
  paced afterwards (with vidgear's HWM 1 frames are dropped: that is the pattern).
  Patterns 2/3 pause before the generator ends: vidgear's close() sends the
  terminate and closes with LINGER 0 right away, so anything still queued in zmq
  (frames for PUSH, the terminate itself) would be discarded. close() (the full
  one: terminate + confirmation for patterns 0/1, unbounded in vidgear) is bounded
  by a watchdog of --timeout seconds; a stall watchdog (no generator progress for
  --timeout + 1 s, e.g. a send blocked with no peer) bounds the run itself.
recv: iterates ``recv_generator()`` until the server's terminate, or until a
  receive timeout (a lost terminate, possible with patterns 2/3): what arrived is
  reported, with "error" only if ZERO frames arrived. In bidirectional mode it
  replies after each frame with ``transceive_data("ok")`` or, for --reply frame,
  ``transceive_data(frame)`` (echo); vidgear sends that item as the reply to the
  NEXT frame (the first reply is vidgear's empty one). ``elapsed`` runs from the
  first frame's arrival to the last one's; RTT fields are null.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time

import numpy as np

# vidgear (and anything else) prints to stderr; the JSON line goes to the real stdout.
_REAL_STDOUT = sys.stdout
sys.stdout = sys.stderr

# NETGEAR_BENCH_IMPL=netgear_rs runs the same peer on the netgear_rs package (python/bench.py):
# the one-line change a vidgear user makes.
IMPL = os.environ.get("NETGEAR_BENCH_IMPL", "vidgear")
if IMPL == "netgear_rs":
    from netgear_rs import NetGear_Async  # noqa: E402
else:
    from vidgear.gears.asyncio import NetGear_Async  # noqa: E402

ADDRESS = "127.0.0.1"
N_SOURCE_FRAMES = 3
PATTERN2_WARMUP = 0.3  # s, PUB/SUB slow joiner
PATTERN2_TAIL = 0.2  # s, lets the PUB queue (HWM 1) drain so the terminate is not dropped
PATTERN3_TAIL_MIN = 0.2  # s, lets PUSH's queued frames out before close(LINGER 0)
PATTERN3_DRAIN_BPS = 400e6  # conservative drain rate used to size the pattern-3 pause
# (measured: with a fixed 0.2 s pause 31 of 1000 640x480 frames and the terminate were lost)

_EMIT_LOCK = threading.Lock()
_EMITTED = [False]


def log(msg):
    sys.stderr.write("[vg_bench] {}\n".format(msg))
    sys.stderr.flush()


def emit(result, status):
    """Print the JSON line once and return the exit status."""
    with _EMIT_LOCK:
        if not _EMITTED[0]:
            _EMITTED[0] = True
            _REAL_STDOUT.write(json.dumps(result) + "\n")
            _REAL_STDOUT.flush()
    return status


def err_str(e, timeout):
    msg = str(e)
    if not msg and isinstance(e, (TimeoutError, asyncio.TimeoutError)):
        msg = "nothing received within {:g}s (vidgear timeout)".format(timeout)
    return "{}: {}".format(type(e).__name__, msg)


def peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_age():
    """Seconds since this process started (from /proc; None if unavailable)."""
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except Exception:
        return None


def percentile_us(intervals, q):
    if not intervals:
        return None
    return round(float(np.percentile(np.asarray(intervals), q)) * 1e6, 1)


def make_result(role, frames, nbytes, elapsed, rtts=None, error=None):
    r = {
        "impl": IMPL,
        "role": role,
        "frames": int(frames),
        "bytes": int(nbytes),
        "elapsed": round(float(elapsed), 6),
        "fps": round(frames / elapsed, 3) if frames >= 2 and elapsed > 0 else 0,
        "rtt_p50_us": percentile_us(rtts, 50) if rtts is not None else None,
        "rtt_p99_us": percentile_us(rtts, 99) if rtts is not None else None,
        "peak_rss_kb": peak_rss_kb(),
    }
    if error is not None:
        r["error"] = error
    return r


def gear(args, receive_mode, bi):
    kw = dict(
        receive_mode=receive_mode,
        pattern=args.pattern,
        address=ADDRESS,
        port=str(args.port),
        timeout=args.timeout,
    )
    if args.protocol != "tcp":
        kw["protocol"] = args.protocol  # shm: netgear_rs only (vidgear has tcp and ipc)
    # vidgear raises ValueError for pattern 2/3 whenever the option is present
    if bi:
        kw["bidirectional_mode"] = True
    return NetGear_Async(**kw)


def render_frames(h, w):
    n = h * w * 3
    base = np.arange(n, dtype=np.int64) * 7
    return [((base + i * 85) % 251).astype(np.uint8).reshape(h, w, 3)
            for i in range(N_SOURCE_FRAMES)]


# --------------------------------------------------------------------------- serve
def cmd_serve(args, bi):
    frames = render_frames(args.height, args.width)
    items = [("hi", f) if bi else f for f in frames]
    frame_nbytes = frames[0].nbytes
    total = args.frames
    st = {"n": 0, "stamps": [], "progress": time.monotonic(), "running": True}

    def result(error=None):
        stamps = st["stamps"]
        elapsed = stamps[-1] - stamps[0] if len(stamps) >= 2 else 0.0
        rtts = None
        if args.pattern < 2:
            rtts = [b - a for a, b in zip(stamps, stamps[1:])]
        return make_result("serve", st["n"], st["n"] * frame_nbytes, elapsed, rtts, error)

    try:
        server = gear(args, receive_mode=False, bi=bi)
    except Exception as e:
        return emit(result(err_str(e, args.timeout)), 1)
    age = process_age()
    if age is not None:
        log("start-up (process start -> NetGear_Async ready): {:.3f}s".format(age))

    if args.pattern == 2:
        tail = PATTERN2_TAIL
    elif args.pattern == 3:
        # PUSH queues up to SNDHWM+RCVHWM (1000+1000) messages plus the TCP buffers,
        # i.e. possibly every frame; size the pause by the bytes sent, but keep it
        # well below the receiver's timeout (it waits for the terminate meanwhile)
        tail = min(max(PATTERN3_TAIL_MIN, total * frame_nbytes / PATTERN3_DRAIN_BPS),
                   max(PATTERN3_TAIL_MIN, 0.5 * float(args.timeout)))
    else:
        tail = 0.0

    async def source():
        if args.pattern == 2:
            await asyncio.sleep(PATTERN2_WARMUP)
        st["progress"] = time.monotonic()
        stamps = st["stamps"]
        perf = time.perf_counter
        k = len(items)
        for i in range(total):
            if bi:
                await server.transceive_data()  # reply to the previous frame
            if i == 0:
                stamps.append(perf())
            st["n"] = i + 1  # handed to vidgear: sent before it waits for a reply
            yield items[i % k]
            stamps.append(perf())
            st["progress"] = time.monotonic()
        if tail > 0:
            await asyncio.sleep(tail)
        st["progress"] = time.monotonic()

    server.config["generator"] = source()
    asyncio.set_event_loop(server.loop)

    # Stall watchdog: e.g. a PAIR/REQ/PUSH send blocked forever with no peer.
    stall_limit = float(args.timeout) + 1.0

    def stall_watch():
        while st["running"]:
            time.sleep(0.2)
            if st["running"] and time.monotonic() - st["progress"] > stall_limit + (
                    PATTERN2_WARMUP if args.pattern == 2 else 0) + tail:
                emit(result("TimeoutError: no progress for {:.1f}s (send blocked?)".format(
                    stall_limit)), 1)
                os._exit(1)

    watcher = threading.Thread(target=stall_watch, daemon=True)
    watcher.start()
    error = None
    try:
        server.launch()
        server.loop.run_until_complete(server.task)
    except Exception as e:
        error = err_str(e, args.timeout)
    finally:
        st["running"] = False

    # vidgear's full close() sends the terminate and, for patterns 0/1, waits with no
    # time limit for the receiver's confirmation: bound it.
    limit = float(args.timeout)

    def hung():
        emit(result(error or "TimeoutError: close() did not finish within {:g}s "
                    "(termination confirmation)".format(limit)), 1)
        os._exit(1)

    watchdog = threading.Timer(limit, hung)
    watchdog.daemon = True
    watchdog.start()
    try:
        if error is None:
            server.close()
        else:
            # the peer may be gone: no confirmation wait
            server.close(skip_loop=True)
            task = getattr(server, "_NetGear_Async__close_task", None)
            if task is not None:
                server.loop.run_until_complete(asyncio.wait_for(task, limit))
            server.loop.close()
    except Exception as e:
        if error is None:
            error = err_str(e, args.timeout)
    finally:
        watchdog.cancel()
    return emit(result(error), 0 if error is None else 1)


# ---------------------------------------------------------------------------- recv
def cmd_recv(args, bi):
    st = {"n": 0, "bytes": 0, "first": None, "last": None}

    def result(error=None):
        elapsed = st["last"] - st["first"] if st["first"] is not None else 0.0
        return make_result("recv", st["n"], st["bytes"], elapsed, None, error)

    try:
        client = gear(args, receive_mode=True, bi=bi)
    except Exception as e:
        return emit(result(err_str(e, args.timeout)), 1)
    age = process_age()
    if age is not None:
        log("start-up (process start -> NetGear_Async ready): {:.3f}s".format(age))
    echo = args.reply == "frame"

    async def main():
        agen = client.recv_generator()
        perf = time.perf_counter
        terminated = False
        try:
            async for item in agen:
                t = perf()
                frame = item[1] if bi else item
                if st["first"] is None:
                    st["first"] = t
                st["last"] = t
                st["n"] += 1
                st["bytes"] += frame.nbytes
                if bi:
                    await client.transceive_data(frame if echo else "ok")
            terminated = True
        finally:
            if terminated:
                # the terminate confirmation (patterns 0/1) was only queued in zmq;
                # vidgear closes with LINGER 0: give it time to get out
                await asyncio.sleep(0.1)
            try:
                await agen.aclose()
            except Exception:
                pass
            try:
                client.close(skip_loop=True)
                task = getattr(client, "_NetGear_Async__close_task", None)
                if task is not None:
                    await asyncio.wait_for(task, 5.0)
            except Exception as e:
                log("client close: {}".format(err_str(e, args.timeout)))

    asyncio.set_event_loop(client.loop)
    error = None
    try:
        client.launch()
        client.loop.run_until_complete(main())
    except (TimeoutError, asyncio.TimeoutError) as e:
        if st["n"] == 0:
            error = err_str(e, args.timeout)
        else:
            log("receive timeout after {} frames (terminate lost?): reporting what "
                "arrived".format(st["n"]))
    except Exception as e:
        error = err_str(e, args.timeout)
    try:
        client.loop.run_until_complete(client.loop.shutdown_asyncgens())
        client.loop.close()
    except Exception as e:
        log("loop close: {}".format(err_str(e, args.timeout)))
    return emit(result(error), 0 if error is None else 1)


# ---------------------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description="vidgear 0.3.6 NetGear_Async peer for the "
                                            "netgear-rs benchmark")
    p.add_argument("role", choices=["serve", "recv"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pattern", type=int, choices=[0, 1, 2, 3], required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--frames", type=int, required=True)
    p.add_argument("--reply", choices=["none", "text", "frame"], default="none")
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--protocol", choices=["tcp", "ipc", "shm"], default="tcp")
    args = p.parse_args(argv)
    if args.timeout <= 0:
        args.timeout = 15.0  # vidgear: a falsy timeout means 15.0
    bi = args.pattern < 2 and args.reply != "none"
    if args.role == "serve":
        return cmd_serve(args, bi)
    return cmd_recv(args, bi)


if __name__ == "__main__":
    sys.exit(main())
