"""Bidirectional Mode, REQ/REP, to address "localhost": streams frames and takes the client's
answers; prints how many it got and the first two."""

import asyncio
import json
import sys

import numpy as np

from vidgear.gears.asyncio import NetGear_Async

count = int(sys.argv[2])
server = NetGear_Async(address="localhost", port=sys.argv[1], pattern=1,
                       bidirectional_mode=True)
answers = []


async def frames():
    frame = np.zeros((4, 6, 3), np.uint8)
    for n in range(count):
        frame[0, 0, 0] = n % 256
        yield ("frame {}".format(n), frame)
        answers.append(await server.transceive_data())


if __name__ == "__main__":
    asyncio.set_event_loop(server.loop)
    server.config["generator"] = frames()
    server.launch()
    try:
        server.loop.run_until_complete(server.task)
    finally:
        server.close()
    print(json.dumps({"answered": sum(a is not None for a in answers), "first": answers[:2]}))
