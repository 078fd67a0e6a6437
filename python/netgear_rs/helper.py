"""vidgear's asyncio helpers that the NetGear_Async examples use, on the netgear-rs core."""

import asyncio

from . import _core

__all__ = ["reducer"]


async def reducer(frame=None, percentage=0, interpolation=4):
    """vidgear's ``reducer()``: ``frame`` made ``percentage`` % smaller (0 < percentage < 90),
    by netgear-rs's SIMD resizer with the GIL released. ``interpolation`` is OpenCV's constant
    (``cv2.INTER_LANCZOS4``, 4, by default; 0 nearest, 1 linear, 2 cubic, 3 area). A uint8
    frame; the result is a new read-only array."""
    if frame is None:
        raise ValueError("[Helper:ERROR] :: Input frame cannot be NoneType!")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _core.reducer, frame, float(percentage), int(interpolation))
