//! Answering a frame: [`Request`], one frame from [`Client::requests`](crate::Client::requests)
//! with the [`Responder`] that answers that frame.
//!
//! vidgear's client answers each frame as it arrives, with the oldest value queued by
//! `transceive_data`, so a value given after frame n rides on frame n+1's answer. A request's
//! answer instead waits for its responder. Patterns 0 and 1 are lock-step (the server sends the
//! next frame once this one is answered), so the client owes at most one answer at a time;
//! it keeps it here ([`Owed`]) and pays it before it receives again: the stream's next poll
//! waits for the responder (at most until the timeout), sends its reply, or nothing, and only
//! then receives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::warn;

use crate::error::{Error, Result};
use crate::wire::{Data, Frame, IntoReply, Reply};

/// One frame received by [`Client::requests`](crate::Client::requests): the data the server
/// sent with it, the frame, and the [`Responder`] that answers it.
///
/// [`Request::reply`] answers the frame; dropping the request (or its responder) answers it
/// with nothing. [`Request::into_parts`] splits it, to keep the frame and hand the responder
/// to another task.
#[derive(Debug)]
pub struct Request {
    data: Option<Data>,
    frame: Frame,
    responder: Responder,
}

impl Request {
    /// The value the server sent with the frame (`None` when it sent none).
    pub fn data(&self) -> Option<&Data> {
        self.data.as_ref()
    }

    /// The frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Answers the frame with `reply`: any serde value, a [`Frame`] or `&Frame`, a [`Reply`].
    /// See [`Responder::reply`].
    pub fn reply(self, reply: impl IntoReply) -> Result<()> {
        self.responder.reply(reply)
    }

    /// The data, the frame and the responder, apart.
    pub fn into_parts(self) -> (Option<Data>, Frame, Responder) {
        (self.data, self.frame, self.responder)
    }
}

/// Answers one frame (from a [`Request`]): [`Responder::reply`] sends a value or a frame back,
/// dropping it sends nothing back. Either way the answer goes out as soon as the client's
/// request stream is polled again (a `while let` loop is polling it), and before the stream
/// receives the next frame.
///
/// A responder neither used nor dropped within the client's timeout ([`Options::timeout`],
/// counted from the moment the request was yielded) is no longer waited for: the frame is
/// answered with nothing, as vidgear answers a frame for which nothing was queued, and a late
/// [`Responder::reply`] fails with [`Error::Timeout`].
///
/// [`Options::timeout`]: crate::Options::timeout
#[derive(Debug)]
pub struct Responder {
    sender: oneshot::Sender<Reply>,
    /// Set when the client stopped waiting for this responder at the timeout.
    expired: Arc<AtomicBool>,
    timeout: Duration,
}

impl Responder {
    /// Answers the frame with `reply`: any serde-serialisable value (sent as msgpack data), a
    /// [`Frame`] or `&Frame` (sent as a frame reply, compressed as
    /// [`Options::compression`](crate::Options::compression) says), or a ready [`Reply`].
    ///
    /// Fails with [`Error::Data`] when the value cannot be serialised (the frame is then
    /// answered with nothing), with [`Error::Timeout`] when the client's timeout passed first
    /// (the frame was answered with nothing), and with [`Error::Closed`] when the client was
    /// closed or dropped.
    pub fn reply(self, reply: impl IntoReply) -> Result<()> {
        let reply = reply.into_reply()?;
        let Responder {
            sender,
            expired,
            timeout,
        } = self;
        sender.send(reply).map_err(|_| {
            if expired.load(Ordering::SeqCst) {
                Error::Timeout {
                    after: timeout,
                    waiting_for: "a reply to the frame: it was answered with nothing",
                    peer: crate::error::PeerStatus::Connected,
                }
            } else {
                Error::Closed
            }
        })
    }

