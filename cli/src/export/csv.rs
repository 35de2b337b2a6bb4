//! `--format csv`: one row per file (and per segment with `--segments`), each row complete on
//! its own, written through `csv::Writer` (quoting) with text cells neutralised against
//! spreadsheet formulas.

use std::io::Write;

use anyhow::Result;

use speech_emotion::decision::State;

use super::{Batch, Exporter};
use crate::audio_file::FileOutcome;

pub struct Csv<'a>(pub Batch<'a>);

/// The CSV columns before the labels' probabilities: the JSON line's fields, so a CSV row
/// says everything a JSON line does (`state` above all: an uncertain result is not a
/// confident one). `speech_probability` is a segment's (empty on the file's row);
/// `segment_*` are empty on the file's row.
const CSV_LEADING: [&str; 10] = [
    "path",
    "segment_start_s",
    "segment_end_s",
    "state",
    "label",
    "confidence",
    "speech",
    "speech_probability",
    "calibrated",
    "duration_s",
];
const CSV_TRAILING: [&str; 3] = ["warnings", "model", "model_fingerprint"];

impl Exporter for Csv<'_> {
    /// The CSV header: the columns of the rows `file` writes.
    fn header(&self, out: &mut dyn Write) -> Result<()> {
        let mut header: Vec<String> = CSV_LEADING.iter().map(|c| c.to_string()).collect();
        header.extend(self.0.labels.iter().map(|l| text_cell(l)));
        header.extend(CSV_TRAILING.iter().map(|c| c.to_string()));
        write_record(out, &header)
    }

    /// One row for the whole file, then (with `--segments`) one per model window. Warnings
    /// (joined by "; "), `calibrated` and the model are on every row, so any row can be read
    /// on its own.
    fn file(&self, out: &mut dyn Write, path: &str, outcome: &FileOutcome) -> Result<()> {
        let Batch { model, with_segments, .. } = self.0;
        let result = &outcome.result;
        let warnings = text_cell(&outcome.warnings.join("; "));
        let (path, name) = (text_cell(path), text_cell(&model.name));
        let tail = [warnings, name, model.fingerprint.clone()];
        let mut file_row = vec![
            path.clone(),
            String::new(),
            String::new(),
            state_text(result.state),
            text_cell(result.label.as_deref().unwrap_or("")),
            format!("{:.6}", result.confidence),
            result.speech.to_string(),
            String::new(),
            result.calibrated.to_string(),
            format!("{:.3}", result.duration_s),
        ];
        file_row.extend(result.probabilities.iter().map(|v| format!("{v:.6}")));
        file_row.extend(tail.iter().cloned());
        write_record(out, &file_row)?;
        if with_segments {
            for s in &result.segments {
                let confidence = s.probabilities.iter().copied().fold(0.0f32, f32::max);
                let mut row = vec![
                    path.clone(),
                    format!("{:.2}", s.start_s),
                    format!("{:.2}", s.end_s),
                    String::new(),
                    text_cell(s.label.as_deref().unwrap_or("")),
                    format!("{confidence:.6}"),
                    s.speech.to_string(),
                    format!("{:.6}", s.speech_probability),
                    result.calibrated.to_string(),
                    String::new(),
                ];
                row.extend(s.probabilities.iter().map(|v| format!("{v:.6}")));
                row.extend(tail.iter().cloned());
                write_record(out, &row)?;
            }
        }
        Ok(())
    }
}

fn state_text(state: State) -> String {
    match serde_json::to_value(state) {
        Ok(serde_json::Value::String(text)) => text,
        _ => format!("{state:?}"),
    }
}

/// A text cell (path, label, warning, model name) as written to CSV. One that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula by a spreadsheet
/// (`=1+1`, `=HYPERLINK(…)`): it gets a leading `'`, which spreadsheets show as text. Numbers
/// are written by the CLI itself and are never changed. The JSON output is not changed.
fn text_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() }
}

/// One CSV record, quoted by the `csv` crate where a cell holds `,`, `"` or a line break.
/// Built in memory and written in one call, so a closed pipe is an `io::Error` of `out`.
fn write_record(out: &mut dyn Write, cells: &[String]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(cells)?;
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    out.write_all(&bytes)?;
    Ok(())
}
