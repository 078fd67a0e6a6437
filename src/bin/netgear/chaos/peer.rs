//! `netgear chaos-peer`: one end of a chaos soak, started by `soak --chaos` inside a network
//! namespace. Both ends run with `reconnect`; each prints JSON lines on stdout for the soak to
//! account with: the sender what it sent and what it saw of outages, the receiver every frame
//! it got (the sender's incarnation and the frame's number, its capture and arrival times), and
//! both their memory and open descriptors. The receiver stops reading on SIGUSR1 and reads on
//! at SIGUSR2 (a stalled application); SIGTERM ends the sender's stream cleanly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use futures::StreamExt;
use netgear::media::{Live, TestPattern};
use netgear::{Client, Data, Error, Options, Pattern, Server, SourceItem};
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::error::CliError;

/// How often each end reports.
const REPORT_EVERY: Duration = Duration::from_millis(250);

#[derive(Args)]
pub(crate) struct PeerArgs {
    /// `send` or `recv`.
    #[arg(long)]
    pub(crate) role: String,
    /// Address to connect (send) or bind (recv).
    #[arg(long)]
    pub(crate) address: String,
    #[arg(long)]
    pub(crate) port: u16,
    /// 0 PAIR, 1 REQ/REP (both bidirectional), 2 PUB/SUB, 3 PUSH/PULL.
    #[arg(long)]
    pub(crate) pattern: u8,
    /// The sender's frame rate.
    #[arg(long, default_value_t = 30.0)]
    pub(crate) fps: f64,
    #[arg(long, default_value_t = 160)]
    pub(crate) width: usize,
    #[arg(long, default_value_t = 120)]
    pub(crate) height: usize,
    /// Seconds to wait for the peer before an outage is declared.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) timeout: f64,
    /// Which start of the sender this is (its frames carry it).
    #[arg(long, default_value_t = 0)]
    pub(crate) incarnation: u64,
}

/// Microseconds since the epoch.
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Open file descriptors of this process.
fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn emit(line: serde_json::Value) {
    println!("{line}");
}

fn options(args: &PeerArgs) -> Result<Options, Error> {
    let pattern = Pattern::try_from(args.pattern)?;
    Ok(Options {
        address: Some(args.address.clone()),
        port: args.port,
        pattern,
        bidirectional_mode: pattern.has_replies(),
        timeout: Duration::from_secs_f64(args.timeout),
        reconnect: true,
        ..Options::default()
    })
}

pub(crate) async fn peer(args: PeerArgs) -> Result<(), CliError> {
    match args.role.as_str() {
        "send" => send(&args).await,
        "recv" => recv(&args).await,
        other => {
            Err(crate::error::FlagError::value(format!("--role {other}"), "is send or recv").into())
        }
    }
}

/// Streams the test pattern as a live camera, each frame numbered, until SIGTERM.
async fn send(args: &PeerArgs) -> Result<(), CliError> {
    let mut server = Server::new(options(args)?)?;
    let outages = server.outages();
    let period = Duration::from_secs_f64(1.0 / args.fps);
    let live = Live::new(crate::serve::camera(
        TestPattern::new(args.width, args.height),
        period,
    ));
    let dropped = live.counts();
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let incarnation = args.incarnation;
    let numbered = live.enumerate().map(move |(n, frame)| {
        counted.store(n as u64 + 1, Ordering::Relaxed);
        let data = Data::from(netgear::rmpv::Value::Array(vec![
            incarnation.into(),
            (n as u64).into(),
        ]));
        frame.map(|f| SourceItem::WithData(Some(data), f))
    });
    let mut term = signal(SignalKind::terminate()).map_err(Error::from)?;
    let report = {
        let (sent, outages, dropped) = (sent.clone(), outages.clone(), dropped.clone());
        move || {
            json!({
                "t_us": now_us(),
                "sent": sent.load(Ordering::Relaxed),
                "outages": outages.count(),
                "outage_s": outages.total().as_secs_f64(),
                "answers_lost": outages.frames_lost(),
                "dropped": dropped.dropped(),
                "rss_kb": crate::proc::rss_kb(),
                "fds": fds(),
            })
        }
    };
    let reporter = {
        let report = report.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(REPORT_EVERY);
            loop {
                every.tick().await;
                emit(report());
            }
        })
    };
    let result = server
        .launch_try::<_, _, Error>(numbered.take_until(term.recv()))
        .await;
    reporter.abort();
    let mut last = report();
    last["done"] = json!(true);
    if let Err(e) = &result {
        last["error"] = json!(netgear::error_chain(e));
    }
    emit(last);
    result?;
    Ok(())
}

/// Receives until the stream's end, reporting every frame; stops reading between SIGUSR1 and
/// SIGUSR2.
async fn recv(args: &PeerArgs) -> Result<(), CliError> {
    let client = Client::new(options(args)?)?;
    emit(json!({"listening": client.local_endpoint(), "t_us": now_us()}));
    let stalled = Arc::new(AtomicBool::new(false));
    let resumed = Arc::new(tokio::sync::Notify::new());
    {
        let (stalled, resumed) = (stalled.clone(), resumed.clone());
        let mut stop = signal(SignalKind::user_defined1()).map_err(Error::from)?;
        let mut go = signal(SignalKind::user_defined2()).map_err(Error::from)?;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.recv() => stalled.store(true, Ordering::Release),
                    _ = go.recv() => {
                        stalled.store(false, Ordering::Release);
                        resumed.notify_waiters();
                    }
                }
            }
        });
    }
    let bidirectional = client.options().bidirectional_mode;
    let mut batch: Vec<[u64; 4]> = Vec::new();
    let mut every = tokio::time::interval(REPORT_EVERY);
    let mut frames = std::pin::pin!(client.recv_generator());
    let flush = |batch: &mut Vec<[u64; 4]>| {
        emit(json!({
            "t_us": now_us(),
            "frames": std::mem::take(batch),
            "rss_kb": crate::proc::rss_kb(),
            "fds": fds(),
        }));
    };
    let outcome = loop {
        while stalled.load(Ordering::Acquire) {
            let woken = resumed.notified();
            if !stalled.load(Ordering::Acquire) {
                break;
            }
            tokio::select! {
                () = woken => {}
                _ = every.tick() => flush(&mut batch),
            }
        }
        tokio::select! {
            item = frames.next() => {
                let Some(item) = item else { break Ok(()) };
                let (data, frame) = match item {
                    Ok(it) => it,
                    Err(e) => break Err(e),
                };
                let (inc, n) = data
                    .and_then(|d| d.to::<(u64, u64)>().ok())
                    .unwrap_or((u64::MAX, u64::MAX));
                let captured = frame
                    .captured()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_micros() as u64);
                batch.push([inc, n, captured, now_us()]);
                if bidirectional {
                    client.transceive_data("ok")?;
                }
            }
            _ = every.tick() => flush(&mut batch),
        }
    };
    flush(&mut batch);
    let mut last = json!({"t_us": now_us(), "done": true});
    if let Err(e) = &outcome {
        last["error"] = json!(netgear::error_chain(e));
    }
    emit(last);
    outcome?;
    Ok(())
}
