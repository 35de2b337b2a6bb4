//! Which model produced a result: a short, stable fingerprint of the ONNX bytes and the
//! metadata, recorded beside every CLI result and export (and usable by the page).

use sha2::{Digest, Sha256};

/// The first 16 hex digits (64 bits) of the SHA-256 of
/// `len(onnx) as u64 little-endian ‖ onnx ‖ metadata_json`.
///
/// The length prefix keeps the split between the two parts unambiguous. Any change to the
/// weights, the graph or the metadata (labels, features, threshold, calibration) changes
/// the fingerprint; the same files give the same fingerprint on every platform.
pub fn model_fingerprint(onnx: &[u8], metadata_json: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update((onnx.len() as u64).to_le_bytes());
    hasher.update(onnx);
    hasher.update(metadata_json.as_bytes());
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_16_hex_digits_and_sees_every_part() {
        let base = model_fingerprint(b"onnx", "{}");
        assert_eq!(base.len(), 16);
        assert!(base.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(base, model_fingerprint(b"onnx", "{}"));
        assert_ne!(base, model_fingerprint(b"onnX", "{}"));
        assert_ne!(base, model_fingerprint(b"onnx", "{ }"));
        // Moving bytes across the boundary changes it (the length prefix).
        assert_ne!(model_fingerprint(b"ab", "c"), model_fingerprint(b"a", "bc"));
    }

    #[test]
    fn known_value() {
        // SHA-256 of 8 zero bytes (an empty model and empty metadata).
        assert_eq!(model_fingerprint(b"", ""), "af5570f5a1810b7a");
    }
}
