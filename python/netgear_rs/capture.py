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
    "rules below; Backend.PIGEAR (and enablePiCamera=True) raise ImportError, as vidgear does "
    "without picamera2: give the camera's V4L2 device as source",
    "source": "a file, image sequence (img%03d.png or a glob), URL, camera index (/dev/videoN) "
    "or device; opened and its first frame read in the constructor, RuntimeError if it cannot "
    "be, as in vidgear",
    "stabilize": "ffmpeg's deshake filter (one pass; every frame kept, where vidgear's "
    "stabilizer holds back its first SMOOTHING_RADIUS); BORDER_TYPE maps to deshake's edge "
    "mode, BORDER_SIZE > 0 is refused (it would enlarge the frames), the other stabilizer "
    "options are warned about",
    "camera_num, resolution, framerate": "PiGear's: warned about and ignored, as vidgear's "
    "CamGear and FFGear ignore them (a camera's mode: CAP_PROP_FRAME_WIDTH/HEIGHT, CAP_PROP_FPS)",
    "stream_mode": "refused: no yt_dlp resolution here; give the stream's own URL as source",
    "backend": "OpenCV backends: CAP_ANY and CAP_FFMPEG as is, CAP_V4L2 the v4l2 demuxer, "
    "CAP_IMAGES the image2 demuxer; CAP_GSTREAMER refused (a pipeline is not an ffmpeg "
    "input); others warned about",
    "source_demuxer": "ffmpeg's input format (-f); deffcode's 'auto' is v4l2",
    "frame_format": "FFGear only (api=Backend.FFGEAR): bgr24, rgb24, bgra, rgba or gray "
    "(yuv420p with -enforce_cv_patch: BGR, as FFGear converts it; others refused); with "
    "CamGear frames are BGR, as in vidgear, and a frame_format is warned about",
    "custom_ffmpeg": "the ffmpeg executable (ffprobe beside it)",
    "colorspace": "CamGear: OpenCV's cv2.cvtColor code by name (COLOR_BGR2GRAY, ...), applied "
    "to every frame: BGR2GRAY, RGB2GRAY, BGR2RGB, BGR2BGRA, BGR2RGBA computed in Rust exactly "
    "as OpenCV does, any other by OpenCV (without cv2: ValueError); a name OpenCV does not "
    "have is warned about and frames stay BGR, and a code that does not fit a BGR frame fails "
    "at the first frame, as in vidgear; FFGear: warned about",
    "time_delay": "seconds to wait after opening the source before its first frame is read",
    "THREADED_QUEUE_MODE": "accepted: ffmpeg's pipe is the frame queue either way",
    "THREAD_TIMEOUT": "seconds a frame may take once the source is open (default 30); a source "
    "that stalls longer, or fails, ends the stream with a warning, as vidgear's does",
    "QUEUE_SIZE": "FFGear: accepted, as THREADED_QUEUE_MODE",
    "CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT": "a camera's capture size (both needed); no "
    "effect on a file, as in OpenCV (warned about)",
    "CAP_PROP_FPS": "a camera's capture rate; no effect on a file (warned about)",
    "CAP_PROP_FOURCC": "a camera's pixel format or codec (MJPG, YUYV, H264, GREY, NV12 as "
    "v4l2's -input_format)",
    "CAP_PROP_POS_MSEC, CAP_PROP_POS_FRAMES": "where a file or image sequence starts (-ss, "
    "frame-accurate; frames skipped); the later of the two wins, as OpenCV's seeks do; warned "
    "about for cameras and streams",
    "CAP_PROP_POS_AVI_RATIO": "refused for a file (it would start elsewhere than asked): give "
    "CAP_PROP_POS_MSEC or CAP_PROP_POS_FRAMES",
    "other CAP_PROP_*": "camera controls (brightness, exposure, ...) and the rest: warned "
    "about, not applied (set camera controls with v4l2-ctl)",
    "STREAM_RESOLUTION, STREAM_PARAMS": "stream_mode only (refused)",
    "FFGear's -vf, -ss, -custom_resolution": "-vf applied as filters (frames keep the source's "
    "size), -ss as where a file starts; -custom_resolution refused (frames keep the source's "
    "size)",
    "other options": "not an OpenCV property (CamGear) or another FFdecoder parameter "
    "(FFGear): warned about, as vidgear logs them, and ignored",
}