    /// Whether the frame can no longer be answered by this responder: the client's timeout
    /// passed and it was answered with nothing, or the client is gone.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// A request for a received frame, and the client's side of its responder.
pub(crate) fn pair(data: Option<Data>, frame: Frame, timeout: Duration) -> (Request, Awaiting) {
    let (sender, receiver) = oneshot::channel();
    let expired = Arc::new(AtomicBool::new(false));
    let request = Request {
        data,
        frame,
        responder: Responder {
            sender,
            expired: expired.clone(),
            timeout,
        },
    };
    let awaiting = Awaiting {
        receiver,
        expired,
        deadline: Instant::now() + timeout,
    };
    (request, awaiting)
}

/// The client's side of a responder that is out.
#[derive(Debug)]
pub(crate) struct Awaiting {
    receiver: oneshot::Receiver<Reply>,
    expired: Arc<AtomicBool>,
    deadline: Instant,
}

/// The answer a client owes the frame it yielded last as a [`Request`].
#[derive(Debug, Default)]
pub(crate) enum Owed {
    /// Nothing: the last frame was answered.
    #[default]
    Nothing,
    /// Its responder is out.
    Awaiting(Awaiting),
    /// Known and not sent yet (a send that failed or was cancelled leaves it here).
    Known(Option<Reply>),
}

impl Owed {
    /// Waits until the answer is known — the responder's reply; nothing once the responder is
    /// dropped or the deadline passes — and returns it, `None` when nothing is owed. Cancel
    /// safe: a wait given up leaves the responder awaited.
    pub(crate) async fn known(&mut self) -> Option<&Option<Reply>> {
        if let Owed::Awaiting(awaiting) = self {
            let answer = match tokio::time::timeout_at(awaiting.deadline, &mut awaiting.receiver)
                .await
            {
                Ok(replied) => replied.ok(),
                Err(_elapsed) => {
                    let answer = awaiting.give_up();
                    if answer.is_none() {
                        warn!(
                            "a request was neither answered nor dropped within the timeout; answered with nothing"
                        );
                    }
                    answer
                }
            };
            *self = Owed::Known(answer);
        }
        match self {
            Owed::Known(answer) => Some(answer),
            _ => None,
        }
    }

    /// The answer as it stands, without waiting (for a client closing): the reply if there is
    /// one, else nothing.
    pub(crate) fn now(self) -> Option<Option<Reply>> {
        match self {
            Owed::Nothing => None,
            Owed::Known(answer) => Some(answer),
            Owed::Awaiting(mut awaiting) => Some(awaiting.receiver.try_recv().ok()),
        }
    }
}

impl Awaiting {
    /// Stops waiting: later replies fail with a timeout. A reply that came in just before
    /// still counts.
    fn give_up(&mut self) -> Option<Reply> {
        // Before closing, so that a reply refused by the close sees it.
        self.expired.store(true, Ordering::SeqCst);
        self.receiver.close();
        self.receiver.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yielded(timeout: Duration) -> (Request, Owed) {
        let frame = Frame::from_bgr(
            crate::Size {
                width: 1,
                height: 1,
            },
            vec![1, 2, 3],
        )
        .expect("frame");
        let (request, awaiting) = pair(None, frame, timeout);
        (request, Owed::Awaiting(awaiting))
    }

    const LONG: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn a_reply_is_the_answer() {
        let (request, mut owed) = yielded(LONG);
        request.reply("hi").expect("sent");
        assert_eq!(
            owed.known().await,
            Some(&Some(Reply::Data(Data::from("hi"))))
        );
        // Known until paid: a second look gives the same answer.
        assert!(matches!(owed.known().await, Some(Some(_))));
        assert_eq!(Owed::Nothing.known().await, None);
    }

    #[tokio::test]
    async fn a_dropped_responder_answers_nothing_without_waiting() {
        let (request, mut owed) = yielded(LONG);
        let (_, _, responder) = request.into_parts();
        drop(responder);
        assert_eq!(owed.known().await, Some(&None));
    }

    #[tokio::test]
    async fn past_the_deadline_the_answer_is_nothing_and_a_reply_is_late() {
        let (request, mut owed) = yielded(Duration::ZERO);
        assert_eq!(owed.known().await, Some(&None));
        assert!(request.responder.is_closed());
        assert!(matches!(
            request.reply(1),
            Err(Error::Timeout { after: t, .. }) if t == Duration::ZERO
        ));
    }

    #[tokio::test]
    async fn a_reply_given_before_the_deadline_is_looked_at_counts() {
        let (request, mut owed) = yielded(Duration::ZERO);
        request.reply(7).expect("sent");
        assert_eq!(owed.known().await, Some(&Some(Reply::Data(Data::from(7)))));
    }

    #[test]
    fn closing_takes_the_answer_as_it_stands() {
        let (request, owed) = yielded(LONG);
        assert!(matches!(owed.now(), Some(None)));
        assert!(matches!(request.reply(1), Err(Error::Closed)));
        let (request, owed) = yielded(LONG);
        request.reply(2).expect("sent");
        assert_eq!(owed.now(), Some(Some(Reply::Data(Data::from(2)))));
        assert_eq!(Owed::Nothing.now(), None);
    }
}
