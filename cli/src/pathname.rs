//! How a path is written in the output and in messages: the engine's one rule
//! (`speech_emotion::report::shown_path`, which the Python package's results use too). A
//! Unix file name is bytes and need not be UTF-8: `to_string_lossy` would print `a\xff.wav`
//! and `a\xfe.wav` both as `a\u{fffd}.wav`, two files under one name. Here a path that is
//! UTF-8 without a backslash is written as it is; any other has each backslash doubled and
//! each byte that is not UTF-8 written `\xNN`, so different paths are always written
//! differently (a written name with a backslash was escaped; one without is the name itself).

use std::path::Path;

/// `path` as text, distinct for distinct paths (see the module comment).
pub fn shown(path: &Path) -> String {
    speech_emotion::report::shown_path(path)
}

#[cfg(test)]
mod tests {
    use speech_emotion::report::escape_bytes;

    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        assert_eq!(escape_bytes(b"dir/a.wav"), "dir/a.wav");
        assert_eq!(escape_bytes("é/ü.wav".as_bytes()), "é/ü.wav");
        assert_eq!(escape_bytes(b"a\xff.wav"), "a\\xff.wav");
        assert_eq!(escape_bytes(b"a\xfe.wav"), "a\\xfe.wav");
        // The name `a\xff.wav` spelt with a real backslash is written differently again.
        assert_eq!(escape_bytes(b"a\\xff.wav"), "a\\\\xff.wav");
        assert_eq!(escape_bytes(b"\xc3\xa9\xc3"), "é\\xc3");
        let names: [&[u8]; 5] = [b"a\xff.wav", b"a\xfe.wav", b"a\\xff.wav", b"a\\\\xff.wav", b"a\\x.wav"];
        let shown: std::collections::BTreeSet<String> = names.iter().map(|n| escape_bytes(n)).collect();
        assert_eq!(shown.len(), names.len());
    }
}
