//! CURVE keys ([`CurveKeyPair`], [`curve_public`]) and their Z85 text ([`z85_encode`],
//! [`z85_decode`]).

use std::ffi::{CString, NulError, c_char};
use std::fmt;
use std::string::FromUtf8Error;

use netgear_zmq_sys as sys;

use crate::{Error, Result};

/// The length of a CURVE key's Z85 text, and its NUL.
const Z85_KEY: usize = 41;

/// A CURVE key pair from libzmq (libsodium underneath), in binary form.
#[derive(Clone)]
pub struct CurveKeyPair {
    /// The public key (32 bytes).
    pub public_key: [u8; 32],
    /// The secret key (32 bytes).
    pub secret_key: [u8; 32],
}

impl CurveKeyPair {
    /// A new random key pair (`zmq_curve_keypair`).
    ///
    /// # Errors
    ///
    /// `ENOTSUP` if libzmq was built without CURVE.
    pub fn new() -> Result<CurveKeyPair> {
        let mut public = [0 as c_char; Z85_KEY];
        let mut secret = [0 as c_char; Z85_KEY];
        // SAFETY: both buffers have room for a 40-character Z85 key and its NUL, which is what
        // `zmq_curve_keypair` writes to each.
        if unsafe { sys::zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) } == -1 {
            return Err(Error::last());
        }
        Ok(CurveKeyPair {
            public_key: decode_key(&public)?,
            secret_key: decode_key(&secret)?,
        })
    }
}

impl fmt::Debug for CurveKeyPair {
    /// The public key in Z85; never the secret key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let public = z85_encode(&self.public_key).unwrap_or_default();
        f.debug_struct("CurveKeyPair")
            .field("public_key", &public)
            .field("secret_key", &"…")
            .finish()
    }
}

/// The public key of a CURVE secret key (`zmq_curve_public`).
///
/// # Errors
///
/// `ENOTSUP` if libzmq was built without CURVE.
pub fn curve_public(secret_key: &[u8; 32]) -> Result<[u8; 32]> {
    let secret = z85_encode(secret_key).map_err(|_| Error::EINVAL)?;
    let secret = CString::new(secret).map_err(|_| Error::EINVAL)?;
    let mut public = [0 as c_char; Z85_KEY];
    // SAFETY: `public` has room for the 40-character Z85 key and NUL `zmq_curve_public`
    // writes; `secret` is a NUL-terminated 40-character Z85 key, as it reads.
    if unsafe { sys::zmq_curve_public(public.as_mut_ptr(), secret.as_ptr()) } == -1 {
        return Err(Error::last());
    }
    decode_key(&public)
}

/// The 32 bytes of a key's Z85 text as libzmq writes it (40 characters and a NUL).
fn decode_key(text: &[c_char; Z85_KEY]) -> Result<[u8; 32]> {
    // The text must end where libzmq's decoder will look for its end.
    if text[..Z85_KEY - 1].contains(&0) || text[Z85_KEY - 1] != 0 {
        return Err(Error::EINVAL);
    }
    let mut key = [0u8; 32];
    // SAFETY: `text` is a NUL-terminated string of 40 characters (checked above), so
    // `zmq_z85_decode` reads no further than its NUL and writes 40 * 4 / 5 = 32 bytes to `key`.
    if unsafe { sys::zmq_z85_decode(key.as_mut_ptr(), text.as_ptr()) }.is_null() {
        return Err(Error::EINVAL);
    }
    Ok(key)
}

/// Why [`z85_encode`] failed.
#[derive(Debug)]
pub enum EncodeError {
    /// The data's length is not a multiple of 4.
    BadLength,
    /// The encoding was not UTF-8 (never happens: Z85 is ASCII).
    FromUtf8Error(FromUtf8Error),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BadLength => write!(f, "Invalid data length. Should be multiple of 4."),
            EncodeError::FromUtf8Error(e) => write!(f, "UTF8 conversion error: {e}"),
        }
    }
}

