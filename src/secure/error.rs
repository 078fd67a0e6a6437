//! [`KeyError`], the one error of secure mode's keys, and the typed reasons it carries.
//!
//! A leaf of the module: it refers to no other file of `secure`.

use std::fmt;
use std::path::PathBuf;

use crate::wire::End;

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
        reason: CorruptReason,
    },
    /// A key is not 40 characters of Z85 (a 32-byte CURVE key).
    #[error("{what} is not a Z85 CURVE key: {reason}")]
    NotZ85 {
        /// Which key, and where it came from.
        what: KeyOrigin,
        /// Why not.
        reason: Z85Reason,
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
        reason: UnsafeReason,
    },
    /// A key file or directory could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// No key pair could be made for a key file that `keygen` was to write (libzmq's
    /// `zmq_curve_keypair` failed).
    #[error("cannot write {path}: a ZeroMQ call failed")]
    Generate {
        /// The secret key file the pair was for.
        path: PathBuf,
        /// What libzmq said.
        error: zmq::Error,
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

/// One of the two keys of a certificate file, by the name the file gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyField {
    /// `public-key`.
    Public,
    /// `secret-key`.
    Secret,
}

impl fmt::Display for KeyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyField::Public => "public-key",
            KeyField::Secret => "secret-key",
        })
    }
}

/// Where a key that is not Z85 came from ([`KeyError::NotZ85`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOrigin {
    /// Given as text ([`Key::from_z85`](super::Key::from_z85), `str::parse`): "key".
    Given,
    /// A key of a certificate file: "the public-key in FILE".
    File {
        /// Which key of the file.
        field: KeyField,
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOrigin::Given => f.write_str("key"),
            KeyOrigin::File { field, path } => write!(f, "the {field} in {}", path.display()),
        }
    }
}

/// Why a text is not a Z85 CURVE key ([`KeyError::NotZ85`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Z85Reason {
    /// Not 40 characters.
    Length {
        /// The characters there are.
        chars: usize,
    },
    /// A character outside the Z85 alphabet.
    Character {
        /// The first such character.
        character: char,
    },
    /// Five characters that make a number over 32 bits.
    GroupOutOfRange,
}

impl fmt::Display for Z85Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z85Reason::Length { chars } => write!(f, "{chars} characters, not 40"),
            Z85Reason::Character { character } => {
                write!(f, "{character:?} is not a Z85 character")
            }
            Z85Reason::GroupOutOfRange => f.write_str("a group is out of range"),
        }
    }
}

/// What is wrong with a certificate file ([`KeyError::Corrupt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorruptReason {
    /// The file is not UTF-8 text.
    NotUtf8,
    /// A `public-key` or `secret-key` line without `=`.
    NoEquals {
        /// The key the line is for.
        field: KeyField,
    },
    /// No `public-key` line.
    NoPublicKey,
    /// No `secret-key` line where a secret key file is needed.
    NoSecretKey,
    /// libzmq cannot derive a public key from the secret key.
    UnusableSecret {
        /// What libzmq said.
        error: zmq::Error,
    },
    /// The file's `public-key` is not its `secret-key`'s.
    Mismatched,
}

impl fmt::Display for CorruptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorruptReason::NotUtf8 => f.write_str("not UTF-8 text"),
            CorruptReason::NoEquals { field } => write!(f, "a {field} line has no '='"),
            CorruptReason::NoPublicKey => f.write_str("no public-key in it"),
            CorruptReason::NoSecretKey => {
                f.write_str("no secret-key in it (is it a public .key file?)")
            }
            CorruptReason::UnusableSecret { .. } => {
                f.write_str("its secret key is unusable: a ZeroMQ call failed")
            }
            CorruptReason::Mismatched => f.write_str("its public-key is not the secret-key's"),
        }
    }
}

