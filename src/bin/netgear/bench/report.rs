//! Rounds, medians and the table: what `netgear bench` reports.

use std::time::Duration;

use serde_json::{Value as Json, json};

use super::case::{Case, Impl, ReplyKind, Transport};
use super::crypto;
use super::peer_report::PeerReport;

/// One run of a case: the two peers' reports, or why it failed.
#[derive(Debug, Clone, Default)]
pub(super) struct Round {
    /// The send peer's report.
    pub serve: Option<PeerReport>,
    /// The receive peer's report.
    pub recv: Option<PeerReport>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
    /// Wall-clock seconds the run took, process starts included.
    pub wall: f64,
}

impl Round {
    /// Whether both peers finished without error.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Frames per second at the receive side, first frame to last (none below 2 frames).
    pub fn fps(&self) -> Option<f64> {
        self.recv
            .as_ref()
            .filter(|r| self.ok() && r.frames >= 2)
            .map(|r| r.fps)
    }

    /// Frame bytes per second at the receive side, in MB (10⁶ bytes).
    pub fn mbps(&self) -> Option<f64> {
        self.recv
            .as_ref()
            .filter(|r| self.ok() && r.frames >= 2 && r.elapsed > 0.0)
            .map(|r| r.bytes as f64 / r.elapsed / 1e6)
    }

    fn to_json(&self) -> Json {
        json!({
            "ok": self.ok(),
            "error": self.error,
            "fps": self.fps(),
            "wall_s": self.wall,
            "serve": self.serve.as_ref().map(PeerReport::to_json),
            "recv": self.recv.as_ref().map(PeerReport::to_json),
        })
    }
}

/// The median of the values present (the mean of the middle two for an even count).
fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// One measured case: its rounds (run alternately with the other implementations' rounds of the
/// same case), summarised by medians.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// The case measured.
    pub case: Case,
    /// Every round, in the order they ran.
    pub rounds: Vec<Round>,
    /// Secure rows: the time libsodium takes here to box one frame (see `crypto.rs`).
    pub box_time: Option<Duration>,
}

impl Row {
    /// The row of `case`, with room for `repeat` rounds; a secure row has the time to box one
    /// of its frames.
    pub fn new(case: &Case, repeat: u32) -> Row {
        Row {
            case: *case,
            rounds: Vec::with_capacity(repeat as usize),
            box_time: (case.implementation == Impl::Secure)
                .then(|| crypto::frame_box_time(case.width, case.height))
                .flatten(),
        }
    }

    /// Whether every round finished without error.
    pub fn ok(&self) -> bool {
        self.rounds.iter().all(Round::ok)
    }

    /// The first round's error, if any round failed.
    pub fn error(&self) -> Option<String> {
        let failed = self.rounds.iter().filter(|r| !r.ok()).count();
        let first = self.rounds.iter().find_map(|r| r.error.clone())?;
        Some(if self.rounds.len() > 1 {
            format!("{failed} of {} rounds failed: {first}", self.rounds.len())
        } else {
            first
        })
    }

    /// Median over the rounds of the receive side's frames per second.
    pub fn fps(&self) -> Option<f64> {
        median(self.rounds.iter().map(Round::fps))
    }

    /// Median over the rounds of the frame bytes per second received, in MB (10⁶ bytes).
    pub fn mbps(&self) -> Option<f64> {
        median(self.rounds.iter().map(Round::mbps))
    }

    /// Median over the rounds of the send side's RTT p50 (`p = 50`) or p99, in microseconds.
    pub fn rtt_us(&self, p: u8) -> Option<f64> {
        median(self.rounds.iter().filter(|r| r.ok()).map(|r| {
            let s = r.serve.as_ref()?;
            if p == 50 { s.rtt_p50_us } else { s.rtt_p99_us }
        }))
    }

    /// Median over the rounds of the receive side's hand-over p50 (`p = 50`) or p99, in
    /// microseconds.
    pub fn handover_us(&self, p: u8) -> Option<f64> {
        median(self.rounds.iter().filter(|r| r.ok()).map(|r| {
            let s = r.recv.as_ref()?;
            if p == 50 {
                s.handover_p50_us
            } else {
                s.handover_p99_us
            }
        }))
    }

    /// This row's ratio to another implementation's row of its case, where it means something:
    /// no row to itself, the ceiling to none.
    fn ratio_to(&self, rows: &[Row], to: Impl) -> Option<f64> {
        let me = self.case.implementation;
        if me == to || me == Impl::Ceil {
            return None;
        }
        self.ratio(rows, to)
    }

