//! [`Rate::Auto`]: a sender's bitrate (H.264) or JPEG quality, and below a floor its frame size,
//! following what the link carries, so that frames stay fresh when it narrows and look better
//! when it frees up.
//!
//! The signals are the ones a sender has anyway:
//!
//! - **lock-step** (patterns 0 and 1, one frame in flight): each frame's *delivery time*, from
//!   handing it to the socket to its answer. It is a fixed part (the round trip, the peer's
//!   decoding) plus the frame's bytes over the link's rate. The link's rate is estimated as the
//!   best delivery rate (bytes over delivery time) of the last second, the fixed part as the
//!   least delivery time left over by it; the frame size aimed at is what fits, at that rate,
//!   in the source's frame interval less the encoding time and the fixed part (with 15 % to
//!   spare). A frame that takes much longer than the estimate says (the link narrowed)
//!   forgets the estimate's history at once.
//! - **otherwise** (PUSH/PULL, frames in flight, PUB/SUB): back-pressure. A send that had to
//!   wait for room (the frames before it have not drained) cuts the bitrate by 15 %; without
//!   waits it grows. PUB/SUB never waits for a subscriber (it drops instead, by the high-water
//!   mark of 1), so there the bitrate only grows to the ceiling: use a lock-step pattern on a
//!   link that narrows.
//!
//! Growth is bounded to doubling a second (probing up as the link frees up, without
//! overshooting far); cuts are immediate. The value of [`Options::compression`] is the ceiling
//! (`h264:KBPS`, `jpeg:QUALITY`). Below the floor (H.264: 0.02 bits a pixel; JPEG: quality 25)
//! frames are reduced (vidgear's reducer, 25 % then 50 %), and restored once the bitrate
//! would hold the larger size with room to spare.
//!
//! [`Options::compression`]: crate::Options::compression

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::wire::{Compression, Frame};

/// How a send-mode end sets its codec's bitrate (H.264) or quality (JPEG):
/// [`Options::rate`](crate::Options::rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rate {
    /// As [`Options::compression`](crate::Options::compression) says, always (the default).
    #[default]
    Fixed,
    /// Following the link (see the [module](crate::rate)): the compression's value is the
    /// ceiling. For `jpeg` and `h264`; other compressions are sent as they are.
    Auto,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rate::Fixed => "fixed",
            Rate::Auto => "auto",
        })
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fixed" => Ok(Rate::Fixed),
            "auto" => Ok(Rate::Auto),
            other => Err(format!("rate `{other}`: expected `fixed` or `auto`")),
        }
    }
}

/// The rate a send-mode end has chosen, readable while it streams (a cloneable handle):
/// [`Server::rate`](crate::Server::rate).
#[derive(Debug, Clone, Default)]
pub struct RateGauge(Arc<Gauge>);

#[derive(Debug, Default)]
struct Gauge {
    kbps: AtomicU32,
    quality: AtomicU32,
    reduce: AtomicU32,
}

impl RateGauge {
    /// The bitrate aimed at, kbit/s (for JPEG: the quality's frames at the frame rate); 0
    /// before the first frame and without compression.
    pub fn kbps(&self) -> u32 {
        self.0.kbps.load(Ordering::Relaxed)
    }

