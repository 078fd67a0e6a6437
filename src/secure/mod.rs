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

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::thread::JoinHandle;

use crate::wire::End;

/// The Z85 alphabet (ZeroMQ RFC 32).
const Z85: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// A key file or key that cannot be used, or key files that cannot be written. Each names the
/// file it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The certificate file does not exist.
    #[error("key file {path} is missing (run `netgear keygen DIR` to make one)")]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The certificate file (or key directory) exists but cannot be read.
    #[error("cannot read key file {path}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a ZeroMQ certificate with the key it should have.
    #[error("key file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A key is not 40 characters of Z85 (a 32-byte CURVE key).
    #[error("{what} is not a Z85 CURVE key: {reason}")]
    NotZ85 {
        /// Which key, and where it came from.
        what: String,
        /// Why not.
        reason: String,
    },
    /// `keygen` would overwrite a key file (pass `force` to replace it).
    #[error("key file {path} already exists (use --force to replace the keys)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A key file or directory that others could have planted or changed: not a regular file
    /// (a link, a FIFO, a device), too large, owned by another user, or writable by others.
    #[error("refusing key {what} {path}: {reason}")]
    Unsafe {
        /// "file" or "directory".
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file or directory could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Ironhouse without one client key to let in: nobody could connect.
    #[error("ironhouse mode with no authorized client keys{}: no sender could connect",
        .dir.as_ref().map(|d| format!(" in {}", d.display())).unwrap_or_default())]
    NoAuthorizedKeys {
        /// The directory searched, if any.
        dir: Option<PathBuf>,
    },
    /// Keys for the other end: a receive-mode end needs the server's key pair, a send-mode end
    /// the server's public key and a client key pair.
    #[error("these secure-mode keys are for the {keys_for} end, not the {end} end")]
    WrongEnd {
        /// The end the keys are for.
        keys_for: End,
        /// The end they were given to.
        end: End,
    },
}

/// A 32-byte CURVE key (public or secret). Shown in Z85; a secret key's `Debug` hides it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 32]);

impl Key {
    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key from its 40 characters of Z85.
    pub fn from_z85(text: &str) -> Result<Key, KeyError> {
        z85_decode(text).map_err(|reason| KeyError::NotZ85 {
            what: "key".into(),
            reason,
        })
    }

    /// The key as 40 characters of Z85.
    pub fn to_z85(&self) -> String {
        let mut out = String::with_capacity(40);
        for chunk in self.0.chunks_exact(4) {
            let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = Z85[(value % 85) as usize];
                value /= 85;
            }
            out.extend(digits.iter().map(|&b| char::from(b)));
        }
        out
    }
}

fn z85_decode(text: &str) -> Result<Key, String> {
    let bytes = text.as_bytes();
    if bytes.len() != 40 {
        return Err(format!("{} characters, not 40", text.chars().count()));
    }
    let mut key = [0u8; 32];
    for (i, chunk) in bytes.chunks_exact(5).enumerate() {
        let mut value: u64 = 0;
        for &c in chunk {
            let digit = Z85
                .iter()
                .position(|&z| z == c)
                .ok_or_else(|| format!("{:?} is not a Z85 character", char::from(c)))?;
            value = value * 85 + digit as u64;
        }
        let value = u32::try_from(value).map_err(|_| "a group is out of range".to_owned())?;
        key[i * 4..i * 4 + 4].copy_from_slice(&value.to_be_bytes());
    }
    Ok(Key(key))
}

impl FromStr for Key {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Key, KeyError> {
        Key::from_z85(s)
    }
}

impl From<[u8; 32]> for Key {
    fn from(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.to_z85())
    }
}

/// A CURVE key pair. Its `Debug` shows the public key only.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The public key, given to the other end.
    pub public: Key,
    /// The secret key, kept by this end.
    pub secret: Key,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("secret", &"…")
            .finish()
    }
}

impl KeyPair {
    /// A new random key pair (libzmq's `zmq_curve_keypair`, libsodium underneath).
    pub fn generate() -> crate::Result<KeyPair> {
        let pair = zmq::CurveKeyPair::new()?;
        Ok(KeyPair {
            public: Key(pair.public_key),
            secret: Key(pair.secret_key),
        })
    }

    /// The pair of a secret key (its public key derived with `zmq_curve_public`).
    pub fn from_secret(secret: Key) -> crate::Result<KeyPair> {
        let public = zmq::curve_public(secret.as_bytes())?;
        Ok(KeyPair {
            public: Key(public),
            secret,
        })
    }
}

