//! Everything the CLI prints about a result. This is the one place that reads the fields of
//! `ClipResult` and `Segment`, so a change to their shape is adapted here.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use speech_emotion::classify::{ClipResult, Segment};
use speech_emotion::decision::State;

/// Which model produced a result: its metadata `name` and
/// `speech_emotion::fingerprint::model_fingerprint` of its ONNX bytes and metadata.
#[derive(Debug, Clone, Serialize)]
pub struct ModelId {
    pub name: String,
    pub fingerprint: String,
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (fingerprint {})", self.name, self.fingerprint)
    }
}

/// A classified file and what was wrong with it (truncation, damage), if anything.
pub struct FileOutcome {
    pub result: ClipResult,
    pub warnings: Vec<String>,
}

/// The label `evaluate` scores: the model's top label (an index into `labels`), `None` when
/// no speech was found (a miss).
pub fn predicted_index(labels: &[String], result: &ClipResult) -> Result<Option<usize>> {
    match result.label.as_deref() {
        None => Ok(None),
        Some(label) => match labels.iter().position(|l| l == label) {
            Some(i) => Ok(Some(i)),
            None => anyhow::bail!("the model gave a label \"{label}\" it does not list"),
        },
    }
}

#[derive(Serialize)]
struct FileLine<'a> {
    path: &'a str,
    state: State,
    label: Option<&'a str>,
    confidence: f32,
    speech: bool,
    calibrated: bool,
    duration_s: f64,
    probabilities: BTreeMap<&'a str, f32>,
    /// Empty unless the file was truncated or damaged (decoded as far as it goes).
    warnings: &'a [String],
    model: &'a ModelId,
    #[serde(skip_serializing_if = "Option::is_none")]
    segments: Option<Vec<SegmentLine<'a>>>,
}

#[derive(Serialize)]
struct SegmentLine<'a> {
    start_s: f64,
    end_s: f64,
    speech: bool,
    speech_probability: f32,
    label: Option<&'a str>,
    probabilities: BTreeMap<&'a str, f32>,
}

fn by_label<'a>(labels: &'a [String], probabilities: &[f32]) -> BTreeMap<&'a str, f32> {
    labels.iter().map(String::as_str).zip(probabilities.iter().copied()).collect()
}

fn segment_line<'a>(labels: &'a [String], s: &'a Segment) -> SegmentLine<'a> {
    SegmentLine {
        start_s: s.start_s,
        end_s: s.end_s,
        speech: s.speech,
        speech_probability: s.speech_probability,
        label: s.label.as_deref(),
        probabilities: by_label(labels, &s.probabilities),
    }
}

/// One JSON line per file.
pub fn write_jsonl(
    out: &mut impl Write,
    path: &str,
    outcome: &FileOutcome,
    labels: &[String],
    model: &ModelId,
    with_segments: bool,
) -> Result<()> {
    let result = &outcome.result;
    let line = FileLine {
        path,
        state: result.state,
        label: result.label.as_deref(),
        confidence: result.confidence,
        speech: result.speech,
        calibrated: result.calibrated,
        duration_s: result.duration_s,
        probabilities: by_label(labels, &result.probabilities),
        warnings: &outcome.warnings,
        model,
        segments: with_segments.then(|| result.segments.iter().map(|s| segment_line(labels, s)).collect()),
    };
    writeln!(out, "{}", serde_json::to_string(&line)?)?;
    Ok(())
}

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

/// The CSV header: the columns of `write_csv`'s rows.
pub fn write_csv_header(out: &mut impl Write, labels: &[String]) -> Result<()> {
    let mut header: Vec<String> = CSV_LEADING.iter().map(|c| c.to_string()).collect();
    header.extend(labels.iter().map(|l| text_cell(l)));
    header.extend(CSV_TRAILING.iter().map(|c| c.to_string()));
    write_record(out, &header)
}

/// One row for the whole file, then (with `--segments`) one per model window. Warnings
/// (joined by "; "), `calibrated` and the model are on every row, so any row can be read on
/// its own.
pub fn write_csv(
    out: &mut impl Write,
    path: &str,
    outcome: &FileOutcome,
    model: &ModelId,
    with_segments: bool,
) -> Result<()> {
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
pub fn text_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() }
}

/// One CSV record, quoted by the `csv` crate where a cell holds `,`, `"` or a line break.
/// Built in memory and written in one call, so a closed pipe is an `io::Error` of `out`.
fn write_record(out: &mut impl Write, cells: &[String]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(cells)?;
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    out.write_all(&bytes)?;
    Ok(())
}

/// An error and its causes on one line, "a: b: c", leaving out a cause whose text the
/// message above it already ends with (an error that prints its source as part of its own
/// message, such as `cannot read X: No such file or directory`, would otherwise say it twice).
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// True when `error` comes from writing to a reader that went away (`… | head -1`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
