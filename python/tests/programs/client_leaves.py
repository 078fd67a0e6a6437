"""A Bidirectional Mode sender whose client stops after some frames: what the sender raises."""

import asyncio
import json
import sys

import numpy as np

from vidgear.gears.asyncio import NetGear_Async

port, timeout = sys.argv[1], float(sys.argv[2])
server = NetGear_Async(address="127.0.0.1", port=port, timeout=timeout,
                       bidirectional_mode=True)
sent = 0


async def frames():
    global sent
    while True:
        yield ("hello", np.zeros((4, 4, 3), np.uint8))
        sent += 1
        await server.transceive_data()


server.config["generator"] = frames()
server.launch()
outcome = {}
try:
    server.loop.run_until_complete(server.task)
except Exception as e:
    outcome = {"raised": type(e).__name__, "says": str(e),
               "timeout_error": isinstance(e, asyncio.TimeoutError)}
outcome["sent"] = sent
print(json.dumps(outcome))
sys.stdout.flush()
import os
os._exit(0)
