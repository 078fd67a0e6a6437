//! A peer's text in errors and logs, cut short: whatever a peer sends, an error that quotes it
//! stays a few hundred bytes.

/// At most this many bytes of a peer's text are quoted in an error (a dtype, a `kind`, a key
/// path); the rest is counted, not copied, so an error stays small whatever a peer sends.
pub const PEER_TEXT_LIMIT: usize = 64;

/// A peer's text for an error message: quoted, its first [`PEER_TEXT_LIMIT`] bytes (cut at a
/// character boundary) with control characters and invalid UTF-8 escaped once, and the full
/// length given when it was cut.
pub(crate) fn peer_text(bytes: &[u8]) -> String {
    let mut end = bytes.len().min(PEER_TEXT_LIMIT);
    // A cut inside a UTF-8 sequence would show as a replacement character: cut before it.
    if let Err(e) = std::str::from_utf8(&bytes[..end])
        && end < bytes.len()
        && e.error_len().is_none()
    {
        end = e.valid_up_to();
    }
    let shown: String = String::from_utf8_lossy(&bytes[..end])
        .chars()
        .flat_map(char::escape_debug)
        .collect();
    if end < bytes.len() {
        format!("\"{shown}\"… ({} bytes)", bytes.len())
    } else {
        format!("\"{shown}\"")
    }
}

/// A message that may carry a peer's text (a serde error naming a field the peer sent), cut
/// to four times [`PEER_TEXT_LIMIT`] bytes.
pub(crate) fn cut_detail(detail: String) -> String {
    const LIMIT: usize = 4 * PEER_TEXT_LIMIT;
    if detail.len() <= LIMIT {
        return detail;
    }
    let mut end = LIMIT;
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &detail[..end], detail.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_is_cut_and_escaped_once() {
        assert_eq!(peer_text(b"u1"), "\"u1\"");
        assert_eq!(peer_text(b"a\"\n"), "\"a\\\"\\n\"");
        let long = vec![b'x'; 4 << 20];
        let shown = peer_text(&long);
        assert!(shown.len() < PEER_TEXT_LIMIT + 32, "{shown}");
        assert!(
            shown.ends_with(&format!("… ({} bytes)", 4 << 20)),
            "{shown}"
        );
        // A cut in the middle of a character drops it whole.
        let mut text = vec![b'a'; PEER_TEXT_LIMIT - 1];
        text.extend("é and more".as_bytes());
        assert!(!peer_text(&text).contains('\u{fffd}'));
        let detail = cut_detail("y".repeat(10_000));
        assert!(detail.len() < 4 * PEER_TEXT_LIMIT + 32, "{detail}");
    }
}
