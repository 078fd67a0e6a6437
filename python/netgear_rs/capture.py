"""vidgear's capture parameters on netgear_rs's built-in source.

vidgear's ``NetGear_Async(source=...)`` reads frames through VideoGear: OpenCV's capture
(CamGear, the default), deffcode's ffmpeg decoder (FFGear) or a Raspberry Pi camera (PiGear),
optionally through its stabilizer, and hands ``**options`` to them. netgear_rs reads every
source through one ffmpeg process (the Rust core's ``VideoReader``), so each of those
parameters and options is mapped here onto what that reader can do: an ffmpeg input option, a
filter, a conversion, a timeout. Where a parameter cannot apply, a warning names it, as
vidgear's capture logs an option it cannot use; only what would make the stream something other
than the program asked for is refused, with the reason. ``PARAMETERS`` says what each does.
"""

import enum
import logging
import time

from . import _core

logger = logging.getLogger("netgear_rs")


class Backend(enum.Enum):
    """vidgear's capture backends (``vidgear.gears.helper.Backend``, which is accepted too)."""

    CAMGEAR = "camgear"
    PIGEAR = "pigear"
    FFGEAR = "ffgear"


#: What each of vidgear's capture parameters and options does on netgear_rs (the Python guide's
#: table is made from this).
PARAMETERS = {
    "api": "Backend.CAMGEAR (default) and Backend.FFGEAR read through ffmpeg with each one's "
    "rules below; Backend.PIGEAR is refused (no picamera2 backend: give the camera's V4L2 "
    "device as source)",
    "source": "a file, image sequence (img%03d.png or a glob), URL, camera index (/dev/videoN) "
    "or device; opened and its first frame read in the constructor, RuntimeError if it cannot "
    "be, as in vidgear",
    "stabilize": "ffmpeg's deshake filter (one pass, every frame kept); STABILIZER options: "
    "BORDER_TYPE maps to its edge mode, the others are warned about",
    "camera_num": "PiGear only: warned about and ignored, as vidgear's CamGear/FFGear ignore it",
    "resolution": "a camera's capture size (-video_size); warned about for files",
    "framerate": "a camera's capture rate (-framerate); warned about for files",
    "stream_mode": "refused: no yt_dlp resolution here; give the stream's own URL as source",
    "backend": "OpenCV backends: CAP_ANY and CAP_FFMPEG as is, CAP_V4L2 the v4l2 demuxer, "
    "CAP_IMAGES the image2 demuxer; CAP_GSTREAMER refused (a pipeline is not an ffmpeg "
    "input); others warned about",
    "source_demuxer": "ffmpeg's input format (-f)",
    "frame_format": "FFGear only (api=Backend.FFGEAR): bgr24, rgb24, bgra, rgba or gray; with "
    "CamGear frames are BGR, as in vidgear, and a frame_format is warned about",
    "custom_ffmpeg": "the ffmpeg executable (ffprobe beside it)",
    "colorspace": "CamGear: OpenCV's cv2.cvtColor code by name (COLOR_BGR2GRAY, ...), applied "
    "to every frame: BGR2GRAY, RGB2GRAY, BGR2RGB, BGR2BGRA, BGR2RGBA computed in Rust exactly "
    "as OpenCV does, any other by OpenCV (needs cv2); an unknown name is warned about and "
    "frames stay BGR, as in vidgear; FFGear: warned about",
    "time_delay": "seconds to wait after opening the source before its first frame is read",
    "THREADED_QUEUE_MODE": "accepted: ffmpeg's pipe is the frame queue either way",
    "THREAD_TIMEOUT": "seconds ffmpeg may take for a frame before the source fails (default 30)",
    "QUEUE_SIZE": "FFGear: accepted, as THREADED_QUEUE_MODE",
    "CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT": "a camera's capture size (both needed); no "
    "effect on a file, as in OpenCV (warned about)",
    "CAP_PROP_FPS": "a camera's capture rate; no effect on a file (warned about)",
    "CAP_PROP_FOURCC": "a camera's pixel format or codec (MJPG, YUYV, H264, GREY, NV12 as "
    "v4l2's -input_format)",
    "CAP_PROP_POS_MSEC": "a file's start time (-ss, frame-accurate)",
    "CAP_PROP_POS_FRAMES": "frames of a file to skip at the start",
    "other CAP_PROP_*": "camera controls (brightness, exposure, ...) and the rest: warned "
    "about, not applied (set camera controls with v4l2-ctl)",
    "STREAM_RESOLUTION, STREAM_PARAMS": "stream_mode only (refused)",
    "other options": "not an OpenCV property (CamGear) or an FFdecoder parameter (FFGear): "
    "warned about, as vidgear logs them, and ignored",
}

