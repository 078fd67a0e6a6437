//! [`StreamStats`]: frame count, rate and a running SHA-256 of a stream's frames,
//! [`ReplyTally`]: what a server got back, and [`Percentiles`] of times (frame ages, round
//! trips) — what the CLI reports, and what tests compare between the two ends.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use netgear::{CodecTime, CodecTimes, Frame, Reply};
use serde_json::Value as Json;

/// Counts frames, times them from the first to the last, and hashes their bytes in order.
#[derive(Debug, Clone)]
pub(crate) struct StreamStats {
    frames: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    hasher: Option<Sha256>,
    shape: Option<Vec<usize>>,
    dtype: Option<&'static str>,
}

impl StreamStats {
    /// New, empty stats; `hash` turns the SHA-256 on (it costs about 2 ms per 1080p frame).
    pub(crate) fn new(hash: bool) -> StreamStats {
        StreamStats {
            frames: 0,
            first: None,
            last: None,
            hasher: hash.then(Sha256::new),
            shape: None,
            dtype: None,
        }
    }

    /// Records one frame.
    pub(crate) fn record(&mut self, frame: &Frame) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.frames += 1;
        if let Some(h) = &mut self.hasher {
            h.update(frame.as_bytes());
        }
        if self.shape.as_deref() != Some(frame.shape()) {
            self.shape = Some(frame.shape().to_vec());
        }
        self.dtype = Some(frame.dtype().numpy_name());
    }

    /// Frames recorded.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames per second from the first frame to the last (0 with fewer than two).
    pub(crate) fn fps(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) if self.frames > 1 && b > a => {
                (self.frames - 1) as f64 / (b - a).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Writes `encode_ms` and `decode_ms`: the time an end took per frame it compressed or
    /// decompressed (null when it had none).
    pub(crate) fn write_codec_json(times: &CodecTimes, m: &mut serde_json::Map<String, Json>) {
        let ms = |t: CodecTime| {
            t.per_frame().map_or(Json::Null, |d| {
                Json::from((d.as_secs_f64() * 1e5).round() / 100.0)
            })
        };
        m.insert("encode_ms".into(), ms(times.encoded()));
        m.insert("decode_ms".into(), ms(times.decoded()));
    }

    /// Writes `wire_bytes` (all the bytes the stream took on the wire) and `wire_mb_s`: those
    /// bytes per second at the stream's frame rate (10^6 bytes to the MB), 0 with fewer than
    /// two frames.
    pub(crate) fn write_wire_json(&self, wire_bytes: u64, m: &mut serde_json::Map<String, Json>) {
        let per_frame = wire_bytes as f64 / self.frames.max(1) as f64;
        let mb_s = per_frame * self.fps() / 1e6;
        m.insert("wire_bytes".into(), wire_bytes.into());
        m.insert("wire_mb_s".into(), ((mb_s * 100.0).round() / 100.0).into());
    }

    /// Hex SHA-256 over every recorded frame's bytes, in order (`None` when hashing is off).
    pub(crate) fn sha256(&self) -> Option<String> {
        self.hasher
            .as_ref()
            .map(|h| hex::encode(h.clone().finalize()))
    }

    /// Shape of the last frame.
    pub(crate) fn shape(&self) -> Option<&[usize]> {
        self.shape.as_deref()
    }

    /// The stats as a JSON object: `frames`, `fps`, `sha256` (when hashing), `shape`, `dtype`.
    pub(crate) fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("frames".into(), self.frames.into());
        m.insert("fps".into(), ((self.fps() * 10.0).round() / 10.0).into());
        if let Some(h) = self.sha256() {
            m.insert("sha256".into(), h.into());
        }
        m.insert("shape".into(), serde_json::json!(self.shape));
        m.insert("dtype".into(), serde_json::json!(self.dtype));
        m
    }
}

/// What the server got back: counts, the first data values, a hash of reply frames.
pub(crate) struct ReplyTally {
    pub(crate) replies: u64,
    pub(crate) frames: u64,
    pub(crate) data: Vec<Json>,
    pub(crate) frame_stats: StreamStats,
}

impl ReplyTally {
    pub(crate) fn new(hash: bool) -> ReplyTally {
        ReplyTally {
            replies: 0,
            frames: 0,
            data: Vec::new(),
            frame_stats: StreamStats::new(hash),
        }
    }

