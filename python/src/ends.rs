//! The two ends for Python: [`Sender`] (send mode, a [`Server`]) and [`Receiver`] (receive
//! mode, a [`Client`]).
//!
//! Each end owns a current-thread tokio runtime, driven only inside its calls, and a worker
//! thread ([`Bridge`]): `submit_send` / `submit_recv` hand the core's future to the worker,
//! which runs it to completion without the GIL and signals the end's eventfd; asyncio's loop,
//! watching it, calls `take` for the outcome. The worker polls the socket itself (there is no
//! tokio thread), and asyncio's loop never waits on Rust. `close` blocks (the Python layer runs
//! it on an executor) after any call in flight; `cancel` (from any thread) ends a call in
//! flight at once, with [`Cancelled`](crate::errors::Cancelled).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use netgear::{
    Client, Compression, End, Error, OnBadMessage, Options, Pattern, Protocol, Reply, Secure,
    SecureMode, Server, Transceiver,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tokio::runtime::Runtime;

use crate::bridge::Bridge;
use crate::data::{to_data, to_py};
use crate::errors::{Failure, to_pyerr};
use crate::frames::{frame_from_array, to_numpy};

/// A flag that ends the pending call of an end.
#[derive(Default)]
struct Cancel {
    set: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Cancel {
    fn cancel(&self) {
        self.set.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    async fn wait(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.set.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }

    /// Runs `op` unless cancelled first.
    async fn run<T>(&self, op: impl Future<Output = netgear::Result<T>>) -> Result<T, Failure> {
        tokio::select! {
            biased;
            r = op => r.map_err(Failure::Core),
            () = self.wait() => Err(Failure::Cancelled),
        }
    }
}

fn runtime() -> PyResult<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| to_pyerr(e.into()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The core's [`Options`] from the Python layer's keyword arguments (checked there first;
/// anything unknown here is a bug of the layer, and refused). Secure mode (`secure_mode` 1
/// stonehouse or 2 ironhouse, with `keys_dir`) reads its keys for the end `receive_mode` says;
/// without it (a check of the options alone) only the mode is checked.
fn options(kw: Option<&Bound<'_, PyDict>>, receive_mode: Option<bool>) -> PyResult<Options> {
    let mut o = Options::default();
    let Some(kw) = kw else { return Ok(o) };
    let (mut secure_mode, mut keys_dir) = (0_u8, None::<String>);
    let mut compression_spec = None::<String>;
    for (key, value) in kw.iter() {
        let key: String = key.extract()?;
        let bad = |what: &str| {
            PyValueError::new_err(format!("option {key}={value}: {what}", value = value))
        };
        match key.as_str() {
            "address" => o.address = value.extract()?,
            "port" => {
                o.port = match value.extract::<u16>() {
                    Ok(p) => p,
                    Err(_) => value
                        .extract::<String>()?
                        .parse()
                        .map_err(|_| bad("a port is a number from 0 to 65535"))?,
                }
            }
            "protocol" => {
                o.protocol = value
                    .extract::<String>()?
                    .parse::<Protocol>()
                    .map_err(|e| bad(&e.to_string()))?
            }
            "pattern" => {
                o.pattern =
                    Pattern::try_from(value.extract::<u8>()?).map_err(|e| bad(&e.to_string()))?
            }
            "timeout" => {
                let s: f64 = value.extract()?;
                o.timeout = Duration::try_from_secs_f64(s)
                    .map_err(|_| bad("a timeout is a number of seconds, 0 or more"))?;
            }
            "bidirectional_mode" => o.bidirectional_mode = value.extract()?,
            "compression" => {
                let spec = value.extract::<String>()?;
                o.compression = spec
                    .parse::<Compression>()
                    .map_err(|e| bad(&netgear::error_chain(&e)))?;
                compression_spec = Some(spec);
            }
            "max_in_flight" => o.max_in_flight = value.extract()?,
            "queue_capacity" => o.queue_capacity = value.extract()?,
            "max_message_size" => o.max_message_size = value.extract()?,
            "max_data_size" => o.max_data_size = value.extract()?,
            "timestamps" => o.timestamps = value.extract()?,
            "reconnect" => o.reconnect = value.extract()?,
            "key_interval" => {
                o.key_interval = value
                    .extract::<Option<f64>>()?
                    .map(Duration::try_from_secs_f64)
                    .transpose()
                    .map_err(|_| bad("a key interval is a number of seconds, 0 or more"))?;
            }
            "rate" => {
                o.rate = value
                    .extract::<String>()?
                    .parse::<netgear::Rate>()
                    .map_err(|e| bad(&e))?
            }
            "skip_bad_messages" => {
                o.on_bad_message = if value.extract()? {
                    OnBadMessage::Skip
                } else {
                    OnBadMessage::Stop
                }
            }
            "secure_mode" => secure_mode = value.extract()?,
            "keys_dir" => keys_dir = Some(value.extract()?),
            _ => return Err(PyTypeError::new_err(format!("unknown option {key}"))),
        }
    }
    if let Some(spec) = compression_spec {
        // `h264` with rate="auto" has the auto ceiling (see `netgear::rate::with_rate`).
        o.compression = netgear::rate::with_rate(&spec, o.compression, o.rate);
    }
    let mode = match secure_mode {
        0 => return Ok(o),
        1 => SecureMode::Stonehouse,
        2 => SecureMode::Ironhouse,
        n => {
            return Err(PyValueError::new_err(format!(
                "secure_mode={n}: 0 (off), 1 (stonehouse) or 2 (ironhouse)"
            )));
        }
    };
    let (Some(dir), Some(receive_mode)) = (keys_dir, receive_mode) else {
        return Ok(o);
    };
    let dir = std::path::Path::new(&dir);
    let secure = if receive_mode {
        Secure::receiver(mode, dir)
    } else {
        Secure::sender(mode, dir)
    };
    o.secure = Some(secure.map_err(|e| PyValueError::new_err(e.to_string()))?);
    Ok(o)
}

/// Writes a server and a client key pair into `dir` in vidgear NetGear's layout, as
/// `netgear keygen` does (refusing to replace keys unless `force`); returns the files written.
#[pyfunction]
#[pyo3(signature = (dir, force = false))]
pub(crate) fn keygen(py: Python<'_>, dir: String, force: bool) -> PyResult<Vec<String>> {
    let files = py
        .detach(|| netgear::secure::KeyFiles::new(&dir).generate(force))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(files
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// Checks the options as an end would take them (raising what it would raise), without
/// opening a socket: the Python layer refuses bad options at construction, as vidgear does.
#[pyfunction]
#[pyo3(signature = (**kw))]
pub(crate) fn check_options(kw: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    // `receive_mode` (not an option of the ends): which end's keys secure mode reads.
    let receive_mode = match kw {
        Some(kw) => match kw.get_item("receive_mode")? {
            Some(v) => {
                let v = v.extract()?;
                kw.del_item("receive_mode")?;
                Some(v)
            }
            None => None,
        },
        None => None,
    };
    let opts = options(kw, receive_mode)?;
    match receive_mode {
        Some(true) => opts.validate_for(End::Client),
        Some(false) => opts.validate_for(End::Server),
        None => opts.validate(),
    }
    .map_err(to_pyerr)
}

/// A reply from the client as Python sees it: `None`, a value, or a numpy array.
fn reply_to_py(py: Python<'_>, reply: Option<Reply>) -> PyResult<Bound<'_, PyAny>> {
    match reply {
        None => Ok(py.None().into_bound(py)),
        Some(Reply::Data(d)) => to_py(py, &d),
        Some(Reply::Frame(f)) => to_numpy(py, f),
    }
}

/// A send-mode end: connects, sends frames with data and collects the client's replies.
#[pyclass(frozen, module = "netgear_rs._core")]
pub(crate) struct Sender {
    inner: Arc<SenderInner>,
    bridge: Bridge,
    replies: Transceiver,
    outages: netgear::Outages,
    rate: netgear::RateGauge,
    endpoint: String,
}

struct SenderInner {
    server: Mutex<Option<Server>>,
    cancel: Cancel,
    // Last: the server's socket is released while the runtime is still there.
    rt: Runtime,
}

impl Drop for SenderInner {
    fn drop(&mut self) {
        let _entered = self.rt.enter();
        lock(&self.server).take();
    }
}

#[pymethods]
impl Sender {
    /// Validates the options and connects (vidgear: `ValueError` for a bad combination or a
    /// failed connect).
    #[new]
    #[pyo3(signature = (**kw))]
    fn new(kw: Option<&Bound<'_, PyDict>>) -> PyResult<Sender> {
        let opts = options(kw, Some(false))?;
        let rt = runtime()?;
        let server = {
            let _entered = rt.enter();
            Server::new(opts).map_err(to_pyerr)?
        };
        Ok(Sender {
            replies: server.transceiver(),
            outages: server.outages(),
            rate: server.rate(),
            endpoint: server.endpoint().unwrap_or_default().to_owned(),
            bridge: Bridge::new("netgear_rs send")?,
            inner: Arc::new(SenderInner {
                server: Mutex::new(Some(server)),
                cancel: Cancel::default(),
                rt,
            }),
        })
    }

    /// The endpoint connected to.
    #[getter]
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What this end saw of its receiver going away and coming back: `count` (outages so
    /// far, the one under way included), `seconds` (the time without a receiver), `ongoing`
    /// and `answers_lost` (frames whose answers went with the receiver, never sent again).
    #[getter]
    fn outages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let o = &self.outages;
        let d = PyDict::new(py);
        d.set_item("count", o.count())?;
        d.set_item("seconds", o.total().as_secs_f64())?;
        d.set_item("ongoing", o.ongoing())?;
        d.set_item("answers_lost", o.frames_lost())?;
        Ok(d)
    }

    /// The rate the frames are made at: `kbps` (the bitrate aimed at), `quality` (JPEG; 0
    /// otherwise) and `reduce` (the percentage frames are reduced by, below the floor).
    #[getter]
    fn rate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.rate;
        let d = PyDict::new(py);
        d.set_item("kbps", r.kbps())?;
        d.set_item("quality", r.quality())?;
        d.set_item("reduce", r.reduce_pct())?;
        Ok(d)
    }

    /// The eventfd that becomes readable when a submitted call is done (then call `take`).
    fn fileno(&self) -> i32 {
        self.bridge.fileno()
    }

    /// The outcome of the submitted call once it is done (`None` for a send; raises its
    /// error), or `NotImplemented` when none is done yet.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self
            .bridge
            .take(py)?
            .unwrap_or_else(|| py.NotImplemented().into_bound(py)))
    }

    /// Starts sending one frame (with data, or `None`) on the worker thread: in patterns 0 and
    /// 1 it is done once the frame is answered (bounded by the timeout). The frame's bytes are
    /// copied before this returns ([`frame_from_array`]).
    #[pyo3(signature = (data, frame))]
    fn submit_send(&self, data: &Bound<'_, PyAny>, frame: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = if data.is_none() {
            None
        } else {
            Some(to_data(data)?)
        };
        let frame = frame_from_array(frame)?;
        let inner = self.inner.clone();
        self.bridge.submit(Box::new(move || {
            let sent = (|| {
                let mut server = lock(&inner.server);
                let server = server.as_mut().ok_or(Failure::Core(Error::Closed))?;
                inner
                    .rt
                    .block_on(inner.cancel.run(server.send(data.as_ref(), &frame)))
            })();
            Box::new(move |py: Python<'_>| {
                sent.map(|()| py.None().into_bound(py)).map_err(PyErr::from)
            })
        }))
    }

    /// Takes the oldest reply from the client: `None` when there is none (never waits).
    fn transceive_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        reply_to_py(py, self.replies.transceive_data())
    }

    /// Ends the stream: the end message and, in patterns 0 and 1, the client's confirmation,
    /// bounded by the timeout (vidgear waits for it forever). Blocks (after a send in flight),
    /// with the GIL released. Safe to call twice.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.bridge.stop();
        let inner = &self.inner;
        py.detach(|| {
            let Some(mut server) = lock(&inner.server).take() else {
                return Ok(());
            };
            let closed = inner.rt.block_on(server.close());
            let _entered = inner.rt.enter();
            drop(server);
            closed
        })
        .map_err(to_pyerr)
    }

