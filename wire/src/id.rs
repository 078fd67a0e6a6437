//! The system ids each end makes for itself, as vidgear does.

/// A fresh 8-character `A-Z0-9` system id, as vidgear makes for each end.
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    random_u64()
        .to_le_bytes()
        .iter()
        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

/// A random 64-bit number (from the system's generator; the time if it fails).
pub(crate) fn random_u64() -> u64 {
    let mut raw = [0u8; 8];
    if getrandom::fill(&mut raw).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        return t as u64;
    }
    u64::from_le_bytes(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_eight_uppercase_alphanumerics() {
        let id = new_id();
        assert_eq!(id.len(), 8);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }
}
