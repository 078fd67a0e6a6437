"""vidgear's server example reading a clip, with CamGear's options, a colorspace, and
frame_format (FFGear's parameter, which CamGear ignores); optionally stabilised, or started at
a frame."""

import asyncio
import sys

from vidgear.gears.asyncio import NetGear_Async

port, clip, colorspace = sys.argv[1], sys.argv[2], sys.argv[3]
stabilize = "stabilize" in sys.argv[4:]
options = {"THREAD_TIMEOUT": 1, "THREADED_QUEUE_MODE": True, "CAP_PROP_FRAME_WIDTH": 320,
           "CAP_PROP_FPS": 10}
if "seek" in sys.argv[4:]:
    options["CAP_PROP_POS_FRAMES"] = 10  # start at the eleventh frame
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
