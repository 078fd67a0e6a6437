//! Lock-step bidirectional frames (pattern 0, one in flight, data with each frame and an answer
//! to each; both ends in one process) over shared memory beside tcp on loopback, each frame produced in full by the sender (a memset to the frame's
//! number: no untouched buffer resent), in alternating rounds of one run:
//!
//! - `ceil`: the memset alone, the cost of producing a frame, which no transport can beat;
//! - `shm in place`: produced straight into a slot of shared memory (`Server::frame_buffer`) and
//!   published as it is: no copy on the way;
//! - `shm`: produced on the heap and sent (`Server::send`): one copy, into the slot;
//! - `tcp`: produced on the heap and sent over tcp on loopback.
//!
//! The receiver reads one byte of each frame (and checks it). Prints frames per second (medians
//! of the rounds) and each case's ratios to tcp and to the ceiling, at 1080p and 4K.
//!
//! `cargo run --release --features shm --example shm_speed [FRAMES] [ROUNDS]`

use std::time::{Duration, Instant};

use futures::StreamExt;
use netgear::{Client, Dtype, Frame, Options, Pattern, Protocol, Server};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Ceil,
    ShmInPlace,
    Shm,
    Tcp,
}

impl Case {
    const ALL: [Case; 4] = [Case::Ceil, Case::ShmInPlace, Case::Shm, Case::Tcp];

    fn name(self) -> &'static str {
        match self {
            Case::Ceil => "ceil (memset)",
            Case::ShmInPlace => "shm in place",
            Case::Shm => "shm",
            Case::Tcp => "tcp",
        }
    }
}

/// Streams `frames` frames of `shape`, each produced in full, and returns how long it took.
async fn round(case: Case, shape: [usize; 3], frames: usize) -> netgear::Result<Duration> {
    let len: usize = shape.iter().product();
    if case == Case::Ceil {
        let mut buf = vec![0u8; len];
        let started = Instant::now();
        for i in 0..frames {
            buf.fill(i as u8);
            std::hint::black_box(&buf);
        }
        return Ok(started.elapsed());
    }
    let protocol = if case == Case::Tcp {
        Protocol::Tcp
    } else {
        Protocol::Shm
    };
    let opts = Options {
        address: Some(match protocol {
            Protocol::Shm => format!("speed-{}", std::process::id()),
            _ => "127.0.0.1".into(),
        }),
        port: 0,
        protocol,
        pattern: Pattern::Pair,
        timeout: Duration::from_secs(10),
        max_message_size: len + (1 << 20),
        bidirectional_mode: true,
        ..Options::default()
    };
    let client = Client::new(opts.clone())?;
    let port = client.local_port().unwrap_or(opts.port);
    let mut server = Server::new(Options { port, ..opts })?;
    let send = async {
        for i in 0..frames {
            let data = netgear::Data::from(i as u64);
            if case == Case::ShmInPlace {
                let mut buf = server.frame_buffer(Dtype::U8, &shape).await?;
                assert!(buf.is_shared());
                buf.uninit_mut().fill(std::mem::MaybeUninit::new(i as u8));
                // SAFETY: every byte was written just above.
                unsafe { buf.assume_written() };
                server.send_buffer(Some(&data), buf).await?;
            } else {
                let frame = Frame::build(Dtype::U8, shape, |b| b.fill(i as u8))?;
                server.send(Some(&data), &frame).await?;
            }
        }
        server.close().await
    };
    let receive = async {
        let mut stream = std::pin::pin!(client.recv_generator());
        let mut n = 0usize;
        while let Some(item) = stream.next().await {
            let (data, f) = item?;
            // Read the frame, as a receiver would: its last byte is its number, as its data.
            assert_eq!(f.as_bytes().last(), Some(&(n as u8)));
            assert!(data.is_some());
            n += 1;
        }
        Ok::<usize, netgear::Error>(n)
    };
    let started = Instant::now();
    let (sent, received) = tokio::join!(send, receive);
    let took = started.elapsed();
    sent?;
    assert_eq!(received?, frames);
    Ok(took)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> netgear::Result<()> {
    let mut args = std::env::args().skip(1);
    let frames: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    println!("| size | case | fps | ×tcp | ×ceil |");
    println!("|---|---|---|---|---|");
    for (name, shape, n) in [
        ("1920×1080", [1080, 1920, 3], frames),
        ("3840×2160", [2160, 3840, 3], frames.div_ceil(4)),
    ] {
        let mut fps: Vec<Vec<f64>> = vec![Vec::new(); Case::ALL.len()];
        for _ in 0..rounds {
            for (i, case) in Case::ALL.into_iter().enumerate() {
                let took = round(case, shape, n).await?;
                fps[i].push(n as f64 / took.as_secs_f64());
            }
        }
        let fps: Vec<f64> = fps.into_iter().map(median).collect();
        let (ceil, tcp) = (fps[0], fps[3]);
        for (case, f) in Case::ALL.into_iter().zip(&fps) {
            println!(
                "| {name} | {} | {f:.0} | {:.2} | {:.2} |",
                case.name(),
                f / tcp,
                f / ceil
            );
        }
    }
    println!(
        "medians of {rounds} alternating rounds; {frames} frames a round at 1080p, a quarter at 4K"
    );
    Ok(())
}
