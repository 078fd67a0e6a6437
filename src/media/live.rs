//! [`Live`]: a source captured on its own clock, of which the reader always gets the newest
//! frame.
//!
//! A camera (or a stream, or a paced test pattern) makes frames whether or not anybody takes
//! them. Read straight from the source, a sender slower than the camera takes frames that
//! waited in a queue (ffmpeg's pipe, a channel): each one older than the last, seconds old on
//! a slow link. [`Live`] keeps the source running on a task of its own and holds only its
//! newest frame; a frame replaced before it was taken is dropped and counted.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio::sync::Notify;

use crate::error::Result;
use crate::wire::Frame;

/// The newest frame of a live source, and what became of the others.
struct Shared {
    slot: Mutex<Slot>,
    /// Signalled when the slot gets a frame or the source ends (a permit is kept if nobody
    /// waits, so no signal is lost).
    changed: Notify,
    captured: AtomicU64,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Slot {
    newest: Option<Result<Frame>>,
    ended: bool,
}

impl Shared {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts of a [`Live`] source, readable after the source itself has been handed to a sender.
#[derive(Clone)]
pub struct LiveCounts(Arc<Shared>);

impl LiveCounts {
    /// Frames the source produced.
    pub fn captured(&self) -> u64 {
        self.0.captured.load(Ordering::Acquire)
    }

    /// Frames replaced by a newer one before anybody took them.
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for LiveCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCounts")
            .field("captured", &self.captured())
            .field("dropped", &self.dropped())
            .finish()
    }
}

/// A live source: `source` runs on a tokio task of its own, and this stream yields the newest
/// frame it has made each time it is asked (waiting only when there is none yet). Frames the
/// reader had no time for are dropped and counted ([`Live::counts`]); an error from the source
/// is never dropped: it is yielded, and the stream ends after it. Dropping the stream stops
/// the source.
///
/// ```no_run
/// # async fn f() -> netgear::Result<()> {
/// use netgear::media::{Live, VideoOptions, VideoSource};
/// let mut camera = VideoOptions::new("/dev/video0");
/// camera.demuxer = Some("v4l2".into());
/// let live = Live::new(VideoSource::open(camera).await?.into_stream());
/// let counts = live.counts();
/// let mut server = netgear::Server::new(netgear::Options::default())?;
/// server.launch_try(live).await?;
/// println!("{} frames dropped for a slow link", counts.dropped());
/// # Ok(()) }
/// ```
pub struct Live {
    shared: Arc<Shared>,
    frames: BoxStream<'static, Result<Frame>>,
    capture: tokio::task::JoinHandle<()>,
}

impl Live {
    /// Starts capturing `source`. Must be called inside a tokio runtime.
    pub fn new<S>(source: S) -> Live
    where
        S: Stream<Item = Result<Frame>> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            changed: Notify::new(),
            captured: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        let capture = tokio::spawn(capture(source, shared.clone()));
        let frames = futures::stream::unfold(shared.clone(), |shared| async move {
            loop {
                {
                    let mut slot = shared.slot();
                    if let Some(item) = slot.newest.take() {
                        drop(slot);
                        return Some((item, shared));
                    }
                    if slot.ended {
                        return None;
                    }
                }
                shared.changed.notified().await;
            }
        })
        .boxed();
        Live {
            shared,
            frames,
            capture,
        }
    }

    /// The counts, to read once the stream has been handed over.
    pub fn counts(&self) -> LiveCounts {
        LiveCounts(self.shared.clone())
    }
}

async fn capture<S>(source: S, shared: Arc<Shared>)
where
    S: Stream<Item = Result<Frame>> + Send + 'static,
{
    let mut source = std::pin::pin!(source);
    while let Some(item) = source.next().await {
        let failed = item.is_err();
        {
            let mut slot = shared.slot();
            shared
                .captured
                .fetch_add(u64::from(!failed), Ordering::AcqRel);
            if let Some(Ok(_)) = slot.newest.replace(item) {
                shared.dropped.fetch_add(1, Ordering::AcqRel);
            }
        }
        shared.changed.notify_one();
        if failed {
            break;
        }
    }
    shared.slot().ended = true;
    shared.changed.notify_one();
}

impl Stream for Live {
    type Item = Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame>>> {
        self.frames.poll_next_unpin(cx)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.capture.abort();
    }
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("counts", &self.counts())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaError;
    use crate::wire::Dtype;

    fn numbered(n: u8) -> Result<Frame> {
        Ok(Frame::new(Dtype::U8, vec![1], vec![n])?)
    }

    /// The reader gets the newest frame, and every other one is counted: nothing here depends on
    /// timing, the source is driven by hand.
    #[tokio::test]
    async fn the_reader_gets_the_newest_and_the_rest_are_counted() {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let mut live = Live::new(rx);
        let counts = live.counts();
        for n in 0..10 {
            tx.unbounded_send(numbered(n)).unwrap();
        }
        // Wait (on the event) until the capture task has taken all ten.
        while counts.captured() < 10 {
            tokio::task::yield_now().await;
        }
        let newest = live.next().await.unwrap().unwrap();
        assert_eq!(newest.as_bytes(), &[9]);
        assert_eq!((counts.captured(), counts.dropped()), (10, 9));
        tx.unbounded_send(numbered(10)).unwrap();
        assert_eq!(live.next().await.unwrap().unwrap().as_bytes(), &[10]);
        drop(tx);
        assert!(live.next().await.is_none(), "ends with its source");
        assert_eq!(counts.dropped(), 9);
    }

    #[tokio::test]
    async fn errors_are_never_dropped() {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let mut live = Live::new(rx);
        let counts = live.counts();
        tx.unbounded_send(numbered(1)).unwrap();
        let gone = std::io::Error::other("the camera went away");
        tx.unbounded_send(Err(MediaError::Read { error: gone }.into()))
            .unwrap();
        tx.unbounded_send(numbered(2)).unwrap();
        let item = live.next().await.unwrap();
        assert!(
            matches!(item, Err(crate::Error::Media(MediaError::Read { .. }))),
            "{item:?}"
        );
        assert!(live.next().await.is_none(), "ends after the error");
        assert_eq!((counts.captured(), counts.dropped()), (1, 1));
    }
}
