"""A sender whose source cannot be read: what the constructor raises."""

import json
import sys

from vidgear.gears.asyncio import NetGear_Async

source = sys.argv[2]
try:
    server = NetGear_Async(address="127.0.0.1", port=sys.argv[1],
                           source=int(source) if source.isdigit() else source)
    outcome = {"constructed": True}
    server.close()
except Exception as e:
    outcome = {"constructed": False, "raised": type(e).__name__, "says": str(e)}
print(json.dumps(outcome))
