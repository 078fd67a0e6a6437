//! Video chat with compression on both ends, as the compression tests run it: a server streams
//! a 320×240 camera with data, a client answers each frame with a 160×120 frame of its own, and
//! the replies come back, in order and close to what was sent.

use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Compression, Data, Pattern, Reply, Server};

use super::psnr::psnr;
use super::{tcp, towards, within};

/// Streams `frames` frames both ways with `compression` and checks the replies (the answer to
/// frame 0 is empty, the answer to frame n the reply queued after frame n-1), each at least
/// `min_db` against the frame sent; returns the server, for more checks.
pub async fn frame_replies(compression: Compression, frames: u64, min_db: f64) -> Server {
    let options = netgear::Options {
        compression,
        ..tcp(Pattern::Pair, 0, true, 5000)
    };
    let client = Client::new(options.clone()).expect("binds");
    let mut server = Server::new(towards(&client, options)).expect("connects");
    let replies = server.transceiver();
    let camera = TestPattern::new(320, 240);
    let source = async_stream::stream! {
        for n in 0..frames {
            yield (Some(Data::from(n)), camera.frame(n));
        }
    };
    let own = TestPattern::new(160, 120);
    let receiver = async {
        let mut n = 0;
        let mut stream = std::pin::pin!(client.recv_generator());
        while let Some(item) = stream.next().await {
            item.expect("a frame");
            client.transceive_data(own.frame(n)).expect("queued");
            n += 1;
        }
        n
    };
    let (sent, received) = within(async { tokio::join!(server.launch(source), receiver) }).await;
    assert_eq!((sent.expect("streams"), received), (frames, frames));
    assert_eq!(replies.pending() as u64, frames);
    assert_eq!(replies.transceive_data(), None);
    let back: Vec<Reply> = std::iter::from_fn(|| replies.transceive_data()).collect();
    assert_eq!(back.len() as u64, frames - 1);
    for (n, r) in back.iter().enumerate() {
        let Reply::Frame(f) = r else {
            panic!("reply {n}: {r:?}")
        };
        let db = psnr(own.frame(n as u64).as_bytes(), f.as_bytes());
        assert!(db >= min_db, "reply {n}: {db:.1} dB");
    }
    server
}