_NATIVE_COLORSPACES = {
    "COLOR_BGR2BGRA": 0,
    "COLOR_RGB2RGBA": 0,
    "COLOR_BGR2RGBA": 2,
    "COLOR_RGB2BGRA": 2,
    "COLOR_BGR2RGB": 4,
    "COLOR_RGB2BGR": 4,
    "COLOR_BGR2GRAY": 6,
    "COLOR_RGB2GRAY": 7,
}

# OpenCV's VideoCapture API numbers (cv2.CAP_*), as `backend=` takes them.
_CAP_ANY, _CAP_V4L2, _CAP_GSTREAMER, _CAP_FFMPEG, _CAP_IMAGES = 0, 200, 1800, 1900, 2000

# CAP_PROP_FOURCC codes and v4l2's -input_format names.
_FOURCC = {"MJPG": "mjpeg", "YUYV": "yuyv422", "YUY2": "yuyv422", "H264": "h264",
           "GREY": "gray", "NV12": "nv12"}

# vidgear's Stabilizer BORDER_TYPE and ffmpeg deshake's edge modes.
_DESHAKE_EDGE = {"black": "blank", "reflect": "mirror", "reflect_101": "mirror",
                 "replicate": "clamp"}
_STABILIZER_OPTIONS = ("STABILIZER_MODE", "SMOOTHING_RADIUS", "PROCESS_NOISE",
                       "MEASUREMENT_NOISE", "BORDER_SIZE", "BORDER_TYPE", "CROP_N_ZOOM")


def backend_of(api, enable_picamera):
    """vidgear's ``api`` (a ``Backend`` member of vidgear's or ours) as a name; vidgear's
    ``TypeError`` for anything else."""
    if enable_picamera is not None:
        logger.warning("`enablePiCamera` is deprecated; use `api=Backend.PIGEAR` instead.")
        return "PIGEAR" if enable_picamera else "CAMGEAR"
    if api is None:
        return "CAMGEAR"
    name = getattr(api, "name", None)
    if isinstance(api, enum.Enum) and name in ("CAMGEAR", "PIGEAR", "FFGEAR"):
        return name
    raise TypeError(
        "[VideoGear:ERROR] :: `api` must be a `Backend` enum member, got `{}`.".format(
            type(api).__name__
        )
    )


