//! Certificate files: [`Certificate`] (one file, read as pyzmq reads it) and [`KeyFiles`] (a
//! keys directory in vidgear NetGear's layout, written as pyzmq's `create_certificates`
//! writes it), with the checks that refuse files others could have planted or changed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{CorruptReason, KeyError, KeyField, KeyOrigin, UnsafeReason};
use super::key::{Key, KeyPair};

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
        let corrupt = |reason| KeyError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let text = String::from_utf8(text).map_err(|_| corrupt(CorruptReason::NotUtf8))?;
        let (mut public, mut secret) = (None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let (field, slot) = if line.starts_with("public-key") {
                (KeyField::Public, &mut public)
            } else if line.starts_with("secret-key") {
                (KeyField::Secret, &mut secret)
            } else {
                continue;
            };
            let Some((_, value)) = line.split_once('=') else {
                return Err(corrupt(CorruptReason::NoEquals { field }));
            };
            let value = value.trim_matches([' ', '\t', '\'', '"']);
            let key = Key::decode(value, || KeyOrigin::File {
                field,
                path: path.to_owned(),
            })?;
            slot.get_or_insert(key);
        }
        let public = public.ok_or_else(|| corrupt(CorruptReason::NoPublicKey))?;
        Ok(Certificate { public, secret })
    }

    /// Reads a `.key_secret` file: both keys, checked to be a pair. Warns (with `tracing`) when
    /// others than its owner may read the file.
    pub fn load_pair(path: &Path) -> Result<KeyPair, KeyError> {
        let cert = Certificate::load(path)?;
        let secret = cert.secret.ok_or_else(|| KeyError::Corrupt {
            path: path.to_owned(),
            reason: CorruptReason::NoSecretKey,
        })?;
        let pair = KeyPair::derive(secret).map_err(|error| KeyError::Corrupt {
            path: path.to_owned(),
            reason: CorruptReason::UnusableSecret { error },
        })?;
        if pair.public != cert.public {
            return Err(KeyError::Corrupt {
                path: path.to_owned(),
                reason: CorruptReason::Mismatched,
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

/// Whether `uid` may own key files and directories this process trusts: itself, or root.
fn trusted_owner(uid: u32) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    uid == 0 || uid == unsafe { libc::geteuid() }
}

/// Why a key file's or directory's owner or mode cannot be trusted, if so: another user than
/// this one or root owns it, or someone it should not be may write it (the `forbidden` write
/// bits are set: `writable` says who, from the mode).
fn untrusted(
    meta: &fs::Metadata,
    forbidden: u32,
    writable: fn(u32) -> UnsafeReason,
) -> Option<UnsafeReason> {
    use std::os::unix::fs::MetadataExt;
    if !trusted_owner(meta.uid()) {
        return Some(UnsafeReason::ForeignOwner { uid: meta.uid() });
    }
    (meta.mode() & forbidden != 0).then(|| writable(meta.mode()))
}

/// Reads a key file as [`Certificate::load`] describes.
fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |reason| KeyError::Unsafe {
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
            _ if source.raw_os_error() == Some(libc::ELOOP) => refuse(UnsafeReason::SymbolicLink),
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
        return Err(refuse(UnsafeReason::NotRegularFile));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(refuse(UnsafeReason::TooLarge {
            bytes: meta.len(),
            limit: MAX_KEY_FILE,
        }));
    }
    let others = |mode| UnsafeReason::WritableByOthers { mode };
    if let Some(reason) = untrusted(&meta, 0o022, others) {
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
        return Err(refuse(UnsafeReason::GrewTooLarge {
            limit: MAX_KEY_FILE,
        }));
    }
    Ok(text)
}

/// Checks a keys directory (or its `public_keys`/`private_keys`): a directory, not a link,
/// owned by this user (or root) and not writable by every user.
fn check_key_dir(dir: &Path) -> Result<(), KeyError> {
    let refuse = |reason| KeyError::Unsafe {
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
        return Err(refuse(UnsafeReason::NotDirectory));
    }
    let every_user = |mode| UnsafeReason::WritableByEveryUser { mode };
    if let Some(reason) = untrusted(&meta, 0o002, every_user) {
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
            let pair = KeyPair::random().map_err(|error| KeyError::Generate {
                path: self.secret(name),
                error,
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

/// Creates `dir` (and its parents) with `mode`.
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
