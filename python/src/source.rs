//! `VideoReader`: the built-in source of a send-mode end (vidgear's `source=`), frames from
//! a video file, an image sequence, a URL or a camera decoded by an ffmpeg process
//! ([`netgear::media::VideoSource`]), as numpy arrays over the decoded bytes (no copy, unless a
//! colorspace conversion makes new ones).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use netgear::media::{VideoOptions, VideoSource};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::colorspace;
use crate::errors::to_pyerr;
use crate::frames::to_numpy;

/// Frames from ffmpeg (vidgear's `source`, `source_demuxer`, `frame_format`, `custom_ffmpeg`,
/// and the capture options the Python side maps: `CAP_PROP_*`, `stabilize`, `THREAD_TIMEOUT`),
/// converted as `colorspace` asks where OpenCV's conversion needs no table.
#[pyclass(frozen, module = "netgear_rs._core")]
pub(crate) struct VideoReader {
    video: Mutex<Option<VideoSource>>,
    /// An OpenCV `COLOR_*` code done by [`colorspace::convert`].
    colorspace: Option<u32>,
    rt: Runtime,
}

#[pymethods]
impl VideoReader {
    /// Opens the source (probing it with ffprobe; every wait bounded by `timeout` seconds).
    #[new]
    #[allow(clippy::too_many_arguments)] // vidgear's keyword arguments, one by one
    #[pyo3(signature = (source, demuxer=None, frame_format="bgr24", ffmpeg=None, resolution=None, framerate=None, timeout=30.0, input_format=None, start=None, skip_frames=0, filters=Vec::new(), colorspace=None))]
    fn new(
        py: Python<'_>,
        source: String,
        demuxer: Option<String>,
        frame_format: &str,
        ffmpeg: Option<PathBuf>,
        resolution: Option<(u32, u32)>,
        framerate: Option<f64>,
        timeout: f64,
        input_format: Option<String>,
        start: Option<f64>,
        skip_frames: u64,
        filters: Vec<String>,
        colorspace: Option<u32>,
    ) -> PyResult<VideoReader> {
        if let Some(code) = colorspace.filter(|&c| !colorspace::is_native(c)) {
            return Err(PyValueError::new_err(format!(
                "colorspace code {code} is not one converted here (OpenCV converts it)"
            )));
        }
        let mut opts = VideoOptions::new(source);
        opts.demuxer = demuxer;
        opts.frame_format = frame_format.to_owned();
        opts.ffmpeg = ffmpeg;
        opts.resolution = resolution;
        opts.framerate = framerate;
        opts.input_format = input_format;
        opts.start = start
            .map(Duration::try_from_secs_f64)
            .transpose()
            .map_err(|_| PyValueError::new_err("start: a number of seconds, 0 or more"))?;
        opts.skip_frames = skip_frames;
        opts.filters = filters;
        opts.timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|_| PyValueError::new_err("timeout: a number of seconds, 0 or more"))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| to_pyerr(e.into()))?;
        let video = py
            .detach(|| rt.block_on(VideoSource::open(opts)))
            .map_err(to_pyerr)?;
        Ok(VideoReader {
            video: Mutex::new(Some(video)),
            colorspace,
            rt,
        })
    }

    /// The next frame, or `None` at the end of the input (or once closed). Blocks, with the
    /// GIL released.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let frame = py
            .detach(|| {
                let mut video = self.video.lock().unwrap_or_else(|p| p.into_inner());
                match video.as_mut() {
                    Some(v) => self.rt.block_on(v.read()),
                    None => Ok(None),
                }
                .map(|f| match (f, self.colorspace) {
                    (Some(f), Some(code)) => Some(colorspace::convert(&f, code).unwrap_or(f)),
                    (f, _) => f,
                })
            })
            .map_err(to_pyerr)?;
        match frame {
            Some(f) => to_numpy(py, f),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// How long a frame may take from now on, in seconds (vidgear's `THREAD_TIMEOUT`; opening
    /// the source had its own bound).
    fn set_timeout(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|_| PyValueError::new_err("timeout: a number of seconds, 0 or more"))?;
        py.detach(|| {
            if let Some(v) = self
                .video
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
            {
                v.set_timeout(timeout);
            }
        });
        Ok(())
    }

    /// Stops ffmpeg.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let video = self.video.lock().unwrap_or_else(|p| p.into_inner()).take();
            let _entered = self.rt.enter();
            drop(video);
        });
    }
}

impl Drop for VideoReader {
    fn drop(&mut self) {
        let _entered = self.rt.enter();
        self.video.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
