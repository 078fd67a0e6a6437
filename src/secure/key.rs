//! CURVE keys: [`Key`] (32 bytes, shown in Z85, ZeroMQ RFC 32) and [`KeyPair`].

use std::fmt;
use std::str::FromStr;

use super::error::{KeyError, KeyOrigin, Z85Reason};

/// The Z85 alphabet (ZeroMQ RFC 32).
const Z85: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

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
        Key::decode(text, || KeyOrigin::Given)
    }

    /// The key from its 40 characters of Z85; `what` says where they came from when they are
    /// not a key ([`KeyError::NotZ85`]).
    pub(super) fn decode(text: &str, what: impl FnOnce() -> KeyOrigin) -> Result<Key, KeyError> {
        z85_decode(text).map_err(|reason| KeyError::NotZ85 {
            what: what(),
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

/// The 32 bytes of 40 characters of Z85, or why they are not a key.
fn z85_decode(text: &str) -> Result<Key, Z85Reason> {
    let bytes = text.as_bytes();
    if bytes.len() != 40 {
        return Err(Z85Reason::Length {
            chars: text.chars().count(),
        });
    }
    let mut key = [0u8; 32];
    for (i, chunk) in bytes.chunks_exact(5).enumerate() {
        let mut value: u64 = 0;
        for &c in chunk {
            let digit = Z85
                .iter()
                .position(|&z| z == c)
                .ok_or(Z85Reason::Character {
                    character: char::from(c),
                })?;
            value = value * 85 + digit as u64;
        }
        let value = u32::try_from(value).map_err(|_| Z85Reason::GroupOutOfRange)?;
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
        Ok(KeyPair::random()?)
    }

    /// The pair of a secret key (its public key derived with `zmq_curve_public`).
    pub fn from_secret(secret: Key) -> crate::Result<KeyPair> {
        Ok(KeyPair::derive(secret)?)
    }

    /// [`KeyPair::generate`], failing with libzmq's own error.
    pub(super) fn random() -> zmq::Result<KeyPair> {
        let pair = zmq::CurveKeyPair::new()?;
        Ok(KeyPair {
            public: Key(pair.public_key),
            secret: Key(pair.secret_key),
        })
    }

    /// [`KeyPair::from_secret`], failing with libzmq's own error.
    pub(super) fn derive(secret: Key) -> zmq::Result<KeyPair> {
        let public = zmq::curve_public(secret.as_bytes())?;
        Ok(KeyPair {
            public: Key(public),
            secret,
        })
    }
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
    fn not_z85_says_why_as_it_did() {
        let why = |text: &str| Key::from_z85(text).expect_err("not a key").to_string();
        assert_eq!(
            why("short"),
            "key is not a Z85 CURVE key: 5 characters, not 40"
        );
        assert_eq!(
            why(&"~".repeat(40)),
            "key is not a Z85 CURVE key: '~' is not a Z85 character"
        );
        assert_eq!(
            why(&"#".repeat(40)),
            "key is not a Z85 CURVE key: a group is out of range"
        );
    }

    #[test]
    fn from_secret_derives_the_public_key() {
        let pair = KeyPair::generate().expect("keys");
        assert_eq!(KeyPair::from_secret(pair.secret).expect("pair"), pair);
    }
}