    /// Ends a submitted send at once (it raises `Cancelled`); later sends fail the same way.
    fn cancel(&self) {
        self.inner.cancel.cancel();
    }
}

/// A receive-mode end: binds, yields frames, answers them from the `transceive_data` queue.
#[pyclass(frozen, module = "netgear_rs._core")]
pub(crate) struct Receiver {
    inner: Arc<ReceiverInner>,
    bridge: Bridge,
    endpoint: String,
    local_endpoint: String,
    local_port: Option<u16>,
}

struct ReceiverInner {
    client: Mutex<Option<Arc<Client>>>,
    cancel: Cancel,
    rt: Runtime,
}

impl ReceiverInner {
    fn client(&self) -> Result<Arc<Client>, Failure> {
        lock(&self.client)
            .clone()
            .ok_or(Failure::Core(Error::Closed))
    }
}

impl Drop for ReceiverInner {
    fn drop(&mut self) {
        let _entered = self.rt.enter();
        lock(&self.client).take();
    }
}

/// The next received frame that numpy can hold. A frame numpy cannot make an array of (see
/// [`fits_numpy`]; `[0, 2**62]` `<f8` is valid and 0 bytes long) is a bad message: with
/// `skip_bad_messages` it is logged and skipped, as the core skips what it cannot decode;
/// otherwise it is handed on, and numpy's `ValueError` stops the stream, as in vidgear.
async fn recv_for_numpy(
    client: &Client,
) -> netgear::Result<Option<(Option<netgear::Data>, netgear::Frame)>> {
    loop {
        let received = client.recv().await?;
        match &received {
            Some((_, frame))
                if client.options().on_bad_message == OnBadMessage::Skip && !fits_numpy(frame) =>
            {
                tracing::warn!(
                    dtype = %frame.dtype(),
                    shape = ?frame.shape(),
                    "skipped a frame numpy cannot hold (its size overflows numpy's index type)"
                );
            }
            _ => return Ok(received),
        }
    }
}