    /// The JPEG quality in use (0 for other compressions).
    pub fn quality(&self) -> u8 {
        u8::try_from(self.0.quality.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// The percentage the frames are reduced by (0: sent at their size; 25 or 50 below the
    /// floor).
    pub fn reduce_pct(&self) -> u8 {
        u8::try_from(self.0.reduce.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

/// What the next frame is made with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub(crate) compression: Compression,
    /// The reducer's percentage, when the frame is to be reduced first.
    pub(crate) reduce: Option<f64>,
}

/// The ceiling of [`Rate::Auto`] for `h264` given without a bitrate (the command's
/// `--compress h264 --rate auto`, Python's `compression="h264", rate="auto"`), kbit/s: room for
/// 1080p30 at its best on a wide link. The stream starts at [`START_KBPS`] and probes up.
pub const AUTO_H264_CEILING_KBPS: u32 = 20_000;

/// Where [`Rate::Auto`] starts an H.264 stream (or at its ceiling, if lower), kbit/s: low
/// enough for a narrow link not to be flooded before the first answers tell what it carries
/// (a wide one is reached in a few seconds, doubling each).
pub const START_KBPS: u32 = 1_500;

/// The compression that `spec` (`h264`, `h264:KBPS`, `jpeg`, ...) names under `rate`: with
/// [`Rate::Auto`], `h264` without a bitrate has the ceiling [`AUTO_H264_CEILING_KBPS`].
pub fn with_rate(spec: &str, compression: Compression, rate: Rate) -> Compression {
    match compression {
        Compression::H264 { .. } if rate == Rate::Auto && !spec.contains(':') => {
            Compression::H264 {
                kbps: AUTO_H264_CEILING_KBPS,
            }
        }
        other => other,
    }
}

/// The steps of the reducer, percent.
const REDUCE_STEPS: [u8; 3] = [0, 25, 50];
/// The least H.264 bitrate at full size, in bits per pixel per frame.
const H264_FLOOR_BPP: f64 = 0.02;
/// The least JPEG quality at full size.
const JPEG_FLOOR: u8 = 25;
/// The least JPEG quality ever used: below it a picture is blocks (while a frame reduced to
/// fit is on its way, frames may go below the floor, not below this).
const JPEG_LEAST: u8 = 10;
/// The least H.264 bitrate the encoder is given, kbit/s.
const MIN_KBPS: f64 = 100.0;
/// How far back the link's estimate looks.
const WINDOW: Duration = Duration::from_secs(1);
/// The share of the frame interval the estimate fills.
const FILL: f64 = 0.85;
/// Growth at most by this factor a second.
const GROWTH_PER_S: f64 = 2.0;
/// Deliveries the estimate must rest on before one slower than it cuts the aim.
const SEASONED: usize = 4;
/// The least time between two cuts.
const CUT_EVERY: Duration = Duration::from_millis(200);
/// A cut on back-pressure.
const CUT: f64 = 0.85;

#[derive(Debug, Clone, Copy)]
struct Delivery {
    at: Instant,
    bytes: f64,
    secs: f64,
}

/// A send-mode end's rate controller ([`Rate::Auto`]), or the fixed compression.
#[derive(Debug)]
pub(crate) struct RateControl {
    auto: bool,
    ceiling: Compression,
    gauge: RateGauge,
    /// The bitrate aimed at, kbit/s.
    kbps: f64,
    /// JPEG: the quality in use.
    quality: u8,
    /// Index into [`REDUCE_STEPS`].
    step: usize,
    /// Since when the aim has been below the floor (or above the next size's), if it has.
    below_floor: Option<Instant>,
    above_next: Option<Instant>,
    deliveries: VecDeque<Delivery>,
    /// The frame interval of the source (least spacing of capture stamps lately).
    interval: Option<Duration>,
    last_captured: Option<SystemTime>,
    intervals: VecDeque<(Instant, Duration)>,
    /// Scratch for the quartile of `intervals`' spacings.
    spacings: Vec<Duration>,
    /// The frame size (pixels) of the last frame planned.
    pixels: f64,
    /// The last frame's part: its bytes, and the encoding time it took.
    last_bytes: f64,
    encode_secs: f64,
    /// Whether a frame is encoded while the one before travels (`Server::launch` with a core
    /// to spare): then encoding takes nothing from the delivery's time.
    overlapped: bool,
    /// Frames' bytes over the bytes aimed at (what the encoder makes of its aim), smoothed.
    overshoot: f64,
    updated: Instant,
    last_cut: Option<Instant>,
    /// Lock-step deliveries in a row slower than the estimate and over their share.
    slow_streak: u32,
}

impl RateControl {
    pub(crate) fn new(compression: Compression, auto: bool) -> RateControl {
        let auto = auto
            && matches!(
                compression,
                Compression::Jpeg { .. } | Compression::H264 { .. }
            );
        let (kbps, quality) = match compression {
            Compression::H264 { kbps } if auto => (f64::from(kbps.min(START_KBPS)), 0),
            Compression::H264 { kbps } => (f64::from(kbps), 0),
            Compression::Jpeg { quality } => (0.0, quality),
            _ => (0.0, 0),
        };
        let control = RateControl {
            auto,
            ceiling: compression,
            gauge: RateGauge::default(),
            kbps,
            quality,
            step: 0,
            below_floor: None,
            above_next: None,
            deliveries: VecDeque::new(),
            interval: None,
            last_captured: None,
            intervals: VecDeque::new(),
            spacings: Vec::new(),
            pixels: 0.0,
            last_bytes: 0.0,
            encode_secs: 0.0,
            overlapped: false,
            overshoot: 1.0,
            updated: Instant::now(),
            last_cut: None,
            slow_streak: 0,
        };
        control.publish();
        control
    }

    /// Whether frames are encoded while the one before travels (see `overlapped`).
    pub(crate) fn set_overlapped(&mut self, overlapped: bool) {
        self.overlapped = overlapped;
    }

    /// The handle that tells the rate chosen.
    pub(crate) fn gauge(&self) -> RateGauge {
        self.gauge.clone()
    }

    fn ceiling_kbps(&self) -> f64 {
        match self.ceiling {
            Compression::H264 { kbps } => f64::from(kbps),
            _ => f64::INFINITY,
        }
    }

    /// The frame interval the source keeps (30 fps until known).
    fn interval_secs(&self) -> f64 {
        self.interval.map_or(1.0 / 30.0, |d| d.as_secs_f64())
    }

    /// How `frame` is made (its pixels, height × width, for the floors).
    pub(crate) fn plan_frame(&mut self, frame: &Frame) -> Plan {
        let pixels = frame.shape().iter().take(2).product();
        self.plan(pixels, frame.captured())
    }

    /// How the next frame (of `pixels` pixels, captured at `captured`) is made.
    pub(crate) fn plan(&mut self, pixels: usize, captured: Option<SystemTime>) -> Plan {
        if !self.auto {
            return Plan {
                compression: self.ceiling,
                reduce: None,
            };
        }
        self.pixels = pixels as f64;
        self.watch_interval(captured);
        let compression = match self.ceiling {
            Compression::H264 { .. } => Compression::H264 {
                // What the encoder is asked for, so that its frames come out the size aimed
                // at (it makes them larger or smaller than asked, by content).
                kbps: (self.kbps / self.overshoot).clamp(MIN_KBPS, self.ceiling_kbps()) as u32,
            },
            Compression::Jpeg { .. } => Compression::Jpeg {
                quality: self.quality,
            },
            other => other,
        };
        let pct = REDUCE_STEPS[self.step];
        Plan {
            compression,
            reduce: (pct > 0).then_some(f64::from(pct)),
        }
    }

    /// The source's frame interval: the lower quartile of the spacings of capture stamps over
    /// the last 2 s. Not the median: a live source that drops frames spaces the ones sent by
    /// whole intervals. Not the least: a frame captured late (its tick delayed on a busy
    /// machine) comes closer to the next one, and an interval taken from that pair made every
    /// delivery look over its share.
    fn watch_interval(&mut self, captured: Option<SystemTime>) {
        let Some(captured) = captured else { return };
        let now = Instant::now();
        if let Some(spacing) = self
            .last_captured
            .and_then(|last| captured.duration_since(last).ok())
            .filter(|d| *d >= Duration::from_millis(4) && *d <= Duration::from_secs(1))
        {
            self.intervals.push_back((now, spacing));
        }
        self.last_captured = Some(captured);
        while self
            .intervals
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > 2 * WINDOW)
        {
            self.intervals.pop_front();
        }
        // The lower quartile, in a buffer kept from frame to frame (no allocation per frame).
        self.spacings.clear();
        self.spacings.extend(self.intervals.iter().map(|(_, d)| *d));
        let quartile = self.spacings.len() / 4;
        self.interval =
            (!self.spacings.is_empty()).then(|| *self.spacings.select_nth_unstable(quartile).1);
    }

    /// A frame part was made: `bytes` long, in `encode` (for the next frame's budget).
    pub(crate) fn made(&mut self, bytes: usize, encode: Duration) {
        if !self.auto {
            return;
        }
        self.last_bytes = bytes as f64;
        self.encode_secs = 0.8 * self.encode_secs + 0.2 * encode.as_secs_f64();
        if matches!(self.ceiling, Compression::H264 { .. }) && self.kbps > 0.0 {
            let aimed = self.kbps * 1000.0 / 8.0 * self.interval_secs();
            let ratio = (bytes as f64 / aimed).clamp(0.25, 4.0);
            self.overshoot = (0.9 * self.overshoot + 0.1 * ratio).clamp(0.5, 2.0);
        }
        if let Compression::Jpeg { quality: top } = self.ceiling {
            self.steer_quality(top);
        }
    }

    /// JPEG: the quality that makes frames of the size aimed at, a step at a time.
    fn steer_quality(&mut self, top: u8) {
        let aimed = self.kbps * 1000.0 / 8.0 * self.interval_secs();
        if aimed <= 0.0 || self.last_bytes <= 0.0 {
            return;
        }
        let ratio = self.last_bytes / aimed;
        let q = f64::from(self.quality);
        // Frames far too large (a narrow link at the start) come down in a few large steps.
        let next = if ratio > 1.1 {
            q - ((ratio - 1.0) * 20.0).clamp(1.0, 30.0)
        } else if ratio < 0.85 {
            q + 1.0
        } else {
            q
        };
        self.quality = next.clamp(f64::from(JPEG_LEAST.min(top)), f64::from(top)) as u8;
    }

    /// Lock-step: the frame of `bytes` was answered `delivery` after it was handed over.
    pub(crate) fn answered(&mut self, bytes: usize, delivery: Duration) {
        if !self.auto {
            return;
        }
        let now = Instant::now();
        let sample = Delivery {
            at: now,
            bytes: bytes as f64,
            secs: delivery.as_secs_f64().max(1e-6),
        };
        // Slower than the estimate says: flattered (see below); much slower: the link
        // narrowed, and the estimate's history is void.
        let predicted = self
            .estimate()
            .map(|(rate, fixed)| fixed + sample.bytes / rate);
        // (Not before the estimate rests on a few deliveries: the first ones, a key frame
        // and frames that met a decoder being made, say little about the link.)
        let t = self.interval_secs();
        // A frame several times the size aimed at (a key frame, a scene cut) takes longer than
        // a frame's share by its nature, and longer than its size says (after an idle moment
        // TCP starts it at its initial window): it says nothing of a link the estimate
        // flatters, and that the link narrowed only by being far slower than its size says.
        let aimed = self.current_kbps() * 1000.0 / 8.0 * t;
        let oversized = aimed > 0.0 && sample.bytes > 2.0 * aimed;
        let flattered = !oversized
            && self.deliveries.len() >= SEASONED
            && predicted.is_some_and(|p| sample.secs > 1.2 * p);
        let margin = if oversized { 3.0 } else { 1.5 };
        let much_slower = predicted.is_some_and(|p| sample.secs > margin * p + 0.25 * t);
        // Encoding in turn with the deliveries takes its time from theirs; encoding the next
        // frame while this one travels takes none (as long as it keeps up with the source).
        let encode = if self.overlapped {
            (self.encode_secs - t).max(0.0)
        } else {
            self.encode_secs
        };
        let share = (FILL * t - encode).max(0.1 * t);
        let (took, sample_rate) = (sample.secs, sample.bytes / sample.secs);
        // One slow delivery alone says little: a busy machine (the receiver decoding while
        // the sender encodes, on shared cores) delays a frame now and then, by up to
        // two intervals, and acting on each brought the aim down to nothing. The link says
        // it by two in a row, or by one slower than that (a link that narrowed: the next frame,
        // made for the old link, would stall it).
        let slow = much_slower || (flattered && took > share);
        self.slow_streak = if slow { self.slow_streak + 1 } else { 0 };
        let sure = self.slow_streak >= 2 || took > 3.0 * t;
        if much_slower && sure {
            self.deliveries.clear();
        }
        self.deliveries.push_back(sample);
        while self
            .deliveries
            .front()
            .is_some_and(|d| now.duration_since(d.at) > WINDOW)
            && self.deliveries.len() > 4
        {
            self.deliveries.pop_front();
        }
        let Some((rate, fixed)) = self.estimate() else {
            return;
        };
        let budget = (FILL * t - encode - fixed).max(0.1 * t);
        let mut aim = budget * rate * 8.0 / t / 1000.0;
        // The estimate can run ahead of the link: a link that lets a burst through at once
        // after an idle moment (a token bucket, Wi-Fi's aggregation) makes small frames look
        // fast. A delivery slower than the estimate said and longer than the frame's share of
        // the interval is the link saying so: the aim comes down in proportion, and the
        // samples that flattered it go (not for an oversized frame, above). Two in a row, as
        // above, and once in a cut's time (as on back-pressure); then the estimate leads.
        let cut_due = self
            .last_cut
            .is_none_or(|c| now.duration_since(c) > CUT_EVERY);
        if flattered && took > share && sure && cut_due {
            self.last_cut = Some(now);
            aim = aim.min(self.current_kbps() * (share / took).max(0.5));
            self.deliveries.retain(|d| d.bytes / d.secs <= sample_rate);
        }
        tracing::debug!(
            bytes,
            took_ms = took * 1e3,
            link_kbps = rate * 8.0 / 1e3,
            fixed_ms = fixed * 1e3,
            flattered,
            aim_kbps = aim,
            "lock-step delivery"
        );
        self.steer(aim, now);
    }

    /// The link's rate (bytes a second) and the fixed part of a delivery (s), from the
    /// deliveries of the last second.
    fn estimate(&self) -> Option<(f64, f64)> {
        let rate = self
            .deliveries
            .iter()
            .map(|d| d.bytes / d.secs)
            .fold(0.0, f64::max);
        if rate <= 0.0 {
            return None;
        }
        let fixed = self
            .deliveries
            .iter()
            .map(|d| (d.secs - d.bytes / rate).max(0.0))
            .fold(f64::INFINITY, f64::min);
        Some((rate, fixed))
    }

    /// Not lock-step: a send waited `waited` for room.
    pub(crate) fn sent(&mut self, waited: Duration) {
        if !self.auto {
            return;
        }
        let now = Instant::now();
        let t = self.interval_secs();
        if waited.as_secs_f64() > 0.25 * t {
            if self
                .last_cut
                .is_none_or(|c| now.duration_since(c) > CUT_EVERY)
            {
                self.last_cut = Some(now);
                let aim = self.current_kbps() * CUT;
                self.steer(aim, now);
            }
        } else {
            let aim = f64::INFINITY;
            self.steer(aim, now);
        }
    }

    /// The bitrate of the frames now: the aim (H.264), or the last frame's at the frame rate
    /// (JPEG).
    fn current_kbps(&self) -> f64 {
        match self.ceiling {
            Compression::H264 { .. } => self.kbps,
            _ => self.last_bytes * 8.0 / self.interval_secs() / 1000.0,
        }
    }

    /// Moves the aim towards `aim` kbit/s: down at once, up at most doubling a second; and
    /// the frame size with it, past the floor.
    fn steer(&mut self, aim: f64, now: Instant) {
        let dt = now.duration_since(self.updated).as_secs_f64().min(1.0);
        self.updated = now;
        let current = if self.kbps > 0.0 {
            self.kbps
        } else {
            self.current_kbps().max(MIN_KBPS)
        };
        let grown = current * GROWTH_PER_S.powf(dt.max(0.01));
        self.kbps = aim.min(grown).min(self.ceiling_kbps()).max(MIN_KBPS);
        self.steer_size(now);
        self.publish();
    }

    /// The floor at the current size, kbit/s; JPEG has its floor in quality.
    fn below_the_floor(&self) -> bool {
        match self.ceiling {
            Compression::H264 { .. } => {
                let t = self.interval_secs();
                self.kbps * 1000.0 * t < H264_FLOOR_BPP * self.pixels
            }
            _ => self.quality < JPEG_FLOOR,
        }
    }

    /// Whether the aim would hold the next larger size with room to spare.
    fn room_for_larger(&self) -> bool {
        let Some(larger) = self.step.checked_sub(1) else {
            return false;
        };
        let scale = |step: usize| (1.0 - f64::from(REDUCE_STEPS[step]) / 100.0).powi(2);
        let pixels = self.pixels / scale(self.step) * scale(larger);
        match self.ceiling {
            Compression::H264 { .. } => {
                let t = self.interval_secs();
                self.kbps * 1000.0 * t > 1.5 * H264_FLOOR_BPP * pixels
            }
            Compression::Jpeg { quality: top } => {
                // At the larger size the same bytes give a lower quality: well above the floor.
                self.quality >= top.min(JPEG_FLOOR.saturating_mul(2))
            }
            _ => false,
        }
    }

    fn steer_size(&mut self, now: Instant) {
        let hold = |since: &mut Option<Instant>, cond: bool, needed: Duration| {
            if !cond {
                *since = None;
                return false;
            }
            let start = *since.get_or_insert(now);
            now.duration_since(start) >= needed
        };
        let down = self.below_the_floor() && self.step + 1 < REDUCE_STEPS.len();
        if hold(&mut self.below_floor, down, Duration::from_millis(500)) {
            self.step += 1;
            self.below_floor = None;
            self.above_next = None;
            if let Compression::Jpeg { .. } = self.ceiling {
                self.quality = JPEG_FLOOR
                    .saturating_mul(2)
                    .min(self.quality.max(JPEG_FLOOR));
            }
            return;
        }
        let up = self.room_for_larger();
        if hold(&mut self.above_next, up, Duration::from_secs(2)) {
            self.step -= 1;
            self.below_floor = None;
            self.above_next = None;
        }
    }

    fn publish(&self) {
        let g = &self.gauge.0;
        let kbps = match self.ceiling {
            Compression::H264 { .. } => self.kbps,
            _ => self.current_kbps(),
        };
        g.kbps.store(kbps.round() as u32, Ordering::Relaxed);
        g.quality.store(u32::from(self.quality), Ordering::Relaxed);
        g.reduce
            .store(u32::from(REDUCE_STEPS[self.step]), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264(kbps: u32) -> RateControl {
        RateControl::new(Compression::H264 { kbps }, true)
    }

    /// Frames of `bytes` a frame interval apart over a link of `rate` bytes/s with `fixed` s
    /// of round trip: what the controller hears back.
    fn stream(c: &mut RateControl, frames: usize, rate: f64, fixed: f64) -> Vec<f64> {
        stream_encoded(c, frames, rate, fixed, Duration::from_millis(5))
    }

    /// [`stream`], each frame taking `encode` to make.
    fn stream_encoded(
        c: &mut RateControl,
        frames: usize,
        rate: f64,
        fixed: f64,
        encode: Duration,
    ) -> Vec<f64> {
        let start = SystemTime::now();
        let mut aims = Vec::new();
        for i in 0..frames {
            let captured = start + Duration::from_millis(33 * i as u64);
            let plan = c.plan(1280 * 720, Some(captured));
            let bytes = match plan.compression {
                Compression::H264 { kbps } => f64::from(kbps) * 1000.0 / 8.0 / 30.0,
                _ => unreachable!(),
            };
            c.made(bytes as usize, encode);
            c.answered(
                bytes as usize,
                Duration::from_secs_f64(fixed + bytes / rate),
            );
            advance(c, Duration::from_millis(33));
            aims.push(c.kbps);
        }
        aims
    }

    /// Moves the controller's clock `tick` on (its instants back), as between two frames.
    fn advance(c: &mut RateControl, tick: Duration) {
        c.updated -= tick;
        for d in &mut c.deliveries {
            d.at -= tick;
        }
        for since in [&mut c.below_floor, &mut c.above_next, &mut c.last_cut] {
            if let Some(t) = since.as_mut() {
                *t -= tick;
            }
        }
    }

    #[test]
    fn the_aim_settles_below_the_link_and_follows_it_down_and_up() {
        let mut c = h264(20_000);
        // 10 Mbit/s: frames that fit the interval with room, below the link's rate.
        let aims = stream(&mut c, 90, 10e6 / 8.0, 0.001);
        let settled = *aims.last().unwrap();
        assert!(
            (3_000.0..10_000.0).contains(&settled),
            "{settled} kbit/s at 10 Mbit/s"
        );
        // Down to 2 Mbit/s: within a few frames.
        let aims = stream(&mut c, 10, 2e6 / 8.0, 0.001);
        assert!(*aims.last().unwrap() < 2_000.0, "{aims:?}");
        // Back up: within seconds, no higher than the ceiling.
        let aims = stream(&mut c, 150, 10e6 / 8.0, 0.001);
        assert!(*aims.last().unwrap() > 0.8 * settled, "{aims:?}");
        assert!(aims.iter().all(|&a| a <= 20_000.0));
    }

    #[test]
    fn encoding_in_turn_takes_from_the_delivery_and_encoding_alongside_does_not() {
        let settle = |overlapped: bool| {
            let mut c = h264(20_000);
            c.set_overlapped(overlapped);
            *stream_encoded(&mut c, 120, 10e6 / 8.0, 0.001, Duration::from_millis(20))
                .last()
                .unwrap()
        };
        let (in_turn, alongside) = (settle(false), settle(true));
        // 20 of 33 ms encoding leaves about a third of the time to deliver in.
        assert!(in_turn < 0.5 * alongside, "{in_turn} vs {alongside} kbit/s");
        assert!(alongside < 10_000.0, "{alongside} kbit/s over 10 Mbit/s");
    }

    #[test]
    fn a_frame_delayed_now_and_then_does_not_bring_the_aim_down() {
        // 10 Mbit/s and 5 ms of round trip; every third frame waits 25 ms more (the
        // receiver's core busy): the aim holds near what the link carries.
        let mut c = h264(20_000);
        c.set_overlapped(true);
        let start = SystemTime::now();
        let tick = Duration::from_millis(33);
        for i in 0..150u64 {
            let captured = start + tick * u32::try_from(i).unwrap();
            let plan = c.plan(1920 * 1080, Some(captured));
            let Compression::H264 { kbps } = plan.compression else {
                unreachable!()
            };
            let bytes = f64::from(kbps) * 1000.0 / 8.0 / 30.0;
            c.made(bytes as usize, Duration::from_millis(20));
            let late = if i % 3 == 2 { 0.025 } else { 0.0 };
            let took = 0.005 + late + bytes / (10e6 / 8.0);
            c.answered(bytes as usize, Duration::from_secs_f64(took));
            advance(&mut c, tick);
        }
        assert!(c.kbps > 3_000.0, "{} kbit/s over a 10 Mbit/s link", c.kbps);
    }

    #[test]
    fn a_key_frame_slower_than_its_size_says_does_not_cut_the_aim() {
        // 2 Mbit/s, 2 ms of round trip; every 60th frame a key frame six times the aim,
        // delivered at half the link's rate (TCP's initial window after an idle moment).
        let mut c = h264(20_000);
        c.set_overlapped(true);
        let start = SystemTime::now();
        let tick = Duration::from_millis(33);
        let link = 2e6 / 8.0;
        let mut after_key = Vec::new();
        for i in 0..300u64 {
            let captured = start + tick * u32::try_from(i).unwrap();
            let Compression::H264 { kbps } = c.plan(1280 * 720, Some(captured)).compression else {
                unreachable!()
            };
            let aimed = f64::from(kbps) * 1000.0 / 8.0 / 30.0;
            let key = i % 60 == 59;
            let (bytes, rate) = if key {
                (6.0 * aimed, 0.5 * link)
            } else {
                (aimed, link)
            };
            c.made(bytes as usize, Duration::from_millis(10));
            let before = c.kbps;
            c.answered(
                bytes as usize,
                Duration::from_secs_f64(0.002 + bytes / rate),
            );
            if key && i > 120 {
                after_key.push(c.kbps / before);
            }
            advance(&mut c, tick);
        }
        assert!(
            after_key.iter().all(|&r| r > 0.9),
            "the aim after each key frame, over the aim before: {after_key:?}"
        );
    }

    #[test]
    fn the_interval_is_the_sources_whatever_a_late_frame_or_a_dropped_one() {
        let mut c = h264(4_000);
        let start = SystemTime::now();
        // 30 fps; every fifth frame captured 15 ms late (the next one on time), every
        // seventh dropped.
        let mut at = Duration::ZERO;
        for i in 0..60u32 {
            at += Duration::from_millis(if i % 7 == 6 { 66 } else { 33 });
            let late = if i % 5 == 4 {
                Duration::from_millis(15)
            } else {
                Duration::ZERO
            };
            c.watch_interval(Some(start + at + late));
        }
        let t = c.interval_secs();
        assert!((0.030..0.036).contains(&t), "{t} s");
    }

    #[test]
    fn a_fixed_rate_or_a_lossless_codec_is_left_alone() {
        let mut c = RateControl::new(Compression::H264 { kbps: 4000 }, false);
        let plan = c.plan(100, None);
        assert_eq!(plan.compression, Compression::H264 { kbps: 4000 });
        let mut c = RateControl::new(Compression::Lz4, true);
        c.answered(1000, Duration::from_secs(1));
        assert_eq!(c.plan(100, None).compression, Compression::Lz4);
    }

    #[test]
    fn below_the_floor_frames_are_reduced() {
        let mut c = h264(8_000);
        // 300 kbit/s for 720p30 is below 0.02 bits a pixel.
        stream(&mut c, 60, 300e3 / 8.0, 0.001);
        assert!(c.plan(1280 * 720, None).reduce.is_some());
        assert!(c.gauge().reduce_pct() > 0);
    }

    #[test]
    fn names_parse() {
        assert_eq!("auto".parse::<Rate>().unwrap(), Rate::Auto);
        assert_eq!("fixed".parse::<Rate>().unwrap(), Rate::Fixed);
        assert!("fast".parse::<Rate>().is_err());
    }
}
