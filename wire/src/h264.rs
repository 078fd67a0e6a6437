//! H.264 frames (`netgear:h264`, feature `h264`): an inter-frame codec, so stateful at both
//! ends. A sender's [`H264Encoder`] turns each `h × w × 3` BGR `|u1` frame into one access
//! unit; a receiver's [`H264Decoders`] keeps a decoder per stream and gives the frames back.
//!
//! The frame part is the compressed frame map of [`crate::codec`] with `type` `"netgear:h264"`,
//! `shape` `[h, w, 3]`, `dtype` `"|u1"`, and as `data`:
//!
//! | bytes | value |
//! |---|---|
//! | 0 | format version, 1 |
//! | 1 | flags: bit 0 set for a key frame (an IDR picture, with its SPS and PPS) |
//! | 2–9 | stream id, u64 little-endian: random per encoder (a new one when the frame size changes) |
//! | 10–13 | frame number in the stream, u32 little-endian, from 0, wrapping |
//! | 14– | the access unit: H.264 NAL units in Annex B byte stream format (start codes) |
//!
//! The bitstream is Constrained Baseline (OpenH264: no B-frames, so no reordering delay; no
//! look-ahead), 4:2:0, BT.601 limited range, one slice. A receiver decodes a stream from its
//! key frame on, frame after frame: one that finds a frame missing (a number skipped: a frame
//! dropped on the way, a receiver that joined late) waits for the next key frame rather than
//! show a broken picture, and counts what it skipped. Senders make a key frame when a receiver
//! joins and periodically.

use std::time::{Duration, Instant};

use bytes::Bytes;
use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod,
    RateControlMode, UsageType,
};
use openh264::formats::{RGB8Source, RGBSource, YUVBuffer, YUVSource};

use crate::codec::{Codec, CodecError, compressed_part, h264_fits};
use crate::dtype::Dtype;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::numpy::prefix::frame_header;

/// The bytes before the access unit in `data`.
const HEAD: usize = 14;
/// The format version this module writes and reads.
const VERSION: u8 = 1;
/// Flag bit: a key frame.
const KEY: u8 = 1;
/// Streams a receiver decodes at once (each holds a few frames of YUV); the one heard from
/// least recently gives way to a new one.
pub const MAX_STREAMS: usize = 4;

/// A sender's H.264 encoder: one stream, its frames numbered; a key frame first, whenever
/// [`force_key_frame`](H264Encoder::force_key_frame) asks, and every `key_interval`.
pub struct H264Encoder {
    kbps: u32,
    key_interval: Duration,
    /// The encoder of the current stream and its frame size (`None` until the first frame).
    current: Option<Stream>,
    key_wanted: bool,
    started: Instant,
}

struct Stream {
    encoder: Encoder,
    size: (usize, usize),
    id: u64,
    next: u32,
    last_key: Instant,
    yuv: YUVBuffer,
    /// The most bitrate the encoder takes (it was made for, or raised to), kbit/s.
    max_kbps: u32,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("kbps", &self.kbps)
            .field("key_interval", &self.key_interval)
            .field("size", &self.current.as_ref().map(|s| s.size))
            .finish()
    }
}

impl H264Encoder {
    /// An encoder aiming at `kbps` kilobits a second, with a key frame at least every
    /// `key_interval`.
    pub fn new(kbps: u32, key_interval: Duration) -> H264Encoder {
        H264Encoder {
            kbps,
            key_interval,
            current: None,
            key_wanted: true,
            started: Instant::now(),
        }
    }

    /// Makes the next frame a key frame (a receiver joined).
    pub fn force_key_frame(&mut self) {
        self.key_wanted = true;
    }

    /// The target bitrate, kbit/s.
    pub fn kbps(&self) -> u32 {
        self.kbps
    }

