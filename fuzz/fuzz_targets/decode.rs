//! Any bytes, as a WAV or FLAC file: decoded audio or `Error::Decode`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use speech_emotion::audio::decode_bytes;

fuzz_target!(|data: &[u8]| {
    let hint = match data.first() {
        Some(b) if b % 3 == 0 => Some("wav"),
        Some(b) if b % 3 == 1 => Some("flac"),
        _ => None,
    };
    if let Ok(audio) = decode_bytes(data.to_vec(), hint) {
        assert!(audio.channels >= 1 && audio.samples.len() % audio.channels == 0);
        let mono = audio.to_mono().expect("a decoded layout downmixes");
        assert_eq!(mono.len(), audio.samples.len() / audio.channels);
    }
});
