//! The seed's "variable parameters" example: address, port, protocol and pattern 1 (REQ/REP)
//! chosen by the user, and a short timeout.
//!
//! `cargo run --example variable_parameters [tcp|ipc|shm]` (shm needs `--features shm`)

use std::time::Duration;

use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Options, Pattern, Protocol, Server};

#[tokio::main]
async fn main() -> netgear::Result<()> {
    let protocol: Protocol = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("tcp")
        .parse()?;
    let address = match protocol {
        Protocol::Tcp => "127.0.0.1".to_owned(),
        Protocol::Ipc => std::env::temp_dir()
            .join("netgear-example")
            .to_string_lossy()
            .into_owned(),
        // Over shared memory the address only names the stream.
        Protocol::Shm => "example".to_owned(),
    };
    let options = Options {
        address: Some(address),
        port: 5454,
        protocol,
        pattern: Pattern::ReqRep,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };

    let client = Client::new(options.clone())?;
    println!("client bound {}", client.endpoint());
    let mut server = Server::new(options)?;
    println!("server connected to {}", server.endpoint().unwrap_or("?"));

    let receiver = async {
        let mut frames = std::pin::pin!(client.frames());
        let mut n = 0u64;
        while let Some(frame) = frames.next().await {
            let frame = frame?;
            n += 1;
            if n.is_multiple_of(50) {
                println!("client: frame {n}, {:?}", frame.shape());
            }
        }
        Ok::<_, netgear::Error>(n)
    };
    let source = TestPattern::new(640, 480).stream(Some(200));
    let (sent, received) = tokio::join!(server.launch(source), receiver);
    println!(
        "sent {}, received {} over pattern 1 (REQ/REP)",
        sent?, received?
    );
    Ok(())
}
