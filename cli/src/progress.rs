//! stderr: a progress bar for long batches, only when stderr is a terminal, and messages
//! (warnings, per-file errors) that never fail the run even if stderr itself is closed.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Batches shorter than this finish before a bar would be worth drawing.
const MIN_FILES_FOR_A_BAR: usize = 20;

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(len: usize) -> Self {
        let visible = len >= MIN_FILES_FOR_A_BAR && std::io::stderr().is_terminal();
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(len as u64), target);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} elapsed, ~{eta} left") {
            bar.set_style(style);
        }
        Self { bar }
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// A line on stderr, above the bar.
    pub fn message(&self, text: &str) {
        self.bar.suspend(|| say(text));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A line on stderr; a closed stderr is ignored (`eprintln!` would panic).
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