    pub(crate) fn add(&mut self, r: &Reply) {
        self.replies += 1;
        match r {
            Reply::Data(d) if self.data.len() < 5 => {
                self.data.push(crate::preview::data_preview(d))
            }
            Reply::Data(_) => {}
            Reply::Frame(f) => {
                self.frames += 1;
                self.frame_stats.record(f);
            }
        }
    }

    pub(crate) fn write_json(&self, m: &mut serde_json::Map<String, Json>) {
        m.insert("replies".into(), self.replies.into());
        m.insert("reply_data".into(), Json::Array(self.data.clone()));
        m.insert("reply_frames".into(), self.frames.into());
        if let Some(h) = self.frame_stats.sha256() {
            m.insert("reply_sha256".into(), h.into());
        }
    }
}

/// Percentiles of durations in fixed memory: counts in buckets 2 % apart from 1 µs to about
/// 11 days, so a stream of any length costs the same few kilobytes and a percentile is within
/// 2 % of the true one.
#[derive(Debug, Clone)]
pub(crate) struct Percentiles {
    buckets: Vec<u64>,
    count: u64,
}

/// Ratio between neighbouring buckets.
const BUCKET_RATIO: f64 = 1.02;
/// Buckets: 1.02^1500 µs is about 11 days.
const BUCKETS: usize = 1500;

impl Percentiles {
    pub(crate) fn new() -> Percentiles {
        Percentiles {
            buckets: vec![0; BUCKETS],
            count: 0,
        }
    }

    /// Records one duration.
    pub(crate) fn record(&mut self, d: Duration) {
        let micros = d.as_secs_f64() * 1e6;
        let i = if micros <= 1.0 {
            0
        } else {
            (micros.ln() / BUCKET_RATIO.ln()).ceil() as usize
        };
        self.buckets[i.min(BUCKETS - 1)] += 1;
        self.count += 1;
    }

    /// Durations recorded.
    #[cfg(test)]
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The `p`-th percentile (nearest rank) in milliseconds, rounded to 0.01 ms; `None` when
    /// nothing was recorded.
    pub(crate) fn ms(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        let i = self.buckets.iter().position(|&n| {
            seen += n;
            seen >= rank
        })?;
        let ms = BUCKET_RATIO.powi(i as i32) / 1000.0;
        Some((ms * 100.0).round() / 100.0)
    }

    /// Writes `{name}_p50_ms` and `{name}_p99_ms` (when anything was recorded).
    pub(crate) fn write_json(&self, name: &str, m: &mut serde_json::Map<String, Json>) {
        for p in [50, 99] {
            if let Some(v) = self.ms(f64::from(p)) {
                m.insert(format!("{name}_p{p}_ms"), v.into());
            }
        }
    }
}

/// A stream second by second, for the link benchmark's time series: frames, the oldest frame
/// (receive side), kilobits on the wire, and the bitrate the sender aimed at.
#[derive(Debug, Default)]
pub(crate) struct Series {
    start: Option<Instant>,
    rows: Vec<Second>,
}

#[derive(Debug, Default, Clone)]
struct Second {
    frames: u64,
    age_max_ms: Option<f64>,
    wire_bytes: u64,
    kbps: Option<u32>,
    quality: Option<u8>,
}

/// Seconds a series keeps (an hour): memory stays bounded on an endless stream.
const SERIES_SECONDS: usize = 3600;

impl Series {
    /// Records one frame: its age (if known), the bytes on the wire so far, and the rate the
    /// sender aimed at (and the JPEG quality) as it went.
    pub(crate) fn record(
        &mut self,
        age: Option<Duration>,
        wire_total: u64,
        kbps: Option<u32>,
        quality: Option<u8>,
    ) {
        let now = Instant::now();
        let start = *self.start.get_or_insert(now);
        let second = now.duration_since(start).as_secs() as usize;
        if second >= SERIES_SECONDS {
            return;
        }
        while self.rows.len() <= second {
            let wire = self.rows.last().map_or(0, |r| r.wire_bytes);
            self.rows.push(Second {
                wire_bytes: wire,
                ..Second::default()
            });
        }
        let row = &mut self.rows[second];
        row.frames += 1;
        if let Some(age) = age {
            let ms = age.as_secs_f64() * 1000.0;
            row.age_max_ms = Some(row.age_max_ms.map_or(ms, |m: f64| m.max(ms)));
        }
        row.wire_bytes = wire_total;
        row.kbps = kbps.or(row.kbps);
        row.quality = quality.or(row.quality);
    }

