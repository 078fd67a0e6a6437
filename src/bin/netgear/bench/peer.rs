//! One end of a benchmark case (`netgear bench-peer`): the flags checked, the end run (netgear-rs
//! here, the library's `Server` and `Client`; the raw baseline in `raw.rs`), and its report
//! printed as the one JSON line of the peer contract, on failure too.

use std::time::{Duration, Instant};

use futures::StreamExt;
use netgear::secure::{Secure, SecureMode};
use netgear::{Client, Data, Dtype, Frame, Options, Pattern, Protocol, Result, Server};

use super::args::PeerArgs;
use super::case::{Impl, ReplyKind, Role, Transport, ipc_address};
use super::peer_report::{PeerReport, record_frame, stamp};
use super::produce::{Checker, mark, produce, stamp_sent};
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
        (i, Role::Serve) if i.is_raw() => raw_serve(args, pattern, timeout, report),
        (i, Role::Recv) if i.is_raw() => raw_recv(args, pattern, timeout, report),
        (_, Role::Serve) => {
            netgear_serve(args, netgear_options(args, pattern, timeout)?, report).await
        }
        (_, Role::Recv) => {
            netgear_recv(args, netgear_options(args, pattern, timeout)?, report).await
        }
    }
}

/// netgear-rs's options for a peer on 127.0.0.1, over ipc (`$TMPDIR/netgear-bench:PORT`) or on the
/// shared-memory stream `netgear-bench:PORT` (in stonehouse secure mode for `secure`).
fn netgear_options(args: &PeerArgs, pattern: Pattern, timeout: Duration) -> Result<Options> {
    let secure = match (args.implementation, &args.keys) {
        (Impl::Secure, Some(dir)) => Some(match args.role {
            Role::Serve => Secure::sender(SecureMode::Stonehouse, dir)?,
            Role::Recv => Secure::receiver(SecureMode::Stonehouse, dir)?,
        }),
        _ => None,
    };
    let (protocol, address) = match args.implementation.transport() {
        Transport::Ipc => (Protocol::Ipc, ipc_address()),
        Transport::Shm => (Protocol::Shm, "netgear-bench".into()),
        Transport::Tcp | Transport::None => (Protocol::Tcp, "127.0.0.1".into()),
    };
    let frame = args.width * args.height * 3;
    Ok(Options {
        address: Some(address),
        port: args.port,
        protocol,
        // Over shm, slots just large enough (a frame reply included): a small pool.
        max_message_size: if protocol == Protocol::Shm {
            frame + (1 << 20)
        } else {
            netgear::DEFAULT_MAX_MESSAGE_SIZE.max(frame + (1 << 20))
        },
        pattern,
        timeout,
        bidirectional_mode: args.bidirectional(),
        secure,
        ..Options::default()
    })
}

/// netgear-rs send side: the step API, every frame produced in full (over shm straight into a
/// slot, `Server::frame_buffer`, where the pattern allows), one send per frame, each send timed
/// (send + reply).
async fn netgear_serve(args: &PeerArgs, options: Options, report: &mut PeerReport) -> Result<()> {
    let shape = [args.height, args.width, 3];
    let data = args.bidirectional().then(|| Data::from("hi"));
    let lock_step = options.pattern.has_replies();
    // Tried on the first frame: whether its buffers are slots of shared memory.
    let mut in_place = options.protocol == Protocol::Shm;
    let mut server = Server::new(options)?;
    let replies = server.transceiver();
    let mut rtts = Vec::with_capacity(if lock_step { args.frames as usize } else { 0 });
    let mut span = None;
    for n in 0..args.frames {
        let start = if in_place {
            let mut buffer = server.frame_buffer(Dtype::U8, &shape).await?;
            in_place = buffer.is_shared();
            buffer
                .uninit_mut()
                .fill(std::mem::MaybeUninit::new(n as u8));
            // SAFETY: every byte of the elements was written just above.
            unsafe { buffer.assume_written() };
            let pixels = buffer.bytes_mut();
            mark(pixels, n);
            stamp_sent(pixels);
            let start = Instant::now();
            server.send_buffer(data.as_ref(), buffer).await?;
            start
        } else {
            let frame = Frame::build(Dtype::U8, shape, |pixels| {
                produce(pixels, n);
                stamp_sent(pixels);
            })?;
            let start = Instant::now();
            server.send(data.as_ref(), &frame).await?;
            start
        };
        record_frame(&mut span, &mut rtts, start, Instant::now(), lock_step);
        // One entry is queued per frame answered: taking one per frame keeps the queue short.
        let _ = replies.transceive_data();
        report.frames += 1;
        report.bytes += (shape.iter().product::<usize>()) as u64;
    }
    report.finish(span, &mut rtts, &mut []);
    server.close().await
}

/// netgear-rs receive side: `recv_generator` until the server terminates, checking each frame
/// (its number, its hand-over time) and answering it with `"ok"` or with the frame itself.
async fn netgear_recv(args: &PeerArgs, options: Options, report: &mut PeerReport) -> Result<()> {
    let every = options.pattern != Pattern::PubSub;
    let client = Client::new(options)?;
    let mut span = None;
    let mut checker = Checker::default();
    let outcome = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (_, frame) = item?;
            checker.check(frame.as_bytes(), every)?;
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
    report.finish(span, &mut [], &mut checker.handovers);
    client.close().await;
    outcome
}
