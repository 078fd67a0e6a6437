"""netgear_rs: vidgear's ``NetGear_Async`` on the netgear-rs Rust core.

Switch by changing one import line::

    from netgear_rs import NetGear_Async   # instead of: from vidgear.gears.asyncio import NetGear_Async

The class has vidgear 0.3.x's constructor, ``loop``, ``config["generator"]``, ``launch()``,
``task``, ``recv_generator()``, ``await transceive_data(data)`` and ``close(skip_loop)``, speaks
vidgear's wire protocol byte for byte (a netgear_rs end talks to a vidgear end, in every pattern,
in either direction), and raises ``ValueError``, ``RuntimeError`` and ``TimeoutError`` where
vidgear does. Under it the netgear-rs core (Rust, in-process) does the sockets, the encoding and
the protocol; this module is the asyncio surface only. See ``NetGear_Async`` for where it does
better than vidgear.
"""

import asyncio
import concurrent.futures
import inspect
import logging
import os
import sys

import numpy as np

from . import _core, capture
from ._core import DecodeError, PeerGone
from .capture import Backend

__all__ = ["NetGear_Async", "Backend", "DecodeError", "PeerGone"]
__version__ = "0.1.0"

logger = logging.getLogger("netgear_rs")

#: Options of netgear-rs beyond vidgear's (keyword arguments, as ``bidirectional_mode`` is).
EXTRA_OPTIONS = {
    "compression": "how this end compresses the frames it sends: 'none' (default, vidgear's "
    "wire), 'jpeg', 'jpeg:QUALITY' (1-100), 'lz4', 'zstd', 'zstd:LEVEL' (1-22), 'h264', "
    "'h264:KBPS' (an inter-frame stream, 100-100000 kbit/s, default 4000; 8-bit BGR frames "
    "with even sides); only a netgear-rs peer can read compressed frames",
    "key_interval": "with compression='h264', the most seconds between key frames (one also "
    "goes whenever a receiver joins); None (default): 10 in patterns 0 and 1, where every frame "
    "arrives, 2 in patterns 2 and 3",
    "rate": "with compression 'jpeg' or 'h264': 'fixed' (default) or 'auto', which follows the "
    "link (answers' round trips in lock-step, waits for room otherwise) with the quality or "
    "bitrate given as the ceiling, and below a floor reduces the frame size; see the ``rate`` "
    "property",
    "max_in_flight": "frames a pattern-0 sender may have unanswered (default 1, lock-step)",
    "queue_capacity": "values the transceive_data queues hold (default 1024)",
    "max_message_size": "largest message accepted from the peer, bytes (default 64 MiB)",
    "max_data_size": "largest data accepted with a frame or reply, bytes (default 1 MiB)",
    "timestamps": "stamp each frame with its capture time (default True; vidgear ignores it)",
    "reconnect": "keep streaming through the peer's absences (default False): a sender outlives "
    "receiver restarts and link outages (it waits for the receiver and resumes when it is back; "
    "a frame whose answer was lost is counted, not sent again), a receiver waits for senders "
    "without a time limit",
    "skip_bad_messages": "a receiver skips an undecodable message instead of stopping (default False)",
    "secure_mode": "ZeroMQ CURVE, as vidgear NetGear's option: 0 off (default), 1 stonehouse "
    "(encrypted, the receiver authenticated), 2 ironhouse (also only the senders whose public "
    "keys are in the receiver's public_keys/); both ends need the same mode and keys",
    "custom_cert_location": "where the keys are, as vidgear NetGear's option: DIR/.vidgear/keys "
    "(default ~/.vidgear/keys), laid out as `netgear keygen` writes them; keys are made there "
    "when there are none",
    "overwrite_cert": "a sender makes new keys even if there are some (default False; vidgear "
    "NetGear's option)",
}

_UNSET = object()

if asyncio.TimeoutError is TimeoutError:
    _TimeoutError = TimeoutError
else:  # Python < 3.11: vidgear's asyncio.TimeoutError, and the builtin one, both catch it.

    class _TimeoutError(asyncio.TimeoutError, TimeoutError):
        pass