/// Whether numpy can make an array of the frame's shape and dtype: each dimension, and the
/// product of the non-zero ones times the item size, within `npy_intp` (numpy's own check).
fn fits_numpy(frame: &netgear::Frame) -> bool {
    let max = u128::from(u64::try_from(isize::MAX).unwrap_or(u64::MAX));
    let mut bytes = frame.dtype().scalar().itemsize() as u128;
    frame.shape().iter().all(|&d| {
        if d != 0 {
            bytes = bytes.saturating_mul(d as u128);
        }
        (d as u128) <= max && bytes <= max
    })
}

/// A received frame as Python sees it: `(data, frame)`, or `None` at the end of the stream.
fn received_to_py(
    py: Python<'_>,
    received: Option<(Option<netgear::Data>, netgear::Frame)>,
) -> PyResult<Bound<'_, PyAny>> {
    match received {
        None => Ok(py.None().into_bound(py)),
        Some((data, frame)) => {
            let data = match data {
                None => py.None().into_bound(py),
                Some(d) => to_py(py, &d)?,
            };
            let frame = to_numpy(py, frame)?;
            Ok(PyTuple::new(py, [data, frame])?.into_any())
        }
    }
}

#[pymethods]
impl Receiver {
    /// Validates the options and binds (vidgear: `RuntimeError` when binding fails).
    #[new]
    #[pyo3(signature = (**kw))]
    fn new(kw: Option<&Bound<'_, PyDict>>) -> PyResult<Receiver> {
        let opts = options(kw, Some(true))?;
        let rt = runtime()?;
        let client = {
            let _entered = rt.enter();
            Client::new(opts).map_err(to_pyerr)?
        };
        Ok(Receiver {
            endpoint: client.endpoint().to_owned(),
            local_endpoint: client.local_endpoint().to_owned(),
            local_port: client.local_port(),
            bridge: Bridge::new("netgear_rs recv")?,
            inner: Arc::new(ReceiverInner {
                client: Mutex::new(Some(Arc::new(client))),
                cancel: Cancel::default(),
                rt,
            }),
        })
    }