    /// Writes `series`: one object per second (`t`, `fps`, `age_max_ms`, `wire_kbps`, and
    /// `kbps` / `quality` when the sender's aim is known).
    pub(crate) fn write_json(&self, m: &mut serde_json::Map<String, Json>) {
        let mut before = 0;
        let rows = self
            .rows
            .iter()
            .enumerate()
            .map(|(t, r)| {
                let mut o = serde_json::Map::new();
                o.insert("t".into(), t.into());
                o.insert("fps".into(), r.frames.into());
                let age = r.age_max_ms.map(|a| (a * 10.0).round() / 10.0);
                o.insert("age_max_ms".into(), age.map_or(Json::Null, Json::from));
                let kbit = r.wire_bytes.saturating_sub(before) * 8 / 1000;
                before = r.wire_bytes;
                o.insert("wire_kbps".into(), kbit.into());
                if let Some(k) = r.kbps {
                    o.insert("kbps".into(), k.into());
                }
                if let Some(q) = r.quality.filter(|&q| q > 0) {
                    o.insert("quality".into(), q.into());
                }
                Json::Object(o)
            })
            .collect();
        m.insert("series".into(), Json::Array(rows));
    }

    /// Writes `bitrate_kbps_p50` and `bitrate_kbps_min` (of the per-second aims) and, for
    /// JPEG, `quality_p50` and `quality_min`, when the sender aimed at a rate.
    pub(crate) fn write_rate_json(&self, m: &mut serde_json::Map<String, Json>) {
        let mut kbps: Vec<u32> = self.rows.iter().filter_map(|r| r.kbps).collect();
        let mut quality: Vec<u8> = self
            .rows
            .iter()
            .filter_map(|r| r.quality)
            .filter(|&q| q > 0)
            .collect();
        kbps.sort_unstable();
        quality.sort_unstable();
        if let (Some(min), Some(mid)) = (kbps.first(), kbps.get(kbps.len() / 2)) {
            m.insert("bitrate_kbps_p50".into(), (*mid).into());
            m.insert("bitrate_kbps_min".into(), (*min).into());
        }
        if let (Some(min), Some(mid)) = (quality.first(), quality.get(quality.len() / 2)) {
            m.insert("quality_p50".into(), (*mid).into());
            m.insert("quality_min".into(), (*min).into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_two_percent() {
        let mut p = Percentiles::new();
        assert_eq!(p.ms(50.0), None);
        for ms in 1..=1000 {
            p.record(Duration::from_millis(ms));
        }
        assert_eq!(p.count(), 1000);
        let p50 = p.ms(50.0).unwrap();
        let p99 = p.ms(99.0).unwrap();
        assert!((490.0..=510.0).contains(&p50), "{p50}");
        assert!((970.0..=1010.0).contains(&p99), "{p99}");
        // Beyond the last bucket: counted there, not lost.
        p.record(Duration::from_secs(100 * 86_400));
        assert_eq!(p.count(), 1001);
        p.record(Duration::ZERO);
        assert_eq!(p.ms(0.0), Some(0.0));
    }

    #[test]
    fn hash_covers_bytes_in_order() {
        let a = Frame::from_bgr(
            netgear::Size {
                width: 1,
                height: 1,
            },
            vec![1, 2, 3],
        )
        .unwrap();
        let b = Frame::from_bgr(
            netgear::Size {
                width: 1,
                height: 1,
            },
            vec![4, 5, 6],
        )
        .unwrap();
        let mut s = StreamStats::new(true);
        s.record(&a);
        s.record(&b);
        let mut t = StreamStats::new(true);
        t.record(&b);
        t.record(&a);
        assert_ne!(s.sha256(), t.sha256());
        // sha256(b"\x01\x02\x03\x04\x05\x06")
        assert_eq!(
            s.sha256().unwrap(),
            "7192385c3c0605de55bb9476ce1d90748190ecb32a8eed7f5207b30cf6a1fe89"
        );
        assert_eq!(s.frames(), 2);
        assert!(StreamStats::new(false).sha256().is_none());
    }
}
