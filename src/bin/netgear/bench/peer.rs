//! One end of a benchmark case for netgear-rs (the library's `Server` and `Client`), and the
//! report every peer prints.

use super::raw::{raw_recv, raw_serve};
use super::*;
use netgear::secure::{Secure, SecureMode};

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
    /// Peak resident set size (VmHWM) in kB.
    pub peak_rss_kb: u64,
    /// What went wrong, on failure.
    pub error: Option<String>,
}

impl PeerReport {
    fn new(implementation: Impl, role: Role) -> PeerReport {
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
            peak_rss_kb: num("peak_rss_kb").unwrap_or(0.0) as u64,
            error: v.get("error").and_then(|e| match e {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }),
        }
    }

    /// Fills in the timing fields from the first and last frame and the round trips.
    pub(super) fn finish(&mut self, span: Option<(Instant, Instant)>, rtts: &mut [u64]) {
        self.elapsed = span.map_or(0.0, |(a, b)| (b - a).as_secs_f64());
        self.fps = if self.elapsed > 0.0 {
            self.frames as f64 / self.elapsed
        } else {
            0.0
        };
        rtts.sort_unstable();
        self.rtt_p50_us = percentile_us(rtts, 0.50);
        self.rtt_p99_us = percentile_us(rtts, 0.99);
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
pub(super) fn stamp(span: &mut Option<(Instant, Instant)>, now: Instant) {
    match span {
        Some((_, last)) => *last = now,
        None => *span = Some((now, now)),
    }
}

/// Records one frame sent at `start` and done at `end`: the span of the stream and, in the
/// lock-step patterns, the round trip.
pub(super) fn record_frame(
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

/// Runs one end of a case and prints its JSON line on stdout; on failure the line carries the
/// error, and so does the returned `Err` (the process then exits with status 1).
pub async fn peer(args: PeerArgs) -> Result<()> {
    let mut report = PeerReport::new(args.implementation, args.role);
    let outcome = match (args.implementation, args.role) {
        (Impl::Netgear | Impl::Secure, Role::Serve) => netgear_serve(&args, &mut report).await,
        (Impl::Netgear | Impl::Secure, Role::Recv) => netgear_recv(&args, &mut report).await,
        (Impl::Raw, Role::Serve) => raw_serve(&args, &mut report),
        (Impl::Raw, Role::Recv) => raw_recv(&args, &mut report),
        (Impl::Vidgear, _) => Err(Error::InvalidOption(
            "the vidgear peer is tests/interop/vg_bench.py, not bench-peer".into(),
        )),
    };
    if report.peak_rss_kb == 0 {
        report.peak_rss_kb = peak_rss_kb();
    }
    if let Err(e) = &outcome {
        report.error = Some(crate::chain(&e));
    }
    println!("{}", report.to_json());
    outcome
}

/// netgear-rs's options for a peer on 127.0.0.1 (in stonehouse secure mode for `secure`).
fn netgear_options(args: &PeerArgs, pattern: Pattern, timeout: Duration) -> Result<Options> {
    let secure = match (args.implementation, &args.keys) {
        (Impl::Secure, Some(dir)) => Some(match args.role {
            Role::Serve => Secure::sender(SecureMode::Stonehouse, dir)?,
            Role::Recv => Secure::receiver(SecureMode::Stonehouse, dir)?,
        }),
        (Impl::Secure, None) => {
            return Err(Error::InvalidOption(
                "a secure peer needs --keys DIR (netgear keygen DIR)".into(),
            ));
        }
        _ => None,
    };
    Ok(Options {
        address: Some("127.0.0.1".into()),
        port: args.port,
        protocol: Protocol::Tcp,
        pattern,
        timeout,
        bidirectional_mode: args.bidirectional(),
        secure,
        ..Options::default()
    })
}

/// netgear-rs send side: the step API, one `send` per frame, each call timed (send + reply).
async fn netgear_serve(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let source = TestPattern::new(args.width, args.height);
    let data = args.bidirectional().then(|| Data::from("hi"));
    let mut server = Server::new(netgear_options(args, pattern, timeout)?)?;
    let replies = server.transceiver();
    let lock_step = pattern.has_replies();
    let mut rtts = Vec::with_capacity(if lock_step { args.frames as usize } else { 0 });
    let mut span = None;
    for n in 0..args.frames {
        let frame = source.frame(n);
        let start = Instant::now();
        server.send(data.as_ref(), &frame).await?;
        record_frame(&mut span, &mut rtts, start, Instant::now(), lock_step);
        // One entry is queued per frame answered: taking one per frame keeps the queue short.
        let _ = replies.transceive_data();
        report.frames += 1;
        report.bytes += frame.len() as u64;
    }
    report.finish(span, &mut rtts);
    server.close().await
}

/// netgear-rs receive side: `recv_generator` until the server terminates, answering each frame
/// with `"ok"` or with the frame itself.
async fn netgear_recv(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let client = Client::new(netgear_options(args, pattern, timeout)?)?;
    let mut span = None;
    let outcome = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (_, frame) = item?;
            stamp(&mut span, Instant::now());
            report.frames += 1;
            report.bytes += frame.len() as u64;
            match (args.bidirectional(), args.reply) {
                (true, ReplyKind::Text) => client.transceive_data("ok")?,
                (true, ReplyKind::Frame) => client.transceive_data(frame.clone())?,
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    report.finish(span, &mut []);
    client.close().await;
    outcome
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
            peak_rss_kb: 1234,
            error: Some("boom".into()),
        };
        assert_eq!(PeerReport::from_json(&r.to_json()), r);
        assert!(peak_rss_kb() > 0);
    }
}