impl std::error::Error for EncodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EncodeError::BadLength => None,
            EncodeError::FromUtf8Error(e) => Some(e),
        }
    }
}

/// Z85 text of `data`, whose length must be a multiple of 4 (5 characters for every 4 bytes).
pub fn z85_encode(data: &[u8]) -> std::result::Result<String, EncodeError> {
    if !data.len().is_multiple_of(4) {
        return Err(EncodeError::BadLength);
    }
    let len = data.len() / 4 * 5;
    let mut text = vec![0u8; len + 1];
    // SAFETY: `data.len()` is a multiple of 4, and `text` has room for the `len` characters and
    // NUL that `zmq_z85_encode` writes for it.
    let written =
        unsafe { sys::zmq_z85_encode(text.as_mut_ptr().cast(), data.as_ptr(), data.len()) };
    if written.is_null() {
        return Err(EncodeError::BadLength);
    }
    text.truncate(len);
    String::from_utf8(text).map_err(EncodeError::FromUtf8Error)
}

/// Why [`z85_decode`] failed.
#[derive(Debug)]
pub enum DecodeError {
    /// The text's length is not a multiple of 5.
    BadLength,
    /// The text has a NUL.
    NulError(NulError),
    /// The text is not Z85: a character outside its alphabet, or a group of 5 over 2³² − 1.
    Invalid,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadLength => write!(f, "Invalid data length. Should be multiple of 5."),
            DecodeError::NulError(e) => write!(f, "Nul byte error: {e}"),
            DecodeError::Invalid => write!(f, "Invalid Z85 text."),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::NulError(e) => Some(e),
            DecodeError::BadLength | DecodeError::Invalid => None,
        }
    }
}

impl From<NulError> for DecodeError {
    fn from(e: NulError) -> DecodeError {
        DecodeError::NulError(e)
    }
}

/// The bytes of Z85 text, whose length must be a multiple of 5 (4 bytes for every 5
/// characters).
pub fn z85_decode(text: &str) -> std::result::Result<Vec<u8>, DecodeError> {
    if !text.len().is_multiple_of(5) {
        return Err(DecodeError::BadLength);
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let text = CString::new(text)?;
    let mut bytes = vec![0u8; text.as_bytes().len() / 5 * 4];
    // SAFETY: `text` is NUL-terminated without an inner NUL, so libzmq reads its
    // `text.len()` characters (a multiple of 5) and writes at most `text.len() * 4 / 5` bytes,
    // `bytes`' length.
    if unsafe { sys::zmq_z85_decode(bytes.as_mut_ptr(), text.as_ptr()) }.is_null() {
        return Err(DecodeError::Invalid);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z85_known_vector() {
        // The Z85 specification's example (rfc.zeromq.org/spec/32).
        let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(z85_encode(&bytes).expect("encodes"), "HelloWorld");
        assert_eq!(z85_decode("HelloWorld").expect("decodes"), bytes);
        assert_eq!(z85_encode(&[]).expect("encodes"), "");
        assert_eq!(z85_decode("").expect("decodes"), Vec::<u8>::new());
    }

    #[test]
    fn z85_refusals() {
        assert!(matches!(
            z85_encode(&[1, 2, 3]),
            Err(EncodeError::BadLength)
        ));
        assert!(matches!(z85_decode("abcd"), Err(DecodeError::BadLength)));
        assert!(matches!(
            z85_decode("ab\0de"),
            Err(DecodeError::NulError(_))
        ));
        assert!(matches!(z85_decode("ab de"), Err(DecodeError::Invalid)));
        assert!(matches!(z85_decode("%%%%%"), Err(DecodeError::Invalid)));
        assert!(matches!(z85_decode("éééé"), Err(DecodeError::BadLength)));
        assert!(matches!(z85_decode("ééééé"), Err(DecodeError::Invalid)));
    }
}
