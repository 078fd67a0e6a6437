//! Lock-step 1080p frames (pattern 0, one in flight) over shared memory beside the same over tcp
//! on loopback, both ends in one process, alternating rounds in one run: each protocol's frames
//! per second and shm's ratio to tcp.
//!
//! `cargo run --release --features shm --example shm_speed [FRAMES] [ROUNDS]`

use std::time::{Duration, Instant};

use futures::StreamExt;
use netgear::{Client, Dtype, Frame, Options, Pattern, Protocol, Server};

/// Streams `frames` copies of `frame` over `protocol` and returns how long it took.
async fn round(protocol: Protocol, frame: &Frame, frames: usize) -> netgear::Result<Duration> {
    let opts = Options {
        address: Some(match protocol {
            Protocol::Shm => format!("speed-{}", std::process::id()),
            _ => "127.0.0.1".into(),
        }),
        port: 0,
        protocol,
        pattern: Pattern::Pair,
        timeout: Duration::from_secs(10),
        ..Options::default()
    };
    let client = Client::new(opts.clone())?;
    let port = client.local_port().unwrap_or(opts.port);
    let mut server = Server::new(Options { port, ..opts })?;
    let source = futures::stream::iter(std::iter::repeat_n(frame.clone(), frames));
    let receive = async {
        let mut stream = std::pin::pin!(client.frames());
        let mut last = 0u64;
        while let Some(f) = stream.next().await {
            // Touch the frame, as a receiver would.
            last += u64::from(*f?.as_bytes().last().unwrap_or(&0));
        }
        Ok::<u64, netgear::Error>(last)
    };
    let started = Instant::now();
    let (sent, received) = tokio::join!(server.launch(source), receive);
    let took = started.elapsed();
    assert_eq!(sent?, frames as u64);
    received?;
    Ok(took)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> netgear::Result<()> {
    let mut args = std::env::args().skip(1);
    let frames: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let frame = Frame::zeros(Dtype::U8, [1080, 1920, 3])?;
    let (mut shm, mut tcp) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (protocol, fps) in [(Protocol::Shm, &mut shm), (Protocol::Tcp, &mut tcp)] {
            let took = round(protocol, &frame, frames).await?;
            fps.push(frames as f64 / took.as_secs_f64());
            println!(
                "{protocol}: {frames} frames in {took:.2?} = {:.0} fps",
                fps.last().unwrap()
            );
        }
    }
    let (shm, tcp) = (median(shm), median(tcp));
    println!(
        "median of {rounds} rounds, 1920x1080x3 lock-step: shm {shm:.0} fps, tcp {tcp:.0} fps: shm/tcp {:.2}",
        shm / tcp
    );
    Ok(())
}