    /// The endpoint asked for (`tcp://*:0`).
    #[getter]
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint bound, as libzmq resolved it (the kernel's port for port 0).
    #[getter]
    fn local_endpoint(&self) -> &str {
        &self.local_endpoint
    }

    /// The tcp port bound (the kernel's pick for port 0); `None` over ipc and shm.
    #[getter]
    fn local_port(&self) -> Option<u16> {
        self.local_port
    }

    /// The eventfd that becomes readable when a submitted call is done (then call `take`).
    fn fileno(&self) -> i32 {
        self.bridge.fileno()
    }

    /// The outcome of the submitted receive once it is done — `(data, frame)`, or `None` once
    /// the server has ended the stream; raises its error — or `NotImplemented` when none is
    /// done yet.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self
            .bridge
            .take(py)?
            .unwrap_or_else(|| py.NotImplemented().into_bound(py)))
    }

    /// Starts receiving the next frame on the worker thread (it is answered there, as the
    /// pattern asks, before the call is done; at most the timeout).
    fn submit_recv(&self) -> PyResult<()> {
        let inner = self.inner.clone();
        self.bridge.submit(Box::new(move || {
            let received = inner
                .client()
                .and_then(|client| inner.rt.block_on(inner.cancel.run(recv_for_numpy(&client))));
            Box::new(move |py: Python<'_>| received_to_py(py, received.map_err(PyErr::from)?))
        }))
    }

    /// Queues a value or a numpy array to answer the next frame with; a full queue drops its
    /// oldest value ([`Receiver::dropped_replies`] counts them).
    fn transceive_data(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let reply = if value.hasattr("__array_interface__")? && value.hasattr("shape")? {
            Reply::Frame(frame_from_array(value)?)
        } else if value.is_none() {
            Reply::Data(netgear::Data(netgear::rmpv::Value::Nil))
        } else {
            Reply::Data(to_data(value)?)
        };
        let client = self.inner.client()?;
        client.transceive_data(reply).map_err(to_pyerr)
    }

    /// Values queued with `transceive_data` and dropped, the oldest first, because the queue
    /// was full.
    #[getter]
    fn dropped_replies(&self) -> u64 {
        lock(&self.inner.client)
            .as_ref()
            .map_or(0, |c| c.dropped_replies())
    }

    /// Answers owed to a PAIR sender that had gone when they were due, dropped rather than
    /// given to the next sender (see `reconnect`).
    #[getter]
    fn orphaned_answers(&self) -> u64 {
        lock(&self.inner.client)
            .as_ref()
            .map_or(0, |c| c.orphaned_answers())
    }

    /// Whether the server has ended the stream.
    #[getter]
    fn terminated(&self) -> bool {
        lock(&self.inner.client)
            .as_ref()
            .is_none_or(|c| c.is_terminated())
    }

    /// Closes the end (sending the termination answer first if one is due), after a receive
    /// in flight. Safe to call twice.
    fn close(&self, py: Python<'_>) {
        self.bridge.stop();
        let inner = &self.inner;
        py.detach(|| {
            let Some(client) = lock(&inner.client).take() else {
                return;
            };
            let _entered = inner.rt.enter();
            match Arc::try_unwrap(client) {
                Ok(client) => inner.rt.block_on(client.close()),
                Err(shared) => drop(shared),
            }
        });
    }

    /// Ends a submitted receive at once (it raises `Cancelled`); later receives fail the same
    /// way.
    fn cancel(&self) {
        self.inner.cancel.cancel();
    }
}