/// What a certificate file holds: a public key, and in a `.key_secret` file the secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The `public-key`.
    pub public: Key,
    /// The `secret-key`, if the file has one.
    pub secret: Option<Key>,
}

impl Certificate {
    /// Reads a certificate file as pyzmq's `zmq.auth.load_certificate` does (comment lines
    /// skipped, `public-key = "..."` and `secret-key = "..."` anywhere, quotes optional); unlike
    /// it, a key that is not Z85 is refused here rather than at use.
    ///
    /// The file is opened without following a symbolic link and must be a regular file of at
    /// most [`MAX_KEY_FILE`] bytes, owned by this user (or root) and writable by nobody else;
    /// otherwise [`KeyError::Unsafe`].
    pub fn load(path: &Path) -> Result<Certificate, KeyError> {
        let text = read_key_file(path)?;
        let corrupt = |reason: String| KeyError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let text = String::from_utf8(text).map_err(|_| corrupt("not UTF-8 text".into()))?;
        let (mut public, mut secret) = (None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let slot = if line.starts_with("public-key") {
                &mut public
            } else if line.starts_with("secret-key") {
                &mut secret
            } else {
                continue;
            };
            let Some((name, value)) = line.split_once('=') else {
                let name = if std::ptr::eq(slot, &public) {
                    "public-key"
                } else {
                    "secret-key"
                };
                return Err(corrupt(format!("a {name} line has no '='")));
            };
            let value = value.trim_matches([' ', '\t', '\'', '"']);
            let key = z85_decode(value).map_err(|reason| KeyError::NotZ85 {
                what: format!("the {} in {}", name.trim(), path.display()),
                reason,
            })?;
            slot.get_or_insert(key);
        }
        let public = public.ok_or_else(|| corrupt("no public-key in it".into()))?;
        Ok(Certificate { public, secret })
    }

    /// Reads a `.key_secret` file: both keys, checked to be a pair. Warns (with `tracing`) when
    /// others than its owner may read the file.
    pub fn load_pair(path: &Path) -> Result<KeyPair, KeyError> {
        let cert = Certificate::load(path)?;
        let secret = cert.secret.ok_or_else(|| KeyError::Corrupt {
            path: path.to_owned(),
            reason: "no secret-key in it (is it a public .key file?)".into(),
        })?;
        let pair = KeyPair::from_secret(secret).map_err(|e| KeyError::Corrupt {
            path: path.to_owned(),
            reason: format!("its secret key is unusable: {e}"),
        })?;
        if pair.public != cert.public {
            return Err(KeyError::Corrupt {
                path: path.to_owned(),
                reason: "its public-key is not the secret-key's".into(),
            });
        }
        if exposed(path) {
            tracing::warn!(
                file = %path.display(),
                "secret key file is readable by other users: chmod 600 it"
            );
        }
        Ok(pair)
    }
}

/// The largest key file read (a certificate is about 300 bytes).
pub const MAX_KEY_FILE: u64 = 64 << 10;

/// How many CURVE handshakes one source address (an IPv4 address, or an IPv6 /64 prefix) may
/// start at once with a secure receiver; past it, [`HANDSHAKE_RATE`] a second. A connection
/// over the budget is closed as soon as it is accepted, before any cryptography is done for it
/// (our libzmq patch `curve-handshake-budget`): a handshake costs the receiver about 0.3 ms of
/// CPU, and a peer can replay one captured HELLO without any cost of its own.
pub const HANDSHAKE_BURST: u32 = 32;

/// The CURVE handshakes a second one source address may start once it has used
/// [`HANDSHAKE_BURST`].
pub const HANDSHAKE_RATE: u32 = 8;

/// Whether `uid` may own key files and directories this process trusts: itself, or root.
fn trusted_owner(uid: u32) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    uid == 0 || uid == unsafe { libc::geteuid() }
}

/// Why a key file's or directory's owner or mode cannot be trusted, if so: another user than
/// this one or root owns it, or `who` (the `forbidden` write bits) may write it.
fn untrusted(meta: &fs::Metadata, forbidden: u32, who: &str, fix: &str) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    if !trusted_owner(meta.uid()) {
        return Some(format!("it is owned by another user (uid {})", meta.uid()));
    }
    (meta.mode() & forbidden != 0).then(|| {
        format!(
            "{who} may write it (mode {:o}): chmod {fix} it",
            meta.mode() & 0o777
        )
    })
}