    /// The largest peak RSS of a side over the rounds, in MiB.
    fn rss_mib(&self, side: impl Fn(&Round) -> Option<&PeerReport>) -> Option<f64> {
        self.rounds
            .iter()
            .filter_map(|r| side(r).map(|p| p.peak_rss_kb as f64 / 1024.0))
            .reduce(f64::max)
    }

    /// Frames received and sent, as `received/sent` (the smallest over the rounds).
    fn frame_counts(&self) -> (Option<u64>, Option<u64>) {
        let least = |side: fn(&Round) -> Option<&PeerReport>| {
            self.rounds
                .iter()
                .filter_map(|r| side(r).map(|p| p.frames))
                .min()
        };
        (least(|r| r.recv.as_ref()), least(|r| r.serve.as_ref()))
    }

    fn same_case(&self, other: &Row) -> bool {
        (
            self.case.pattern,
            self.case.reply,
            self.case.width,
            self.case.height,
        ) == (
            other.case.pattern,
            other.case.reply,
            other.case.width,
            other.case.height,
        )
    }

    fn other<'a>(&self, rows: &'a [Row], to: Impl) -> Option<&'a Row> {
        rows.iter()
            .find(|r| r.case.implementation == to && r.same_case(self))
    }

    /// This row's median fps over another implementation's median fps in the same case.
    fn ratio(&self, rows: &[Row], to: Impl) -> Option<f64> {
        let other = self.other(rows, to)?.fps()?;
        let mine = self.fps()?;
        (other > 0.0).then(|| mine / other)
    }

    /// The median of the per-round ratios: round `i` of this row over round `i` of the other
    /// implementation's (the two ran next to each other).
    fn round_ratio(&self, rows: &[Row], to: Impl) -> Option<f64> {
        let other = self.other(rows, to)?;
        median(self.rounds.iter().zip(&other.rounds).map(|(a, b)| {
            let (a, b) = (a.fps()?, b.fps()?);
            (b > 0.0).then(|| a / b)
        }))
    }

    /// Secure rows: the best secure/plain ratio the cipher allows, from the plain median and the
    /// time to box a frame. Lock-step, each frame's time grows by its boxes one after the other
    /// (encrypt, then decrypt at the other end; twice more for a frame reply); pipelined, the two
    /// ends box at the same time, so a frame costs at least one box.
    fn ceiling(&self, rows: &[Row]) -> Option<f64> {
        let plain = self.other(rows, Impl::Netgear)?.fps()?;
        let boxed = self.box_time?.as_secs_f64();
        if plain <= 0.0 || boxed <= 0.0 {
            return None;
        }
        let per_frame = match (self.case.pattern <= 1, self.case.reply) {
            (true, ReplyKind::Frame) => 1.0 / plain + 4.0 * boxed,
            (true, _) => 1.0 / plain + 2.0 * boxed,
            (false, _) => (1.0 / plain).max(boxed),
        };
        Some(1.0 / per_frame / plain)
    }

    pub(super) fn to_json(&self, rows: &[Row]) -> Json {
        let mb = |v: Option<f64>| v.map(|v| (v * 10.0).round() / 10.0);
        let netgear = !matches!(
            self.case.implementation,
            Impl::Raw | Impl::Vidgear | Impl::Ceil
        );
        let secure = self.case.implementation == Impl::Secure;
        let (received, sent) = self.frame_counts();
        let ratio = |to| netgear.then(|| self.ratio_to(rows, to)).flatten();
        let round_ratio = |to| netgear.then(|| self.round_ratio(rows, to)).flatten();
        json!({
            "impl": self.case.implementation.name(),
            "transport": match self.case.implementation.transport() {
                Transport::Tcp => "tcp",
                Transport::Ipc => "ipc",
                Transport::Shm => "shm",
                Transport::None => "none",
            },
            "pattern": self.case.pattern,
            "reply": self.case.reply.name(),
            "bidirectional": self.case.pattern <= 1 && self.case.reply != ReplyKind::None,
            "width": self.case.width,
            "height": self.case.height,
            "frames": self.case.frames,
            "rounds": self.rounds.len(),
            "frames_sent": sent,
            "frames_received": received,
            "fps": self.fps(),
            "mb_per_s": self.mbps(),
            "rtt_p50_us": self.rtt_us(50),
            "rtt_p99_us": self.rtt_us(99),
            "handover_p50_us": self.handover_us(50),
            "handover_p99_us": self.handover_us(99),
            "rss_serve_mb": mb(self.rss_mib(|r| r.serve.as_ref())),
            "rss_recv_mb": mb(self.rss_mib(|r| r.recv.as_ref())),
            "ratio_raw": ratio(Impl::Raw),
            "ratio_raw_ipc": ratio(Impl::RawIpc),
            "ratio_ceil": self.ratio_to(rows, Impl::Ceil),
            "ratio_vidgear": ratio(Impl::Vidgear),
            "ratio_raw_rounds_median": round_ratio(Impl::Raw),
            "ratio_vidgear_rounds_median": round_ratio(Impl::Vidgear),
            "ratio_plain": secure.then(|| self.ratio(rows, Impl::Netgear)).flatten(),
            "ratio_plain_rounds_median": secure.then(|| self.round_ratio(rows, Impl::Netgear)).flatten(),
            "box_ms": self.box_time.map(|t| t.as_secs_f64() * 1e3),
            "ratio_plain_ceiling": self.ceiling(rows),
            "fps_rounds": self.rounds.iter().map(Round::fps).collect::<Vec<_>>(),
            "ok": self.ok(),
            "error": self.error(),
            "wall_s": self.rounds.iter().map(|r| r.wall).sum::<f64>(),
            "runs": self.rounds.iter().map(Round::to_json).collect::<Vec<_>>(),
        })
    }
}

