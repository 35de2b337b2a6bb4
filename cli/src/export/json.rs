//! `--format jsonl`: one JSON object per file, on its own line, so a batch can be read (or
//! cut short with `head`) line by line while it runs.

use std::io::Write;

use anyhow::Result;

use speech_emotion::report::ClipReport;

use super::{Batch, Exporter};
use crate::audio_file::FileOutcome;

pub struct JsonLines<'a>(pub Batch<'a>);

impl Exporter for JsonLines<'_> {
    fn header(&self, _out: &mut dyn Write) -> Result<()> {
        Ok(())
    }

    /// One JSON line per file.
    fn file(&self, out: &mut dyn Write, path: &str, outcome: &FileOutcome) -> Result<()> {
        let Batch { model, with_segments, .. } = self.0;
        let line = ClipReport::new(&outcome.result, Some(path.to_string()), outcome.warnings.clone(), model.clone(), with_segments);
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        Ok(())
    }
}