    /// Aims the encoder at `kbps` from the next frame on, within the stream (no key frame,
    /// no new stream): what a rate controller calls as the link narrows or frees up.
    pub fn set_kbps(&mut self, kbps: u32) -> Result<(), CodecError> {
        let kbps = kbps.max(1);
        if kbps == self.kbps {
            return Ok(());
        }
        if let Some(stream) = self.current.as_mut() {
            // Up past the most the stream was made for: raise that first (OpenH264 refuses a
            // target above it; the level is raised with it).
            if kbps > stream.max_kbps {
                set_bitrate(
                    &mut stream.encoder,
                    openh264_sys2::ENCODER_OPTION_MAX_BITRATE,
                    openh264_sys2::SPATIAL_LAYER_0,
                    kbps,
                )?;
                stream.max_kbps = kbps;
            }
            set_bitrate(
                &mut stream.encoder,
                openh264_sys2::ENCODER_OPTION_BITRATE,
                openh264_sys2::SPATIAL_LAYER_ALL,
                kbps,
            )?;
        }
        self.kbps = kbps;
        Ok(())
    }

    fn config(&self) -> EncoderConfig {
        EncoderConfig::new()
            .bitrate(BitRate::from_bps(self.kbps.saturating_mul(1000)))
            .rate_control_mode(RateControlMode::Bitrate)
            // Every frame is encoded: a skipped one would leave the receiver a frame behind.
            .skip_frames(false)
            .usage_type(UsageType::CameraVideoRealTime)
            .max_frame_rate(FrameRate::from_hz(30.0))
            .complexity(Complexity::Low)
            // Key frames when this module asks for them, not on the encoder's own schedule.
            .intra_frame_period(IntraFramePeriod::from_num_frames(0))
            .num_threads(1)
    }

    /// The frame part for `frame` (one that [`Compression::codec_for`] gives H.264 for): one
    /// access unit.
    ///
    /// [`Compression::codec_for`]: crate::Compression::codec_for
    ///
    /// CPU work (milliseconds at 1080p): run it off an async reactor.
    pub fn encode(&mut self, frame: &Frame) -> Result<Bytes, CodecError> {
        let (h, w) = (frame.shape()[0], frame.shape()[1]);
        if self.current.as_ref().is_none_or(|s| s.size != (h, w)) {
            let api = OpenH264API::from_source();
            let mut encoder = Encoder::with_api_config(api, self.config())
                .map_err(|e| CodecError::H264(e.to_string()))?;
            quiet(&mut encoder);
            self.current = Some(Stream {
                encoder,
                size: (h, w),
                id: crate::id::random_u64(),
                next: 0,
                last_key: Instant::now(),
                yuv: YUVBuffer::new(w, h),
                max_kbps: self.kbps,
            });
            self.key_wanted = true;
        }
        let stream = self.current.as_mut().expect("made above");
        if stream.last_key.elapsed() >= self.key_interval {
            self.key_wanted = true;
        }
        stream.yuv.read_rgb8(Bgr8 {
            data: frame.as_bytes(),
            size: (w, h),
        });
        if self.key_wanted {
            stream.encoder.force_intra_frame();
        }
        let at = openh264::Timestamp::from_millis(
            u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        let bits = stream
            .encoder
            .encode_at(&stream.yuv, at)
            .map_err(|e| CodecError::H264(e.to_string()))?;
        let key = matches!(bits.frame_type(), FrameType::IDR | FrameType::I);
        let mut data = Vec::with_capacity(HEAD + 64 * 1024);
        data.push(VERSION);
        data.push(if key { KEY } else { 0 });
        data.extend_from_slice(&stream.id.to_le_bytes());
        data.extend_from_slice(&stream.next.to_le_bytes());
        bits.write_vec(&mut data);
        if key {
            self.key_wanted = false;
            stream.last_key = Instant::now();
        }
        stream.next = stream.next.wrapping_add(1);
        let shape = [h as u64, w as u64, 3];
        compressed_part(Codec::H264, shape.into_iter(), Dtype::U8.as_str(), &data)
            .ok_or_else(|| CodecError::H264("an access unit over 4 GiB".into()))
    }
}

/// Sets a bitrate option (`ENCODER_OPTION_BITRATE` or `_MAX_BITRATE`) of `layer` to `kbps`.
fn set_bitrate(
    encoder: &mut Encoder,
    option: openh264_sys2::ENCODER_OPTION,
    layer: openh264_sys2::LAYER_NUM,
    kbps: u32,
) -> Result<(), CodecError> {
    let bps = std::ffi::c_int::try_from(u64::from(kbps) * 1000).unwrap_or(std::ffi::c_int::MAX);
    let mut info = openh264_sys2::SBitrateInfo {
        iLayer: layer,
        iBitrate: bps,
    };
    // SAFETY: `raw_api` is the encoder's own handle (valid while `encoder` lives); both
    // bitrate options take a pointer to an `SBitrateInfo`, which `info` is, alive for the
    // call; OpenH264 copies the value. The crate reads its own config only when it makes an
    // encoder, so nothing of it goes stale.
    let rc = unsafe { encoder.raw_api().set_option(option, (&raw mut info).cast()) };
    if rc != 0 {
        return Err(CodecError::H264(format!(
            "the encoder refused a bitrate of {kbps} kbit/s (option {option}, code {rc})"
        )));
    }
    Ok(())
}

/// A packed BGR frame as OpenH264's fast converter takes it (its `BgrSliceU8` goes pixel by
/// pixel, in floats: a third of the encoding time at 1080p).
struct Bgr8<'a> {
    data: &'a [u8],
    /// Width, height.
    size: (usize, usize),
}

