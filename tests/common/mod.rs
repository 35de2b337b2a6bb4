//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root: these helpers serve the engine's tests and the CLI crate's.
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if manifest.join("Cargo.lock").exists() { manifest } else { manifest.parent().unwrap().to_path_buf() }
}

/// A path under the shared RAVDESS folder beside the repository.
pub fn ravdess(relative: &str) -> PathBuf {
    let folder = repo_root().join("../shared/data/ravdess");
    assert!(folder.is_dir(), "{}: these tests need the shared data beside the repository", folder.display());
    folder.join(relative)
}

/// Mono samples and rate of a shared clip.
pub fn load_clip(relative: &str) -> (Vec<f32>, u32) {
    let audio = speech_emotion::audio::decode_file(&ravdess(relative)).expect("shared clip decodes");
    (audio.to_mono().expect("mono"), audio.sample_rate)
}

/// A deterministic pseudo-random generator (no dependency needed for test noise).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_f32(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
