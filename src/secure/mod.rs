//! Secure mode: ZeroMQ CURVE encryption and authentication, with keys in vidgear NetGear's
//! certificate layout.
//!
//! The receive-mode end binds and is the CURVE *server* (it holds the server's secret key); the
//! send-mode end connects and is a CURVE *client* (it knows the server's public key and has a
//! key pair of its own). In [`SecureMode::Stonehouse`] any client key is accepted: the stream
//! is encrypted and the sender knows it talks to the right receiver. In
//! [`SecureMode::Ironhouse`] the receiver also lets in only the client public keys it was
//! given, checked by a ZAP handler (ZeroMQ RFC 27) on the end's own ZeroMQ context.
//!
//! Keys live in certificate files as pyzmq's `zmq.auth.create_certificates` writes them (the
//! ZPL format: a `metadata` and a `curve` section, `public-key = "Z85"`, `secret-key = "Z85"`),
//! laid out as vidgear NetGear expects: `DIR/public_keys/{server,client}.key` (public key only)
//! and `DIR/private_keys/{server,client}.key_secret` (both keys, mode 0600).
//!
//! A peer that fails the handshake (no CURVE, the wrong server key, or in ironhouse a client key
//! not let in) gets nothing through, and the receiver logs the refusal at `warn` under the
//! `netgear::secure` target with the peer's address and the reason: the first ten, then one at
//! each power of two, so that a stranger knocking again and again cannot flood the log.
//!
//! Here: [`Secure`] (an end's mode and keys, applied to its socket). Beside it, each a file of
//! its own: [`Key`] and [`KeyPair`] (`key.rs`); the certificate files, [`Certificate`] and
//! [`KeyFiles`] (`files.rs`); the ZAP handler (`zap.rs`); the handshake budget and the log of
//! refusals (`refusal.rs`); and [`KeyError`], the one error of them all (`error.rs`).

mod error;
mod files;
mod key;
mod refusal;
mod zap;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::wire::End;

pub use error::{CorruptReason, KeyError, KeyField, KeyOrigin, UnsafeReason, Z85Reason};
pub use files::{Certificate, KeyFiles, MAX_KEY_FILE, exposed};
pub use key::{Key, KeyPair};
pub(crate) use refusal::log_refusal;
pub use refusal::{HANDSHAKE_BURST, HANDSHAKE_RATE};
pub(crate) use zap::ZapHandler;

/// How much secure mode checks (vidgear NetGear's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecureMode {
    /// Encrypted, the server authenticated; any client key accepted.
    Stonehouse,
    /// Encrypted, the server authenticated, and only known client keys let in.
    Ironhouse,
}

impl FromStr for SecureMode {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<SecureMode> {
        match s.to_ascii_lowercase().as_str() {
            "stonehouse" => Ok(SecureMode::Stonehouse),
            "ironhouse" => Ok(SecureMode::Ironhouse),
            _ => Err(crate::Error::InvalidOption(format!(
                "secure mode {s:?}: use stonehouse or ironhouse"
            ))),
        }
    }
}

impl fmt::Display for SecureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecureMode::Stonehouse => "stonehouse",
            SecureMode::Ironhouse => "ironhouse",
        })
    }
}

/// The keys one end needs.
#[derive(Debug, Clone)]
pub enum Keys {
    /// A receive-mode end (binds): the CURVE server.
    Server {
        /// The server's key pair.
        pair: KeyPair,
        /// Ironhouse: the client public keys let in (unused in stonehouse).
        authorized: Vec<Key>,
    },
    /// A send-mode end (connects): a CURVE client.
    Client {
        /// The server's public key: only the receiver holding its secret is talked to.
        server: Key,
        /// This client's key pair.
        pair: KeyPair,
    },
}

/// Secure mode for one end ([`Options::secure`](crate::Options::secure)).
#[derive(Debug, Clone)]
pub struct Secure {
    /// Stonehouse or ironhouse.
    pub mode: SecureMode,
    /// This end's keys.
    pub keys: Keys,
}

impl Secure {
    /// A receive-mode end's secure mode from a keys directory: the server's pair from
    /// `private_keys/server.key_secret` and, in ironhouse, the client keys let in from
    /// `public_keys/*.key`.
    pub fn receiver(mode: SecureMode, dir: &Path) -> Result<Secure, KeyError> {
        let files = KeyFiles::new(dir);
        files.check_dirs()?;
        let pair = Certificate::load_pair(&files.secret("server"))?;
        let authorized = match mode {
            SecureMode::Stonehouse => Vec::new(),
            SecureMode::Ironhouse => files.authorized()?,
        };
        if mode == SecureMode::Ironhouse && authorized.is_empty() {
            return Err(KeyError::NoAuthorizedKeys {
                dir: Some(files.public_dir()),
            });
        }
        Ok(Secure {
            mode,
            keys: Keys::Server { pair, authorized },
        })
    }

    /// A send-mode end's secure mode from a keys directory: the server's public key from
    /// `public_keys/server.key`, this client's pair from `private_keys/client.key_secret`.
    pub fn sender(mode: SecureMode, dir: &Path) -> Result<Secure, KeyError> {
        let files = KeyFiles::new(dir);
        files.check_dirs()?;
        let server = Certificate::load(&files.public("server"))?.public;
        let pair = Certificate::load_pair(&files.secret("client"))?;
        Ok(Secure {
            mode,
            keys: Keys::Client { server, pair },
        })
    }

    /// The end these keys are for.
    pub fn end(&self) -> End {
        match self.keys {
            Keys::Server { .. } => End::Client,
            Keys::Client { .. } => End::Server,
        }
    }

    /// Sets the socket's CURVE options (before it binds or connects) and, for an ironhouse
    /// receiver, starts the ZAP handler on `ctx`, which must live as long as the socket.
    pub(crate) fn apply(
        &self,
        ctx: &zmq::Context,
        sock: &zmq::Socket,
        end: End,
    ) -> crate::Result<Option<ZapHandler>> {
        if self.end() != end {
            return Err(KeyError::WrongEnd {
                keys_for: self.end(),
                end,
            }
            .into());
        }
        match &self.keys {
            Keys::Server { pair, authorized } => {
                let zap = match self.mode {
                    SecureMode::Stonehouse => None,
                    SecureMode::Ironhouse if authorized.is_empty() => {
                        return Err(KeyError::NoAuthorizedKeys { dir: None }.into());
                    }
                    SecureMode::Ironhouse => {
                        sock.set_zap_domain("netgear")?;
                        Some(ZapHandler::start(ctx, authorized.clone())?)
                    }
                };
                sock.set_curve_server(true)?;
                sock.set_curve_secretkey(pair.secret.as_bytes())?;
                Ok(zap)
            }
            Keys::Client { server, pair } => {
                sock.set_curve_serverkey(server.as_bytes())?;
                sock.set_curve_publickey(pair.public.as_bytes())?;
                sock.set_curve_secretkey(pair.secret.as_bytes())?;
                Ok(None)
            }
        }
    }
}
