//! Facts the page and the npm package repeat from the engine (JavaScript cannot import a
//! Rust constant): each copy is checked against its one home, so a change on one side
//! fails here.
#![cfg(not(target_arch = "wasm32"))]

use speech_emotion::defaults::{CALIBRATION_SECONDS, SEGMENT_HOP_SECONDS, STREAM_HOP_SECONDS};
use speech_emotion::{ClipOptions, StreamConfig};

const PACKAGE_INDEX: &str = include_str!("../www/speech-emotion/index.js");
const PAGE_HTML: &str = include_str!("../www/index.html");

/// The number in `export const NAME = 15;`.
fn js_const(source: &str, name: &str) -> f64 {
    let line = source.lines().find(|l| l.starts_with(&format!("export const {name} = "))).unwrap_or_else(|| panic!("{name} is exported"));
    line.split('=').nth(1).unwrap().trim().trim_end_matches(';').parse().unwrap()
}

#[test]
fn the_package_listens_for_the_engines_calibration_length_and_the_page_says_so() {
    assert_eq!(js_const(PACKAGE_INDEX, "CALIBRATION_SECONDS"), CALIBRATION_SECONDS);
    let n = CALIBRATION_SECONDS as u32;
    assert!(PAGE_HTML.contains(&format!("Calibrate ({n} s)")), "the button names {n} s");
    assert!(PAGE_HTML.contains(&format!("{n} seconds")), "the instructions name {n} seconds");
}

#[test]
fn the_default_hops_are_the_engines() {
    assert_eq!(StreamConfig::default().hop_seconds, STREAM_HOP_SECONDS);
    assert_eq!(ClipOptions::default().segment_hop_seconds, SEGMENT_HOP_SECONDS);
}