/// Why a key file or directory is not trusted ([`KeyError::Unsafe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsafeReason {
    /// A symbolic link where a key file should be (it is not followed).
    SymbolicLink,
    /// Not a regular file (a FIFO, a device, a directory).
    NotRegularFile,
    /// Not a directory (a link?) where a keys directory should be.
    NotDirectory,
    /// Larger than a key file may be.
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The largest key file read ([`MAX_KEY_FILE`](super::MAX_KEY_FILE)).
        limit: u64,
    },
    /// The file grew past the limit while it was read.
    GrewTooLarge {
        /// The largest key file read ([`MAX_KEY_FILE`](super::MAX_KEY_FILE)).
        limit: u64,
    },
    /// Owned by another user than this one or root.
    ForeignOwner {
        /// The owner's user id.
        uid: u32,
    },
    /// A key file that its group or other users may write.
    WritableByOthers {
        /// The file's permission bits.
        mode: u32,
    },
    /// A keys directory that every user may write.
    WritableByEveryUser {
        /// The directory's permission bits.
        mode: u32,
    },
}

impl fmt::Display for UnsafeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeReason::SymbolicLink => f.write_str("it is a symbolic link"),
            UnsafeReason::NotRegularFile => f.write_str("it is not a regular file"),
            UnsafeReason::NotDirectory => f.write_str("it is not a directory (a link?)"),
            UnsafeReason::TooLarge { bytes, limit } => {
                write!(f, "{bytes} bytes, more than a key file's {limit}")
            }
            UnsafeReason::GrewTooLarge { limit } => {
                write!(f, "more than a key file's {limit} bytes")
            }
            UnsafeReason::ForeignOwner { uid } => {
                write!(f, "it is owned by another user (uid {uid})")
            }
            UnsafeReason::WritableByOthers { mode } => {
                write!(
                    f,
                    "others may write it (mode {:o}): chmod go-w it",
                    mode & 0o777
                )
            }
            UnsafeReason::WritableByEveryUser { mode } => write!(
                f,
                "every user may write it (mode {:o}): chmod o-w it",
                mode & 0o777
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages, word for word as they were when they were built with `format!`.
    #[test]
    fn reasons_read_as_they_did() {
        let path = PathBuf::from("/k/server.key");
        let said = |e: KeyError| e.to_string();
        assert_eq!(
            said(KeyError::NotZ85 {
                what: KeyOrigin::File {
                    field: KeyField::Secret,
                    path: path.clone(),
                },
                reason: Z85Reason::Length { chars: 5 },
            }),
            "the secret-key in /k/server.key is not a Z85 CURVE key: 5 characters, not 40"
        );
        let corrupt = |reason| {
            said(KeyError::Corrupt {
                path: path.clone(),
                reason,
            })
        };
        assert_eq!(
            corrupt(CorruptReason::NoEquals {
                field: KeyField::Public
            }),
            "key file /k/server.key is corrupt: a public-key line has no '='"
        );
        assert_eq!(
            corrupt(CorruptReason::UnusableSecret {
                error: zmq::Error::ENOTSUP
            }),
            "key file /k/server.key is corrupt: its secret key is unusable: a ZeroMQ call failed"
        );
        let refused = |reason| {
            said(KeyError::Unsafe {
                what: "file",
                path: path.clone(),
                reason,
            })
        };
        assert_eq!(
            refused(UnsafeReason::TooLarge {
                bytes: 70000,
                limit: 65536
            }),
            "refusing key file /k/server.key: 70000 bytes, more than a key file's 65536"
        );
        assert_eq!(
            refused(UnsafeReason::WritableByOthers { mode: 0o100666 }),
            "refusing key file /k/server.key: others may write it (mode 666): chmod go-w it"
        );
        assert_eq!(
            refused(UnsafeReason::WritableByEveryUser { mode: 0o40777 }),
            "refusing key file /k/server.key: every user may write it (mode 777): chmod o-w it"
        );
        assert_eq!(
            refused(UnsafeReason::ForeignOwner { uid: 65534 }),
            "refusing key file /k/server.key: it is owned by another user (uid 65534)"
        );
    }
}
