"""A custom source that yields a list and numpy scalars as frames (vidgear converts them)."""

import asyncio
import sys

import numpy as np

from vidgear.gears.asyncio import NetGear_Async

server = NetGear_Async(address="127.0.0.1", port=sys.argv[1])


async def frames():
    yield [[1, 2, 3], [4, 5, 6]]
    yield np.float32(2.5)
    yield np.int16(-7)
    yield [0.5, 1.5]


if __name__ == "__main__":
    asyncio.set_event_loop(server.loop)
    server.config["generator"] = frames()
    server.launch()
    try:
        server.loop.run_until_complete(server.task)
    finally:
        server.close()