class Source:
    """The built-in source of a send-mode end, opened as vidgear's VideoGear opens its
    capture: in the constructor, its first frame read, ``RuntimeError`` if there is none."""

    def __init__(self, *, backend, source, stabilize, camera_num, resolution, framerate,
                 stream_mode, opencv_backend, source_demuxer, frame_format, custom_ffmpeg,
                 colorspace, time_delay, options, unset):
        self.backend = backend
        gear = "FFGear" if backend == "FFGEAR" else "CamGear"
        if backend == "PIGEAR":
            raise ImportError(
                "[NetGear_Async:ERROR] :: api=Backend.PIGEAR needs vidgear's PiGear "
                "(picamera2), which netgear_rs does not have: give the camera's V4L2 device as "
                "source (source=0 is /dev/video0) to read it through ffmpeg."
            )
        if stream_mode:
            raise ValueError(
                "[NetGear_Async:ERROR] :: stream_mode=True resolves a page's URL with yt_dlp, "
                "which netgear_rs does not do: give the stream's own URL (rtsp://, http://...) "
                "as source."
            )
        options = dict(options)
        video = {"source": _source_name(source), "ffmpeg": custom_ffmpeg or None}
        demuxer = source_demuxer
        if isinstance(source, int) and not isinstance(source, bool):
            demuxer = demuxer or "v4l2"
        if opencv_backend and isinstance(opencv_backend, int) and backend == "CAMGEAR":
            if opencv_backend == _CAP_GSTREAMER:
                raise ValueError(
                    "[NetGear_Async:ERROR] :: backend=cv2.CAP_GSTREAMER reads a GStreamer "
                    "pipeline, which ffmpeg cannot: give a file, URL or device as source."
                )
            if opencv_backend == _CAP_V4L2:
                demuxer = demuxer or "v4l2"
            elif opencv_backend == _CAP_IMAGES:
                demuxer = demuxer or "image2"
            elif opencv_backend not in (_CAP_ANY, _CAP_FFMPEG):
                self.__ignored("backend={}".format(opencv_backend),
                               "an OpenCV capture backend; ffmpeg reads the source")
        video["demuxer"] = demuxer
        camera = demuxer in ("v4l2", "video4linux2", "dshow", "avfoundation") or str(
            video["source"]).startswith("/dev/video")

        if backend == "FFGEAR":
            video["frame_format"] = (frame_format or "bgr24").strip().lower()
        else:
            video["frame_format"] = "bgr24"
            if frame_format and str(frame_format).strip().lower() != "bgr24":
                self.__ignored("frame_format={!r}".format(frame_format),
                               "FFGear's (api=Backend.FFGEAR); CamGear's frames are BGR "
                               "(use colorspace='COLOR_BGR2GRAY' and the like)")
        if camera_num:
            self.__ignored("camera_num", "PiGear's")

        if resolution is not unset:
            if camera:
                video["resolution"] = tuple(int(v) for v in resolution)
            else:
                self.__ignored("resolution", "a camera's capture size")
        if framerate is not unset:
            if camera:
                video["framerate"] = float(framerate)
            else:
                self.__ignored("framerate", "a camera's capture rate")

        filters = []
        if stabilize:
            edge = options.pop("BORDER_TYPE", "black")
            edge = _DESHAKE_EDGE.get(edge if isinstance(edge, str) else "black")
            if edge is None:
                self.__ignored("BORDER_TYPE", "not one ffmpeg's deshake has (black, reflect, "
                               "reflect_101, replicate): black")
                edge = "blank"
            filters.append("deshake=edge={}".format(edge))
            for key in _STABILIZER_OPTIONS:
                if key in options:
                    options.pop(key)
                    self.__ignored(key, "vidgear's stabilizer's; ffmpeg's deshake has no "
                                   "counterpart")

        timeout = options.pop("THREAD_TIMEOUT", None)
        if timeout and isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            video["timeout"] = float(timeout)
        options.pop("THREADED_QUEUE_MODE", None)
        if backend == "FFGEAR":
            options.pop("QUEUE_SIZE", None)
        width = options.pop("CAP_PROP_FRAME_WIDTH", None) if backend == "CAMGEAR" else None
        height = options.pop("CAP_PROP_FRAME_HEIGHT", None) if backend == "CAMGEAR" else None
        if width is not None or height is not None:
            if not camera:
                self.__ignored("CAP_PROP_FRAME_WIDTH/HEIGHT", "a camera's; no effect on a file, "
                               "as in OpenCV")
            elif width is None or height is None:
                self.__ignored("CAP_PROP_FRAME_WIDTH/HEIGHT", "both needed to set a camera's size")
            else:
                video["resolution"] = (int(width), int(height))

        for key, value in options.items():
            if backend == "FFGEAR":
                if key == "-vf" and isinstance(value, str):
                    filters.append(value)
                else:
                    self.__ignored(key, "an FFdecoder parameter of deffcode's; not applied")
                continue
            if key == "CAP_PROP_FPS":
                if camera:
                    video["framerate"] = float(value)
                else:
                    self.__ignored(key, "a camera's; no effect on a file, as in OpenCV")
            elif key == "CAP_PROP_FOURCC":
                code = _fourcc(value)
                if camera and code in _FOURCC:
                    video["input_format"] = _FOURCC[code]
                else:
                    self.__ignored(key, "a camera's format: MJPG, YUYV, YUY2, H264, GREY or NV12")
            elif key == "CAP_PROP_POS_MSEC" and not camera:
                video["start"] = max(0.0, float(value) / 1000.0)
            elif key == "CAP_PROP_POS_FRAMES" and not camera:
                video["skip_frames"] = max(0, int(value))
            elif key.startswith("CAP_PROP_"):
                self.__ignored(key, "an OpenCV capture property ffmpeg does not set (camera "
                               "controls: use v4l2-ctl)")
            else:
                logger.warning("`%s` is not a valid OpenCV property! (ignored)", key)
        video["filters"] = filters

        self.__cv2 = None
        if colorspace is not None and backend == "FFGEAR":
            self.__ignored("colorspace", "CamGear's and PiGear's; FFGear's is frame_format")
        elif colorspace is not None:
            name = str(colorspace).strip()
            if name in _NATIVE_COLORSPACES:
                video["colorspace"] = _NATIVE_COLORSPACES[name]
            else:
                self.__cv2 = _opencv_code(name)

        try:
            self.reader = _core.VideoReader(**video)
        except Exception as e:
            raise RuntimeError(_invalid(gear, e)) from e
        try:
            if time_delay and isinstance(time_delay, (int, float)):
                time.sleep(time_delay)
            first = self.reader.read()
        except Exception as e:
            self.reader.close()
            raise RuntimeError(_invalid(gear, e)) from e
        if first is None:
            self.reader.close()
            raise RuntimeError(_invalid(gear, "it has no frames"))
        self.first = self.convert(first)

    def __ignored(self, name, why):
        logger.warning("`%s` does not apply here: %s. Ignored.", name, why)

    def convert(self, frame):
        """``frame`` through OpenCV's ``colorspace`` conversion, when OpenCV does it."""
        if self.__cv2 is None:
            return frame
        cv2, code = self.__cv2
        try:
            return cv2.cvtColor(frame, code)
        except Exception as e:  # as CamGear: warned once, then the frames stay BGR
            self.__cv2 = None
            logger.warning("Assigned colorspace value is invalid (%s). Discarding!", e)
            return frame

    def read(self):
        """The next frame (blocking; run off the loop), or ``None`` at the end."""
        frame = self.reader.read()
        return None if frame is None else self.convert(frame)

    def close(self):
        self.reader.close()