/// Reads a key file as [`Certificate::load`] describes.
fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |reason: String| KeyError::Unsafe {
        what: "file",
        path: path.to_owned(),
        reason,
    };
    // O_NOFOLLOW: a link is refused (ELOOP), not followed; O_NONBLOCK: opening a FIFO does not
    // wait for a writer (it is refused below).
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => KeyError::Missing {
                path: path.to_owned(),
            },
            _ if source.raw_os_error() == Some(libc::ELOOP) => {
                refuse("it is a symbolic link".into())
            }
            _ => KeyError::Unreadable {
                path: path.to_owned(),
                source,
            },
        })?;
    let meta = file.metadata().map_err(|source| KeyError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    if !meta.file_type().is_file() {
        return Err(refuse("it is not a regular file".into()));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(refuse(format!(
            "{} bytes, more than a key file's {MAX_KEY_FILE}",
            meta.len()
        )));
    }
    if let Some(reason) = untrusted(&meta, 0o022, "others", "go-w") {
        return Err(refuse(reason));
    }
    let mut text = Vec::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut text)
        .map_err(|source| KeyError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(refuse(format!(
            "more than a key file's {MAX_KEY_FILE} bytes"
        )));
    }
    Ok(text)
}

/// Checks a keys directory (or its `public_keys`/`private_keys`): a directory, not a link,
/// owned by this user (or root) and not writable by every user.
fn check_key_dir(dir: &Path) -> Result<(), KeyError> {
    let refuse = |reason: String| KeyError::Unsafe {
        what: "directory",
        path: dir.to_owned(),
        reason,
    };
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        // A missing directory is the missing file's error, said where the file is looked for.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(KeyError::Unreadable {
                path: dir.to_owned(),
                source,
            });
        }
    };
    if !meta.file_type().is_dir() {
        return Err(refuse("it is not a directory (a link?)".into()));
    }
    if let Some(reason) = untrusted(&meta, 0o002, "every user", "o-w") {
        return Err(refuse(reason));
    }
    Ok(())
}

/// Whether users other than the owner may read the file.
pub fn exposed(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

/// The certificate files of a keys directory, in vidgear NetGear's layout.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    /// The directory.
    pub dir: PathBuf,
}

impl KeyFiles {
    /// The layout under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> KeyFiles {
        KeyFiles { dir: dir.into() }
    }

    /// `DIR/public_keys`: every `*.key` file here is a public key (ironhouse lets them in).
    pub fn public_dir(&self) -> PathBuf {
        self.dir.join("public_keys")
    }

    /// `DIR/private_keys`.
    pub fn private_dir(&self) -> PathBuf {
        self.dir.join("private_keys")
    }

    /// `DIR/public_keys/NAME.key`.
    pub fn public(&self, name: &str) -> PathBuf {
        self.public_dir().join(format!("{name}.key"))
    }

    /// `DIR/private_keys/NAME.key_secret`.
    pub fn secret(&self, name: &str) -> PathBuf {
        self.private_dir().join(format!("{name}.key_secret"))
    }

    /// Writes new `server` and `client` key pairs; refuses to replace any existing file unless
    /// `force`. Secret files are mode 0600, the private directory 0700. Returns the files
    /// written.
    pub fn generate(&self, force: bool) -> Result<Vec<PathBuf>, KeyError> {
        let files: Vec<PathBuf> = ["server", "client"]
            .iter()
            .flat_map(|n| [self.public(n), self.secret(n)])
            .collect();
        self.check_dirs()?;
        // A link counts as there, dangling or not.
        if !force && let Some(path) = files.iter().find(|p| fs::symlink_metadata(p).is_ok()) {
            return Err(KeyError::Exists { path: path.clone() });
        }
        create_dir(&self.public_dir(), 0o755)?;
        create_dir(&self.private_dir(), 0o700)?;
        for name in ["server", "client"] {
            let pair = KeyPair::generate().map_err(|e| KeyError::Write {
                path: self.secret(name),
                source: std::io::Error::other(e.to_string()),
            })?;
            write_certificate(&self.public(name), &pair.public, None)?;
            write_certificate(&self.secret(name), &pair.public, Some(&pair.secret))?;
        }
        Ok(files)
    }

    /// Checks the keys directory and its two subdirectories (see [`KeyError::Unsafe`]).
    pub fn check_dirs(&self) -> Result<(), KeyError> {
        for dir in [self.dir.clone(), self.public_dir(), self.private_dir()] {
            check_key_dir(&dir)?;
        }
        Ok(())
    }

    /// Every public key in `DIR/public_keys/*.key`, as pyzmq's `load_certificates` finds them.
    pub fn authorized(&self) -> Result<Vec<Key>, KeyError> {
        self.check_dirs()?;
        let dir = self.public_dir();
        let entries = fs::read_dir(&dir).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => KeyError::Missing { path: dir.clone() },
            _ => KeyError::Unreadable {
                path: dir.clone(),
                source,
            },
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| KeyError::Unreadable {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "key") {
                paths.push(path);
            }
        }
        paths.sort();
        paths
            .iter()
            .map(|p| Certificate::load(p).map(|c| c.public))
            .collect()
    }
}