impl RGBSource for Bgr8<'_> {
    fn dimensions(&self) -> (usize, usize) {
        self.size
    }

    fn pixel_f32(&self, x: usize, y: usize) -> (f32, f32, f32) {
        let i = (y * self.size.0 + x) * 3;
        let px = |c: usize| f32::from(self.data.get(i + c).copied().unwrap_or(0));
        (px(2), px(1), px(0))
    }
}

impl RGB8Source for Bgr8<'_> {
    fn dimensions_padded(&self) -> (usize, usize) {
        self.size
    }

    fn rgb8_data(&self) -> &[u8] {
        self.data
    }

    fn pixel_stride(&self) -> usize {
        3
    }

    fn rgb_channel_offsets(&self) -> (usize, usize, usize) {
        (2, 1, 0)
    }
}

/// Silences the encoder's own log before it is initialised (at its first frame): OpenH264
/// prints warnings to stderr as it takes its parameters (that a bitrate is not strictly held
/// without frame skipping, which is off here on purpose: every frame is sent).
fn quiet(encoder: &mut Encoder) {
    let mut level = openh264_sys2::WELS_LOG_QUIET as std::ffi::c_int;
    // SAFETY: `raw_api` is the encoder's own handle (valid while `encoder` lives);
    // ENCODER_OPTION_TRACE_LEVEL takes a pointer to a C int, which `level` is, alive for the
    // call. The encoder's parameters are not touched, so the crate's assumptions hold.
    unsafe {
        encoder.raw_api().set_option(
            openh264_sys2::ENCODER_OPTION_TRACE_LEVEL,
            (&raw mut level).cast(),
        );
    }
}

/// A frame's `data` header: whether it is a key frame, its stream and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    key: bool,
    stream: u64,
    number: u32,
}

fn head(data: &[u8]) -> Result<(Head, &[u8]), String> {
    if data.len() < HEAD {
        return Err(format!(
            "{} bytes: shorter than the {HEAD}-byte header",
            data.len()
        ));
    }
    if data[0] != VERSION {
        return Err(format!(
            "format version {} (this end reads {VERSION})",
            data[0]
        ));
    }
    let stream = u64::from_le_bytes(data[2..10].try_into().expect("8 bytes"));
    let number = u32::from_le_bytes(data[10..14].try_into().expect("4 bytes"));
    Ok((
        Head {
            key: data[1] & KEY != 0,
            stream,
            number,
        },
        &data[HEAD..],
    ))
}

/// NAL unit types a `netgear:h264` access unit may hold: coded slices (1, and 5 for an IDR
/// picture), SEI (6), sequence and picture parameter sets (7, 8), access unit delimiters (9).
/// Anything else (data partitions, SVC and MVC extensions, …) is refused before decoding.
const NAL_TYPES: [u8; 6] = [1, 5, 6, 7, 8, 9];

/// Most reference frames a peer's sequence parameter set may ask a decoder to keep (the
/// encoder here uses one): a decoder holds at most this many pictures of its size and a few
/// more, so a stream's memory is bounded by its frame size (at 1080p about 3 MB a picture).
pub const MAX_REF_FRAMES: u32 = 4;

