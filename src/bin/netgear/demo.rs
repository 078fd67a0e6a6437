//! `netgear demo`: both ends in one process on loopback, bidirectional, data both ways.

use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Data, Error, Options, Reply, Server};
use serde_json::json;

use crate::stats::StreamStats;

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Port on loopback (0: any free port).
    #[arg(long, default_value_t = 5555)]
    pub(crate) port: u16,
    /// Frames to stream.
    #[arg(long, default_value_t = 300)]
    pub(crate) frames: u64,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    pub(crate) width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    pub(crate) height: usize,
}

pub(crate) async fn demo(args: DemoArgs) -> Result<(), Error> {
    let opts = Options {
        address: Some("127.0.0.1".into()),
        port: args.port,
        bidirectional_mode: true,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let client = Client::new(opts.clone())?;
    // The port the client bound: the one asked for, or the kernel's pick for port 0.
    let port = client.local_port().unwrap_or(opts.port);
    let mut server = Server::new(Options { port, ..opts })?;
    let replies = server.transceiver();
    let pattern = TestPattern::new(args.width, args.height);
    let total = args.frames;
    let source = async_stream::stream! {
        for n in 0..total {
            match replies.transceive_data() {
                Some(Reply::Data(d)) if n <= 4 || n.is_multiple_of(100) => {
                    println!("server got: {d}");
                }
                Some(Reply::Frame(f)) => println!("server got: a {:?} frame back", f.shape()),
                _ => {}
            }
            let data = Data::from_json(&json!({"frame": n, "msg": "Hello from the server"}));
            yield (Some(data), pattern.frame(n));
        }
    };
    let receiver = async {
        let mut stats = StreamStats::new(false);
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (data, frame) = item?;
            stats.record(&frame);
            let n = stats.frames();
            if n <= 4 || n.is_multiple_of(100) {
                let shown = data.map_or("nothing".to_owned(), |d| d.to_string());
                println!("client got: {:?} frame with {shown}", frame.shape());
            }
            if n.is_multiple_of(50) {
                client.transceive_data(frame)?; // now and then, a frame back: video chat
            } else {
                client.transceive_data(format!("Hello from the client, frame {n}"))?;
            }
        }
        Ok::<_, Error>(stats)
    };
    let (sent, stats) = tokio::try_join!(server.launch(source), receiver)?;
    println!(
        "demo: {sent} frames of {}x{} sent, {} received, {:.1} fps, bidirectional, data both ways",
        args.width,
        args.height,
        stats.frames(),
        stats.fps()
    );
    Ok(())
}
