//! The `evaluate` CSV: any bytes through the CLI's own parser (`cli/src/manifest.rs`, the
//! very file the command compiles; it needs only `std` and `csv`). The label column is the
//! last name on the input's first line, as written (so any name, `path` itself included, is
//! the label column, and a quoted or BOM-prefixed one is not found: an error). Never a panic;
//! an error is a non-empty message; every row read has a non-empty path, a trimmed label and
//! a line number ≥ 1, rows in order of their lines.
//!
//! One call per input: building the `csv` reader (csv-core's DFA, compiled with comparison
//! tracing) takes most of each call, so three label columns per input ran at a third of the
//! speed.
#![no_main]

#[path = "../../cli/src/manifest.rs"]
#[allow(dead_code)]
mod manifest;

use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8], label_column: &str) {
    match manifest::parse(bytes, label_column) {
        Err(message) => assert!(!message.trim().is_empty(), "an empty error message"),
        Ok(rows) => {
            let mut last_line = 0;
            for row in &rows {
                assert!(!row.path.as_os_str().is_empty(), "an empty path: {row:?}");
                assert_eq!(row.label, row.label.trim(), "an untrimmed label: {row:?}");
                assert!(row.line >= 1, "line 0: {row:?}");
                assert!(row.line >= last_line, "rows out of line order: {row:?} after line {last_line}");
                last_line = row.line;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let last_name = first_line.rsplit(|&b| b == b',').next().unwrap_or_default();
    let last_name = String::from_utf8_lossy(last_name);
    check(data, last_name.trim_end_matches('\r'));
});
