//! Ending a stream from the send side: `launch_until` on a signal, and a source that fails. In
//! both the end message goes out, so the client's stream ends at once; the clients here wait
//! two minutes for a frame, beyond the tests' hang guard, so ending at all shows it. The
//! client runs as `into_stream()` in a spawned task and is closed after its loop.

mod common;

use std::time::{Duration, Instant};

use common::{TEST_LIMIT, tcp, within};
use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Error, Frame, MediaError, Pattern, Server};

/// Longer than the hang guard: a client that ends did not wait it out.
const LONG: u64 = 120_000;

/// Spawns a client that counts the frames until its stream ends, telling `first` once `after`
/// frames have come; returns how many came and how the stream ended.
fn spawn_client(
    client: Client,
    after: u64,
    first: tokio::sync::oneshot::Sender<()>,
) -> tokio::task::JoinHandle<(u64, Option<Error>, Instant)> {
    tokio::spawn(async move {
        let mut first = Some(first);
        let mut frames = client.into_stream();
        let (mut n, mut error) = (0, None);
        while let Some(item) = frames.next().await {
            match item {
                Ok(_) => n += 1,
                Err(e) => error = Some(e),
            }
            if n == after
                && let Some(tx) = first.take()
            {
                let _ = tx.send(());
            }
        }
        let ended = Instant::now();
        frames.close().await;
        (n, error, ended)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_until_ends_the_stream_at_once() {
    assert!(Duration::from_millis(LONG) > TEST_LIMIT);
    for pattern in [
        Pattern::Pair,
        Pattern::ReqRep,
        Pattern::PubSub,
        Pattern::PushPull,
    ] {
        let client = Client::new(tcp(pattern, 0, false, LONG)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let receiver = spawn_client(client, 10, tx);
        let mut server = Server::new(tcp(pattern, port, false, 5000)).expect("connects");
        // An endless source; the shutdown comes from outside, once the client has 10 frames.
        let camera = TestPattern::new(64, 48).stream(None);
        let decided = std::sync::Mutex::new(None);
        let shutdown = async {
            let _ = rx.await;
            *decided.lock().expect("not poisoned") = Some(Instant::now());
        };
        let sent = within(server.launch_until(camera, shutdown))
            .await
            .expect("ends cleanly");
        let (got, error, ended) = within(receiver).await.expect("the client task");
        assert!(error.is_none(), "{pattern:?}: {error:?}");
        assert!(got >= 10, "{pattern:?}: {got} frames");
        assert!(got <= sent, "{pattern:?}: got {got} of {sent}");
        let decided = decided.lock().expect("not poisoned").expect("shut down");
        eprintln!(
            "{pattern:?}: the client ended {:?} after the server decided to stop",
            ended.saturating_duration_since(decided)
        );
    }
}

/// A source's own error type.
#[derive(Debug, thiserror::Error)]
#[error("the camera was unplugged")]
struct Unplugged;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_ends_the_stream_cleanly() {
    for pattern in [Pattern::Pair, Pattern::ReqRep, Pattern::PushPull] {
        let client = Client::new(tcp(pattern, 0, false, LONG)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let (tx, _rx) = tokio::sync::oneshot::channel();
        let receiver = spawn_client(client, u64::MAX, tx);
        let mut server = Server::new(tcp(pattern, port, false, 5000)).expect("connects");
        let camera = TestPattern::new(64, 48);
        let source = futures::stream::iter(0..4).map(|n| {
            if n < 3 {
                Ok(camera.frame(n))
            } else {
                Err(Unplugged)
            }
        });
        let result = within(server.launch_try(source)).await;
        let Err(Error::Source(e)) = &result else {
            panic!("{pattern:?}: {result:?}")
        };
        assert!(e.downcast_ref::<Unplugged>().is_some(), "{e:?}");
        let (got, error, _) = within(receiver).await.expect("the client task");
        assert!(error.is_none(), "{pattern:?}: {error:?}");
        assert_eq!(got, 3, "{pattern:?}");
    }
}

/// A source failing with the library's own error gets it back as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failing_with_a_netgear_error_gets_it_back() {
    let client = Client::new(tcp(Pattern::Pair, 0, false, LONG)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let (tx, _rx) = tokio::sync::oneshot::channel();
    let receiver = spawn_client(client, u64::MAX, tx);
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 5000)).expect("connects");
    let source = futures::stream::iter([
        Ok(Frame::zeros(netgear::Dtype::U8, [4, 4]).expect("a frame")),
        Err(Error::Media(MediaError::NoVideoStream {
            input: "clip.mp4".into(),
        })),
    ]);
    let result = within(server.launch_try(source)).await;
    assert!(
        matches!(
            &result,
            Err(Error::Media(MediaError::NoVideoStream { input })) if input == "clip.mp4"
        ),
        "{result:?}"
    );
    let (got, error, _) = within(receiver).await.expect("the client task");
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, 1);
}
