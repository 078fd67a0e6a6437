//! The seed's "video frames both ways" example, the shape of a video chat: the server sends its
//! camera's frames reduced by 30 %, the client answers every frame with a reduced frame of its
//! own camera.
//!
//! `cargo run --example video_chat` — uses `/dev/video0` when there is one, otherwise the
//! built-in test pattern (and says so).

use std::path::Path;

use futures::StreamExt;
use netgear::media::{Interpolation, TestPattern, VideoOptions, reducer};
use netgear::{Client, Data, Options, Reply, Server, Source};

const FRAMES: usize = 150;

/// The camera if there is one, else the test pattern.
fn camera(width: usize, height: usize) -> Source {
    if Path::new("/dev/video0").exists() {
        let mut v = VideoOptions::new("/dev/video0");
        v.demuxer = Some("v4l2".into());
        v.resolution = Some((width as u32, height as u32));
        Source::Video(v)
    } else {
        println!("no camera at /dev/video0: using the built-in test pattern");
        Source::TestPattern(TestPattern::new(width, height))
    }
}

#[tokio::main]
async fn main() -> netgear::Result<()> {
    let options = Options {
        address: Some("127.0.0.1".into()),
        bidirectional_mode: true,
        ..Options::default()
    };

    // Server: its own camera, reduced, with a line of text; shows what comes back.
    let mut server = Server::new(options.clone())?;
    let replies = server.transceiver();
    let mut own = camera(640, 480).open().await?.take(FRAMES);
    let source = async_stream::try_stream! {
        let mut n = 0;
        while let Some(frame) = own.next().await {
            let frame = reducer(&frame?, 30.0, Interpolation::Lanczos)?;
            if let Some(Reply::Frame(theirs)) = replies.transceive_data() {
                n += 1;
                if n % 50 == 1 {
                    println!("server: the client's frame is {:?}", theirs.shape());
                }
            }
            yield (Some(Data::from("Hi from the server")), frame);
        }
    };

    // Client: answers every frame with a reduced frame of its own camera.
    let client = Client::new(options)?;
    let mut its_camera = camera(320, 240).open().await?;
    let receiver = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        let mut n = 0;
        while let Some(item) = frames.next().await {
            let (data, frame) = item?;
            n += 1;
            if n % 50 == 1 {
                println!("client: {data:?} with a {:?} frame", frame.shape());
            }
            if let Some(mine) = its_camera.next().await {
                client.transceive_data(reducer(&mine?, 30.0, Interpolation::Lanczos)?)?;
            }
        }
        Ok::<_, netgear::Error>(n)
    };
    let (sent, received) =
        tokio::join!(server.launch_try::<_, _, netgear::Error>(source), receiver);
    println!(
        "video chat: {} frames each way",
        sent?.min(received? as u64)
    );
    Ok(())
}
