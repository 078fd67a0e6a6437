//! A TCP relay between a connecting end and a bound one, to see and steer a stream from the
//! outside: it forwards the bytes unchanged and counts the ZeroMQ messages (ZMTP 3 framing) it
//! has passed each way. Tests wait on those counts ("3 frames have reached the client") instead
//! of sleeping; a test can also make the relay lose what the bound end sends back, or hold it
//! back after a number of messages and let it through later.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::net::{set_option, wait_until};

/// The ZMTP 3 greeting, sent once each way before any frame.
pub const GREETING: u64 = 64;

/// Longest a connection whose answers are held waits for [`Relay::release_answers_and_close`].
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// What the relay does with the bytes the bound end sends on one connection.
#[derive(Default)]
struct Gate {
    /// Drop them.
    lose: bool,
    /// Messages still to pass before holding the rest (`None`: pass everything).
    pass: Option<u64>,
    /// Bytes held back, and the messages they complete.
    held: Vec<u8>,
    held_messages: u64,
    /// Where the bytes passed on stand in the message stream.
    counter: MessageCounter,
}

struct Conn {
    gate: Mutex<Gate>,
    released: Condvar,
    /// Where held bytes go when released.
    down: TcpStream,
}

impl Conn {
    fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct Shared {
    delivered: AtomicU64,
    answers: AtomicU64,
    /// For the next connection: messages from the bound end to pass before holding the rest.
    hold_after: Mutex<Option<u64>>,
    conns: Mutex<Vec<Arc<Conn>>>,
    stop: AtomicBool,
}

impl Shared {
    fn conns(&self) -> MutexGuard<'_, Vec<Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Listens on its own port and forwards every connection to `127.0.0.1:target` (one upstream
/// connection each, so that a peer that reconnects reaches whoever is bound there now).
pub struct Relay {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Relay {
    pub fn start(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay binds");
        let port = listener.local_addr().expect("relay address").port();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let accept = thread::spawn(move || {
            for down in listener.incoming() {
                if s.stop.load(Ordering::Acquire) {
                    break;
                }
                let Ok(down) = down else { continue };
                // Nobody bound there (yet, or any more): close, and the peer tries again.
                let Ok(up) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = down.set_nodelay(true);
                let _ = up.set_nodelay(true);
                let conn = Arc::new(Conn {
                    gate: Mutex::new(Gate {
                        pass: s
                            .hold_after
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .take(),
                        ..Gate::default()
                    }),
                    released: Condvar::new(),
                    down: down.try_clone().expect("clone"),
                });
                s.conns().push(conn.clone());
                forward(&down, &up, s.clone());
                answer(&up, &down, s.clone(), conn);
            }
        });
        Relay {
            port,
            shared,
            accept: Some(accept),
        }
    }

    /// The port the connecting end should use.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Complete messages passed on to the bound end so far, over all connections.
    pub fn delivered(&self) -> u64 {
        self.shared.delivered.load(Ordering::Acquire)
    }

    /// Complete messages passed back from the bound end (a client's answers) so far, over all
    /// connections.
    pub fn answers(&self) -> u64 {
        self.shared.answers.load(Ordering::Acquire)
    }

    /// Waits until `n` messages have reached the bound end, at most `limit`.
    pub fn await_delivered(&self, n: u64, limit: Duration) {
        wait_until(&format!("{n} messages through the relay"), limit, || {
            self.delivered() >= n
        });
    }

    /// Waits until `n` messages have come back from the bound end, at most `limit`.
    pub fn await_answers(&self, n: u64, limit: Duration) {
        wait_until(&format!("{n} answers through the relay"), limit, || {
            self.answers() >= n
        });
    }

    /// On the connections open now, what the bound end sends from now on is lost on the way
    /// (later connections pass everything). Returns the messages that got back before.
    pub fn lose_answers(&self) -> u64 {
        let conns = self.shared.conns();
        let mut gates: Vec<_> = conns.iter().map(|c| c.gate()).collect();
        for g in &mut gates {
            g.lose = true;
        }
        // No answer is being passed on while the gates are held: this count is final.
        self.answers()
    }

    /// The next connection passes `n` messages from the bound end, then holds the rest (and,
    /// if the bound end goes away, keeps the connection open) until
    /// [`release_answers_and_close`](Relay::release_answers_and_close).
    pub fn hold_answers_after(&self, n: u64) {
        *self
            .shared
            .hold_after
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(n);
    }

    /// Complete messages from the bound end held back now.
    pub fn held_answers(&self) -> u64 {
        self.shared
            .conns()
            .iter()
            .map(|c| c.gate().held_messages)
            .sum()
    }

    /// Waits until `n` messages from the bound end are held back, at most `limit`.
    pub fn await_held_answers(&self, n: u64, limit: Duration) {
        wait_until(&format!("{n} answers held in the relay"), limit, || {
            self.held_answers() >= n
        });
    }