/// What the columns mean.
pub(super) const LEGEND: &str = "\
what the numbers mean:
  fps      frames per second received (receive side, first frame to last; frames / elapsed)
  MB/s     frame (pixel) bytes per second received, 1 MB = 10^6 bytes; a frame reply doubles
           the bytes on the wire
  frames   received / sent, the fewest of the rounds (pattern 2 drops frames by design:
           high-water mark 1)
  RTT      send side, lock-step patterns 0 and 1: from the start of sending a frame to its
           reply received, p50 and p99, in microseconds
  hand-over  receive side (netgear-rs's and raw peers): from the sender's clock just before it
           sends a frame (written into the frame) to the receiver's when it wakes up with it,
           p50 and p99, in microseconds (same host, CLOCK_REALTIME); the first frame, which
           may wait for the connection, left out
  RSS      peak resident set size (VmHWM from /proc/<pid>/status, read by each peer at its
           end), MiB, of the send (tx) and receive (rx) process
  rnd      rounds per case: the implementations of a case run alternately (raw, netgear, raw,
           netgear, ...); fps, MB/s and RTT are the medians over the rounds, RSS the largest
  xraw     netgear fps / raw-libzmq (tcp) fps in the same case and size, of the medians (1.00 =
           as fast as libzmq; netgear-rs's rows, over any transport, and raw-ipc's)
  xraw/r   the median of the per-round ratios (each netgear round over the raw round next to it)
  xripc    netgear fps / raw-libzmq over ipc fps in the same case and size, of the medians
  xceil    fps / the ceiling's fps in the same case and size, of the medians: how close to
           producing the frames alone (every row but the ceiling's)
  xvg      netgear fps / vidgear fps in the same case and size, of the medians
  xplain   secure rows: the median of the per-round ratios secure fps / netgear fps (each
           secure round over the plain netgear round next to it): the cost of encryption
  xpmax    secure rows: the best xplain the cipher allows here. libsodium's XSalsa20-Poly1305
           (CURVE's cipher) is timed boxing one frame in this process (box ms); lock-step, a
           frame's time grows by its boxes in turn (2; 4 with a frame reply), pipelined it is at
           least one box
  secure   netgear-rs in secure mode (CURVE stonehouse: every message encrypted and
           authenticated, keys made for the run)
  ipc, shm netgear-rs over ipc ($TMPDIR/netgear-bench:PORT) and over shared memory (each frame written
           in place into a slot with Server::frame_buffer in patterns 0, 1 and 2; copied once
           into one in pattern 3)
  raw      blocking libzmq via the zmq crate, the same message shapes and sizes as netgear
           (netgear's header bytes + msgpack_numpy frame parts), zero-copy sends
           (zmq_msg_init_data), receives (recv_msg) and frame echo; raw-ipc over ipc
  ceil     a memset of each frame alone, in the bench's own process, each timed alone, at the
           rate of the median one: the cost of producing a frame, which no transport can beat
  every sender (netgear-rs's and raw) produces every frame in full: a memset of the whole frame
  to its own value, its number in its first and last 8 bytes (checked by the receiver), its
  send time after it; vidgear's peer sends its test pattern's frames
";

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// The table's columns: heading and width.
const LAYOUT: [(&str, usize); 21] = [
    ("impl", 8),
    ("pat", 3),
    ("reply", 5),
    ("size", 9),
    ("frames", 11),
    ("rnd", 3),
    ("fps", 9),
    ("MB/s", 8),
    ("p50 us", 9),
    ("p99 us", 9),
    ("ho p50", 7),
    ("ho p99", 7),
    ("rss tx", 7),
    ("rss rx", 7),
    ("xraw", 6),
    ("xraw/r", 6),
    ("xripc", 6),
    ("xceil", 6),
    ("xvg", 6),
    ("xplain", 6),
    ("xpmax", 5),
];

/// One line of the table, each cell in its column.
fn line(cells: &[String]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, (cell, (_, width))) in cells.iter().zip(LAYOUT).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // The three text columns are left-aligned, the numbers right-aligned.
        if i == 0 || i == 2 {
            let _ = write!(out, "{cell:<width$}");
        } else {
            let _ = write!(out, "{cell:>width$}");
        }
    }
    out
}

/// The cells of `r`'s line (its ratios to the other rows of its case).
fn cells(r: &Row, rows: &[Row]) -> [String; 21] {
    let (got, sent) = r.frame_counts();
    let count = |n: Option<u64>| n.map_or("?".into(), |n| n.to_string());
    let netgear = !matches!(
        r.case.implementation,
        Impl::Raw | Impl::Vidgear | Impl::Ceil
    );
    let secure = r.case.implementation == Impl::Secure;
    let ratio = |to| opt(netgear.then(|| r.ratio_to(rows, to)).flatten(), 2);
    [
        r.case.implementation.name().into(),
        r.case.pattern.to_string(),
        r.case.reply.name().into(),
        format!("{}x{}", r.case.width, r.case.height),
        format!("{}/{}", count(got), count(sent)),
        r.rounds.len().to_string(),
        opt(r.fps(), 0),
        opt(r.mbps(), 0),
        opt(r.rtt_us(50), 0),
        opt(r.rtt_us(99), 0),
        opt(r.handover_us(50), 0),
        opt(r.handover_us(99), 0),
        opt(r.rss_mib(|r| r.serve.as_ref()), 1),
        opt(r.rss_mib(|r| r.recv.as_ref()), 1),
        ratio(Impl::Raw),
        opt(netgear.then(|| r.round_ratio(rows, Impl::Raw)).flatten(), 2),
        ratio(Impl::RawIpc),
        opt(r.ratio_to(rows, Impl::Ceil), 2),
        ratio(Impl::Vidgear),
        opt(
            secure.then(|| r.round_ratio(rows, Impl::Netgear)).flatten(),
            2,
        ),
        opt(r.ceiling(rows), 2),
    ]
}

/// The results as a text table, one row per implementation × case × size.
pub(super) fn table(rows: &[Row]) -> String {
    let mut out = line(&LAYOUT.map(|(name, _)| name.to_owned()));
    out.push('\n');
    let mut previous: Option<&Row> = None;
    for r in rows {
        if previous.is_some_and(|p| !p.same_case(r)) {
            out.push('\n');
        }
        previous = Some(r);
        out.push_str(&line(&cells(r, rows)));
        if let Some(e) = r.error() {
            out.push_str(&format!("  FAILED: {e}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ratios_come_from_the_rounds() {
        assert_eq!(median([Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(median([Some(4.0), Some(1.0)]), Some(2.5));
        assert_eq!(median([None]), None);
        let round = |fps: f64| Round {
            recv: Some(PeerReport {
                frames: 10,
                fps,
                ..PeerReport::default()
            }),
            ..Round::default()
        };
        let row = |implementation, fps: &[f64]| Row {
            case: Case {
                implementation,
                pattern: 0,
                reply: ReplyKind::Text,
                width: 64,
                height: 64,
                frames: 10,
            },
            rounds: fps.iter().map(|&f| round(f)).collect(),
            box_time: None,
        };
        let rows = [
            row(Impl::Raw, &[100.0, 200.0, 400.0]),
            row(Impl::Netgear, &[90.0, 100.0, 360.0]),
        ];
        assert_eq!(rows[1].fps(), Some(100.0));
        assert_eq!(rows[1].ratio(&rows, Impl::Raw), Some(0.5));
        assert_eq!(rows[1].round_ratio(&rows, Impl::Raw), Some(0.9));
        assert!(rows[1].ok() && rows[1].error().is_none());
    }
}