class _Calls:
    """An end's calls into the core, as awaitables: the core runs each on the end's worker
    thread (without the GIL) and makes its eventfd readable when it is done; asyncio's loop
    watches that and takes the outcome. One call at a time per end."""

    def __init__(self, core):
        self.core = core
        self.loop = None
        self.waiter = None

    def __ready(self):
        result = self.core.take
        waiter, self.waiter = self.waiter, None
        try:
            value = result()
        except BaseException as e:
            if waiter is not None and not waiter.done():
                waiter.set_exception(e)
            return
        if value is NotImplemented:  # nothing done yet (a wake-up that was not for us)
            self.waiter = waiter
        elif waiter is not None and not waiter.done():
            waiter.set_result(value)

    def __watch(self):
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.stop()
            loop.add_reader(self.core.fileno(), self.__ready)
            self.loop = loop
        return loop

    async def __call__(self, submit, *args):
        if self.waiter is not None and not self.waiter.done():
            raise RuntimeError(
                "another call of this end is in flight: iterate recv_generator() (or run the "
                "server task) in one place at a time"
            )
        waiter = self.__watch().create_future()
        self.waiter = waiter
        submit(*args)
        return await waiter

    def stop(self):
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.core.fileno())
        self.loop = None


def _keys_dir(location):
    """Where vidgear NetGear keeps its keys: LOCATION/.vidgear/keys (LOCATION itself when it
    is a .vidgear directory), by default ~/.vidgear/keys."""
    if location is None:
        location = os.path.expanduser("~")
    location = os.path.abspath(location)
    if os.path.basename(location) != ".vidgear":
        location = os.path.join(location, ".vidgear")
    return os.path.join(location, "keys")


def _vidgear_error(text):
    return "[NetGear_Async:ERROR] :: " + text


