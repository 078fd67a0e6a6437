"""Bidirectional Mode, REQ/REP, bound to address "localhost": answers every frame with two
values, so that its transceive_data queue grows by one a frame; prints how many it received."""

import asyncio
import json
import sys

from vidgear.gears.asyncio import NetGear_Async

client = NetGear_Async(address="localhost", port=sys.argv[1], pattern=1, receive_mode=True,
                       bidirectional_mode=True).launch()
received = 0


async def main():
    global received
    async for data, frame in client.recv_generator():
        received += 1
        await client.transceive_data("first answer to {}".format(data))
        await client.transceive_data("second answer to {}".format(data))


if __name__ == "__main__":
    asyncio.set_event_loop(client.loop)
    try:
        client.loop.run_until_complete(main())
    except (KeyboardInterrupt, SystemExit):
        pass
    client.close()
    print(json.dumps({"received": received}))
