//! Codec work off the async reactor: the one place the library schedules the wire layer's pure
//! codecs. Compressing a frame part ([`Options::compression`]) and decompressing a received one
//! take milliseconds of CPU for a 1080p JPEG, which would stall every other task of the runtime:
//! they run on tokio's blocking pool, timed ([`CodecTimes`]); raw frames cost microseconds and
//! stay where they are.
//!
//! [`Options::compression`]: crate::Options::compression

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::media::{Interpolation, reducer};
use crate::rate::Plan;
use crate::wire::{self, Codec, Compression, Frame, Parsed};

/// An end's codec state: the time its codecs took, and its H.264 encoder (for the frames it
/// sends) and decoders (for the frames it receives), which keep state from frame to frame.
#[derive(Debug, Clone)]
pub(crate) struct Codecs {
    pub(crate) times: CodecTimes,
    h264: Arc<H264State>,
}

#[derive(Debug)]
struct H264State {
    key_interval: Duration,
    /// A receiver joined: the next frame is to be a key frame.
    key_wanted: AtomicBool,
    #[cfg(feature = "h264")]
    encoder: Mutex<Option<wire::H264Encoder>>,
    #[cfg(feature = "h264")]
    decoders: Mutex<wire::H264Decoders>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Codecs {
    /// No frame coded yet; H.264 key frames at least every `key_interval`.
    pub(crate) fn new(key_interval: Duration) -> Codecs {
        Codecs {
            times: CodecTimes::default(),
            h264: Arc::new(H264State {
                key_interval,
                key_wanted: AtomicBool::new(false),
                #[cfg(feature = "h264")]
                encoder: Mutex::new(None),
                #[cfg(feature = "h264")]
                decoders: Mutex::new(wire::H264Decoders::new()),
            }),
        }
    }

    /// Makes the next H.264 frame this end sends a key frame (a receiver joined).
    pub(crate) fn want_key_frame(&self) {
        self.h264.key_wanted.store(true, Ordering::Relaxed);
    }

    /// H.264 frames received that could not be shown because one before them was missing
    /// (skipped until their stream's next key frame).
    pub(crate) fn skipped_for_key_frame(&self) -> u64 {
        #[cfg(feature = "h264")]
        {
            lock(&self.h264.decoders).skipped()
        }
        #[cfg(not(feature = "h264"))]
        {
            0
        }
    }

    /// `frame` as an H.264 frame part, by this end's encoder (made at the first frame), at
    /// `kbps`.
    fn h264_part(&self, frame: &Frame, kbps: u32) -> std::result::Result<Bytes, wire::CodecError> {
        #[cfg(feature = "h264")]
        {
            let mut encoder = lock(&self.h264.encoder);
            let encoder =
                encoder.get_or_insert_with(|| wire::H264Encoder::new(kbps, self.h264.key_interval));
            // A new bitrate (a rate controller's) applies within the stream.
            encoder.set_kbps(kbps)?;
            if self.h264.key_wanted.swap(false, Ordering::Relaxed) {
                encoder.force_key_frame();
            }
            encoder.encode(frame)
        }
        #[cfg(not(feature = "h264"))]
        {
            let _ = (frame, kbps, &self.h264.key_interval, lock::<()>);
            Err(wire::CodecError::H264(
                "this build has no H.264 encoder (netgear's feature `h264`)".into(),
            ))
        }
    }

    /// Decodes a parsed message whose frame is H.264, with this end's decoders.
    fn h264_decode<P: Parsed>(
        &self,
        parsed: P,
    ) -> std::result::Result<P::Decoded, wire::DecodeError> {
        #[cfg(feature = "h264")]
        {
            parsed.decode_h264(&mut lock(&self.h264.decoders))
        }
        #[cfg(not(feature = "h264"))]
        {
            parsed.decode()
        }
    }
}

/// A frame part being made: ready at once for a raw frame, or being compressed on tokio's
/// blocking pool while the caller does something else (sends the previous frame).
pub(crate) enum Encoding {
    Ready(Bytes),
    Running(tokio::task::JoinHandle<Result<(Bytes, Duration)>>),
}

impl Encoding {
    /// Starts making the frame part for `frame` (a compressed frame starts encoding at once).
    pub(crate) fn start(frame: &Frame, compression: Compression, codecs: &Codecs) -> Encoding {
        Encoding::planned(
            frame,
            Plan {
                compression,
                reduce: None,
            },
            codecs,
        )
    }

