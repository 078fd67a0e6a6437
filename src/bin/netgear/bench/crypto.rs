//! What CURVE's cipher costs on this machine: libsodium's `crypto_box_easy_afternm`
//! (XSalsa20-Poly1305, which libzmq's CURVE runs over every message, once to encrypt and once to
//! decrypt), timed on a frame's bytes in this process. The secure rows are read against the
//! bound it sets: no framing or copy can make a frame cost less than its boxes.

use std::ffi::c_int;
use std::time::{Duration, Instant};

use netgear::media::TestPattern;
use netgear::wire;

// libsodium is linked into this executable with libzmq (statically, for CURVE).
unsafe extern "C" {
    fn sodium_init() -> c_int;
    fn crypto_box_easy_afternm(
        c: *mut u8,
        m: *const u8,
        mlen: u64,
        n: *const u8,
        k: *const u8,
    ) -> c_int;
}

/// `crypto_box_MACBYTES`: what a box adds to its message.
const MAC_BYTES: usize = 16;

/// The median time to box (encrypt and authenticate) `len` bytes once, or `None` if libsodium
/// cannot start.
pub fn box_time(len: usize) -> Option<Duration> {
    // SAFETY: `sodium_init` has no preconditions; it is idempotent and thread-safe.
    if unsafe { sodium_init() } < 0 {
        return None;
    }
    let message = vec![0x5a_u8; len];
    let mut boxed = vec![0_u8; len + MAC_BYTES];
    let (nonce, key) = ([7_u8; 24], [9_u8; 32]);
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            // SAFETY: `boxed` has room for `len` + MAC_BYTES bytes, `message` holds `len`
            // bytes, the nonce is crypto_box_NONCEBYTES (24) long and the precomputed key
            // crypto_box_BEFORENMBYTES (32); the buffers do not overlap.
            let rc = unsafe {
                crypto_box_easy_afternm(
                    boxed.as_mut_ptr(),
                    message.as_ptr(),
                    len as u64,
                    nonce.as_ptr(),
                    key.as_ptr(),
                )
            };
            (rc == 0).then(|| start.elapsed())
        })
        .collect::<Option<_>>()?;
    times.sort();
    Some(times[times.len() / 2])
}

/// The bytes of the frame part of a test-pattern frame's message (what CURVE boxes per frame).
pub fn frame_part_len(width: usize, height: usize) -> usize {
    wire::frame_part(&TestPattern::new(width, height).frame(0)).len()
}

/// The median time to box one `width` × `height` test-pattern frame's part.
pub fn frame_box_time(width: usize, height: usize) -> Option<Duration> {
    box_time(frame_part_len(width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_timed() {
        assert!(box_time(1 << 16).is_some_and(|t| t > Duration::ZERO));
    }
}