_FRAME_FORMATS = ("bgr24", "rgb24", "bgra", "rgba", "gray")

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
        if demuxer == "auto":  # deffcode's: the platform's camera demuxer
            demuxer = "v4l2"
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
        # A file or an image sequence: not a camera, not a stream.
        seekable = not camera and "://" not in str(video["source"])

        if backend == "FFGEAR":
            fmt = (frame_format or "bgr24").strip().lower()
            if fmt == "yuv420p" and options.pop("-enforce_cv_patch", False):
                fmt = "bgr24"  # FFGear converts such frames to BGR with OpenCV
            if fmt not in _FRAME_FORMATS:
                raise ValueError(
                    "[NetGear_Async:ERROR] :: frame_format={!r}: netgear_rs's source gives {}."
                    .format(frame_format, ", ".join(_FRAME_FORMATS))
                )
            video["frame_format"] = fmt
        else:
            video["frame_format"] = "bgr24"
            if frame_format and str(frame_format).strip().lower() != "bgr24":
                self.__ignored("frame_format={!r}".format(frame_format),
                               "FFGear's (api=Backend.FFGEAR); CamGear's frames are BGR "
                               "(use colorspace='COLOR_BGR2GRAY' and the like)")
        if camera_num:
            self.__ignored("camera_num", "PiGear's")

        # PiGear's (vidgear hands them to no other backend): a camera's mode is set with
        # CAP_PROP_FRAME_WIDTH/HEIGHT and CAP_PROP_FPS, as in vidgear.
        for name, value in (("resolution", resolution), ("framerate", framerate)):
            if value is not unset:
                self.__ignored(name, "PiGear's (use CAP_PROP_FRAME_WIDTH/HEIGHT and "
                               "CAP_PROP_FPS for a camera's mode)")

        filters = []
        if stabilize:
            edge = options.pop("BORDER_TYPE", "black")
            edge = _DESHAKE_EDGE.get(edge if isinstance(edge, str) else "black")
            if edge is None:
                self.__ignored("BORDER_TYPE", "not one ffmpeg's deshake has (black, reflect, "
                               "reflect_101, replicate): black")
                edge = "blank"
            filters.append("deshake=edge={}".format(edge))
            border = options.pop("BORDER_SIZE", 0)
            if isinstance(border, int) and not isinstance(border, bool) and border > 0:
                raise ValueError(
                    "[NetGear_Async:ERROR] :: BORDER_SIZE={} makes vidgear's stabilised frames "
                    "larger than the source's; ffmpeg's deshake keeps the source's size, so "
                    "netgear_rs cannot stream what it asks for.".format(border)
                )
            for key in _STABILIZER_OPTIONS:
                if key in options:
                    options.pop(key)
                    self.__ignored(key, "vidgear's stabilizer's; ffmpeg's deshake has no "
                                   "counterpart")

        # How long a frame may take once the source is open (vidgear's read timeout); opening
        # it keeps the reader's own bound.
        read_timeout = options.pop("THREAD_TIMEOUT", None)
        if not (read_timeout and isinstance(read_timeout, (int, float))
                and not isinstance(read_timeout, bool) and read_timeout > 0):
            read_timeout = None
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
                elif key == "-ss" and seekable:
                    video["start"] = max(0.0, float(value))
                elif key == "-custom_resolution" and value not in (None, "null"):
                    raise ValueError(
                        "[NetGear_Async:ERROR] :: -custom_resolution resizes FFGear's frames; "
                        "netgear_rs's frames keep the source's size (resize them in the "
                        "generator, e.g. with netgear_rs.helper.reducer)."
                    )
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
            elif key in ("CAP_PROP_POS_MSEC", "CAP_PROP_POS_FRAMES") and seekable:
                # As OpenCV's seeks: the later one given is where the capture starts.
                video.pop("start", None)
                video.pop("skip_frames", None)
                if key == "CAP_PROP_POS_MSEC":
                    video["start"] = max(0.0, float(value) / 1000.0)
                else:
                    video["skip_frames"] = max(0, int(value))
            elif key == "CAP_PROP_POS_AVI_RATIO" and seekable and value:
                raise ValueError(
                    "[NetGear_Async:ERROR] :: CAP_PROP_POS_AVI_RATIO (where to start, as a "
                    "fraction of the file) is not applied here: give CAP_PROP_POS_MSEC or "
                    "CAP_PROP_POS_FRAMES."
                )
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
            if read_timeout is not None:
                self.reader.set_timeout(float(read_timeout))
            try:
                first = self.reader.read()
            except Exception as e:
                raise RuntimeError(_invalid(gear, e)) from e
            if first is None:
                raise RuntimeError(_invalid(gear, "it has no frames"))
            # As CamGear converts its first frame: a code that does not fit fails here.
            self.first = first if self.__cv2 is None else self.__cv2[0].cvtColor(
                first, self.__cv2[1])
        except BaseException:
            self.reader.close()
            raise

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
        """The next frame (blocking; run off the loop), or ``None`` at the end. A source that
        fails or stalls (no frame within THREAD_TIMEOUT, or ffmpeg's default of 30 s) ends the
        stream with a warning, as vidgear's capture ends it."""
        try:
            frame = self.reader.read()
        except Exception as e:
            logger.warning("The source stopped: %s. Ending the stream.", e)
            return None
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