fn create_dir(dir: &Path, mode: u32) -> Result<(), KeyError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|source| KeyError::Write {
            path: dir.to_owned(),
            source,
        })
}

/// Writes a certificate as pyzmq's `create_certificates` does: a banner of comment lines, an
/// empty `metadata` section, and the `curve` section.
fn write_certificate(path: &Path, public: &Key, secret: Option<&Key>) -> Result<(), KeyError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let banner = match secret {
        Some(_) => {
            "#   ZeroMQ CURVE **Secret** Certificate\n\
             #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
        }
        None => {
            "#   ZeroMQ CURVE Public Certificate\n\
             #   Exchange securely, or use a secure mechanism to verify the contents\n\
             #   of this file after exchange.\n"
        }
    };
    let mut text = format!(
        "#   ****  Generated on {} by netgear-rs  ****\n{banner}\nmetadata\ncurve\n    public-key = \"{public}\"\n",
        utc_now()
    );
    if let Some(secret) = secret {
        text.push_str(&format!("    secret-key = \"{secret}\"\n"));
    }
    let mode = if secret.is_some() { 0o600 } else { 0o644 };
    let write = |path: &Path| -> std::io::Result<()> {
        // A new file, always: what was there (a file being replaced with --force, or a link an
        // attacker planted, dangling or not) is removed, never written through, and O_EXCL
        // fails if anything appears there meanwhile.
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(mode)
            .open(path)?;
        // The umask may have narrowed the mode: set it.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(text.as_bytes())
    };
    write(path).map_err(|source| KeyError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Now as `YYYY-MM-DD HH:MM:SS` UTC (for the certificate's banner).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

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
    fn start(ctx: &zmq::Context, authorized: Vec<Key>) -> crate::Result<ZapHandler> {
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

/// Logs the `n`th refusal of a peer (1-based) with its address and the reason. A stranger can
/// knock as often as it likes: the first ten are logged, then one at each power of two.
pub(crate) fn log_refusal(n: u64, peer: &str, reason: &str) {
    if n <= 10 || n.is_power_of_two() {
        tracing::warn!(
            target: "netgear::secure",
            %peer,
            %reason,
            refused = n,
            "secure mode: connection refused"
        );
    }
}

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
            Ok(key) if authorized.contains(&Key(key)) => Ok(Key(key)),
            Ok(key) => Err(format!("client key {} is not authorized", Key(key))),
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
    fn z85_round_trips_and_matches_libzmq() {
        let pair = zmq::CurveKeyPair::new().expect("keys");
        let key = Key(pair.public_key);
        assert_eq!(
            key.to_z85(),
            zmq::z85_encode(&pair.public_key).expect("z85")
        );
        assert_eq!(Key::from_z85(&key.to_z85()).expect("decodes"), key);
        // RFC 32's test vector.
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
        assert!(Key(bytes).to_z85().starts_with("HelloWorld"));
    }

    #[test]
    fn not_z85_is_refused() {
        for bad in ["", "short", &"~".repeat(40), &"#".repeat(40)] {
            assert!(
                matches!(Key::from_z85(bad), Err(KeyError::NotZ85 { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn from_secret_derives_the_public_key() {
        let pair = KeyPair::generate().expect("keys");
        assert_eq!(KeyPair::from_secret(pair.secret).expect("pair"), pair);
    }

    #[test]
    fn zap_lets_in_only_authorized_curve_keys() {
        let known = Key([1; 32]);
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
