//! Only for the tests: the MFCC parity tests embed three shared RAVDESS clips (the browser
//! test cannot read files). `cfg(shared_clips)` says whether `../shared` is beside the
//! repository, so `cargo test` and `cargo package` compile without it; the parity tests
//! then fail with a message naming the missing folder instead of a compile error.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(shared_clips)");
    let clips = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ravdess");
    println!("cargo::rerun-if-changed={}", clips.display());
    if clips.join("Actor_22/03-01-03-01-01-02-22.flac").is_file() {
        println!("cargo::rustc-cfg=shared_clips");
    }
}