    /// [`Encoding::start`] as a rate controller planned it: reduced first when it says so
    /// (on the blocking pool too: a resize of a 1080p frame takes milliseconds).
    pub(crate) fn planned(frame: &Frame, plan: Plan, codecs: &Codecs) -> Encoding {
        let Plan {
            compression,
            reduce,
        } = plan;
        if reduce.is_none() && compression.codec_for(frame).is_none() {
            return Encoding::Ready(wire::frame_part(frame));
        }
        let (frame, codecs) = (frame.clone(), codecs.clone());
        Encoding::Running(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let frame = match reduce {
                Some(pct) => {
                    let reduced = reducer(&frame, pct, Interpolation::Area)?;
                    match frame.captured() {
                        Some(at) => reduced.with_captured(at),
                        None => reduced,
                    }
                }
                None => frame,
            };
            if compression.codec_for(&frame).is_none() {
                return Ok((wire::frame_part(&frame), started.elapsed()));
            }
            let part = match compression {
                Compression::H264 { kbps } => codecs.h264_part(&frame, kbps),
                _ => wire::compressed_frame_part(&frame, compression),
            };
            let took = started.elapsed();
            codecs.times.0.encode.add(took);
            Ok((part?, took))
        }))
    }

    /// The frame part, once made, and the time making it took (zero for a raw frame).
    pub(crate) async fn finish(self) -> Result<(Bytes, Duration)> {
        match self {
            Encoding::Ready(part) => Ok((part, Duration::ZERO)),
            Encoding::Running(task) => task
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?,
        }
    }
}

/// Finishes decoding a message read by [`wire::parse_message`] or
/// [`wire::parse_reply_message`]: on the blocking pool when its frame is compressed (an H.264
/// one by the end's decoders), right here otherwise (a raw frame is decoded already: a slice of the message, no copy). The map of each
/// part is read once, by the parse.
pub(crate) async fn decode<P>(
    parsed: P,
    codecs: &Codecs,
) -> Result<std::result::Result<P::Decoded, wire::DecodeError>>
where
    P: Parsed + Send + 'static,
    P::Decoded: Send + 'static,
{
    let Some(codec) = parsed.codec() else {
        return Ok(parsed.decode());
    };
    let codecs = codecs.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let decoded = if codec == Codec::H264 {
            codecs.h264_decode(parsed)
        } else {
            parsed.decode()
        };
        codecs.times.0.decode.add(started.elapsed());
        decoded
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))
}

/// The time one end spent compressing and decompressing frames (on the blocking pool): a
/// cloneable handle, readable while the end streams. Raw frames take no time and are not
/// counted.
#[derive(Debug, Clone, Default)]
pub struct CodecTimes(Arc<Times>);

#[derive(Debug, Default)]
struct Times {
    encode: Tally,
    decode: Tally,
}

#[derive(Debug, Default)]
struct Tally {
    frames: AtomicU64,
    nanos: AtomicU64,
}

impl Tally {
    fn add(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> CodecTime {
        CodecTime {
            frames: self.frames.load(Ordering::Relaxed),
            total: Duration::from_nanos(self.nanos.load(Ordering::Relaxed)),
        }
    }
}

impl CodecTimes {
    /// The frames this end compressed (sent frames, or frame replies) and the time it took.
    pub fn encoded(&self) -> CodecTime {
        self.0.encode.get()
    }

    /// The compressed frames this end received and decompressed, and the time it took.
    pub fn decoded(&self) -> CodecTime {
        self.0.decode.get()
    }
}

/// A number of frames compressed or decompressed, and the time it took in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CodecTime {
    /// Frames.
    pub frames: u64,
    /// Time spent on them (wall time on a blocking-pool thread).
    pub total: Duration,
}

impl CodecTime {
    /// The time per frame, if there was a frame.
    pub fn per_frame(&self) -> Option<Duration> {
        u32::try_from(self.frames)
            .ok()
            .filter(|&n| n > 0)
            .map(|n| self.total / n)
    }
}
