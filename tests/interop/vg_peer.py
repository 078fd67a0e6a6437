#!/usr/bin/env python3
"""vidgear peer for the netgear-rs interop tests.

Runs vidgear 0.3.6's real ``NetGear_Async`` (the protocol is NOT reimplemented here)
either as a sender (``serve``) or as a receiver (``recv``), and prints ONE JSON line
on stdout at the end (the last line; nothing else is written to stdout: vidgear and
this script log to stderr).

  serve  vidgear send mode ("server": connects). Custom source: an async generator
         put in ``server.config["generator"]``; then ``launch()``,
         ``loop.run_until_complete(server.task)`` and ``server.close()`` (the full
         close: it sends ``{"terminate": true}`` and, for patterns 0/1, waits with no
         time limit for the receiver's confirmation; a watchdog bounds that wait by
         the timeout, then reports an error). Frame i (0-based) is
         ``((arange(prod(shape)) * 7 + i * 13) % 251)`` (``% 2`` more for bool,
         ``/ 7.0`` for float/complex dtypes), cast to ``--dtype``, reshaped to
         ``--shape`` (default HEIGHTxWIDTHx3). In bidirectional mode each frame is
         sent as ``(data, frame)`` and ``await server.transceive_data()`` is called
         before every frame and, after the last one, until vidgear's queue is empty,
         so the reply to the last frame is collected too. Pacing: --warmup (sleep
         before the first frame), --interval (between frames), --tail (after the
         last frame, before vidgear's terminate); for pattern 2 they default to
         0.3 s / 2 ms / 50 ms (slow joiner; with HWM 1 a terminate sent right behind
         the last frame is dropped), otherwise 0.
  recv   vidgear receive mode ("client": binds), ``launch()`` then
         ``async for ... in client.recv_generator()``; ``client.close(skip_loop=True)``
         in a finally. With --reply/--reply-json/--reply-frame one item is queued with
         ``await client.transceive_data(item)`` after every frame; vidgear sends it
         as the reply to the NEXT frame, so items still queued at the end were never
         sent and are not counted.

With ``--curve-keys DIR`` vidgear's pyzmq sockets are ZeroMQ CURVE ends, with the
certificates ``netgear keygen DIR`` wrote (read by ``zmq.auth.load_certificate``): the
receiver is the CURVE server, the sender a CURVE client that starts its frames once its
handshake has succeeded. vidgear has no secure mode of its own; only its socket factory is
wrapped (``enable_curve``).

JSON output (extra keys may be present: ``elapsed`` seconds, ``dtype_str`` = numpy
dtype string such as "<u2", ``error`` on failure):
  serve: frames, sha256, shape, dtype, replies (non-None replies received),
         reply_data (first 5 non-None, non-ndarray replies), reply_frames (ndarray
         replies), reply_sha256
  recv:  frames, sha256, shape, dtype (of the last frame; null if none),
         data (data of the first 10 frames in bidirectional mode, null for None;
         [] when not bidirectional), data_types (the Python type name of each of
         those, e.g. "dict", "list", "str", "NoneType"), replies_sent (items actually sent back),
         reply_frames, reply_sha256 (over the ndarray items actually sent)
``sha256`` fields are hex SHA-256 over the C-order ``tobytes()`` of every array in
order (SHA-256 of nothing when there is none).

Values -> JSON: tuples (msgpack arrays, vidgear unpacks with use_list=False) become
lists, ``bytes`` become a lowercase hex STRING, dict keys that are not strings are
turned into strings (bytes keys: hex), ndarrays (only in nested values) become
``{"ndarray": {"dtype": ..., "shape": [...], "sha256": ...}}``.

vidgear turns every falsy data/reply value (0, "", false, [], {}) into None on
arrival: such replies are not counted in ``replies`` and such data shows as null.

On a vidgear exception (TimeoutError, RuntimeError, ValueError...) the JSON line is
still printed, with ``"error": "<ExceptionType>: <message>"``, and the exit status is 1.
"""

import argparse
import asyncio
import hashlib
import json
import math
import os
import sys
import threading
import time

import numpy as np