/// The NAL units of an Annex B byte stream (start codes `00 00 01` or `00 00 00 01`).
fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|&s| {
            // The next start code, and a zero before it (a 4-byte start code).
            let mut e = s - 3;
            while e > 0 && stream[e - 1] == 0 {
                e -= 1;
            }
            e
        })
        .chain(std::iter::once(stream.len()))
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |(s, e)| &stream[s..e.max(s)])
}

/// Why an access unit from a peer is refused before OpenH264 sees it, if it is: no NAL unit,
/// a NAL unit of a type netgear-rs never sends, or a sequence parameter set whose picture is
/// not `w × h` or that asks for more than [`MAX_REF_FRAMES`] references.
fn refusal(unit: &[u8], w: usize, h: usize) -> Option<String> {
    use h264_reader::nal::sps::SeqParameterSet;
    use h264_reader::rbsp::{BitReader, decode_nal};
    let mut any = false;
    for nal in nal_units(unit) {
        any = true;
        let Some(&first) = nal.first() else {
            return Some("an empty NAL unit".into());
        };
        let kind = first & 0x1f;
        if !NAL_TYPES.contains(&kind) {
            return Some(format!("a NAL unit of type {kind}"));
        }
        if kind == 7 {
            let rbsp = match decode_nal(nal) {
                Ok(r) => r,
                Err(e) => return Some(format!("a sequence parameter set: {e}")),
            };
            let sps = match SeqParameterSet::from_bits(BitReader::new(&rbsp[..])) {
                Ok(s) => s,
                Err(e) => return Some(format!("a sequence parameter set: {e:?}")),
            };
            match sps.pixel_dimensions() {
                Ok((sw, sh)) if (sw as usize, sh as usize) == (w, h) => {}
                Ok((sw, sh)) => return Some(format!("a {sw}x{sh} sequence for {w}x{h} frames")),
                Err(e) => return Some(format!("a sequence parameter set: {e:?}")),
            }
            if sps.max_num_ref_frames > MAX_REF_FRAMES {
                return Some(format!(
                    "a sequence of {} reference frames (at most {MAX_REF_FRAMES})",
                    sps.max_num_ref_frames
                ));
            }
        }
    }
    (!any).then(|| "no NAL unit".into())
}

/// A receiver's H.264 decoders: one per stream (at most [`MAX_STREAMS`]).
#[derive(Default)]
pub struct H264Decoders {
    streams: Vec<StreamDecoder>,
    skipped: u64,
}

