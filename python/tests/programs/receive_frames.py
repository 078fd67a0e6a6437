"""vidgear's client example, given capture options too (vidgear ignores them on a receiver):
prints what it received."""

import asyncio
import json
import sys

import numpy as np

from vidgear.gears.asyncio import NetGear_Async

client = NetGear_Async(address="127.0.0.1", port=sys.argv[1], receive_mode=True,
                       THREAD_TIMEOUT=1, CAP_PROP_FRAME_WIDTH=320, colorspace="COLOR_BGR2GRAY",
                       stabilize=True).launch()
frames = []


async def main():
    async for frame in client.recv_generator():
        frames.append(frame)
        await asyncio.sleep(0)


if __name__ == "__main__":
    asyncio.set_event_loop(client.loop)
    try:
        client.loop.run_until_complete(main())
    except (KeyboardInterrupt, SystemExit):
        pass
    client.close()
    print(json.dumps({
        "frames": len(frames),
        "shapes": sorted({str(f.shape) for f in frames}),
        "dtypes": sorted({str(f.dtype) for f in frames}),
        "means": [float(f.mean()) for f in frames],
        "small": [np.asarray(f).ravel().tolist() for f in frames if f.size <= 8],
    }))