    /// Passes on what was held and closes the connection behind it, in one TCP segment (data
    /// and FIN together, corked): the connecting end reads the answers and the end of the
    /// connection at once, as if the bound end had sent them and died that very moment.
    pub fn release_answers_and_close(&self) {
        for c in self.shared.conns().iter() {
            let mut g = c.gate();
            g.pass = None;
            let held = std::mem::take(&mut g.held);
            let done = std::mem::take(&mut g.held_messages);
            cork(&c.down);
            if (&c.down).write_all(&held).is_ok() {
                self.shared.answers.fetch_add(done, Ordering::AcqRel);
            }
            let _ = c.down.shutdown(Shutdown::Both);
            c.released.notify_all();
        }
    }
}

/// TCP_CORK: what is written stays queued until the socket is shut down (or uncorked).
fn cork(stream: &TcpStream) {
    let on: libc::c_int = 1;
    set_option(stream, libc::IPPROTO_TCP, libc::TCP_CORK, &on, "TCP_CORK");
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        // Wake the accepting thread so that it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for c in self.shared.conns().iter() {
            c.gate().pass = None;
            c.released.notify_all();
            let _ = c.down.shutdown(Shutdown::Both);
        }
    }
}

fn clones(a: &TcpStream, b: &TcpStream) -> (TcpStream, TcpStream) {
    (a.try_clone().expect("clone"), b.try_clone().expect("clone"))
}

/// Copies the connecting end's bytes to the bound end until either side ends, then closes
/// both (so that each end sees the disconnection as it would without the relay).
fn forward(down: &TcpStream, up: &TcpStream, shared: Arc<Shared>) {
    let (mut down, mut up) = clones(down, up);
    thread::spawn(move || {
        let mut counter = MessageCounter::default();
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n @ 1..) = down.read(&mut buf) {
            if up.write_all(&buf[..n]).is_err() {
                break;
            }
            let (_, done) = counter.feed_until(&buf[..n], None);
            shared.delivered.fetch_add(done, Ordering::AcqRel);
        }
        let _ = down.shutdown(Shutdown::Both);
        let _ = up.shutdown(Shutdown::Both);
    });
}

/// Copies the bound end's bytes back as its [`Gate`] says, until either side ends; then, once
/// nothing is held any more, closes both.
fn answer(up: &TcpStream, down: &TcpStream, shared: Arc<Shared>, conn: Arc<Conn>) {
    let (mut up, mut down) = clones(up, down);
    thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n @ 1..) = up.read(&mut buf) {
            let mut g = conn.gate();
            if g.lose {
                continue;
            }
            let pass = g.pass;
            let (used, done) = g.counter.feed_until(&buf[..n], pass);
            if down.write_all(&buf[..used]).is_err() {
                break;
            }
            shared.answers.fetch_add(done, Ordering::AcqRel);
            if let Some(pass) = g.pass.as_mut() {
                *pass -= done;
            }
            let rest = &buf[used..n];
            let (_, held) = g.counter.feed_until(rest, None);
            g.held.extend_from_slice(rest);
            g.held_messages += held;
        }
        let g = conn.gate();
        let _ = conn
            .released
            .wait_timeout_while(g, HOLD_LIMIT, |g| g.pass == Some(0));
        let _ = up.shutdown(Shutdown::Both);
        let _ = down.shutdown(Shutdown::Both);
    });
}

/// Counts the messages in one direction of a ZMTP 3 stream: after the 64-byte greeting, each
/// frame is a flags byte (bit 0 more, bit 1 long size, bit 2 command), a size of 1 or 8 bytes
/// and the body; a message ends with a frame that is neither "more" nor a command.
pub struct MessageCounter {
    /// Bytes still to pass over: the greeting, then each frame's body.
    skip: u64,
    /// Whether the frame being passed over ends a message.
    ends_message: bool,
    /// The flags and size bytes of the next frame, as they come.
    head: Vec<u8>,
}

impl Default for MessageCounter {
    fn default() -> MessageCounter {
        MessageCounter {
            skip: GREETING,
            ends_message: false,
            head: Vec::new(),
        }
    }
}

impl MessageCounter {
    /// Takes the next bytes of the stream, stopping right after the `limit`-th message they
    /// complete if a limit is given: (bytes taken, messages completed).
    pub fn feed_until(&mut self, bytes: &[u8], limit: Option<u64>) -> (usize, u64) {
        let mut done = 0;
        let mut at = 0;
        while at < bytes.len() && limit != Some(done) {
            if self.skip > 0 {
                let left = bytes.len() - at;
                let n = usize::try_from(self.skip).map_or(left, |s| s.min(left));
                self.skip -= n as u64;
                at += n;
                if self.skip == 0 && std::mem::take(&mut self.ends_message) {
                    done += 1;
                }
                continue;
            }
            self.head.push(bytes[at]);
            at += 1;
            let flags = self.head[0];
            let size_len = if flags & 0x02 != 0 { 8 } else { 1 };
            if self.head.len() < 1 + size_len {
                continue;
            }
            let size = self.head[1..]
                .iter()
                .fold(0u64, |n, &b| (n << 8) | u64::from(b));
            self.head.clear();
            let ends = flags & 0x05 == 0;
            if size == 0 {
                done += u64::from(ends);
            } else {
                self.skip = size;
                self.ends_message = ends;
            }
        }
        (at, done)
    }
}
