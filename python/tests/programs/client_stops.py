"""A Bidirectional Mode receiver that stops (its process ends at once, as with Ctrl-C) after
some frames."""

import json
import os
import sys

from vidgear.gears.asyncio import NetGear_Async

port, stop_after = sys.argv[1], int(sys.argv[2])
client = NetGear_Async(address="127.0.0.1", port=port, receive_mode=True,
                       bidirectional_mode=True).launch()


async def main():
    got = 0
    async for data, frame in client.recv_generator():
        got += 1
        await client.transceive_data("ok")
        if got == stop_after:
            print(json.dumps({"received": got}))
            sys.stdout.flush()
            os._exit(0)


client.loop.run_until_complete(main())