# Everything vidgear (or anything else) might print goes to stderr; the final JSON
# line is written to the real stdout.
_REAL_STDOUT = sys.stdout
sys.stdout = sys.stderr

from vidgear.gears.asyncio import NetGear_Async  # noqa: E402

_EMIT_LOCK = threading.Lock()
_EMITTED = False


def emit(result, status):
    """Print the JSON line once, flush, and return the exit status."""
    global _EMITTED
    with _EMIT_LOCK:
        if not _EMITTED:
            _EMITTED = True
            _REAL_STDOUT.write(json.dumps(result) + "\n")
            _REAL_STDOUT.flush()
    return status


_TIMEOUT = [15.0]


def err_str(e):
    msg = str(e)
    if not msg and isinstance(e, TimeoutError):
        # asyncio.wait_for raises a bare TimeoutError
        msg = "nothing received within {:g}s (vidgear timeout)".format(_TIMEOUT[0])
    return "{}: {}".format(type(e).__name__, msg)


def to_json(v):
    """Convert a value received from vidgear into something json.dumps accepts."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, np.ndarray):
        return {
            "ndarray": {
                "dtype": v.dtype.str,
                "shape": list(v.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest(),
            }
        }
    if isinstance(v, np.generic):
        return to_json(v.item())
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if isinstance(k, (bytes, bytearray)):
                k = bytes(k).hex()
            elif not isinstance(k, str):
                k = json.dumps(to_json(k)) if isinstance(k, (list, tuple)) else str(k)
            out[k] = to_json(x)
        return out
    return repr(v)


def frame_bytes(a):
    return np.ascontiguousarray(a).tobytes()


def make_frame(i, shape, dtype):
    n = int(math.prod(shape))
    base = (np.arange(n, dtype=np.int64) * 7 + i * 13) % 251
    if dtype.kind == "b":
        arr = (base % 2).astype(dtype)
    elif dtype.kind in "fc":
        arr = (base / 7.0).astype(dtype)
    else:
        arr = base.astype(dtype)
    return arr.reshape(shape)


def gear_kwargs(args, receive_mode):
    kw = dict(
        address=args.address,
        port=args.port,
        protocol=args.protocol,
        pattern=args.pattern,
        receive_mode=receive_mode,
        timeout=args.timeout,
        logging=args.log,
    )
    # NB: vidgear raises ValueError for pattern 2/3 whenever `bidirectional_mode` is
    # present in the options, even when False: pass it only when asked for.
    if args.bidirectional:
        kw["bidirectional_mode"] = True
    return kw


def effective_timeout(args):
    # vidgear: a falsy timeout means 15.0
    return float(args.timeout) if args.timeout else 15.0


def parse_value(text, json_text, what):
    if text is not None and json_text is not None:
        raise SystemExit("--{0} and --{0}-json are exclusive".format(what))
    if json_text is not None:
        return json.loads(json_text)
    return text


# --------------------------------------------------------------------------- serve
def cmd_serve(args):
    t0 = time.monotonic()
    dtype = np.dtype(args.dtype)
    if args.shape:
        shape = tuple(int(x) for x in args.shape.split(",") if x.strip() != "")
    else:
        shape = (args.height, args.width, 3)
    data = parse_value(args.data, args.data_json, "data")
    if data is not None and not args.bidirectional:
        print("[vg_peer] --data is only sent in bidirectional mode; ignored", file=sys.stderr)
    if args.warmup is not None:
        warmup = args.warmup
    else:
        warmup = 0.3 if args.pattern == 2 else 0.0
    if args.interval is not None:
        interval = args.interval
    else:
        interval = 0.002 if args.pattern == 2 else 0.0
    if args.tail is not None:
        tail = args.tail
    else:
        # PUB/SUB with HWM 1: a terminate sent right behind the last frame is dropped
        # (the client then ends with TimeoutError); a short pause lets it through.
        tail = 0.05 if args.pattern == 2 else 0.0

    st = {
        "frames": 0,
        "sha": hashlib.sha256(),
        "replies": 0,
        "reply_data": [],
        "reply_frames": 0,
        "reply_sha": hashlib.sha256(),
    }

    def result(error=None):
        r = {
            "frames": st["frames"],
            "sha256": st["sha"].hexdigest(),
            "shape": list(shape),
            "dtype": dtype.name,
            "dtype_str": dtype.str,
            "replies": st["replies"],
            "reply_data": st["reply_data"],
            "reply_frames": st["reply_frames"],
            "reply_sha256": st["reply_sha"].hexdigest(),
            "elapsed": round(time.monotonic() - t0, 3),
        }
        if error is not None:
            r["error"] = error
        return r

    def record_reply(r):
        if r is None:
            return
        st["replies"] += 1
        if isinstance(r, np.ndarray):
            st["reply_frames"] += 1
            st["reply_sha"].update(frame_bytes(r))
        elif len(st["reply_data"]) < 5:
            st["reply_data"].append(to_json(r))

    try:
        server = NetGear_Async(**gear_kwargs(args, receive_mode=False))
    except Exception as e:  # e.g. ValueError: bidirectional mode with pattern 2/3
        return emit(result(err_str(e)), 1)
    queue = getattr(server, "_NetGear_Async__queue", None)

    async def source():
        await await_curve_handshake(effective_timeout(args))
        if warmup > 0:
            await asyncio.sleep(warmup)  # PUB/SUB slow joiner
        for i in range(args.frames):
            if i and interval > 0:
                await asyncio.sleep(interval)
            frame = make_frame(i, shape, dtype)
            # counted when handed to vidgear: it is sent before vidgear waits for a reply
            st["frames"] += 1
            st["sha"].update(frame_bytes(frame))
            if args.bidirectional:
                # reply to the previous frame (None before the first one)
                record_reply(await server.transceive_data())
                yield (data, frame)
            else:
                yield frame
        if tail > 0:
            await asyncio.sleep(tail)
        if args.bidirectional:
            # vidgear queued the reply to the last frame before resuming us: drain it
            await asyncio.sleep(0)
            while True:
                r = await server.transceive_data()
                record_reply(r)
                if queue is not None:
                    if queue.empty():
                        break
                elif r is None:
                    break

    server.config["generator"] = source()
    asyncio.set_event_loop(server.loop)
    error = None
    try:
        server.launch()
        server.loop.run_until_complete(server.task)
    except Exception as e:  # vidgear's TimeoutError, ValueError, RuntimeError...
        error = err_str(e)

    # Termination: vidgear's full close() sends {"terminate": true} and, for patterns
    # 0/1, waits (no time limit) for the receiver's confirmation. Bound it.
    limit = effective_timeout(args) + 1.0

    def hung():
        msg = "close() did not finish within {:.1f}s (waiting for the termination confirmation)".format(limit)
        emit(result(error if error else "TimeoutError: " + msg), 1)
        os._exit(1)

    watchdog = threading.Timer(limit, hung)
    watchdog.daemon = True
    watchdog.start()
    try:
        if error is None:
            server.close()  # terminate handshake, then closes the loop
        else:
            # after a failure the peer may be gone: no confirmation wait
            server.close(skip_loop=True)
            task = getattr(server, "_NetGear_Async__close_task", None)
            if task is not None:
                server.loop.run_until_complete(asyncio.wait_for(task, limit))
            server.loop.close()
    except Exception as e:
        if error is None:
            error = err_str(e)
    finally:
        watchdog.cancel()
    return emit(result(error), 0 if error is None else 1)


# ---------------------------------------------------------------------------- recv
def cmd_recv(args):
    t0 = time.monotonic()
    reply = parse_value(args.reply, args.reply_json, "reply")
    if reply is not None and args.reply_frame:
        raise SystemExit("--reply/--reply-json and --reply-frame are exclusive")
    replying = args.reply_frame or reply is not None
    if replying and not args.bidirectional:
        print("[vg_peer] replies need --bidirectional; ignored", file=sys.stderr)
        replying = False

    st = {
        "frames": 0,
        "sha": hashlib.sha256(),
        "shape": None,
        "dtype": None,
        "dtype_str": None,
        "data": [],
        "data_types": [],
        "queued": [],
        "sent": None,
    }

    def result(error=None):
        queued = st["queued"]
        sent = st["sent"] if st["sent"] is not None else queued[: max(0, len(queued) - 1)]
        rsha = hashlib.sha256()
        nframes = 0
        for item in sent:
            if isinstance(item, np.ndarray):
                nframes += 1
                rsha.update(frame_bytes(item))
        r = {
            "frames": st["frames"],
            "sha256": st["sha"].hexdigest(),
            "shape": st["shape"],
            "dtype": st["dtype"],
            "dtype_str": st["dtype_str"],
            "data": st["data"],
            "data_types": st["data_types"],
            "replies_sent": len(sent),
            "reply_frames": nframes,
            "reply_sha256": rsha.hexdigest(),
            "elapsed": round(time.monotonic() - t0, 3),
        }
        if error is not None:
            r["error"] = error
        return r

    try:
        client = NetGear_Async(**gear_kwargs(args, receive_mode=True))
    except Exception as e:  # e.g. ValueError: bidirectional mode with pattern 2/3
        return emit(result(err_str(e)), 1)
    queue = getattr(client, "_NetGear_Async__queue", None)
    raw_out = open(args.save_raw, "wb") if args.save_raw else None

    async def main():
        agen = client.recv_generator()
        try:
            async for item in agen:
                if args.bidirectional:
                    data, frame = item
                else:
                    data, frame = None, item
                st["frames"] += 1
                st["sha"].update(frame_bytes(frame))
                if raw_out is not None:
                    raw_out.write(frame_bytes(frame))
                st["shape"] = list(frame.shape)
                st["dtype"] = frame.dtype.name
                st["dtype_str"] = frame.dtype.str
                if args.bidirectional and len(st["data"]) < 10:
                    st["data"].append(to_json(data))
                    st["data_types"].append(type(data).__name__)
                if replying:
                    value = frame if args.reply_frame else reply
                    st["queued"].append(value)
                    await client.transceive_data(value)
                if args.frames and st["frames"] >= args.frames:
                    break
                await asyncio.sleep(0)
        finally:
            # items vidgear actually sent back = queued minus those still waiting
            if queue is not None:
                n = len(st["queued"]) - queue.qsize()
                st["sent"] = st["queued"][: max(0, n)]
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
                print("[vg_peer] client close: {}".format(err_str(e)), file=sys.stderr)

    asyncio.set_event_loop(client.loop)
    error = None
    try:
        client.launch()
        client.loop.run_until_complete(main())
    except Exception as e:  # vidgear's TimeoutError, RuntimeError...
        error = err_str(e)
    if raw_out is not None:
        raw_out.close()
    try:
        client.loop.run_until_complete(client.loop.shutdown_asyncgens())
        client.loop.close()
    except Exception as e:
        print("[vg_peer] loop close: {}".format(err_str(e)), file=sys.stderr)
    return emit(result(error), 0 if error is None else 1)


# ---------------------------------------------------------------------------- main
def build_parser():
    p = argparse.ArgumentParser(
        description="vidgear 0.3.6 NetGear_Async peer for the netgear-rs interop tests"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--address", default=None,
                        help="default as vidgear: localhost (serve) / * (recv)")
    common.add_argument("--port", default="5555")
    common.add_argument("--protocol", choices=["tcp", "ipc"], default="tcp")
    common.add_argument("--pattern", type=int, choices=[0, 1, 2, 3], default=0)
    common.add_argument("--timeout", type=float, default=0.0,
                        help="seconds; 0 = vidgear's default 15.0")
    common.add_argument("--bidirectional", action="store_true",
                        help="bidirectional_mode=True (patterns 0/1 only)")
    common.add_argument("--log", action="store_true", help="vidgear logging=True (stderr)")
    common.add_argument("--curve-keys", default=None, metavar="DIR",
                        help="ZeroMQ CURVE with the certificates `netgear keygen DIR` wrote "
                             "(the receiver is the CURVE server, the sender a CURVE client)")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", parents=[common], help="vidgear send mode")
    s.add_argument("--frames", type=int, default=20)
    s.add_argument("--width", type=int, default=64)
    s.add_argument("--height", type=int, default=48)
    s.add_argument("--dtype", default="uint8", help="numpy dtype name, e.g. uint16, float32, >i4")
    s.add_argument("--shape", default=None, help="e.g. 48,64 or 48,64,3 (overrides width/height)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--data", default=None, help="text sent as data with every frame (bidirectional)")
    g.add_argument("--data-json", default=None, help="JSON value sent as data with every frame")
    s.add_argument("--warmup", type=float, default=None,
                   help="seconds to sleep before the first frame (default 0.3 for pattern 2, else 0)")
    s.add_argument("--interval", type=float, default=None,
                   help="seconds between frames (default 0.002 for pattern 2, else 0)")
    s.add_argument("--tail", type=float, default=None,
                   help="seconds to sleep after the last frame, before vidgear sends terminate "
                        "(default 0.05 for pattern 2, else 0; 0 reproduces the lost terminate)")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("recv", parents=[common], help="vidgear receive mode")
    r.add_argument("--frames", type=int, default=0,
                   help="stop after N frames (default 0: until the server terminates)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--reply", default=None, help="text queued as reply after each frame")
    g.add_argument("--reply-json", default=None, help="JSON value queued as reply after each frame")
    g.add_argument("--reply-frame", action="store_true", help="queue each received frame back (echo)")
    r.add_argument("--save-raw", default=None,
                   help="append the raw bytes of every received frame to this file")
    r.set_defaults(func=cmd_recv)
    return p


_CURVE_HANDSHAKE = []


async def await_curve_handshake(timeout):
    """With --curve-keys in send mode: waits until the CURVE handshake of vidgear's socket
    has succeeded (its monitor's event), at most ``timeout`` seconds."""
    if _CURVE_HANDSHAKE:
        await asyncio.wait_for(_CURVE_HANDSHAKE[-1].recv_multipart(), timeout)


def enable_curve(keys_dir, receive_mode):
    """Makes every socket vidgear creates a ZeroMQ CURVE end, with the certificates that
    ``netgear keygen`` wrote in ``keys_dir`` (read by pyzmq's ``zmq.auth.load_certificate``):
    the receiver (binds) is the CURVE server, with the server's secret key; the sender
    (connects) is a CURVE client, with the client's pair and the server's public key.
    vidgear's NetGear_Async has no secure mode of its own: only its socket factory is
    wrapped, the protocol above the socket is vidgear's."""
    import zmq.asyncio
    import zmq.auth

    public = os.path.join(keys_dir, "public_keys")
    private = os.path.join(keys_dir, "private_keys")
    if receive_mode:
        own_public, own_secret = zmq.auth.load_certificate(
            os.path.join(private, "server.key_secret"))
        server_public = None
    else:
        own_public, own_secret = zmq.auth.load_certificate(
            os.path.join(private, "client.key_secret"))
        server_public, _ = zmq.auth.load_certificate(os.path.join(public, "server.key"))
    plain_socket = zmq.asyncio.Context.socket

    def curve_socket(self, *a, **kw):
        sock = plain_socket(self, *a, **kw)
        sock.curve_publickey = own_public
        sock.curve_secretkey = own_secret
        if receive_mode:
            sock.curve_server = True
        else:
            sock.curve_serverkey = server_public
            # vidgear closes with LINGER 0 right after its last message: what is queued
            # before the (longer) CURVE handshake completes would be dropped, so the
            # source waits for it (await_curve_handshake).
            addr = "inproc://vg-peer-monitor-%d" % len(_CURVE_HANDSHAKE)
            sock.monitor(addr, zmq.EVENT_HANDSHAKE_SUCCEEDED)
            monitor = plain_socket(self, zmq.PAIR)
            monitor.connect(addr)
            _CURVE_HANDSHAKE.append(monitor)
        return sock

    zmq.asyncio.Context.socket = curve_socket


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.curve_keys:
        enable_curve(args.curve_keys, args.cmd == "recv")
    _TIMEOUT[0] = effective_timeout(args)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
