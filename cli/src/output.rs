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

/// The CSV header: the columns of `write_csv`'s rows.
pub fn write_csv_header(out: &mut impl Write, labels: &[String]) -> Result<()> {
    let mut header = vec!["path", "segment_start_s", "segment_end_s", "speech", "label", "confidence"];
    header.extend(labels.iter().map(String::as_str));
    header.extend(["warnings", "model", "model_fingerprint"]);
    writeln!(out, "{}", header.join(","))?;
    Ok(())
}

/// One row for the whole file, then (with `--segments`) one per model window. Warnings
/// (joined by "; ") and the model are on every row, so any row can be read on its own.
pub fn write_csv(
    out: &mut impl Write,
    path: &str,
    outcome: &FileOutcome,
    model: &ModelId,
    with_segments: bool,
) -> Result<()> {
    let result = &outcome.result;
    let warnings = outcome.warnings.join("; ");
    let mut row = |start: &str, end: &str, speech: bool, label: Option<&str>, p: &[f32]| -> Result<()> {
        let confidence = p.iter().copied().fold(0.0f32, f32::max);
        let mut row = vec![
            csv_field(path),
            start.to_string(),
            end.to_string(),
            speech.to_string(),
            csv_field(label.unwrap_or("")),
            format!("{confidence:.6}"),
        ];
        row.extend(p.iter().map(|v| format!("{v:.6}")));
        row.extend([csv_field(&warnings), csv_field(&model.name), model.fingerprint.clone()]);
        writeln!(out, "{}", row.join(","))?;
        Ok(())
    };
    row("", "", result.speech, result.label.as_deref(), &result.probabilities)?;
    if with_segments {
        for s in &result.segments {
            row(&format!("{:.2}", s.start_s), &format!("{:.2}", s.end_s), s.speech, s.label.as_deref(), &s.probabilities)?;
        }
    }
    Ok(())
}

pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_string() }
}

/// True when `error` comes from writing to a reader that went away (`… | head -1`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
