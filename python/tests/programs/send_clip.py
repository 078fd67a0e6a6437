"""vidgear's server example reading a clip, with CamGear's options, a colorspace, and
frame_format (FFGear's parameter, which CamGear ignores); optionally stabilised."""

import asyncio
import sys

from vidgear.gears.asyncio import NetGear_Async

port, clip, colorspace = sys.argv[1], sys.argv[2], sys.argv[3]
stabilize = sys.argv[4:] == ["stabilize"]
options = {"THREAD_TIMEOUT": 1, "THREADED_QUEUE_MODE": True, "CAP_PROP_FRAME_WIDTH": 320,
           "CAP_PROP_FPS": 10}
server = NetGear_Async(address="127.0.0.1", port=port, source=clip, stabilize=stabilize,
                       colorspace=None if colorspace == "-" else colorspace,
                       frame_format="gray", time_delay=0, **options).launch()

if __name__ == "__main__":
    asyncio.set_event_loop(server.loop)
    try:
        server.loop.run_until_complete(server.task)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
