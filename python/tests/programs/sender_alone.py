"""vidgear's server example with no client: started, interrupted with Ctrl-C (SIGINT) while it
waits for its peer, then closed. Says when it is waiting, and what close() did."""

import asyncio
import json
import os
import sys

import numpy as np

from vidgear.gears.asyncio import NetGear_Async

port, ready = sys.argv[1], sys.argv[2]
server = NetGear_Async(address="127.0.0.1", port=port, timeout=600)


async def frames():
    open(ready, "w").close()  # the first frame is on its way: the sender now waits
    while True:
        yield np.zeros((4, 4, 3), np.uint8)
        await asyncio.sleep(0)


server.config["generator"] = frames()
server.launch()
outcome = {}
try:
    server.loop.run_until_complete(server.task)
except (KeyboardInterrupt, SystemExit):
    outcome["interrupted"] = True
finally:
    server.close()
    outcome["closed"] = True
print(json.dumps(outcome))
sys.stdout.flush()
os._exit(0)
