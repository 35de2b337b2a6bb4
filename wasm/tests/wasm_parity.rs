//! MFCC parity with librosa, computed inside headless Chrome.
#![cfg(target_arch = "wasm32")]

#[path = "../../tests/parity/mod.rs"]
mod parity;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn golden_vectors_use_the_shipped_feature_parameters() {
    parity::golden_parameters_are_the_models();
}

#[wasm_bindgen_test]
fn mfcc_matches_librosa_within_1e4_of_the_range_in_the_browser() {
    parity::mfcc_matches_librosa();
}
