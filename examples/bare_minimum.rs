//! The seed's bare-minimum example: a server streams a video file with text data, a client prints
//! the data and shows the frames.
//!
//! `cargo run --features display --example bare_minimum [VIDEO]` — without VIDEO a short clip is made with ffmpeg's
//! `testsrc2`. Frames are shown in a window when there is a display (`DISPLAY`), else counted.

use futures::StreamExt;
use netgear::media::{VideoOptions, VideoSource};
use netgear::{Client, Data, MediaError, Options, Server};

#[tokio::main]
async fn main() -> netgear::Result<()> {
    let video = match std::env::args().nth(1) {
        Some(path) => path,
        None => make_clip()?,
    };
    let options = Options {
        address: Some("127.0.0.1".into()),
        bidirectional_mode: true,
        ..Options::default()
    };

    // Client (receive mode): binds, prints the data, shows the frames.
    let client = Client::new(options.clone())?;
    let receiver = async {
        let viewer = viewer();
        let mut frames = std::pin::pin!(client.recv_generator());
        let mut n = 0;
        while let Some(item) = frames.next().await {
            let (data, frame) = item?;
            n += 1;
            if n <= 3 {
                println!("client: {data:?} with a {:?} frame", frame.shape());
            }
            viewer.show(&frame);
        }
        println!("client: {n} frames in all");
        Ok::<_, netgear::Error>(())
    };

    // Server (send mode): a custom source over the video, with text data on every frame.
    let mut server = Server::new(options)?;
    let source = async_stream::try_stream! {
        let mut video = VideoSource::open(VideoOptions::new(video)).await?;
        while let Some(frame) = video.read().await? {
            yield (Some(Data::from("Hello, I am a server")), frame);
        }
    };
    let (sent, received) =
        tokio::join!(server.launch_try::<_, _, netgear::Error>(source), receiver);
    println!("server: sent {} frames", sent?);
    received
}

/// A 3-second test clip in the temp directory.
fn make_clip() -> netgear::Result<String> {
    let path = std::env::temp_dir().join("netgear-example-clip.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc2=size=640x480:rate=30", "-t", "3"])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .map_err(|error| MediaError::Spawn {
            program: "ffmpeg".into(),
            error,
        })?;
    if !status.success() {
        return Err(MediaError::Finish {
            said: status.to_string(),
            path,
            status,
        }
        .into());
    }
    println!("no video given: streaming {}", path.display());
    Ok(path.to_string_lossy().into_owned())
}

/// A window when there is a display, else nothing (the seed's `cv2.imshow`).
struct Viewer(#[cfg(feature = "display")] Option<netgear::media::Display>);

fn viewer() -> Viewer {
    #[cfg(feature = "display")]
    {
        let window = std::env::var_os("DISPLAY")
            .and_then(|_| netgear::media::Display::open("netgear bare minimum").ok());
        if window.is_none() {
            println!("no display: frames are counted, not shown");
        }
        Viewer(window)
    }
    #[cfg(not(feature = "display"))]
    {
        println!("built without the display feature: frames are counted, not shown");
        Viewer()
    }
}

impl Viewer {
    fn show(&self, frame: &netgear::Frame) {
        #[cfg(feature = "display")]
        if let Some(w) = &self.0 {
            let _ = w.show(frame);
        }
        #[cfg(not(feature = "display"))]
        let _ = frame;
    }
}
