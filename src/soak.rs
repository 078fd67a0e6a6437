//! The soak test: both ends stream for a long while and every frame is accounted for.
//!
//! Each frame carries its sequence number as data; the receive end checks that numbers arrive
//! in order without gaps, answers every frame in bidirectional mode, and the process's resident
//! memory is sampled after a warm-up and at the end.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::error::{Error, Result};
use crate::media::TestPattern;
use crate::{Client, Data, Options, Pattern, Reply, Server, SourceItem};

/// What to soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Frames to stream (default 100,000).
    pub frames: u64,
    /// Pattern; bidirectional mode is on for patterns 0 and 1.
    pub pattern: Pattern,
    /// Frame width.
    pub width: usize,
    /// Frame height.
    pub height: usize,
    /// Loopback port.
    pub port: u16,
    /// Frames before the first memory sample.
    pub warmup: u64,
}

impl Default for SoakOptions {
    fn default() -> SoakOptions {
        SoakOptions {
            frames: 100_000,
            pattern: Pattern::Pair,
            width: 320,
            height: 240,
            port: 5557,
            warmup: 1000,
        }
    }
}

/// What a soak found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakReport {
    /// Pattern number.
    pub pattern: u8,
    /// Frames sent.
    pub sent: u64,
    /// Frames received.
    pub received: u64,
    /// Frames sent but never received.
    pub lost: u64,
    /// Frames that arrived out of order or twice.
    pub out_of_order: u64,
    /// Answers the server got (bidirectional mode).
    pub replies: u64,
    /// Resident memory after the warm-up, KiB.
    pub rss_start_kb: u64,
    /// Resident memory at the end, KiB.
    pub rss_end_kb: u64,
    /// Frames per second received.
    pub fps: f64,
    /// Errors from either end.
    pub errors: Vec<String>,
}

impl SoakReport {
    /// Whether the soak passed: no errors, nothing lost or reordered where the pattern
    /// guarantees delivery (0, 1, 3), and memory did not grow by more than 8 MiB.
    pub fn passed(&self) -> bool {
        let reliable = self.pattern != Pattern::PubSub.number();
        self.errors.is_empty()
            && (!reliable || (self.lost == 0 && self.out_of_order == 0))
            && self.rss_end_kb <= self.rss_start_kb + 8 * 1024
    }
}

/// Resident memory of this process, KiB (0 where /proc is missing).
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Streams `opts.frames` frames between two ends on loopback and accounts for each.
pub async fn run(opts: &SoakOptions) -> Result<SoakReport> {
    let bidirectional = opts.pattern.has_replies();
    let options = Options {
        address: Some("127.0.0.1".into()),
        port: opts.port,
        pattern: opts.pattern,
        bidirectional_mode: bidirectional,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let client = Client::new(options.clone())?;
    let mut server = Server::new(options)?;
    let replies = server.transceiver();
    let pattern = TestPattern::new(opts.width, opts.height);
    let total = opts.frames;
    let pubsub = opts.pattern == Pattern::PubSub;
    let mut answered = 0u64;
    let answered_in = &mut answered;
    let source = async_stream::stream! {
        for n in 0..total {
            if replies.transceive_data().is_some() {
                *answered_in += 1;
            }
            if pubsub && n % 64 == 0 {
                // PUB/SUB drops what a slow subscriber has no room for: let it keep up.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            yield SourceItem::WithData(Some(Data::from(n)), pattern.frame(n));
        }
    };
    let mut rss_start = 0;
    let receiver = async {
        let mut received = 0u64;
        let mut out_of_order = 0u64;
        let mut next = 0u64;
        let mut first: Option<Instant> = None;
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (data, _) = item?;
            first.get_or_insert_with(Instant::now);
            let n = data
                .and_then(|d| d.deserialize::<u64>().ok())
                .ok_or_else(|| Error::Data("a soak frame without its number".into()))?;
            if n < next {
                out_of_order += 1;
            } else {
                next = n + 1;
            }
            received += 1;
            // Sampled after the warm-up (or at the first frame, for PUB/SUB, which may never
            // deliver that many).
            if received == 1 || received == opts.warmup {
                rss_start = rss_kb();
            }
            if bidirectional {
                client.transceive_data(Reply::Data(Data::from("ok")))?;
            }
        }
        let secs = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
        Ok::<_, Error>((received, out_of_order, secs))
    };
    let (sent, got) = tokio::join!(server.launch(source), receiver);
    while server.transceive_data().is_some() {
        answered += 1;
    }
    let mut errors = Vec::new();
    let sent = sent.unwrap_or_else(|e| {
        errors.push(format!("server: {e}"));
        0
    });
    let (received, out_of_order, secs) = got.unwrap_or_else(|e| {
        errors.push(format!("client: {e}"));
        (0, 0, 0.0)
    });
    Ok(SoakReport {
        pattern: opts.pattern.number(),
        sent,
        received,
        lost: sent.saturating_sub(received),
        out_of_order,
        replies: answered,
        rss_start_kb: rss_start,
        rss_end_kb: rss_kb(),
        fps: if secs > 0.0 {
            received as f64 / secs
        } else {
            0.0
        },
        errors,
    })
}
