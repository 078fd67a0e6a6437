#!/usr/bin/env python3
"""One end of a stream in its own process, on vidgear 0.3.6 or on netgear_rs (the same code:
only the import differs), for the tests of python/tests.

    peer.py serve|recv --impl vidgear|netgear_rs --port P --pattern N [--bi] --frames N
            [--dtype uint8] [--shape 48,64,3] [--reply text|frame] [--stop-file PATH]
            [--ready-file PATH] [--endless] [--timeout S] [--protocol tcp|ipc|shm]
            [--address A]

serve: yields frame i = frames.make(i) (with data {"i": i, "text": "frame i"}, or --data values
frames.VALUES[i], in bidirectional mode), takes the replies with transceive_data(), and closes (the end message). --stop-file:
with --endless (or pattern 2) it sends until the file exists; otherwise, before close(), it
waits until the file exists (a vidgear PUSH closes with LINGER 0, dropping what is queued).
--ready-file is written once the first frame is handed over. On SIGINT (Ctrl-C) it closes
as vidgear's examples do.
recv: checks every frame against frames.make, answers each with "reply i", the frame itself
(--reply frame) or frames.VALUES[i] (--reply values), and stops at the end of the stream.
The last stdout line is a JSON summary; errors are reported in it as {"error": "Type: text"}.
"""

import argparse
import asyncio
import faulthandler
import json
import os
import signal
import sys

import numpy as np

_STDOUT = sys.stdout
sys.stdout = sys.stderr  # vidgear's prints go to stderr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames  # noqa: E402


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["serve", "recv"])
    p.add_argument("--impl", choices=["vidgear", "netgear_rs"], required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pattern", type=int, default=0)
    p.add_argument("--bi", action="store_true")
    p.add_argument("--frames", type=int, default=10)
    p.add_argument("--dtype", default="uint8")
    p.add_argument("--shape", default="48,64,3")
    p.add_argument("--reply", choices=["text", "frame", "values"], default="text")
    p.add_argument("--data", choices=["dict", "values"], default="dict")
    p.add_argument("--stop-file")
    p.add_argument("--ready-file")
    p.add_argument("--endless", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--protocol", choices=["tcp", "ipc", "shm"], default="tcp")
    p.add_argument("--address", default="127.0.0.1")
    return p.parse_args()


def gear(args, receive_mode):
    if args.impl == "netgear_rs":
        from netgear_rs import NetGear_Async
    else:
        from vidgear.gears.asyncio import NetGear_Async
    options = {"bidirectional_mode": True} if args.bi else {}
    return NetGear_Async(
        address=args.address,
        port=str(args.port),
        protocol=args.protocol,
        pattern=args.pattern,
        receive_mode=receive_mode,
        timeout=args.timeout,
        **options,
    )


def emit(summary):
    _STDOUT.write(json.dumps(summary) + "\n")
    _STDOUT.flush()


def serve(args):
    shape = tuple(int(x) for x in args.shape.split(","))
    server = gear(args, receive_mode=False)
    summary = {"sent": 0, "replies": []}

    async def generator():
        i = 0
        while args.endless or args.pattern == 2 or i < args.frames:
            if (args.endless or args.pattern == 2) and args.stop_file and os.path.exists(
                args.stop_file
            ):
                break
            frame = frames.make(i, shape, args.dtype)
            if args.bi:
                reply = await server.transceive_data()
                if reply is not None:
                    summary["replies"].append(frames.describe(reply))
                if args.data == "values":
                    yield (frames.VALUES[i % len(frames.VALUES)], frame)
                else:
                    yield ({"i": i, "text": "frame {}".format(i)}, frame)
            else:
                yield frame
            summary["sent"] = i + 1
            if i == 0 and args.ready_file:
                open(args.ready_file, "w").close()
            i += 1
            await asyncio.sleep(0)
        if args.stop_file and not (args.endless or args.pattern == 2):
            while not os.path.exists(args.stop_file):
                await asyncio.sleep(0.01)

    asyncio.set_event_loop(server.loop)
    server.config["generator"] = generator()
    server.launch()
    try:
        server.loop.run_until_complete(server.task)
    except (KeyboardInterrupt, SystemExit):
        summary["interrupted"] = True
    except Exception as e:
        summary["error"] = "{}: {}".format(type(e).__name__, e)
    finally:
        server.close()
    emit(summary)
    return 1 if "error" in summary else 0


def recv(args):
    shape = tuple(int(x) for x in args.shape.split(","))
    client = gear(args, receive_mode=True)
    summary = {"frames": 0, "data": [], "bad": 0}

    async def main():
        async for item in client.recv_generator():
            data, frame = item if args.bi else (None, item)
            i = frames.index(frame)
            if not np.array_equal(frame, frames.make(i, shape, args.dtype)):
                summary["bad"] += 1
            summary["frames"] += 1
            if args.bi:
                summary["data"].append(frames.describe(data))
                if args.reply == "frame":
                    reply = frame
                elif args.reply == "values":
                    reply = frames.VALUES[i % len(frames.VALUES)]
                else:
                    reply = "reply {}".format(i)
                await client.transceive_data(reply)
            if args.stop_file and summary["frames"] == args.frames:
                open(args.stop_file, "w").close()

    asyncio.set_event_loop(client.loop)
    client.launch()
    try:
        client.loop.run_until_complete(main())
    except Exception as e:
        summary["error"] = "{}: {}".format(type(e).__name__, e)
    client.close()
    emit(summary)
    return 1 if "error" in summary else 0


if __name__ == "__main__":
    # Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the tests were started with
    # SIGINT ignored (a background job of a non-interactive shell, nohup), which Python would
    # otherwise keep: the sender would then never see the SIGINT a test sends it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # A test that finds this peer stuck asks it where (the stacks of every thread).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    a = parse()
    sys.exit(serve(a) if a.role == "serve" else recv(a))
