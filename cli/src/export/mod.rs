//! The formats `classify` writes, one module each behind [`Exporter`] (the layout of
//! hyperfine's `src/export`). `--format` picks an exporter in one place,
//! [`Format::exporter`]; the command only calls [`Exporter::header`] once and
//! [`Exporter::file`] per file, so a new format is a new module and one line there.
//!
//! These modules are the one place that reads the fields of `ClipResult` and `Segment` for
//! output, so a change to their shape is adapted here.

mod csv;
mod json;

use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;

use crate::audio_file::FileOutcome;
use crate::model_source::ModelId;

// No `///` on the variants: clap would show them in `--help`, which stays as it is.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

/// What every file of one run shares: the model's labels (the order of every list of
/// probabilities), the model that classified them, and whether `--segments` was asked for.
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    pub labels: &'a [String],
    pub model: &'a ModelId,
    pub with_segments: bool,
}

/// One output format. `Sync` because results are written by whichever worker finishes the
/// next file in order.
pub trait Exporter: Sync {
    /// What comes before the first file (the CSV header; nothing for JSON lines).
    fn header(&self, out: &mut dyn Write) -> Result<()>;
    /// One classified file: its line or row, and with `--segments` its segments.
    fn file(&self, out: &mut dyn Write, path: &str, outcome: &FileOutcome) -> Result<()>;
}

impl Format {
    /// The exporter for this format.
    pub fn exporter(self, batch: Batch<'_>) -> Box<dyn Exporter + '_> {
        match self {
            Format::Jsonl => Box::new(self::json::JsonLines(batch)),
            Format::Csv => Box::new(self::csv::Csv(batch)),
        }
    }
}