class NetGear_Async:
    """vidgear's NetGear_Async on the netgear-rs core: real-time video frames over ZeroMQ,
    with Bidirectional Mode, wire-compatible with vidgear 0.3.x.

    Used exactly as vidgear's class (send mode: ``config["generator"]``, ``launch()``,
    ``loop.run_until_complete(task)``, ``close()``; receive mode: ``async for ... in
    recv_generator()``, ``await transceive_data(data)``, ``close()``), with the same errors in
    the same situations. Where the netgear-rs core does better than vidgear, so does this class:

    - **Bounded termination**: ``close()`` on a sender waits for the client's confirmation at
      most ``timeout`` seconds (vidgear waits forever); a peer that goes away is noticed.
    - **Typed decode errors, never unpickling**: a bad message from a peer raises
      ``netgear_rs.DecodeError`` (a ``ValueError``) naming what was wrong; object (pickled)
      and structured arrays are refused, and nothing is allocated by a size a peer claims.
    - **Bounded queues**: the ``transceive_data`` queues hold ``queue_capacity`` values (a
      client queueing faster than frames arrive, and a server, keep the newest and drop the
      oldest, with a warning; the stream goes on, as in vidgear) and at most 256 MiB of
      replies; libzmq queues are bounded too.
    - **Compression** (``compression="jpeg"``, ``"lz4"``, ``"zstd"``, ...) for slow links,
      read by any netgear-rs receiver (not by vidgear).
    - **Speed**: frames are encoded, sent, received and decoded in Rust with the GIL released;
      a received frame is a read-only numpy array over the received message (no copy), a
      frame sent is copied once (a received frame sent back, not at all).
    - **Falsy data** (``0``, ``False``, ``[]``, ``{}``) arrives as sent; vidgear turns it into
      ``None`` (``""`` and ``None`` still mean "no data"). Lists arrive as tuples, as in vidgear.
    - **PUB/SUB and PUSH/PULL** end cleanly: the end message is not lost.
    - **Secure mode** (``secure_mode=1`` stonehouse, ``2`` ironhouse, keys in vidgear NetGear's
      place and layout): ZeroMQ CURVE encryption and authentication, which vidgear's
      NetGear_Async does not have; peers without the keys get nothing through.
    - **Any free port**: ``receive_mode=True, port=0`` binds a port the kernel picks, at
      construction, and ``local_port`` says which (vidgear cannot say).
    - **Shared memory** (``protocol="shm"``, a netgear-rs peer on the same host only): frames
      are written once into memory both processes map, and a received frame is a read-only
      numpy view of that memory; ``address`` and ``port`` only name the stream, and either
      end may start first.

    netgear-rs options (keyword arguments, like ``bidirectional_mode``): see
    ``EXTRA_OPTIONS``. vidgear's capture parameters and options (VideoGear's, CamGear's
    ``CAP_PROP_*``, FFGear's, the stabilizer's) are mapped onto the ffmpeg-backed source: see
    ``netgear_rs.capture.PARAMETERS`` for what each does; one that cannot apply is warned
    about, as vidgear's capture does, and on a receive-mode end (or without ``source``) they
    are ignored, as in vidgear. A bad source raises ``RuntimeError`` from the constructor.
    """

    def __init__(
        self,
        address=None,
        port=None,
        protocol="tcp",
        pattern=0,
        receive_mode=False,
        timeout=0.0,
        api=None,
        stabilize=False,
        camera_num=0,
        resolution=_UNSET,
        framerate=_UNSET,
        source=None,
        stream_mode=False,
        backend=0,
        source_demuxer=None,
        frame_format="bgr24",
        custom_ffmpeg="",
        colorspace=None,
        time_delay=0,
        logging=False,
        enablePiCamera=None,
        **options,
    ):
        self.__logging = logging if isinstance(logging, bool) else False
        if self.__logging:
            logger.setLevel("DEBUG")
            if not logger.handlers:
                logger.addHandler(_stderr_handler())

        if isinstance(pattern, int) and not isinstance(pattern, bool) and 0 <= pattern <= 3:
            self.__pattern = pattern
        else:
            self.__pattern = 0
            self.__logging and logger.warning(
                "Invalid pattern %r. Defaulting to `zmq.PAIR` (0)!", pattern
            )
        if isinstance(protocol, str) and protocol in ("tcp", "ipc", "shm"):
            self.__protocol = protocol
        else:
            self.__protocol = "tcp"
            self.__logging and logger.warning("Invalid protocol. Defaulting to `tcp`!")

        self.__terminate = False
        self.__receive_mode = bool(receive_mode)
        self.__timeout = (
            float(timeout)
            if timeout and isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            else 15.0
        )
        self.config = {}
        self.task = None
        self.__bi_mode = False
        self.__sender = None
        self.__receiver = None
        self.__queued = []  # values given to transceive_data before the client is bound
        self.__dropping = False  # the transceive_data queue has dropped a value (warned)
        self.__close_task = None
        self.__calls = None

        options = {str(k).strip(): v for k, v in options.items()}
        if "bidirectional_mode" in options:
            value = options.pop("bidirectional_mode")
            if value is True and self.__pattern >= 2:
                raise ValueError(
                    _vidgear_error(
                        "`{}` pattern is not valid when Bidirectional Mode is enabled: use "
                        "pattern 0 (PAIR) or 1 (REQ/REP).".format(pattern)
                    )
                )
            if value is True and source is not None:
                raise ValueError(
                    _vidgear_error(
                        "Custom source must be used when Bidirectional Mode is enabled: set "
                        "source=None and give frames through config['generator']."
                    )
                )
            if isinstance(value, bool):
                self.__bi_mode = value
                self.__logging and logger.debug(
                    "Bidirectional Data Transmission is %s for this connection!",
                    "enabled" if value else "disabled",
                )
            else:
                logger.warning(
                    "`bidirectional_mode` value %r is invalid (not a bool): Bidirectional "
                    "data transmission is disabled!",
                    value,
                )
        secure = self.__secure_options(options)
        extra = {k: v for k, v in options.items() if k in EXTRA_OPTIONS}
        # The rest are the capture's (vidgear hands them to VideoGear), used only by a send-mode
        # end with a source; vidgear ignores them everywhere else, and so does this.
        capture_options = {k: v for k, v in options.items() if k not in EXTRA_OPTIONS}
        if capture_options and (self.__receive_mode or source is None):
            self.__logging and logger.debug(
                "Capture options %s have no use without a source: ignored.",
                ", ".join(sorted(capture_options)),
            )

        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = asyncio.new_event_loop()
        self.__logging and logger.info(
            "Using ``%s`` event loop for this process.", type(self.loop).__name__
        )

        core = {
            "port": 5555 if port is None else port,
            "protocol": self.__protocol,
            "pattern": self.__pattern,
            "timeout": self.__timeout,
            "bidirectional_mode": self.__bi_mode,
        }
        if address is not None and not (receive_mode and address == "*"):
            core["address"] = str(address)
        core.update(extra)
        core.update(secure)
        # Bad options, and in secure mode missing or corrupt keys, fail here, as in vidgear.
        _core.check_options(receive_mode=self.__receive_mode, **core)
        self.__core_options = core
        # For the core's calls off the hot path (ending the stream, reading the built-in
        # source): one thread, so that they run in order, with the GIL released. Frames go
        # through the end's own worker (_Calls).
        self.__executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="netgear_rs"
        )
        if self.__receive_mode and self.__protocol == "tcp" and _is_port_zero(port):
            # A netgear_rs extension: port 0 binds a port the kernel picks, at once, so that
            # `local_port` tells it before the sender is started (vidgear binds in
            # recv_generator(), and port 0 would give it a port nobody can learn).
            self.__bind()

        self.__source = None
        if not self.__receive_mode:
            if source is None:
                self.config = {"generator": None}
                self.__logging and logger.warning("Given source is of NoneType!")
            else:
                # As vidgear's VideoGear: opened here, its first frame read; a source that
                # cannot be raises RuntimeError now.
                self.__source = capture.Source(
                    backend=capture.backend_of(api, enablePiCamera),
                    source=source,
                    stabilize=stabilize,
                    camera_num=camera_num,
                    resolution=resolution,
                    framerate=framerate,
                    stream_mode=stream_mode,
                    opencv_backend=backend,
                    source_demuxer=source_demuxer,
                    frame_format=frame_format,
                    custom_ffmpeg=custom_ffmpeg,
                    colorspace=colorspace,
                    time_delay=time_delay,
                    options=capture_options,
                    unset=_UNSET,
                )
                self.config = {"generator": self.__frame_generator()}

    @property
    def local_port(self):
        """The tcp port this receive-mode end listens on, for the sender to connect to (a
        netgear_rs extension; vidgear has none): with ``port=0`` the one the kernel picked,
        bound at construction; with another port, that port once ``recv_generator()`` has
        bound it (``None`` before). ``None`` over ipc and shm, and in send mode."""
        receiver = self.__receiver
        return None if receiver is None else receiver.local_port

    @property
    def local_endpoint(self):
        """The endpoint this receive-mode end bound, as ZeroMQ resolved it
        (``tcp://0.0.0.0:41234`` for address ``*`` and port 0), or ``None`` before binding
        and in send mode (a netgear_rs extension, as ``local_port``)."""
        receiver = self.__receiver
        return None if receiver is None else receiver.local_endpoint

    @property
    def outages(self):
        """What this send-mode end saw of its receiver going away and coming back (a
        netgear_rs extension; see ``reconnect``): a dict with ``count`` (outages so far, the
        one under way included), ``seconds`` (time without a receiver), ``ongoing`` and
        ``answers_lost`` (frames whose answers went with the receiver; never sent again).
        ``None`` in receive mode and before the stream has started."""
        sender = self.__sender
        return None if sender is None else sender.outages

    @property
    def rate(self):
        """The rate this send-mode end makes its frames at (a netgear_rs extension; see the
        ``rate`` option): a dict with ``kbps`` (the bitrate aimed at), ``quality`` (JPEG's;
        0 otherwise) and ``reduce`` (the percentage frames are reduced by below the floor).
        ``None`` in receive mode and before the stream has started."""
        sender = self.__sender
        return None if sender is None else sender.rate

    @property
    def orphaned_answers(self):
        """Answers a receive-mode PAIR end owed to a sender that had gone, dropped rather than
        given to the next sender (a netgear_rs extension; see ``reconnect``); ``None`` in send
        mode and before binding."""
        receiver = self.__receiver
        return None if receiver is None else receiver.orphaned_answers

    def __secure_options(self, options):
        """Takes vidgear NetGear's secure-mode options out of ``options``: the core's
        ``secure_mode`` and ``keys_dir``, keys made where there are none (as vidgear does)."""
        mode = options.pop("secure_mode", 0)
        location = options.pop("custom_cert_location", None)
        overwrite = options.pop("overwrite_cert", False)
        if isinstance(mode, bool) or mode not in (0, 1, 2):
            raise ValueError(
                _vidgear_error(
                    "secure_mode={!r}: use 0 (off), 1 (stonehouse) or 2 (ironhouse).".format(mode)
                )
            )
        if location is not None and not (isinstance(location, str) and os.path.isdir(location)):
            raise ValueError(
                _vidgear_error(
                    "`custom_cert_location` value must be the path to a valid directory!"
                )
            )
        if not mode:
            return {}
        keys = _keys_dir(location)
        made = None
        if overwrite and not self.__receive_mode:
            made = _core.keygen(keys, True)
        elif not any(
            os.path.isdir(os.path.join(keys, d)) and os.listdir(os.path.join(keys, d))
            for d in ("public_keys", "private_keys")
        ):
            made = _core.keygen(keys, False)
        if made:
            logger.warning(
                "Secure mode: made a new server and client key pair in %s; the other end needs "
                "the same keys (copy the directory there).",
                keys,
            )
        self.__logging and logger.debug(
            "Secure mode %s with the keys in %s.", ("stonehouse", "ironhouse")[mode - 1], keys
        )
        return {"secure_mode": mode, "keys_dir": keys}

    def launch(self):
        """Starts the send-mode task (``self.task``); in receive mode, nothing to start.
        Returns the object."""
        if self.__receive_mode:
            self.__logging and logger.debug("Launching NetGear_Async asynchronous generator!")
        else:
            self.__logging and logger.debug("Creating NetGear_Async asynchronous server handler!")
            self.task = self.loop.create_task(self.__server_handler())
        return self

    async def __call(self, fn, *args):
        """Runs a blocking call of the core on this end's executor thread."""
        return await asyncio.get_running_loop().run_in_executor(self.__executor, fn, *args)

    async def __server_handler(self):
        if not (isinstance(self.config, dict) and "generator" in self.config):
            raise RuntimeError(
                _vidgear_error(
                    "Assigned NetGear_Async configuration is invalid: `config` must be a dict "
                    "with a 'generator' key."
                )
            )
        generator = self.config["generator"]
        if generator is None or not inspect.isasyncgen(generator):
            raise ValueError(
                _vidgear_error(
                    "Invalid configuration. Assigned generator must be a asynchronous "
                    "generator function/method only: define `async def gen(): ... yield "
                    "frame` and set config['generator'] = gen() before launch() (got {})."
                    .format("None" if generator is None else type(generator).__name__)
                )
            )
        try:
            self.__sender = _core.Sender(**self.__core_options)
        except ValueError as e:
            raise ValueError(
                _vidgear_error(
                    "Failed to connect address: {}://{}:{} and pattern: {}! ({})".format(
                        self.__protocol,
                        self.__core_options.get("address", "localhost"),
                        self.__core_options["port"],
                        self.__pattern,
                        e,
                    )
                )
            ) from e
        self.__logging and logger.debug(
            "Successfully connected to address: %s with pattern: %s.",
            self.__sender.endpoint,
            self.__pattern,
        )
        sender = self.__sender
        self.__calls = calls = _Calls(sender)
        try:
            async for item in generator:
                if self.__bi_mode:
                    if isinstance(item, (tuple, list)) and len(item) == 2:
                        data, frame = item
                        if isinstance(data, np.ndarray):
                            logger.warning(
                                "Skipped unsupported `data` of datatype: %s!", type(data).__name__
                            )
                            data = None
                    else:
                        raise ValueError(
                            _vidgear_error(
                                "Send Mode only accepts tuple(data, frame) as input in "
                                "Bidirectional Mode: yield (data, frame), with data None if "
                                "there is none."
                            )
                        )
                    if not isinstance(frame, np.ndarray):
                        # vidgear asserts it.
                        raise AssertionError(
                            _vidgear_error(
                                "Invalid data received from server end! (a frame must be a "
                                "numpy array, not {})".format(type(frame).__name__)
                            )
                        )
                else:
                    # As vidgear's np.copy(frame): a list or a numpy scalar becomes an array.
                    data, frame = None, item
                    if not isinstance(frame, np.ndarray):
                        frame = np.asarray(frame)
                await calls(sender.submit_send, data, frame)
        except asyncio.CancelledError:
            sender.cancel()
            raise
        except PeerGone:
            raise
        except TimeoutError as e:
            raise _TimeoutError(str(e)) from None

    async def recv_generator(self):
        """The frames as they arrive: ``frame``, or ``(data, frame)`` in bidirectional mode
        (``data`` ``None`` when the server sent none). Ends when the server ends the stream;
        raises ``TimeoutError`` when nothing arrives within the timeout."""
        if not self.__receive_mode:
            self.__terminate = True
            raise ValueError(
                _vidgear_error(
                    "`recv_generator()` function cannot be accessed while `receive_mode` is "
                    "disabled: create the receiving end with receive_mode=True."
                )
            )
        receiver = self.__bind()
        self.__logging and logger.debug(
            "Successfully binded to address: %s with pattern: %s.", receiver.endpoint, self.__pattern
        )
        calls = self.__calls
        while not self.__terminate:
            try:
                item = await calls(receiver.submit_recv)
            except asyncio.CancelledError:
                receiver.cancel()
                raise
            except PeerGone:
                raise
            except TimeoutError as e:
                raise _TimeoutError(str(e)) from None
            except _core.Cancelled:
                return
            if item is None:
                self.__logging and logger.info("Termination signal received from server!")
                self.__terminate = True
                return
            if self.__bi_mode:
                yield item
            else:
                yield item[1]

    def __bind(self):
        if self.__receiver is None:
            self.__receiver = _core.Receiver(**self.__core_options)
            self.__calls = _Calls(self.__receiver)
            for value in self.__queued:
                self.__receiver.transceive_data(value)
            self.__queued.clear()
        return self.__receiver

    async def __frame_generator(self):
        """The built-in source: frames decoded by ffmpeg (vidgear's `source=`), the first
        one read in the constructor."""
        source = self.__source
        try:
            frame = source.first
            while frame is not None and not self.__terminate:
                yield frame
                frame = await self.__call(source.read)
        finally:
            # On the executor, after a read in flight (a cancelled stream's): never on the loop.
            try:
                self.__executor.submit(source.close)
            except RuntimeError:  # the executor has shut down: no read is in flight
                source.close()

    async def transceive_data(self, data=None):
        """Bidirectional Mode: in receive mode, queues ``data`` (any msgpack value, or a numpy
        array) to answer the next frame with; in send mode, returns the client's oldest reply
        (a value, an array, or ``None`` when there is none; never waits)."""
        received = None
        if not self.__receive_mode and self.__bi_mode and self.__sender is not None:
            # Also after close(): the answer to the last frame stays (vidgear drops it).
            received = self.__sender.transceive_data()
        elif not self.__terminate:
            if self.__bi_mode:
                if self.__receive_mode:
                    if self.__receiver is None:
                        self.__queued.append(data)
                    else:
                        self.__receiver.transceive_data(data)
                        if not self.__dropping and self.__receiver.dropped_replies:
                            # vidgear's queue has no bound; this one keeps the newest.
                            self.__dropping = True
                            logger.warning(
                                "transceive_data() is called faster than frames come to carry "
                                "the values: the queue holds %d and is dropping the oldest.",
                                self.__core_options.get("queue_capacity", 1024),
                            )
            else:
                logger.error(
                    "`transceive_data()` function cannot be used when Bidirectional Mode is "
                    "disabled: pass bidirectional_mode=True at both ends."
                )
        return received

    async def __terminate_connection(self):
        self.__terminate = True
        task = self.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except BaseException:  # its outcome was the awaiter's business
                pass
        if self.__source is not None:
            # As vidgear stops its capture: ffmpeg ends (after a read in flight, if any).
            await self.__call(self.__source.close)
        try:
            if self.__receive_mode:
                if self.__receiver is not None:
                    self.__receiver.cancel()
                    await self.__call(self.__receiver.close)
            elif self.__sender is not None:
                try:
                    await self.__call(self.__sender.close)
                except Exception as e:  # bounded by the timeout; vidgear would hang here
                    logger.warning("the stream did not end cleanly: %s", e)
        finally:
            if self.__calls is not None:
                self.__calls.stop()
            self.__executor.shutdown(wait=False)
        self.__logging and logger.info(
            "%s successfully terminated!", "Receive Mode" if self.__receive_mode else "Send Mode"
        )

    def close(self, skip_loop=False):
        """Ends the stream and frees the end: a sender sends the end message and waits (at most
        the timeout) for the client's confirmation. With ``skip_loop=True`` (inside a running
        loop) this is scheduled as a task instead, and the loop is left open; the confirmation
        is awaited there too (vidgear skips it; the wait is bounded here, so it costs at most
        the timeout and ends the stream cleanly)."""
        if not skip_loop:
            self.loop.run_until_complete(self.__terminate_connection())
            self.loop.close()
        else:
            self.__close_task = asyncio.ensure_future(
                self.__terminate_connection()
            )


def _stderr_handler():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s :: %(name)s :: %(levelname)s :: %(message)s"))
    return handler


def _is_port_zero(port):
    """Whether vidgear's ``port`` (a number or a string of one) is 0."""
    if isinstance(port, bool):
        return False
    if isinstance(port, int):
        return port == 0
    return isinstance(port, str) and port == "0"