def _invalid(gear, why):
    if gear == "FFGear":
        return "[FFGear:ERROR] :: Source is invalid or unreadable! ({})".format(why)
    return (
        "[CamGear:ERROR] :: Source is invalid, CamGear failed to initialize stream on this "
        "source! ({})".format(why)
    )


def _fourcc(value):
    """A CAP_PROP_FOURCC value (cv2.VideoWriter_fourcc's number, or its four letters)."""
    if isinstance(value, str):
        return value.upper()
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return "".join(chr((n >> (8 * i)) & 0xFF) for i in range(4)).upper()


def _opencv_code(name):
    """``(cv2, code)`` for an OpenCV conversion by name; ``None`` (frames stay BGR, a warning)
    for a name OpenCV does not have, as vidgear does; ``ValueError`` without OpenCV."""
    try:
        import cv2
    except ImportError:
        raise ValueError(
            "[NetGear_Async:ERROR] :: colorspace={!r} needs OpenCV (pip install "
            "opencv-python-headless); without it netgear_rs converts {}.".format(
                name, ", ".join(sorted(_NATIVE_COLORSPACES))
            )
        ) from None
    code = getattr(cv2, name, None)
    if not isinstance(code, int):
        logger.critical("`%s` is not a valid OpenCV property!", name)
        return None
    return cv2, code


def _source_name(source):
    """vidgear's `source` as ffmpeg's input: a camera index is /dev/videoN."""
    if isinstance(source, bool):
        raise ValueError("[NetGear_Async:ERROR] :: source must be a path, URL or camera "
                         "index, not a bool.")
    if isinstance(source, int):
        return "/dev/video{}".format(source)
    if isinstance(source, str):
        return source
    if hasattr(source, "__fspath__"):
        return str(source.__fspath__())
    raise ValueError(
        "[NetGear_Async:ERROR] :: source of type {} is not supported: give a video file, an "
        "image sequence, a URL or a camera index or device.".format(type(source).__name__)
    )
