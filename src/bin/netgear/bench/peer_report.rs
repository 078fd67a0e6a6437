//! What one benchmark peer measured: the JSON line of the peer contract (`bench`'s module doc),
//! and the timing every peer, netgear-rs's or the raw baseline's, records the same way.

use std::time::Instant;

use serde_json::{Value as Json, json};

use super::case::{Impl, Role};
use crate::proc::peak_rss_kb;

/// What one peer measured: the JSON line of the peer contract.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerReport {
    /// `netgear`, `raw` or `vidgear`.
    pub implementation: String,
    /// `serve` or `recv`.
    pub role: String,
    /// Frames sent (serve) or received (recv).
    pub frames: u64,
    /// Frame bytes (pixels) sent or received.
    pub bytes: u64,
    /// Seconds from the first frame to the last.
    pub elapsed: f64,
    /// `frames / elapsed`.
    pub fps: f64,
    /// Median round trip in microseconds (send side, lock-step patterns).
    pub rtt_p50_us: Option<f64>,
    /// 99th-percentile round trip in microseconds (send side, lock-step patterns).
    pub rtt_p99_us: Option<f64>,
    /// Median hand-over time in microseconds (receive side: the sender's clock just before its
    /// send to the receiver's when it woke up with the frame; netgear-rs's and raw peers).
    pub handover_p50_us: Option<f64>,
    /// 99th-percentile hand-over time in microseconds (receive side).
    pub handover_p99_us: Option<f64>,
    /// Peak resident set size (VmHWM) in kB.
    pub peak_rss_kb: u64,
    /// What went wrong, on failure.
    pub error: Option<String>,
}

impl PeerReport {
    /// An empty report of `implementation`'s `role` peer.
    pub fn new(implementation: Impl, role: Role) -> PeerReport {
        PeerReport {
            implementation: implementation.name().into(),
            role: role.name().into(),
            ..PeerReport::default()
        }
    }

    /// The report as the contract's JSON object.
    pub fn to_json(&self) -> Json {
        let mut v = json!({
            "impl": self.implementation,
            "role": self.role,
            "frames": self.frames,
            "bytes": self.bytes,
            "elapsed": self.elapsed,
            "fps": self.fps,
            "rtt_p50_us": self.rtt_p50_us,
            "rtt_p99_us": self.rtt_p99_us,
            "handover_p50_us": self.handover_p50_us,
            "handover_p99_us": self.handover_p99_us,
            "peak_rss_kb": self.peak_rss_kb,
        });
        if let (Some(e), Json::Object(m)) = (&self.error, &mut v) {
            m.insert("error".into(), e.clone().into());
        }
        v
    }

    /// Reads a contract JSON object (leniently: missing numbers are 0 or null).
    pub fn from_json(v: &Json) -> PeerReport {
        let num = |k: &str| v.get(k).and_then(Json::as_f64);
        let text = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
        PeerReport {
            implementation: text("impl").unwrap_or_default(),
            role: text("role").unwrap_or_default(),
            frames: num("frames").unwrap_or(0.0) as u64,
            bytes: num("bytes").unwrap_or(0.0) as u64,
            elapsed: num("elapsed").unwrap_or(0.0),
            fps: num("fps").unwrap_or(0.0),
            rtt_p50_us: num("rtt_p50_us"),
            rtt_p99_us: num("rtt_p99_us"),
            handover_p50_us: num("handover_p50_us"),
            handover_p99_us: num("handover_p99_us"),
            peak_rss_kb: num("peak_rss_kb").unwrap_or(0.0) as u64,
            error: v.get("error").and_then(|e| match e {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }),
        }
    }

    /// Fills in the timing fields from the first and last frame, the round trips and the
    /// hand-over times (nanoseconds).
    pub fn finish(
        &mut self,
        span: Option<(Instant, Instant)>,
        rtts: &mut [u64],
        handovers: &mut [u64],
    ) {
        self.elapsed = span.map_or(0.0, |(a, b)| (b - a).as_secs_f64());
        self.fps = if self.elapsed > 0.0 {
            self.frames as f64 / self.elapsed
        } else {
            0.0
        };
        rtts.sort_unstable();
        self.rtt_p50_us = percentile_us(rtts, 0.50);
        self.rtt_p99_us = percentile_us(rtts, 0.99);
        handovers.sort_unstable();
        self.handover_p50_us = percentile_us(handovers, 0.50);
        self.handover_p99_us = percentile_us(handovers, 0.99);
        self.peak_rss_kb = peak_rss_kb();
    }
}

/// The `p` quantile of sorted nanosecond durations, in microseconds (nearest rank).
fn percentile_us(sorted_ns: &[u64], p: f64) -> Option<f64> {
    if sorted_ns.is_empty() {
        return None;
    }
    let rank = ((sorted_ns.len() as f64 * p).ceil() as usize).clamp(1, sorted_ns.len());
    Some((sorted_ns[rank - 1] as f64 / 100.0).round() / 10.0)
}

/// Records the first and last frame times.
pub fn stamp(span: &mut Option<(Instant, Instant)>, now: Instant) {
    match span {
        Some((_, last)) => *last = now,
        None => *span = Some((now, now)),
    }
}

/// Records one frame sent at `start` and done at `end`: the span of the stream and, in the
/// lock-step patterns, the round trip.
pub fn record_frame(
    span: &mut Option<(Instant, Instant)>,
    rtts: &mut Vec<u64>,
    start: Instant,
    end: Instant,
    lock_step: bool,
) {
    span.get_or_insert((start, end));
    stamp(span, end);
    if lock_step {
        rtts.push((end - start).as_nanos() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|us| us * 1000).collect();
        assert_eq!(percentile_us(&v, 0.5), Some(50.0));
        assert_eq!(percentile_us(&v, 0.99), Some(99.0));
        assert_eq!(percentile_us(&[], 0.5), None);
    }

    #[test]
    fn reports_round_trip_through_json() {
        let r = PeerReport {
            implementation: "raw".into(),
            role: "recv".into(),
            frames: 3,
            bytes: 9,
            elapsed: 0.5,
            fps: 6.0,
            rtt_p50_us: None,
            rtt_p99_us: Some(1.5),
            handover_p50_us: Some(2.5),
            handover_p99_us: None,
            peak_rss_kb: 1234,
            error: Some("boom".into()),
        };
        assert_eq!(PeerReport::from_json(&r.to_json()), r);
        assert!(peak_rss_kb() > 0);
    }
}