impl std::fmt::Debug for H264Decoders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoders")
            .field("streams", &self.streams.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

struct StreamDecoder {
    id: u64,
    decoder: Decoder,
    /// The number of the frame expected next; `None` until a key frame has been decoded
    /// (and again after a frame went missing).
    next: Option<u32>,
    heard: Instant,
}

impl H264Decoders {
    /// Decoders for no stream yet.
    pub fn new() -> H264Decoders {
        H264Decoders::default()
    }

    /// Frames skipped so far because a frame before them was missing (each stream decodes
    /// again from its next key frame).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Decodes one `netgear:h264` frame's `data` into a frame of `shape` (`[h, w, 3]` `|u1`,
    /// checked by the caller to fit and to be within the size limit). A frame that cannot be
    /// decoded because one before it is missing is [`DecodeError::AwaitingKeyFrame`].
    pub(crate) fn decode(&mut self, shape: Vec<usize>, data: &[u8]) -> Result<Frame, DecodeError> {
        let bad = |detail: String| DecodeError::Compressed {
            codec: Codec::H264.type_str(),
            detail,
        };
        if !h264_fits(Dtype::U8, &shape) {
            return Err(bad(format!(
                "a frame of shape {shape:?} is not an H.264 picture"
            )));
        }
        let (head, unit) = head(data).map_err(bad)?;
        let i = match self.streams.iter().position(|s| s.id == head.stream) {
            Some(i) => i,
            None => {
                if !head.key {
                    // A stream joined mid-way: nothing to decode it from.
                    self.skipped += 1;
                    return Err(DecodeError::AwaitingKeyFrame);
                }
                if self.streams.len() >= MAX_STREAMS {
                    let oldest = (0..self.streams.len())
                        .min_by_key(|&i| self.streams[i].heard)
                        .expect("full");
                    self.streams.swap_remove(oldest);
                }
                let api = OpenH264API::from_source();
                let decoder = Decoder::with_api_config(api, DecoderConfig::new())
                    .map_err(|e| bad(e.to_string()))?;
                self.streams.push(StreamDecoder {
                    id: head.stream,
                    decoder,
                    next: None,
                    heard: Instant::now(),
                });
                self.streams.len() - 1
            }
        };
        let stream = &mut self.streams[i];
        stream.heard = Instant::now();
        let in_order = stream.next == Some(head.number);
        if !head.key && !in_order {
            stream.next = None;
            self.skipped += 1;
            return Err(DecodeError::AwaitingKeyFrame);
        }
        let (h, w) = (shape[0], shape[1]);
        if let Some(why) = refusal(unit, w, h) {
            stream.next = None;
            return Err(bad(why));
        }
        let decoded = match stream.decoder.decode(unit) {
            Ok(Some(yuv)) => yuv,
            Ok(None) => {
                stream.next = None;
                return Err(bad("an access unit with no picture".into()));
            }
            Err(e) => {
                stream.next = None;
                return Err(bad(e.to_string()));
            }
        };
        if decoded.dimensions() != (w, h) {
            stream.next = None;
            let (dw, dh) = decoded.dimensions();
            return Err(bad(format!(
                "a {dw}x{dh} picture for a frame of shape {shape:?}"
            )));
        }
        let len = h * w * 3;
        let mut buf = frame_header(Dtype::U8, &shape, len)
            .map_err(|_| DecodeError::ShapeOverflow(shape.iter().map(|&d| d as u64).collect()))?;
        let offset = buf.len();
        buf.resize(offset + len, 0);
        decoded.write_rgb8(&mut buf[offset..]);
        // RGB as OpenH264 writes it, to BGR.
        for px in buf[offset..].chunks_exact_mut(3) {
            px.swap(0, 2);
        }
        stream.next = Some(head.number.wrapping_add(1));
        Ok(Frame::from_wire(Dtype::U8, shape, Bytes::from(buf), offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part::ParsedFrame;

    /// Frame `i` of a moving, image-like `h × w` BGR sequence.
    fn moving(i: usize, h: usize, w: usize) -> Frame {
        Frame::build(Dtype::U8, vec![h, w, 3], |px| {
            for (k, p) in px.iter_mut().enumerate() {
                let (y, x, c) = (k / (w * 3), k / 3 % w, k % 3);
                *p = ((x + 3 * i) * 200 / w + y * 50 / h + c * 20) as u8;
            }
        })
        .unwrap()
    }

    fn psnr(a: &Frame, b: &Frame) -> f64 {
        let se: f64 = a
            .as_bytes()
            .iter()
            .zip(b.as_bytes())
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum();
        let mse = se / a.as_bytes().len() as f64;
        10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
    }

    fn decode(d: &mut H264Decoders, part: &Bytes) -> Result<Frame, DecodeError> {
        ParsedFrame::parse(part, usize::MAX)?.decode_h264(d)
    }

    fn data_of(part: &Bytes) -> (Head, usize) {
        let ParsedFrame::Compressed(c) = ParsedFrame::parse(part, usize::MAX).unwrap() else {
            panic!("not compressed")
        };
        (head(c.data()).unwrap().0, c.data().len())
    }

    #[test]
    fn a_stream_round_trips_starting_at_a_key_frame() {
        let mut enc = H264Encoder::new(2000, Duration::from_secs(3600));
        let mut dec = H264Decoders::new();
        for i in 0..10 {
            let frame = moving(i, 64, 96);
            let part = enc.encode(&frame).unwrap();
            let (head, _) = data_of(&part);
            assert_eq!((head.key, head.number), (i == 0, i as u32));
            let back = decode(&mut dec, &part).unwrap();
            assert_eq!(back.shape(), &[64, 96, 3]);
            assert!(
                psnr(&frame, &back) > 25.0,
                "frame {i}: {}",
                psnr(&frame, &back)
            );
        }
        assert_eq!(dec.skipped(), 0);
    }

    #[test]
    fn a_missing_frame_skips_to_the_next_key_frame() {
        let mut enc = H264Encoder::new(2000, Duration::from_secs(3600));
        let mut dec = H264Decoders::new();
        let parts: Vec<Bytes> = (0..6)
            .map(|i| enc.encode(&moving(i, 32, 32)).unwrap())
            .collect();
        decode(&mut dec, &parts[0]).unwrap();
        decode(&mut dec, &parts[1]).unwrap();
        // 2 is lost: 3 and 4 cannot be shown.
        assert!(matches!(
            decode(&mut dec, &parts[3]),
            Err(DecodeError::AwaitingKeyFrame)
        ));
        assert!(matches!(
            decode(&mut dec, &parts[4]),
            Err(DecodeError::AwaitingKeyFrame)
        ));
        assert_eq!(dec.skipped(), 2);
        enc.force_key_frame();
        let key = enc.encode(&moving(6, 32, 32)).unwrap();
        assert!(data_of(&key).0.key);
        let back = decode(&mut dec, &key).unwrap();
        // The picture a decoder that starts at this key frame shows, exactly.
        let fresh = decode(&mut H264Decoders::new(), &key).unwrap();
        assert_eq!(back.as_bytes(), fresh.as_bytes());
        assert!(psnr(&moving(6, 32, 32), &back) > 15.0);
        // And on from there.
        decode(&mut dec, &enc.encode(&moving(7, 32, 32)).unwrap()).unwrap();
    }

    #[test]
    fn a_receiver_joining_mid_stream_waits_for_a_key_frame() {
        let mut enc = H264Encoder::new(1000, Duration::from_secs(3600));
        for i in 0..3 {
            enc.encode(&moving(i, 32, 32)).unwrap();
        }
        let mut late = H264Decoders::new();
        let delta = enc.encode(&moving(3, 32, 32)).unwrap();
        assert!(matches!(
            decode(&mut late, &delta),
            Err(DecodeError::AwaitingKeyFrame)
        ));
        enc.force_key_frame();
        decode(&mut late, &enc.encode(&moving(4, 32, 32)).unwrap()).unwrap();
    }

    #[test]
    fn key_frames_come_every_interval_and_a_new_size_starts_a_new_stream() {
        let mut enc = H264Encoder::new(1000, Duration::ZERO);
        let a = data_of(&enc.encode(&moving(0, 32, 32)).unwrap()).0;
        let b = data_of(&enc.encode(&moving(1, 32, 32)).unwrap()).0;
        assert!(
            a.key && b.key,
            "every frame a key frame with a zero interval"
        );
        let mut enc = H264Encoder::new(1000, Duration::from_secs(3600));
        let a = data_of(&enc.encode(&moving(0, 32, 32)).unwrap()).0;
        let c = data_of(&enc.encode(&moving(1, 64, 32)).unwrap()).0;
        assert!(c.key && c.stream != a.stream && c.number == 0);
        let mut dec = H264Decoders::new();
        let back = decode(&mut dec, &enc.encode(&moving(2, 64, 32)).unwrap());
        assert!(matches!(back, Err(DecodeError::AwaitingKeyFrame)));
    }

    /// Frame `i` of `moving`, with noise that changes every frame (what costs an encoder).
    fn noisy(i: usize, h: usize, w: usize) -> Frame {
        let mut seed = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let base = moving(i, h, w);
        Frame::build(Dtype::U8, vec![h, w, 3], |px| {
            for (p, &b) in px.iter_mut().zip(base.as_bytes()) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *p = b.saturating_add((seed % 24) as u8);
            }
        })
        .unwrap()
    }

    #[test]
    fn the_bitrate_changes_within_the_stream() {
        let (h, w) = (144, 176);
        let mut enc = H264Encoder::new(2000, Duration::from_secs(3600));
        let mut dec = H264Decoders::new();
        let mut sizes = Vec::new();
        for i in 0..90 {
            if i == 45 {
                enc.set_kbps(150).unwrap();
                assert_eq!(enc.kbps(), 150);
            }
            let part = enc.encode(&noisy(i, h, w)).unwrap();
            let (head, len) = data_of(&part);
            // One stream throughout, its only key frame the first: no new stream, no
            // key frame at the change.
            assert_eq!(head.number, i as u32);
            assert_eq!(head.key, i == 0, "frame {i}");
            decode(&mut dec, &part).unwrap();
            sizes.push(len);
        }
        let mean = |r: std::ops::Range<usize>| sizes[r.clone()].iter().sum::<usize>() / r.len();
        let (before, after) = (mean(15..45), mean(70..90));
        assert!(
            after * 3 < before,
            "{before} bytes a frame before, {after} after"
        );
        // Up again, past the bitrate the stream was made with.
        enc.set_kbps(6000).unwrap();
        let mut up = Vec::new();
        for i in 90..130 {
            let part = enc.encode(&noisy(i, h, w)).unwrap();
            let (head, len) = data_of(&part);
            assert!(!head.key, "frame {i}");
            decode(&mut dec, &part).unwrap();
            up.push(len);
        }
        let again = up[20..].iter().sum::<usize>() / 20;
        assert!(
            again * 2 > 3 * before, // (at this size the picture is nearly perfect already)
            "{before} bytes a frame at 2000 kbit/s, {again} at 6000"
        );
    }

    #[test]
    fn bad_bytes_are_errors_never_panics() {
        let mut enc = H264Encoder::new(1000, Duration::from_secs(3600));
        let good = enc.encode(&moving(0, 32, 32)).unwrap();
        let ParsedFrame::Compressed(c) = ParsedFrame::parse(&good, usize::MAX).unwrap() else {
            panic!()
        };
        let data = c.data().to_vec();
        let mut dec = H264Decoders::new();
        // Too short, a version this end does not read, and the frame's bytes scrambled.
        assert!(dec.decode(vec![32, 32, 3], &data[..5]).is_err());
        let mut v2 = data.clone();
        v2[0] = 2;
        assert!(dec.decode(vec![32, 32, 3], &v2).is_err());
        for seed in 0..64u32 {
            let mut x = data.clone();
            for (k, b) in x.iter_mut().enumerate().skip(HEAD + 8) {
                *b ^= (seed.wrapping_mul(2_654_435_761).wrapping_add(k as u32) >> 13) as u8;
            }
            x[1] = KEY;
            x[2..10].copy_from_slice(&u64::from(seed).to_le_bytes());
            let _ = dec.decode(vec![32, 32, 3], &x);
        }
        // A picture of another size than the shape says.
        let mut fresh = H264Decoders::new();
        let err = fresh.decode(vec![64, 32, 3], &data).unwrap_err();
        assert!(
            err.to_string().contains("a 32x32 sequence for 32x64"),
            "{err}"
        );
        // A NAL unit of a type netgear-rs never sends (an SVC prefix, 14), and none at all.
        let mut svc = data[..HEAD].to_vec();
        svc.extend_from_slice(&[0, 0, 0, 1, 14, 0x80, 0, 0]);
        let err = fresh.decode(vec![32, 32, 3], &svc).unwrap_err();
        assert!(err.to_string().contains("type 14"), "{err}");
        let err = fresh.decode(vec![32, 32, 3], &data[..HEAD]).unwrap_err();
        assert!(err.to_string().contains("no NAL unit"), "{err}");
        // A shape H.264 cannot carry.
        assert!(fresh.decode(vec![31, 32, 3], &data).is_err());
    }

    #[test]
    fn at_most_max_streams_are_decoded_at_once() {
        let mut dec = H264Decoders::new();
        for _ in 0..MAX_STREAMS + 3 {
            let mut enc = H264Encoder::new(500, Duration::from_secs(3600));
            decode(&mut dec, &enc.encode(&moving(0, 16, 16)).unwrap()).unwrap();
            assert!(dec.streams.len() <= MAX_STREAMS);
        }
    }

    #[test]
    fn the_stateless_paths_refuse_h264_clearly() {
        let frame = moving(0, 32, 32);
        let err = crate::compressed_frame_part(&frame, crate::Compression::H264).unwrap_err();
        assert!(err.to_string().contains("encoder"), "{err}");
        let mut enc = H264Encoder::new(1000, Duration::from_secs(3600));
        let part = enc.encode(&frame).unwrap();
        let err = ParsedFrame::parse(&part, usize::MAX)
            .unwrap()
            .decode()
            .unwrap_err();
        assert!(err.to_string().contains("decoders"), "{err}");
    }
}
