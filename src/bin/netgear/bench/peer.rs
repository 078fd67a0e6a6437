//! One end of a benchmark case (`netgear bench-peer`): the flags checked, the end run (netgear-rs
//! here, the library's `Server` and `Client`; the raw baseline in `raw.rs`), and its report
//! printed as the one JSON line of the peer contract, on failure too.

use std::time::{Duration, Instant};

use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::secure::{Secure, SecureMode};
use netgear::{Client, Data, Options, Pattern, Protocol, Result, Server};

use super::args::PeerArgs;
use super::case::{Impl, ReplyKind, Role};
use super::peer_report::{PeerReport, record_frame, stamp};
use super::raw::{raw_recv, raw_serve};
use crate::error::CliError;
use crate::proc::peak_rss_kb;

/// Runs one end of a case and prints its JSON line on stdout; on failure the line carries the
/// error, and so does the returned `Err` (the process then exits with status 1).
pub(crate) async fn peer(args: PeerArgs) -> std::result::Result<(), CliError> {
    let mut report = PeerReport::new(args.implementation, args.role);
    let outcome = match args.check() {
        Ok((pattern, timeout)) => run(&args, pattern, timeout, &mut report)
            .await
            .map_err(CliError::from),
        Err(e) => Err(e),
    };
    if report.peak_rss_kb == 0 {
        report.peak_rss_kb = peak_rss_kb();
    }
    if let Err(e) = &outcome {
        report.error = Some(netgear::error_chain(e));
    }
    println!("{}", report.to_json());
    outcome
}

/// Runs the end `args` name (checked: never vidgear's, a secure one with keys).
async fn run(
    args: &PeerArgs,
    pattern: Pattern,
    timeout: Duration,
    report: &mut PeerReport,
) -> Result<()> {
    match (args.implementation, args.role) {
        (Impl::Raw, Role::Serve) => raw_serve(args, pattern, timeout, report),
        (Impl::Raw, Role::Recv) => raw_recv(args, pattern, timeout, report),
        (_, Role::Serve) => {
            netgear_serve(args, netgear_options(args, pattern, timeout)?, report).await
        }
        (_, Role::Recv) => {
            netgear_recv(args, netgear_options(args, pattern, timeout)?, report).await
        }
    }
}

/// netgear-rs's options for a peer on 127.0.0.1 (in stonehouse secure mode for `secure`).
fn netgear_options(args: &PeerArgs, pattern: Pattern, timeout: Duration) -> Result<Options> {
    let secure = match (args.implementation, &args.keys) {
        (Impl::Secure, Some(dir)) => Some(match args.role {
            Role::Serve => Secure::sender(SecureMode::Stonehouse, dir)?,
            Role::Recv => Secure::receiver(SecureMode::Stonehouse, dir)?,
        }),
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
async fn netgear_serve(args: &PeerArgs, options: Options, report: &mut PeerReport) -> Result<()> {
    let source = TestPattern::new(args.width, args.height);
    let data = args.bidirectional().then(|| Data::from("hi"));
    let lock_step = options.pattern.has_replies();
    let mut server = Server::new(options)?;
    let replies = server.transceiver();
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
async fn netgear_recv(args: &PeerArgs, options: Options, report: &mut PeerReport) -> Result<()> {
    let client = Client::new(options)?;
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
