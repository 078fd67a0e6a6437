//! The ZAP handler (ZeroMQ RFC 27) of an ironhouse receiver: a thread that answers libzmq's
//! authentication requests, letting in only the authorized client keys.

use std::fmt;
use std::thread::JoinHandle;

use super::key::Key;
use super::refusal::log_refusal;

/// The ZAP endpoint libzmq asks (RFC 27).
const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// A ZAP handler on its own thread: answers libzmq's authentication requests for the CURVE
/// server sockets of one context, letting in only the authorized client keys and logging each
/// refusal. Stopped and joined on drop.
pub(crate) struct ZapHandler {
    stop: std::sync::Mutex<zmq::Socket>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for ZapHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZapHandler").finish_non_exhaustive()
    }
}

impl ZapHandler {
    /// Binds the ZAP endpoint on `ctx` and starts answering it on a thread of its own.
    pub(super) fn start(ctx: &zmq::Context, authorized: Vec<Key>) -> crate::Result<ZapHandler> {
        let rep = ctx.socket(zmq::REP)?;
        rep.set_linger(0)?;
        rep.bind(ZAP_ENDPOINT)?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let control = format!("inproc://netgear-zap-stop-{n}");
        let stopped = ctx.socket(zmq::PAIR)?;
        stopped.set_linger(0)?;
        stopped.bind(&control)?;
        let stop = ctx.socket(zmq::PAIR)?;
        stop.set_linger(0)?;
        stop.connect(&control)?;
        let thread = std::thread::Builder::new()
            .name("netgear-zap".into())
            .spawn(move || serve_zap(&rep, &stopped, &authorized))?;
        Ok(ZapHandler {
            stop: std::sync::Mutex::new(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for ZapHandler {
    fn drop(&mut self) {
        let stop = self
            .stop
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = stop.send(&b""[..], 0);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers ZAP requests until a message comes on `stopped`.
fn serve_zap(rep: &zmq::Socket, stopped: &zmq::Socket, authorized: &[Key]) {
    loop {
        let mut items = [
            rep.as_poll_item(zmq::POLLIN),
            stopped.as_poll_item(zmq::POLLIN),
        ];
        if zmq::poll(&mut items, -1).is_err() || items[1].is_readable() {
            return;
        }
        if !items[0].is_readable() {
            continue;
        }
        let Ok(request) = rep.recv_multipart(0) else {
            return;
        };
        let reply = zap_reply(&request, authorized);
        if rep.send_multipart(reply, 0).is_err() {
            return;
        }
    }
}

/// Refusals by the ZAP handlers of this process, for [`log_refusal`].
static REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The answer to one ZAP request: version, request id, status code and text, user id and
/// metadata (RFC 27). Only a CURVE request with an authorized key gets "200".
fn zap_reply(request: &[Vec<u8>], authorized: &[Key]) -> Vec<Vec<u8>> {
    let part = |i: usize| request.get(i).map_or(&[][..], Vec::as_slice);
    let request_id = part(1).to_vec();
    let address = String::from_utf8_lossy(part(3)).into_owned();
    let verdict = if part(0) != b"1.0" {
        Err("not a ZAP 1.0 request".to_owned())
    } else if part(5) != b"CURVE" {
        Err(format!(
            "mechanism {} is not CURVE",
            String::from_utf8_lossy(part(5))
        ))
    } else {
        match <[u8; 32]>::try_from(part(6)) {
            Err(_) => Err("no client key".to_owned()),
            Ok(key) if authorized.contains(&Key::from_bytes(key)) => Ok(Key::from_bytes(key)),
            Ok(key) => Err(format!(
                "client key {} is not authorized",
                Key::from_bytes(key)
            )),
        }
    };
    let (code, text, user) = match verdict {
        Ok(key) => {
            tracing::debug!(peer = %address, key = %key, "secure mode: client let in");
            ("200", "OK".to_owned(), key.to_z85())
        }
        Err(reason) => {
            let n = REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            log_refusal(n, &address, &reason);
            ("400", reason, String::new())
        }
    };
    vec![
        b"1.0".to_vec(),
        request_id,
        code.as_bytes().to_vec(),
        text.into_bytes(),
        user.into_bytes(),
        Vec::new(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zap_lets_in_only_authorized_curve_keys() {
        let known = Key::from_bytes([1; 32]);
        let request = |mechanism: &[u8], key: &[u8]| -> Vec<Vec<u8>> {
            vec![
                b"1.0".to_vec(),
                b"7".to_vec(),
                b"netgear".to_vec(),
                b"10.0.0.9".to_vec(),
                Vec::new(),
                mechanism.to_vec(),
                key.to_vec(),
            ]
        };
        let status = |r: Vec<Vec<u8>>| (r[1].clone(), r[2].clone());
        assert_eq!(
            status(zap_reply(&request(b"CURVE", &[1; 32]), &[known])),
            (b"7".to_vec(), b"200".to_vec())
        );
        assert_eq!(
            status(zap_reply(&request(b"CURVE", &[2; 32]), &[known])).1,
            b"400"
        );
        assert_eq!(
            status(zap_reply(&request(b"NULL", &[]), &[known])).1,
            b"400"
        );
        assert_eq!(
            status(zap_reply(&request(b"CURVE", &[1; 5]), &[known])).1,
            b"400"
        );
    }
}
