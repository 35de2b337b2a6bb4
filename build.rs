//! Only for the tests (of the engine, and of the wasm shell, which uses this file too): the
//! MFCC parity tests embed three shared RAVDESS clips (the browser test cannot read files).
//! `cfg(shared_clips)` says whether `../shared` is beside the repository, so `cargo test`
//! and `cargo package` compile without it; the parity tests then fail with a message
//! naming the missing folder instead of a compile error.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(shared_clips)");
    // The engine's manifest is at the repository root, the wasm shell's one folder below.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if manifest.join("Cargo.lock").exists() { manifest } else { manifest.parent().unwrap() };
    let clips = root.join("../shared/data/ravdess");
    println!("cargo::rerun-if-changed={}", clips.display());
    if clips.join("Actor_22/03-01-03-01-01-02-22.flac").is_file() {
        println!("cargo::rustc-cfg=shared_clips");
    }
}
